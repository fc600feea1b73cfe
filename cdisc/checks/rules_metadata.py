"""Metadata rules: required/expected variables, labels, order and lengths against SDTMIG 3.4 / ADaMIG 1.3."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from cdisc.arrowtext import arrow_text
from cdisc.checks.package import Dataset, Submission, value_bytes
from cdisc.checks.registry import findings, kept_summary, rule

_SINGLE_BYTE = frozenset({"ascii", "cp1252"})  # the encodings XPT text is read with: one byte per character


def ig_variables(submission: Submission, dataset: Dataset) -> pd.DataFrame:
    """The IG rows that apply to a dataset, with a ``variable`` column naming the dataset's actual variable.

    SDTM domains match by name (SUPP-- uses SUPPQUAL); ADSL uses the ADaMIG ADSL table,
    any other ADaM dataset with PARAMCD the BDS table. ADaMIG placeholder names
    (``TRTxxP``) resolve to the dataset's matching variables (or stay as written when absent).
    Computed once per dataset (from its name and columns: kept after its records are let go).
    """
    return dataset.kept.of("ig", lambda: _ig_variables(submission, dataset))


def _ig_variables(submission: Submission, dataset: Dataset) -> pd.DataFrame:
    standards = submission.standards
    if dataset.model == "SDTM":
        name = "SUPPQUAL" if dataset.name.startswith("SUPP") else dataset.domain
        return _sdtm_tables(submission).get(name, standards.sdtm.iloc[:0]).sort_values("order")
    structure = "ADSL" if dataset.name == "ADSL" else "BDS" if "PARAMCD" in dataset.columns else None
    table = standards.adam[standards.adam["structure"] == structure].reset_index(drop=True)
    columns = "\n".join(str(c) for c in dataset.columns)  # (one search per pattern: ^ and $ match at each name)
    names = [(re.findall(pattern, columns, re.MULTILINE) if pattern != f"^{variable}$" else []) or [variable]
             for pattern, variable in zip(table["pattern"].tolist(), table["variable"].tolist())]
    rows = table.loc[table.index.repeat([len(n) for n in names])].reset_index(drop=True)
    return rows.assign(variable=pd.array([n for group in names for n in group], dtype="str"), pattern_name=rows["variable"])


def _sdtm_tables(submission: Submission) -> dict[str, pd.DataFrame]:
    """The SDTMIG variable table split by dataset, once per submission."""
    return submission.shared.of("sdtm tables", lambda: dict(tuple(submission.standards.sdtm.groupby("dataset", sort=False))))


def _with_core(ig: pd.DataFrame, core: str) -> list[str]:
    """The IG variables of a core (Req, Exp, Perm), in the table's order."""
    return [variable for variable, given in zip(ig["variable"].tolist(), ig["core"].tolist(), strict=True) if given == core]


def _presence(submission: Submission, core: str, rule_id: str, noun: str) -> Iterator[pd.DataFrame]:
    for dataset in submission.datasets:
        ig = ig_variables(submission, dataset)
        for variable in _with_core(ig, core):
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
        for variable in _with_core(ig, "Req"):
            if variable in dataset.frame.columns:
                empty = _empty(dataset, variable)
                if empty.any():
                    yield findings("REQ-NULL", dataset.name, f"Required variable {variable} is null",
                                   rows=np.flatnonzero(empty), variable=variable)


def _empty(dataset: Dataset, name: str) -> np.ndarray:
    """Missing or blank values of a column (a number written as text is never blank)."""
    column = dataset.frame[name]  # (text held once per distinct value: blank or not per distinct value, below)
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.isna().to_numpy(bool)
    if isinstance(column.array, ArrowStringArray):
        empty = _empty_printable(column) if dataset.printable(name) else None
        if empty is not None:
            return empty
        return pc.fill_null(pc.equal(pc.utf8_trim_whitespace(pa.array(column.array)), ""), True).to_numpy(zero_copy_only=False)
    text = dataset.stripped(name)
    return column.isna().to_numpy(bool) | text.per_record(text.values == "")


def _empty_printable(column: pd.Series) -> np.ndarray | None:
    """:func:`_empty` of printable ASCII text without nulls (``" "`` its only blank) from the arrow offsets alone: the
    empty values, when no value ends in a blank; None otherwise (then the values are stripped).

    >>> _empty_printable(pd.Series(["a", "", "b c"], dtype="str")).tolist(), _empty_printable(pd.Series(["a", "  "], dtype="str"))
    ([False, True, False], None)
    """
    empty = []
    for chunk in arrow_text(column.array).chunks:
        offsets, data = value_bytes(chunk)
        ends = offsets[1:][offsets[1:] > offsets[:-1]] - 1
        if chunk.null_count or (data[ends] == ord(" ")).any():
            return None
        empty.append(offsets[1:] == offsets[:-1])
    return np.concatenate(empty) if empty else np.zeros(0, dtype=bool)


