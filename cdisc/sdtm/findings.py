"""Findings: pivot raw rows to one record per test, standardise results, and the findings derivations.

:func:`pivot_tests` turns the source rows into one row per record (a raw row repeated for each of its
tests with a result) plus the record's test fields (--TESTCD, --ORRES, --STRESN, --NRIND, ...), which
variables pick with the ``test`` rule (``cdisc/rules/sdtm/test.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.errors import DataError
from cdisc.raw import FILE, ROW
from cdisc.rules.records import SdtmRecords
from cdisc.spec.expr import ExpressionDataError, parse_expression
from cdisc.spec.models import FindingsTest, StandardUnit
from cdisc.spec.sdtm import SdtmDataset
from cdisc.terminology import CodelistTerms

#: Test fields in the order of the records frame.
FIELDS = (
    "testcd", "test", "detail", "category", "subcategory", "orres", "orresu", "stresc", "stresn", "stresu",
    "stat", "reasnd", "ornrlo", "ornrhi", "stnrlo", "stnrhi", "nrind", "lloq",
)
#: A comparison before a number (``<0.050``): the number is kept in --STRESC, --STRESN is left empty.
_PREFIX = r"^(<=|>=|<|>)?\s*"


def pivot_tests(rows: SdtmRecords, spec: SdtmDataset) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(the raw row behind each record, the records' test fields, raw rows with no result for any test).

    ``rows.raw`` holds the source rows; ``rows.out`` may hold USUBJID to name subjects in messages.
    """
    raw = rows.raw
    names = _test_names(rows, spec)
    parts: list[pd.DataFrame] = []
    matched = pd.Series(not all(t.when for t in spec.tests if t.result), index=raw.index)
    panels = {t.testcd: _panel_not_done(t, raw, rows) for t in spec.tests if t.all_not_done}
    for test in (t for t in spec.tests if t.all_not_done):
        matched |= panels[test.testcd]
        parts.append(_panel_records(test, names[test.testcd], raw.loc[panels[test.testcd]], rows))
    for test in (t for t in spec.tests if t.result):
        mask = _mask(test.when, raw, rows, test) if test.when else pd.Series(True, index=raw.index)
        matched |= mask
        mask &= ~_covered(test, [t for t in spec.tests if t.all_not_done], panels, raw, rows)
        parts.append(_test_records(test, names[test.testcd], raw.loc[mask, _columns(test, raw)], rows))
    if not matched.all():
        raise DataError(f"{spec.dataset}: {int((~matched).sum())} raw row(s) match no test's 'when' at {rows.where(~matched)}; "
                        "add a test for them or exclude them with a reason")
    records = pd.concat(parts) if parts else pd.DataFrame(columns=FIELDS)
    for test in (t for t in spec.tests if t.summary):
        records = pd.concat([records, _summary_records(test, names[test.testcd], records, raw, rows)])
    empty = ~raw.index.isin(records.index)
    excluded = raw.loc[empty, [FILE, ROW]].assign(dataset=spec.dataset, reason="no result for any test on this row")
    long = raw.loc[records.index].reset_index(drop=True)
    return long, records.reset_index(drop=True)[list(FIELDS)], excluded.reset_index(drop=True)


def _panel_not_done(panel: FindingsTest, raw: pd.DataFrame, rows: SdtmRecords) -> pd.Series:
    """Raw rows on which the form says the panel of the --ALL test ``panel`` was not done."""
    assert panel.not_done is not None  # the spec model requires it of an --ALL test
    mask = _mask(panel.not_done.when, raw, rows, panel)
    return mask & _mask(panel.when, raw, rows, panel) if panel.when else mask


def _covered(test: FindingsTest, panels: list[FindingsTest], not_done: dict[str, pd.Series], raw: pd.DataFrame,
             rows: SdtmRecords) -> pd.Series:
    """Rows where a panel covering ``test`` (same category, or any without one) was not done; a result there is an error."""
    covered = pd.Series(False, index=raw.index)
    for panel in (p for p in panels if p.category is None or p.category == test.category):
        clash = not_done[panel.testcd] & _text(raw[test.result]).notna()
        if clash.any():
            raise DataError(f"{rows.dataset} test {panel.testcd}: the form says the whole panel was not done, but "
                            f"{test.testcd} has a result at {rows.where(clash)}; correct the form or the not_done condition")
        covered |= not_done[panel.testcd]
    return covered


