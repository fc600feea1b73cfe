"""The rule registry and the findings table every rule returns.

A rule is a function decorated with :func:`rule`, which records its id, the
requirement it enforces (citation), its severity and a one-line title. It
receives the loaded :class:`~cdisc.checks.package.Submission` and yields
findings frames built with :func:`findings`, one row per offending record
(or one row per dataset/variable for metadata problems).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from cdisc.checks.package import Submission

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


RULES: dict[str, Rule] = {}


def rule(id: str, title: str, citation: str, severity: str):
    """Register the decorated function as rule ``id``."""
    assert severity in SEVERITIES, severity

    def register(function: Callable[[Submission], Iterable[pd.DataFrame]]):
        assert id not in RULES, f"rule {id} registered twice"
        RULES[id] = Rule(id, title, citation, severity, function)
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
