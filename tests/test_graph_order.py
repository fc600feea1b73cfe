"""Of the tasks ready, the one holding up the longest chain of estimated work starts first, whatever Dask's static
ordering would pick; without estimates Dask's order stands."""

from __future__ import annotations

import dask
import pytest

from cdisc.graph import LongestChainFirst, chain_lengths

STARTED: list[str] = []


def _task(name: str, *_needed) -> str:
    STARTED.append(name)
    return name


def _graph() -> dict:
    """Two short tasks and a long chain (LB then ADLB) beside them; ADSL needs DM."""
    return {"DM": (_task, "dm"), "ADSL": (_task, "adsl", "DM"), "TV": (_task, "tv"), "LB": (_task, "lb"),
            "ADLB": (_task, "adlb", "LB", "ADSL")}


def test_chain_lengths_add_the_longest_chain_after_each_task():
    assert chain_lengths(_graph(), {"DM": 1, "ADSL": 2, "TV": 1, "LB": 10, "ADLB": 20}) == {
        "DM": 23, "ADSL": 22, "TV": 1, "LB": 30, "ADLB": 20}


@pytest.mark.parametrize(("cost", "first"), [({"LB": 10, "ADLB": 20, "TV": 1}, "lb"), ({"TV": 50}, "tv")])
def test_the_ready_task_with_the_longest_chain_starts_first(cost, first):
    STARTED.clear()
    graph = _graph()
    with LongestChainFirst(chain_lengths(graph, cost)):
        assert dask.get(graph, list(graph)) == ("dm", "adsl", "tv", "lb", "adlb")
    assert STARTED[0] == first and sorted(STARTED) == ["adlb", "adsl", "dm", "lb", "tv"]