def _panel_records(panel: FindingsTest, name: str, sub: pd.DataFrame, rows: SdtmRecords) -> pd.DataFrame:
    """One --ALL record per raw row of ``sub``: the panel, NOT DONE, and the reason when the form gives one."""
    reason = panel.not_done.reason if panel.not_done else None
    fields = pd.DataFrame(
        {"testcd": panel.testcd, "test": name, "detail": panel.detail, "category": panel.category,
         "subcategory": panel.subcategory, "stat": "NOT DONE", "reasnd": _text(sub[reason]) if reason else None},
        index=sub.index,
    )
    return fields.reindex(columns=list(FIELDS))


def _columns(test: FindingsTest, raw: pd.DataFrame) -> list[str]:
    """The raw columns a test reads (taking only these keeps the pivot fast on large forms)."""
    named = [test.result, test.unit.source if test.unit is not None and not isinstance(test.unit, str) else None]
    named += [b for b in _bounds(test) if isinstance(b, str)]
    if test.not_done:
        named += [test.not_done.reason, *parse_expression(test.not_done.when).names]
    return [c for c in dict.fromkeys(named) if c is not None and c in raw.columns]


def _mask(text: str, frame: pd.DataFrame, rows: SdtmRecords, test: FindingsTest) -> pd.Series:
    try:
        return parse_expression(text).mask(frame, {"STUDYID": rows.study.spec.study.id})
    except ExpressionDataError as exc:
        raise DataError(f"{rows.dataset} test {test.testcd}: {exc}") from None


def _codelist(rows: SdtmRecords, name: str) -> CodelistTerms:
    assert rows.codelists is not None  # the SDTM engine gives the pivot its codelists
    return rows.codelists(name)


def _text(values: pd.Series) -> pd.Series:
    """Stripped text, blanks missing."""
    text = values.astype("str").str.strip()
    return text.where(text.ne(""))


def _test_names(rows: SdtmRecords, spec: SdtmDataset) -> dict[str, str]:
    """--TEST of every test: as written, or the --TEST codelist term with the NCI code of its --TESTCD term."""
    names = {t.testcd: t.test for t in spec.tests}
    if all(names.values()):
        return {c: str(n) for c, n in names.items()}
    code = next((v.codelist for v in spec.variables if v.test == "testcd"), None)
    name = next((v.codelist for v in spec.variables if v.test == "test"), None)
    decoded: dict[str, str] = {}
    if code and name:
        codes, texts = _codelist(rows, code).terms, _codelist(rows, name).terms
        by_nci = dict(zip(texts["nci"], texts["value"]))
        decoded = {v: by_nci[n] for v, n in zip(codes["value"], codes["nci"]) if n in by_nci}
    missing = [c for c, n in names.items() if not n and c not in decoded]
    if missing:
        raise DataError(
            f"{spec.dataset}: test(s) {', '.join(missing)} have no name: give 'test:' or codelists on the --TESTCD and "
            "--TEST variables that hold them"
        )
    return {c: n or decoded[c] for c, n in names.items()}


