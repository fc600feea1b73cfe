"""Check a define.xml against the data it describes.

Every dataset and variable in the data must be in define.xml and the other way round,
each declared length must be the actual one (the longest value), integers must be whole
numbers, and every coded value must be in its codelist, also per value-level item.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cdisc.definexml.read import Attributes, CodelistSummary, DefineSummary
from cdisc.definexml.values import number_digits, text_length, value_texts


@dataclass(frozen=True)
class Finding:
    """One disagreement between define.xml and the data."""

    severity: str  # "error" or "warning"
    dataset: str
    variable: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.dataset}.{self.variable}" if self.variable else self.dataset
        return f"{self.severity}: {where}: {self.message}"


def check_against_data(define: DefineSummary, frames: dict[str, pd.DataFrame | None]) -> list[Finding]:
    """Findings for ``define`` against ``frames`` (dataset name -> records; None: no data to check)."""
    findings = []
    for name in frames:
        if name not in define.datasets:
            findings.append(Finding("error", name, None, "dataset is in the data but not in define.xml"))
    for name, dataset in define.datasets.items():
        if name not in frames:
            findings.append(Finding("error", name, None, "dataset is in define.xml but there is no data for it"))
            continue
        frame = frames[name]
        if frame is None:
            continue
        declared = [v.name for v in dataset.variables]
        for column in frame.columns:
            if column not in declared:
                findings.append(Finding("error", name, column, "variable is in the data but not in define.xml"))
        for variable in dataset.variables:
            if variable.name not in frame.columns:
                findings.append(Finding("error", name, variable.name, "variable is in define.xml but not in the data"))
                continue
            findings += _check_values(name, variable.attributes, frame[variable.name], define.codelists)
            for level in variable.value_level:
                rows = _selected(frame, level.where)
                if rows is None:
                    continue
                label = " and ".join(f"{v} {c} {', '.join(vals)}" for v, c, vals in level.where)
                findings += _check_values(name, level.attributes, frame.loc[rows, variable.name], define.codelists, label)
        if declared != [c for c in frame.columns if c in declared]:
            findings.append(Finding("warning", name, None, "variables are in a different order in the data than in define.xml"))
    return findings


def _selected(frame: pd.DataFrame, where) -> pd.Series | None:
    """Rows a where clause selects, or None when it cannot be evaluated on this dataset alone."""
    selected = pd.Series(True, index=frame.index)
    for variable, comparator, values in where:
        if variable not in frame.columns or comparator not in ("EQ", "IN", "NE", "NOTIN"):
            return None
        hit = value_texts(frame[variable]).reindex(frame.index).isin(values)
        selected &= ~hit if comparator in ("NE", "NOTIN") else hit
    return selected


def _check_values(dataset: str, item: Attributes, values: pd.Series, codelists: dict[str, CodelistSummary], level: str = "") -> list[Finding]:
    variable = item.name if not level else f"{values.name} where {level}"
    findings = []
    actual: int | None = None
    if item.data_type == "text":
        actual = text_length(values)
    elif item.data_type in ("integer", "float"):
        numbers = pd.to_numeric(values, errors="coerce").dropna()
        if item.data_type == "integer" and (numbers % 1 != 0).any():
            examples = ", ".join(str(v) for v in numbers[numbers % 1 != 0].head(3))
            findings.append(Finding("error", dataset, variable, f"define.xml says integer but the data holds {examples}"))
        actual = number_digits(values)[0]
    if actual is not None and item.length is not None and actual != item.length:
        findings.append(
            Finding("error", dataset, variable, f"define.xml gives length {item.length} but the longest value has {actual}")
        )
    if item.codelist is not None:
        findings += _check_codes(dataset, variable, values, codelists.get(item.codelist), item.codelist)
    return findings


def _check_codes(dataset: str, variable: str, values: pd.Series, codelist: CodelistSummary | None, oid: str) -> list[Finding]:
    if codelist is None:
        return [Finding("error", dataset, variable, f"codelist {oid} is referenced but not defined in define.xml")]
    if codelist.external is not None:
        return []
    allowed = {t.value for t in codelist.terms}
    distinct = values.value_counts(sort=False, dropna=True)
    texts = value_texts(pd.Series(distinct.index, index=distinct.index))
    counts = distinct.loc[texts.index].groupby(texts.to_numpy(), sort=False).sum()
    outside = counts[~counts.index.isin(allowed)]
    return [
        Finding("error", dataset, variable, f"value '{value}' ({n} record(s)) is not in codelist {codelist.name} ({oid})")
        for value, n in sorted(outside.items())
    ]