@rule("LABEL", "Variable label differs from the standard", "SDTMIG 3.4 / ADaMIG 1.3 variable tables; P21 SD0063, AD0018", "warning")
def labels(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.datasets:
        ig = ig_variables(submission, dataset)
        literal = ig["pattern_name"] if "pattern_name" in ig.columns else ig["variable"]  # placeholder labels (xx) are not literal
        expected = {v: label for v, name, label in zip(ig["variable"].tolist(), literal.tolist(), ig["label"].tolist(), strict=True) if v == name}
        for variable in dataset.table.variables:
            want = expected.get(variable.name)
            if want is not None and variable.label is not None and variable.label != want:
                yield findings("LABEL", dataset.name, f"{variable.name} label is {variable.label!r}; the standard's is {want!r}",
                               variable=variable.name)


@rule("VAR-ORDER", "Variable out of the SDTMIG order", "SDTMIG 3.4 §4.1.4 (order of variables as in the domain tables); P21 SD1079", "warning")
def variable_order(submission: Submission) -> Iterator[pd.DataFrame]:
    for dataset in submission.model("SDTM"):
        ig = ig_variables(submission, dataset)
        order = dict(zip(ig["variable"].tolist(), ig["order"].tolist(), strict=True))
        present = [(name, order[name]) for name in dataset.frame.columns if name in order]
        highest = 0
        for name, position in present:
            if position < highest:
                before = next(n for n, p in present if p > position)
                yield findings("VAR-ORDER", dataset.name, f"{name} comes after {before}; SDTMIG 3.4 puts it before", variable=name)
            highest = max(highest, position)


@kept_summary("longest")
def _longest(dataset: Dataset) -> dict[str, int]:
    """Per character variable, the bytes of its longest value without trailing blanks (a character the encoding
    lacks written as one ``?``)."""
    single_byte = codecs.lookup(dataset.table.encoding).name in _SINGLE_BYTE  # then bytes are characters
    longest: dict[str, int] = {}
    for name in [v.name for v in dataset.table.variables if v.type == "char"]:
        column = dataset.present(name)
        found = _longest_printable(column) if single_byte and dataset.printable(name) else None
        if found is not None:
            longest[name] = found
        elif single_byte and isinstance(column.array, ArrowStringArray):
            longest[name] = _longest_text(pa.array(column.array))
        else:
            distinct = dataset.text(name).values
            longest[name] = int(distinct.str.encode(dataset.table.encoding, errors="replace").str.len().max() or 0) if len(distinct) else 0
    return longest


def _longest_text(text: pa.Array | pa.ChunkedArray) -> int:
    """Characters of the longest value without trailing blanks."""
    lengths = pc.utf8_length(text)
    top = pc.max(lengths).as_py() or 0
    first = text.slice(pc.index(lengths, top).as_py(), 1) if top else None
    if first is None or pc.utf8_length(pc.utf8_rtrim_whitespace(first))[0].as_py() == top:  # nothing longer once trimmed
        return top
    return pc.max(pc.utf8_length(pc.utf8_rtrim_whitespace(text))).as_py() or 0


def _longest_printable(column: pd.Series) -> int | None:
    """:func:`_longest_text` of printable ASCII text without nulls (one byte a character, ``" "`` the only blank), from
    the arrow offsets alone; None when the longest value ends in a blank or there are nulls (then trim the column).

    >>> _longest_printable(pd.Series(["ab", "", "abc"], dtype="str")), _longest_printable(pd.Series(["ab", "ab "], dtype="str"))
    (3, None)
    """
    chunks = arrow_text(column.array).chunks
    if any(chunk.null_count for chunk in chunks):
        return None
    top, last = 0, None
    for chunk in chunks:
        offsets, data = value_bytes(chunk)
        lengths = np.diff(offsets)
        if len(lengths) and lengths.max() > top:
            at = int(lengths.argmax())
            top, last = int(lengths[at]), data[offsets[at + 1] - 1]
    return None if last == ord(" ") else top


@rule("LENGTH", "Character length larger than the longest value",
      "FDA Study Data Technical Conformance Guide (lengths set to the longest value; split datasets of one domain share lengths); P21 SD1082",
      "error", across=True)
def lengths(submission: Submission) -> Iterator[pd.DataFrame]:
    """The longest value over every dataset of the domain in the same folder (split LBCH, LBHE, LBUR share LB's lengths),
    from each dataset's longest values (kept)."""
    longest: dict[tuple, int] = {}
    for dataset in submission.datasets:
        for name, length in dataset.kept["longest"].items():
            key = (dataset.table.path.parent, dataset.domain, name)
            longest[key] = max(longest.get(key, 0), length)
    for dataset in submission.datasets:
        for variable in dataset.table.variables:
            if variable.type != "char" or variable.length is None:
                continue
            longest_value = longest[(dataset.table.path.parent, dataset.domain, variable.name)]
            if variable.length > max(longest_value, 1):
                yield findings("LENGTH", dataset.name, f"{variable.name} has length {variable.length} but its longest value is {longest_value}",
                               variable=variable.name)