def _test_records(test: FindingsTest, name: str, sub: pd.DataFrame, rows: SdtmRecords) -> pd.DataFrame:
    """The test fields of every row of ``sub`` with a result or not done (index: the raw row)."""
    result = _text(sub[test.result])
    not_done = _mask(test.not_done.when, sub, rows, test) if test.not_done else pd.Series(False, index=sub.index)
    keep = result.notna() | not_done
    sub, result, not_done = sub[keep], result[keep], not_done[keep]
    orres = result.mask(not_done)
    unit = _unit(test, sub).where(orres.notna())
    prefix = _on_distinct(orres, lambda t: t.str.replace(_PREFIX + ".*$", r"\1", regex=True).replace("", np.nan))
    number = _on_distinct(orres, lambda t: pd.to_numeric(t.str.replace(_PREFIX, "", regex=True), errors="coerce"))
    if test.standard is not None:
        stresn_all, stresu = _convert(test, test.standard, number, unit, sub, rows), test.standard.unit
        bounds = [_convert(test, test.standard, _number(_bound(b, sub)), unit, sub, rows) for b in _bounds(test)]
    else:
        stresn_all, stresu, bounds = number, unit, [_number(_bound(b, sub)) for b in _bounds(test)]
    stresn = stresn_all.where(prefix.isna())
    stresc = (prefix.fillna("") + _standard_number_text(orres, number, stresn_all)).where(number.notna(), orres)
    if test.codelist:
        stresc = _standard_terms(test, orres, rows, sub)
    low, high, lloq = bounds
    fields = pd.DataFrame(
        {
            "testcd": test.testcd, "test": name, "detail": test.detail, "category": test.category,
            "subcategory": test.subcategory, "orres": orres, "orresu": unit, "stresc": stresc, "stresn": stresn,
            "stresu": pd.Series(stresu, index=sub.index, dtype="str").where(number.notna()),
            "stat": pd.Series("NOT DONE", index=sub.index).where(not_done),
            "reasnd": (_text(sub[test.not_done.reason]) if test.not_done and test.not_done.reason else None),
            "ornrlo": _bound(test.range.low if test.range else None, sub),
            "ornrhi": _bound(test.range.high if test.range else None, sub),
            "stnrlo": low, "stnrhi": high, "nrind": _nrind(stresn, low, high), "lloq": lloq,
        },
        index=sub.index,
    )
    fields["reasnd"] = fields["reasnd"].where(not_done)
    return fields


def _bounds(test: FindingsTest) -> tuple:
    return (test.range.low if test.range else None, test.range.high if test.range else None, test.lloq)


def _unit(test: FindingsTest, sub: pd.DataFrame) -> pd.Series:
    """--ORRESU per row: the test's unit, or the raw column it names with ``{from: ...}``."""
    if test.unit is None or isinstance(test.unit, str):
        return pd.Series(test.unit, index=sub.index, dtype="str")
    return _text(sub[test.unit.source])


def _bound(bound, sub: pd.DataFrame) -> pd.Series:
    """A range limit or LLOQ per row, as text: a number written in the spec, or a raw column."""
    if isinstance(bound, str):
        return _text(sub[bound])
    text = None if bound is None else format_numbers(pd.Series([float(bound)])).iloc[0]
    return pd.Series(text, index=sub.index, dtype="str")


def _standard_number_text(orres: pd.Series, number: pd.Series, stresn: pd.Series) -> pd.Series:
    """The number of --STRESC: as collected when the standard value is the collected one (``0.050`` keeps its
    trailing zero, the precision the lab reported; a leading ``+`` or zero such as ``070`` goes), else the converted
    value as short text.

    >>> _standard_number_text(pd.Series(["0.050", "12.1", "070"]), pd.Series([0.05, 12.1, 70]), pd.Series([0.05, 121.0, 70])).tolist()
    ['0.050', '121', '70']
    """
    collected = _on_distinct(orres, lambda t: t.str.replace(_PREFIX, "", regex=True).str.replace(r"^\+", "", regex=True)
                             .str.replace(r"^(-?)0+(?=\d)", r"\1", regex=True))
    return collected.where(stresn.eq(number).fillna(False), format_numbers(stresn))


def _number(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text, errors="coerce")


def _convert(test: FindingsTest, standard: StandardUnit, number: pd.Series, unit: pd.Series, sub, rows) -> pd.Series:
    """Values in the standard unit; a number in a unit with no conversion (or with no unit) is an error."""
    out = pd.Series(np.nan, index=number.index, dtype=float)
    present = number.notna()
    same = present & unit.eq(standard.unit).fillna(False)
    out[same] = number[same]
    for collected, how in standard.convert.items():
        hit = present & unit.eq(collected).fillna(False)
        if hit.any():
            x = number[hit]
            out[hit] = x * how if isinstance(how, (int, float)) else parse_expression(how).evaluate(pd.DataFrame({"x": x}))
    unknown = present & ~unit.isin([standard.unit, *standard.convert]).fillna(False)
    if unknown.any():
        units = ", ".join(sorted(repr(u) for u in unit[unknown].fillna("(none)").unique()))
        raise DataError(
            f"{rows.dataset} test {test.testcd}: unit {units} has no conversion to {standard.unit} at "
            f"{rows.where(rows.raw.index.isin(unknown.index[unknown]))}; add it under the test's standard.convert"
        )
    return out.round(standard.digits) if standard.digits is not None else out


