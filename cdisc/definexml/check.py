"""Check a define.xml against the data it describes.

Every dataset and variable in the data must be in define.xml and the other way round,
each declared length must be the actual one (the longest value), integers must be whole
numbers, and every coded value must be in its codelist, also per value-level item.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cdisc.definexml.read import Attributes, CodelistSummary, DefineSummary
from cdisc.definexml.values import DataValues, Values


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


def check_against_data(define: DefineSummary, frames: dict[str, pd.DataFrame | None], data: DataValues | None = None) -> list[Finding]:
    """Findings for ``define`` against ``frames`` (dataset name -> records; None: no data to check).

    ``data`` holds the summaries of the frames already made while building define.xml.
    """
    data = data or DataValues()
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
        values = data.of(frame)
        declared = [v.name for v in dataset.variables]
        for column in frame.columns:
            if column not in declared:
                findings.append(Finding("error", name, column, "variable is in the data but not in define.xml"))
        for variable in dataset.variables:
            if variable.name not in frame.columns:
                findings.append(Finding("error", name, variable.name, "variable is in define.xml but not in the data"))
                continue
            findings += _check_values(name, variable.attributes, values.every(variable.name), define.codelists)
            for level in variable.value_level:
                selected = values.select(variable.name, level.where)
                if selected is None:
                    continue
                label = " and ".join(f"{v} {c} {', '.join(vals)}" for v, c, vals in level.where)
                findings += _check_values(name, level.attributes, selected, define.codelists, f"{variable.name} where {label}")
        if declared != [c for c in frame.columns if c in declared]:
            findings.append(Finding("warning", name, None, "variables are in a different order in the data than in define.xml"))
    return findings


def _check_values(
    dataset: str, item: Attributes, values: Values, codelists: dict[str, CodelistSummary], variable: str | None = None
) -> list[Finding]:
    """Findings for the values of one variable (``variable``: how a value-level item is named in them)."""
    variable = variable or item.name
    findings = []
    codes = [] if item.codelist is None else _check_codes(dataset, variable, values, codelists.get(item.codelist), item.codelist)
    actual: int | None = None  # (after the codes: the texts they encode give the length too)
    if item.data_type == "text":
        actual = values.text_length()
    elif item.data_type in ("integer", "float"):
        if item.data_type == "integer" and values.has_non_integers:
            examples = ", ".join(str(v) for v in values.non_integers().head(3))
            findings.append(Finding("error", dataset, variable, f"define.xml says integer but the data holds {examples}"))
        actual = values.number_digits()[0]
    if actual is not None and item.length is not None and actual != item.length:
        findings.append(
            Finding("error", dataset, variable, f"define.xml gives length {item.length} but the longest value has {actual}")
        )
    return findings + codes


def _check_codes(dataset: str, variable: str, values: Values, codelist: CodelistSummary | None, oid: str) -> list[Finding]:
    if codelist is None:
        return [Finding("error", dataset, variable, f"codelist {oid} is referenced but not defined in define.xml")]
    if codelist.external is not None:
        return []
    allowed = {t.value for t in codelist.terms}
    outside = {value: n for value, n in values.text_counts().items() if value not in allowed}
    return [
        Finding("error", dataset, variable, f"value '{value}' ({n} record(s)) is not in codelist {codelist.name} ({oid})")
        for value, n in sorted(outside.items())
    ]
