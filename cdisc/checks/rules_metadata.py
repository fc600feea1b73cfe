"""Metadata rules: required/expected variables, labels, order and lengths against SDTMIG 3.4 / ADaMIG 1.3."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cdisc.checks.package import Dataset, Submission
from cdisc.checks.registry import findings, rule


def ig_variables(submission: Submission, dataset: Dataset) -> pd.DataFrame:
    """The IG rows that apply to a dataset, with a ``variable`` column naming the dataset's actual variable.

    SDTM domains match by name (SUPP-- uses SUPPQUAL); ADSL uses the ADaMIG ADSL table,
    any other ADaM dataset with PARAMCD the BDS table. ADaMIG placeholder names
    (``TRTxxP``) resolve to the dataset's matching variables (or stay as written when absent).
    """
    standards = submission.standards
    if dataset.model == "SDTM":
        name = "SUPPQUAL" if dataset.name.startswith("SUPP") else dataset.domain
        return standards.sdtm[standards.sdtm["dataset"] == name].sort_values("order")
    structure = "ADSL" if dataset.name == "ADSL" else "BDS" if "PARAMCD" in dataset.frame.columns else None
    table = standards.adam[standards.adam["structure"] == structure]
    columns = pd.Series(dataset.frame.columns, dtype="str")
    rows = []
    for record in table.itertuples(index=False):
        matched = columns[columns.str.fullmatch(record.pattern)] if record.pattern != f"^{record.variable}$" else []
        names = list(matched) or [record.variable]
        rows += [{**record._asdict(), "variable": n, "pattern_name": record.variable} for n in names]
    return pd.DataFrame(rows, columns=[*table.columns, "pattern_name"])


def _presence(submission: Submission, core: str, rule_id: str, noun: str) -> Iterator[pd.DataFrame]:
    for dataset in submission.datasets:
        ig = ig_variables(submission, dataset)
        for variable in ig.loc[ig["core"] == core, "variable"]:
            if variable not in dataset.frame.columns:
                standard = "SDTMIG 3.4" if dataset.model == "SDTM" else "ADaMIG 1.3"
                yield findings(rule_id, dataset.name, f"{noun} variable {variable} (per {standard}) is missing", variable=variable)


@rule("VAR-REQ", "Required variable missing", "SDTMIG 3.4 §4.1.5 / ADaMIG 1.3 §3 (Core = Req); P21 SD0056", "error")
def required_variables(submission: Submission) -> Iterator[pd.DataFrame]:
    yield from _presence(submission, "Req", "VAR-REQ", "Required")


@rule("VAR-EXP", "Expected variable missing", "SDTMIG 3.4 §4.1.5 (Core = Exp); P21 SD0057", "warning")
def expected_variables(submission: Submission) -> Iterator[pd.DataFrame]:
    yield from _presence(submission, "Exp", "VAR-EXP", "Expected")


@rule("REQ-NULL", "Required variable has null values", "SDTMIG 3.4 §4.1.5 (Req variables cannot be null); P21 SD0002", "error")
def required_not_null(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.model("SDTM"):
        ig = ig_variables(submission, dataset)
        for variable in ig.loc[ig["core"] == "Req", "variable"]:
            if variable in dataset.frame.columns:
                column = dataset.frame[variable]
                empty = column.isna() | (column.astype("str").str.strip() == "")
                if empty.any():
                    yield findings("REQ-NULL", dataset.name, f"Required variable {variable} is null",
                                   rows=np.flatnonzero(empty.to_numpy()), variable=variable)


@rule("LABEL", "Variable label differs from the standard", "SDTMIG 3.4 / ADaMIG 1.3 variable tables; P21 SD0063, AD0018", "warning")
def labels(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.datasets:
        ig = ig_variables(submission, dataset)
        ig = ig[ig["variable"] == ig.get("pattern_name", ig["variable"])]  # placeholder labels (xx) are not literal
        expected = dict(zip(ig["variable"], ig["label"]))
        for variable in dataset.table.variables:
            want = expected.get(variable.name)
            if want is not None and variable.label is not None and variable.label != want:
                yield findings("LABEL", dataset.name, f"{variable.name} label is {variable.label!r}; the standard's is {want!r}",
                               variable=variable.name)


@rule("VAR-ORDER", "Variable out of the SDTMIG order", "SDTMIG 3.4 §4.1.4 (order of variables as in the domain tables); P21 SD1079", "warning")
def variable_order(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.model("SDTM"):
        order = dict(zip(*ig_variables(submission, dataset)[["variable", "order"]].T.to_numpy()))
        present = [(name, order[name]) for name in dataset.frame.columns if name in order]
        highest = 0
        for name, position in present:
            if position < highest:
                before = next(n for n, p in present if p > position)
                yield findings("VAR-ORDER", dataset.name, f"{name} comes after {before}; SDTMIG 3.4 puts it before", variable=name)
            highest = max(highest, position)


def _longest(dataset: Dataset, name: str) -> int:
    distinct = pd.Series(dataset.frame[name].fillna("").astype("str").str.rstrip().unique(), dtype="str")
    return int(distinct.str.encode(dataset.table.encoding, errors="replace").str.len().max() or 0) if len(distinct) else 0


@rule("LENGTH", "Character length larger than the longest value",
      "FDA Study Data Technical Conformance Guide (lengths set to the longest value; split datasets of one domain share lengths); P21 SD1082",
      "error")
def lengths(submission: Submission) -> Iterator[pd.DataFrame]:
    """The longest value over every dataset of the domain in the same folder (split LBCH, LBHE, LBUR share LB's lengths)."""
    longest: dict[tuple, int] = {}
    for dataset in submission.datasets:
        for variable in dataset.table.variables:
            if variable.type == "char":
                key = (dataset.table.path.parent, dataset.domain, variable.name)
                longest[key] = max(longest.get(key, 0), _longest(dataset, variable.name))
    for dataset in submission.datasets:
        for variable in dataset.table.variables:
            if variable.type != "char" or variable.length is None:
                continue
            longest_value = longest[(dataset.table.path.parent, dataset.domain, variable.name)]
            if variable.length > max(longest_value, 1):
                yield findings("LENGTH", dataset.name, f"{variable.name} has length {variable.length} but its longest value is {longest_value}",
                               variable=variable.name)