def _standard_terms(test: FindingsTest, orres: pd.Series, rows: SdtmRecords, sub: pd.DataFrame) -> pd.Series:
    """Text results as the submission values of the test's codelist; values not in it are errors."""
    assert test.codelist is not None  # called for tests with a codelist only
    mapped = orres.str.upper().map(_codelist(rows, test.codelist).lookup())
    unmapped = mapped.isna() & orres.notna()
    if unmapped.any():
        values = ", ".join(repr(v) for v in orres[unmapped].unique()[:5])
        raise DataError(f"{rows.dataset} test {test.testcd}: result(s) {values} are not in codelist {test.codelist}; "
                        "add them as terms or synonyms in the study codelists")
    return mapped.astype("str")


def _nrind(stresn: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """LOW / HIGH / NORMAL against the standard range; missing without a numeric result or a range."""
    has_range = low.notna() | high.notna()
    out = pd.Series(np.select([stresn < low, stresn > high], ["LOW", "HIGH"], "NORMAL"), index=stresn.index, dtype="str")
    return out.where(stresn.notna() & has_range)


def format_numbers(values: pd.Series) -> pd.Series:
    """Numbers as short text (``44.4``, ``66.5``, ``16``), missing stays missing."""
    text = _on_distinct(values.round(10), lambda v: v.astype("str").str.replace(r"\.0$", "", regex=True))
    return text.where(values.notna())


def _on_distinct(values: pd.Series, function) -> pd.Series:
    """``function`` applied to each distinct value once, spread back to every row (results repeat a lot)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    done = function(pd.Series(distinct if len(distinct) else [np.nan], dtype=values.dtype)).to_numpy()
    out = pd.Series(done.take(codes), index=values.index, dtype=done.dtype if done.dtype != object else "str")
    return out.where(codes >= 0)


def _summary_records(test: FindingsTest, name: str, records: pd.DataFrame, raw: pd.DataFrame, rows: SdtmRecords) -> pd.DataFrame:
    """One record per ``by`` group: the sum of the member tests' standard results, or NOT DONE when incomplete."""
    summary = test.summary
    assert summary is not None  # called for summary tests only
    members = records[records["testcd"].isin(summary.sum)]
    if test.when:
        members = members[_mask(test.when, raw.loc[members.index], rows, test).to_numpy()]
    frame = raw.loc[members.index, [*summary.by, *([summary.each] if summary.each else [])]].astype("str")
    frame["value"] = members["stresn"].to_numpy()
    frame["unit"] = members["stresu"].to_numpy()
    frame["gap"] = frame["value"].isna()
    frame["at"] = members.index
    groups = frame.groupby(summary.by, sort=False).agg(
        total=("value", "sum"), gaps=("gap", "sum"), unit=("unit", "first"), at=("at", "min")
    )
    complete = groups["gaps"].eq(0)
    if summary.each:
        present = frame[frame["value"].notna()].groupby(summary.by, sort=False)[summary.each].nunique()
        expected = frame.groupby(summary.by[0])[summary.each].nunique()
        wanted = groups.index.get_level_values(0).map(expected).to_numpy()
        complete &= present.reindex(groups.index).fillna(0).to_numpy() == wanted
    total = groups["total"].where(complete)
    text = format_numbers(total)
    fields = pd.DataFrame(
        {
            "testcd": test.testcd, "test": name, "detail": test.detail, "category": test.category,
            "subcategory": test.subcategory, "orres": text, "orresu": groups["unit"].where(complete), "stresc": text, "stresn": total,
            "stresu": groups["unit"].where(complete), "stat": pd.Series("NOT DONE", index=groups.index).where(~complete),
            "reasnd": pd.Series(f"not every {' / '.join(summary.sum)} was measured", index=groups.index).where(~complete),
        }
    )
    fields.index = pd.Index(groups["at"].to_numpy())
    return fields
