"""Check a define.xml against the data it describes.

Every dataset and variable in the data must be in define.xml and the other way round,
each declared length must be the actual one (the longest value), integers must be whole
numbers, and every coded value must be in its codelist, also per value-level item.

What is compared is define.xml as read back from its XML and the summaries of the records (:mod:`.values`): those
worked out while define.xml was built, whose records are gone, or else the records of the frames given.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdisc.definexml.read import Attributes, CodelistSummary, DefineSummary
from cdisc.definexml.values import Checks, DataValues, Frame, Question, Summary, questions


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


def check_against_data(define: DefineSummary, frames: dict[str, Frame], data: DataValues | None = None) -> list[Finding]:
    """Findings for ``define`` against ``frames`` (dataset name -> records or their loader; None: no data to check).

    ``data`` holds the summaries of the frames already made while building define.xml (then their records are not
    read again); a frame without them is summarised now.
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
        values = data.of(name, frame)
        if values is None:  # (a loader found no records)
            continue
        columns = values.columns
        declared = [v.name for v in dataset.variables]
        for column in columns:
            if column not in declared:
                findings.append(Finding("error", name, column, "variable is in the data but not in define.xml"))
        for variable in dataset.variables:
            if variable.name not in columns:
                findings.append(Finding("error", name, variable.name, "variable is in define.xml but not in the data"))
                continue
            items: list[tuple[Checks, Attributes, str]] = [((), variable.attributes, variable.name)]  # every row, then each value-level item's rows
            for level in variable.value_level:
                label = " and ".join(f"{v} {c} {', '.join(vals)}" for v, c, vals in level.where)
                items.append((level.where, level.attributes, f"{variable.name} where {label}"))
            for where, attributes, label in items:
                selected = values.summary(variable.name, where, _asked(attributes, define.codelists))
                if selected is not None:  # (None: a where clause that cannot be evaluated on these records)
                    findings += _check_values(name, attributes, selected, define.codelists, label)
        if declared != [c for c in columns if c in declared]:
            findings.append(Finding("warning", name, None, "variables are in a different order in the data than in define.xml"))
    return findings


def _asked(item: Attributes, codelists: dict[str, CodelistSummary]) -> frozenset[Question]:
    """What the check asks of an item's values: codes only of a codelist defined with its terms."""
    codelist = codelists.get(item.codelist) if item.codelist is not None else None
    return questions(item.data_type, codelist is not None and codelist.external is None)


def _check_values(dataset: str, item: Attributes, values: Summary, codelists: dict[str, CodelistSummary], variable: str) -> list[Finding]:
    """Findings for the values of one variable or value-level item (``variable``: how it is named in them)."""
    findings = []
    codes = [] if item.codelist is None else _check_codes(dataset, variable, values, codelists.get(item.codelist), item.codelist)
    actual: int | None = None  # (after the codes: the texts they encode give the length too)
    if item.data_type == "text":
        actual = values.text_length()
    elif item.data_type in ("integer", "float"):
        if item.data_type == "integer" and values.has_non_integers:
            examples = ", ".join(values.non_integer_examples())
            findings.append(Finding("error", dataset, variable, f"define.xml says integer but the data holds {examples}"))
        actual = values.number_digits()[0]
    if actual is not None and item.length is not None and actual != item.length:
        findings.append(
            Finding("error", dataset, variable, f"define.xml gives length {item.length} but the longest value has {actual}")
        )
    return findings + codes


def _check_codes(dataset: str, variable: str, values: Summary, codelist: CodelistSummary | None, oid: str) -> list[Finding]:
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
