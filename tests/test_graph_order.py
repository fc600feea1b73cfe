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


def test_a_ready_task_of_first_starts_before_any_other():
    """A run starts its dataset tasks before its check tasks (its own process starts on its outputs once the datasets
    are built): of the tasks ready, those of ``first``, longest chain first, even when another holds up a longer one."""
    STARTED.clear()
    graph = _graph()
    with LongestChainFirst(chain_lengths(graph, {"TV": 50, "LB": 10}), first=["DM", "ADSL", "LB", "ADLB"]):
        dask.get(graph, list(graph))
    assert STARTED == ["lb", "dm", "adsl", "adlb", "tv"]


def test_work_estimates_count_a_pivoted_page_once_per_test(tmp_path):
    """VS pivots one wide page row (one column per test) to one record per test: its estimate is the page's rows times
    its tests; LB holds one test per raw row (each test's ``when``): its rows count once; ADaM datasets as their source."""
    from pathlib import Path

    from cdisc.spec.load import load_study
    from cdisc.study import work_estimates

    specs = Path(__file__).resolve().parents[1] / "specs"
    study = load_study(specs)
    rows = {name: len(study.raw_frame(name)) for name in ("vs", "lb")}
    built = {name: study.datasets[name].spec for name in ("LB", "VS", "ADSL", "ADVS") if name in study.datasets}
    work = work_estimates(study, built, "s")
    assert work["s", "VS"] == 7 * rows["vs"] and work["s", "LB"] == rows["lb"]
    assert work["s", "ADVS"] == work["s", "VS"] and work["s", "check VS"] == work["s", "VS"] // 3


def test_work_estimates_count_the_records_steps_make_from_other_datasets():
    """RELREC's records come from spec records and from ADPC (derive_summary_records with dataset_add): its estimate
    is ADPC's, not the two spec records' (estimated at nothing, it was started after every check task, alone at the
    end of the 10,000-subject run)."""
    from pathlib import Path

    from cdisc.spec.load import load_study
    from cdisc.study import work_estimates

    study = load_study(Path(__file__).resolve().parents[1] / "specs")
    order = ("DM", "PC", "ADSL", "ADPC", "RELREC")
    work = work_estimates(study, {name: study.datasets[name].spec for name in order}, "s")
    assert work["s", "ADPC"] == work["s", "PC"] > 0
    assert work["s", "RELREC"] == work["s", "ADPC"]
