"""The rule registry and the findings table every rule returns.

A rule is a function decorated with :func:`rule`, which records its id, the
requirement it enforces (citation), its severity and a one-line title. It
receives a :class:`~cdisc.checks.package.Submission` and yields findings frames
built with :func:`findings`, one row per offending record (or one row per
dataset/variable for metadata problems).

Validation holds the records of one dataset at a time (:mod:`cdisc.checks.run`).
A rule runs on each dataset in turn, on a submission whose ``datasets`` are that
one dataset, and reaches others by ``find()`` (DM, SE, ... stay loaded:
:data:`~cdisc.checks.loading.PINNED`); it yields the findings of that dataset.
A rule registered ``across=True`` runs once, after every dataset's turn, on the
whole submission: the records of pinned datasets only, of the others their
attributes and what :func:`kept_summary` functions computed while they were loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from cdisc.checks.package import Dataset, Submission

SEVERITIES = ("error", "warning", "notice")
COLUMNS = ["rule", "severity", "dataset", "row", "variable", "value", "message"]


@dataclass(frozen=True)
class Rule:
    """One conformance rule."""

    id: str
    title: str
    citation: str
    severity: str
    check: Callable[[Submission], Iterable[pd.DataFrame]]
    across: bool = False  # runs once on the whole submission, not on each dataset in turn


RULES: dict[str, Rule] = {}
KEPT: dict[str, Callable[[Dataset], object]] = {}


def rule(id: str, title: str, citation: str, severity: str, *, across: bool = False):
    """Register the decorated function as rule ``id``; ``across``: it runs once on the whole submission."""
    assert severity in SEVERITIES, severity

    def register(function: Callable[[Submission], Iterable[pd.DataFrame]]):
        assert id not in RULES, f"rule {id} registered twice"
        RULES[id] = Rule(id, title, citation, severity, function, across)
        return function

    return register


def kept_summary(name: str):
    """Register the decorated function (of a dataset whose records are loaded) as ``dataset.kept[name]``: computed
    for every dataset during its turn and kept after its records are let go, for a rule that runs ``across``."""

    def register(function: Callable[[Dataset], object]):
        assert name not in KEPT, f"kept summary {name} registered twice"
        KEPT[name] = function
        return function

    return register


def findings(
    rule_id: str,
    dataset: str,
    message: str | pd.Series,
    *,
    rows: np.ndarray | None = None,
    variable: str = "",
    values: pd.Series | None = None,
) -> pd.DataFrame:
    """Findings frame: one row per position in ``rows`` (0-based; reported 1-based), or one dataset-level row.

    ``values`` and a Series ``message`` are indexed by position (``.iloc``) like ``rows``.
    """
    spec = RULES[rule_id]
    value: object  # a column or one value for every row
    text: object
    if rows is None:
        row, value, text = pd.array([pd.NA], dtype="Int64"), [""], [message]
    else:
        rows = np.asarray(rows, dtype=np.int64)
        row = pd.array(rows + 1, dtype="Int64")
        value = values.iloc[rows].astype("str").fillna("").to_numpy() if values is not None else ""
        text = message.iloc[rows].to_numpy() if isinstance(message, pd.Series) else message
    columns = {"rule": rule_id, "severity": spec.severity, "dataset": dataset, "row": row, "variable": variable, "value": value, "message": text}
    return pd.DataFrame(columns, index=pd.RangeIndex(len(row)))


def empty_findings() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else "str") for c in COLUMNS})
