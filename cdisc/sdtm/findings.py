"""Findings: pivot raw rows to one record per test, standardise results, and the findings derivations.

:func:`pivot_tests` turns the source rows into one row per record (a raw row repeated for each of its
tests with a result) plus the record's test fields (--TESTCD, --ORRES, --STRESN, --NRIND, ...), which
variables pick with the ``test`` rule (``cdisc/rules/sdtm/test.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from cdisc.arrowtext import arrow_text, coded_text, is_text_per_record, plain_columns
from cdisc.errors import DataError
from cdisc.raw import FILE, ROW
from cdisc.rules.records import SdtmRecords
from cdisc.sdtm.distinct import on_distinct
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


def pivot_tests(rows: SdtmRecords, spec: SdtmDataset) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """(the position of the raw row behind each record, the records' test fields, raw rows with no result for any test).

    ``rows.raw`` holds the source rows; ``rows.out`` may hold USUBJID to name subjects in messages. The records of
    all the tests are made together (test after test, each in the order of its raw rows): the tests only choose
    which raw rows and columns are read; the results are parsed and standardised once over every record.
    """
    raw = rows.raw
    names = _test_names(rows, spec)
    texts = _RawText(raw)
    parts: list[pd.DataFrame] = []
    matched = np.full(len(raw), not all(t.when for t in spec.tests if t.result))
    panels = {t.testcd: _panel_not_done(t, raw, rows) for t in spec.tests if t.all_not_done}
    for test in (t for t in spec.tests if t.all_not_done):
        matched |= panels[test.testcd].to_numpy(bool)
        parts.append(_panel_records(test, names[test.testcd], raw.loc[panels[test.testcd]], rows))
    picked, pending = _pick(spec, raw, rows, texts, panels, matched)
    if picked.tests:
        parts.append(_test_records(picked, names, texts, rows))
    if pending is not None:  # a test after those picked failed: the errors of the tests before it come first
        raise pending
    if not matched.all():
        raise DataError(f"{spec.dataset}: {int((~matched).sum())} raw row(s) match no test's 'when' at {rows.where(~matched)}; "
                        "add a test for them or exclude them with a reason")
    records = pd.concat(map(plain_columns, parts)) if len(parts) > 1 else parts[0] if parts else pd.DataFrame(columns=FIELDS)
    for test in (t for t in spec.tests if t.summary):  # (text held once per distinct value is text again where records join)
        records = pd.concat([plain_columns(records), _summary_records(test, names[test.testcd], records, raw, rows)])
    empty = ~raw.index.isin(records.index)
    excluded = raw.loc[empty, [FILE, ROW]].assign(dataset=spec.dataset, reason="no result for any test on this row")
    return raw.index.get_indexer(records.index), records.reset_index(drop=True)[list(FIELDS)], excluded.reset_index(drop=True)


def pivot_columns(spec: SdtmDataset, columns: pd.Index, subjects: str | None) -> list[str]:
    """The source columns :func:`pivot_tests` reads, of ``columns`` and in their order: those the tests name (conditions,
    results, units, limits, reasons, summary groups), those of the expression making USUBJID (``subjects``, to name
    subjects in messages), and each row's file and row number.

    >>> spec = SdtmDataset.model_construct(tests=[FindingsTest.model_construct(testcd="HR", when='VSTESTCD == "HR"',
    ...     result="VSORRES", unit=None, range=None, lloq=None, not_done=None, summary=None)])
    >>> pivot_columns(spec, pd.Index(["SUBJID", "VSTESTCD", "VSORRES", "VSPOS", "@file", "@row"]), "SUBJID")
    ['SUBJID', 'VSTESTCD', 'VSORRES', '@file', '@row']
    """
    named = {FILE, ROW, *(parse_expression(subjects).names if subjects else ())}
    for test in spec.tests:
        named |= set(_columns(test, columns)) | (parse_expression(test.when).names if test.when else set())
        if test.summary is not None:
            named |= {*test.summary.by, *([test.summary.each] if test.summary.each else [])}
    return [c for c in columns if c in named]


@dataclass(frozen=True)
class _Value:
    """A test's constant in place of a raw column (``None``: missing)."""

    text: str | None


#: Where a test field comes from: a raw column (by name) or a constant.
_Source = str | _Value


class _RawText:
    """Raw columns as stripped text, blanks missing (each column made once, as Arrow text)."""

    def __init__(self, raw: pd.DataFrame):
        self.raw = raw
        self.columns: dict[str, pd.Series] = {}
        self.values: dict[str, np.ndarray] = {}

    def column(self, name: str) -> pd.Series:
        if name not in self.columns:
            self.columns[name] = _text(self.raw[name])
        return self.columns[name]

    def present(self, name: str) -> np.ndarray:
        """Rows with a value in column ``name``."""
        if name not in self.values:
            self.values[name] = self.column(name).notna().to_numpy(bool)
        return self.values[name]

    def per_test(self, picked: _Picked, sources: list[_Source]) -> pd.Series:
        """A text value for every record: its test's raw column at the record's raw row, or its test's constant.

        >>> texts = _RawText(pd.DataFrame({"A": [" x", "", "z"]}))
        >>> picked = _Picked([None, None], np.array([0, 1, 2, 0]), np.array([0, 3, 4]), np.zeros(4, bool))
        >>> texts.per_test(picked, ["A", _Value("u")]).tolist()
        ['x', nan, 'z', 'u']
        """
        if all(isinstance(source, _Value) for source in sources):  # (a constant per test: made from codes)
            return _per_test_constant(picked, [source.text for source in sources])  # type: ignore[union-attr]
        chunks: list[pa.Array] = []
        for source, part in zip(sources, picked.slices()):
            size = part.stop - part.start
            if isinstance(source, _Value):
                chunks.append(pa.nulls(size, _ARROW_TEXT) if source.text is None else pa.repeat(pa.scalar(source.text, _ARROW_TEXT), size))
            else:
                chunks.extend(arrow_text(self.column(source).array).take(picked.at[part]).chunks)
        return pd.Series(pd.array(pa.chunked_array(chunks, _ARROW_TEXT), dtype="str"), copy=False)


_ARROW_TEXT = pa.large_string()  # how pandas' str columns hold their text


def _per_test_constant(picked: _Picked, texts: list[str | None]) -> pd.Series:
    """Each record's test's constant (``None``: missing), as :func:`~cdisc.arrowtext.coded_text` holds it.

    >>> picked = _Picked([None, None], np.array([0, 1, 2]), np.array([0, 2, 3]), np.zeros(3, bool))
    >>> _per_test_constant(picked, ["mg", None]).tolist()
    ['mg', 'mg', nan]
    """
    return coded_text(np.repeat(np.arange(len(texts)), np.diff(picked.starts)), texts)


@dataclass(frozen=True)
class _Picked:
    """The records of the tests with a result, test after test: each record's raw row (its position) and whether
    its test was not done there; the records of ``tests[i]`` are ``at[starts[i]:starts[i + 1]]``."""

    tests: list[FindingsTest]
    at: np.ndarray
    starts: np.ndarray
    not_done: np.ndarray

    def slices(self) -> list[slice]:
        return [slice(int(a), int(b)) for a, b in zip(self.starts[:-1], self.starts[1:])]


def _pick(spec: SdtmDataset, raw: pd.DataFrame, rows: SdtmRecords, texts: _RawText, panels: dict[str, pd.Series],
          matched: np.ndarray) -> tuple[_Picked, DataError | None]:
    """The raw rows of each test with a result (``when``, outside a panel not done) that hold a result or say the test
    was not done; ``matched`` gains the rows each test's ``when`` selects. A test whose rows cannot be picked (a
    result in a panel not done, a condition that fails) ends the picking: its error is returned with the tests before it."""
    tests: list[FindingsTest] = []
    at: list[np.ndarray] = []
    not_done: list[np.ndarray] = []
    panel_tests = [t for t in spec.tests if t.all_not_done]
    pending = None
    for test in spec.tests:
        if not test.result:
            continue
        try:
            mask = _mask(test.when, raw, rows, test).to_numpy(bool) if test.when else np.ones(len(raw), bool)
            matched |= mask
            mask = mask & ~_covered(test, panel_tests, panels, texts.present(test.result), rows)
            positions = np.flatnonzero(mask)
            undone = _not_done(test, raw, positions, rows)
        except DataError as exc:
            pending = exc
            break
        keep = texts.present(test.result)[positions] | undone
        tests.append(test)
        at.append(positions[keep])
        not_done.append(undone[keep])
    starts = np.cumsum([0, *(len(a) for a in at)])
    joined = np.concatenate(at) if at else np.zeros(0, np.intp)
    return _Picked(tests, joined, starts, np.concatenate(not_done) if not_done else np.zeros(0, bool)), pending


def _not_done(test: FindingsTest, raw: pd.DataFrame, positions: np.ndarray, rows: SdtmRecords) -> np.ndarray:
    """Whether the test was not done on each of the raw rows at ``positions`` (its ``not_done.when`` on them)."""
    if test.not_done is None:
        return np.zeros(len(positions), bool)
    return _mask(test.not_done.when, raw.iloc[positions][_columns(test, raw.columns)], rows, test).to_numpy(bool)


def _panel_not_done(panel: FindingsTest, raw: pd.DataFrame, rows: SdtmRecords) -> pd.Series:
    """Raw rows on which the form says the panel of the --ALL test ``panel`` was not done."""
    assert panel.not_done is not None  # the spec model requires it of an --ALL test
    mask = _mask(panel.not_done.when, raw, rows, panel)
    return mask & _mask(panel.when, raw, rows, panel) if panel.when else mask


def _covered(test: FindingsTest, panels: list[FindingsTest], not_done: dict[str, pd.Series], result: np.ndarray,
             rows: SdtmRecords) -> np.ndarray:
    """Rows where a panel covering ``test`` (same category, or any without one) was not done; a result there
    (``result``: the rows with one) is an error."""
    covered = np.zeros(len(result), bool)
    for panel in (p for p in panels if p.category is None or p.category == test.category):
        clash = not_done[panel.testcd].to_numpy(bool) & result
        if clash.any():
            raise DataError(f"{rows.dataset} test {panel.testcd}: the form says the whole panel was not done, but "
                            f"{test.testcd} has a result at {rows.where(clash)}; correct the form or the not_done condition")
        covered |= not_done[panel.testcd].to_numpy(bool)
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


def _columns(test: FindingsTest, columns: pd.Index) -> list[str]:
    """The raw columns a test reads, of ``columns`` (taking only these keeps the pivot fast on large forms)."""
    named = [test.result, test.unit.source if test.unit is not None and not isinstance(test.unit, str) else None]
    named += [b for b in _bounds(test) if isinstance(b, str)]
    if test.not_done:
        named += [test.not_done.reason, *parse_expression(test.not_done.when).names]
    return [c for c in dict.fromkeys(named) if c is not None and c in columns]


def _mask(text: str, frame: pd.DataFrame, rows: SdtmRecords, test: FindingsTest) -> pd.Series:
    try:
        return parse_expression(text).mask(frame, {"STUDYID": rows.study.spec.study.id})
    except ExpressionDataError as exc:
        raise DataError(f"{rows.dataset} test {test.testcd}: {exc}") from None


def _codelist(rows: SdtmRecords, name: str) -> CodelistTerms:
    assert rows.codelists is not None  # the SDTM engine gives the pivot its codelists
    return rows.codelists(name)


def _text(values: pd.Series) -> pd.Series:
    """Stripped text, blanks missing (text held once per distinct value: each value stripped once)."""
    if is_text_per_record(values.dtype):
        return on_distinct(values, _text)
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


def _test_records(picked: _Picked, names: dict[str, str], texts: _RawText, rows: SdtmRecords) -> pd.DataFrame:
    """The test fields of every picked record (index: the raw row): the results as collected, parsed once over all
    the records, standardised per test (unit conversions, codelist terms)."""
    tests, not_done = picked.tests, picked.not_done
    orres = texts.per_test(picked, [t.result or _Value(None) for t in tests]).mask(not_done)
    unit = texts.per_test(picked, [_unit_source(t) for t in tests]).where(orres.notna())
    prefix = on_distinct(orres, lambda t: t.str.replace(_PREFIX + ".*$", r"\1", regex=True).replace("", np.nan))
    number = on_distinct(orres, lambda t: pd.to_numeric(t.str.replace(_PREFIX, "", regex=True), errors="coerce"))
    bounds = [texts.per_test(picked, [_bound_source(_bounds(t)[i]) for t in tests]) for i in range(3)]
    (stresn_all, low, high, lloq), terms = _standardised(picked, orres, number, unit, bounds, rows)
    stresn = pd.Series(stresn_all).where(prefix.isna())
    stresc = (prefix.fillna("") + _standard_number_text(orres, number, pd.Series(stresn_all))).where(number.notna(), orres)
    if terms:
        stresc = pd.concat([terms.get(i, stresc.iloc[part]) for i, part in enumerate(picked.slices())], ignore_index=True)
    stresu = [_Value(t.standard.unit) if t.standard is not None else _unit_source(t) for t in tests]
    fields = pd.DataFrame(
        {
            "testcd": texts.per_test(picked, [_Value(t.testcd) for t in tests]),
            "test": texts.per_test(picked, [_Value(names[t.testcd]) for t in tests]),
            "detail": texts.per_test(picked, [_Value(t.detail) for t in tests]),
            "category": texts.per_test(picked, [_Value(t.category) for t in tests]),
            "subcategory": texts.per_test(picked, [_Value(t.subcategory) for t in tests]),
            "orres": orres, "orresu": unit, "stresc": stresc, "stresn": stresn,
            "stresu": texts.per_test(picked, stresu).where(number.notna()),
            "stat": coded_text(np.where(not_done, 0, -1), ["NOT DONE"]),
            "reasnd": texts.per_test(picked, [_reason_source(t) for t in tests]).where(not_done),
            "ornrlo": bounds[0], "ornrhi": bounds[1],
            "stnrlo": low, "stnrhi": high, "nrind": _nrind(stresn, pd.Series(low), pd.Series(high)), "lloq": lloq,
        }
    )
    return fields.set_axis(texts.raw.index[picked.at])


def _standardised(picked: _Picked, orres: pd.Series, number: pd.Series, unit: pd.Series, bounds: list[pd.Series],
                  rows: SdtmRecords) -> tuple[list[np.ndarray], dict[int, pd.Series]]:
    """The numeric results and bounds (range low, high, LLOQ) in each test's standard unit (as collected without
    one), and the results of each test with a codelist as its submission values (by the test's position), test
    after test: a unit with no conversion, or a term not in the codelist, is an error."""
    values = [s.to_numpy(float, na_value=np.nan, copy=True) for s in (number, *map(_number, bounds))]
    codes, units = pd.factorize(unit)
    terms: dict[int, pd.Series] = {}
    for i, (test, part) in enumerate(zip(picked.tests, picked.slices())):
        if test.standard is not None:
            collected = _UnitCodes(codes[part], list(units))
            for v in values:
                v[part] = _convert(test, test.standard, v[part], collected, picked.at[part], rows)
        if test.codelist:
            terms[i] = _standard_terms(test, orres.iloc[part], rows)
    return values, terms


def _bounds(test: FindingsTest) -> tuple:
    return (test.range.low if test.range else None, test.range.high if test.range else None, test.lloq)


def _unit_source(test: FindingsTest) -> _Source:
    """--ORRESU: the test's unit, or the raw column it names with ``{from: ...}``."""
    if test.unit is None or isinstance(test.unit, str):
        return _Value(test.unit)
    return test.unit.source


def _reason_source(test: FindingsTest) -> _Source:
    """--REASND: the raw column of the reason a test was not done, if the form has one."""
    return test.not_done.reason if test.not_done is not None and test.not_done.reason else _Value(None)


def _bound_source(bound) -> _Source:
    """A range limit or LLOQ as text: a number written in the spec, or a raw column."""
    if isinstance(bound, str):
        return bound
    return _Value(None if bound is None else format_numbers(pd.Series([float(bound)])).iloc[0])


def _standard_number_text(orres: pd.Series, number: pd.Series, stresn: pd.Series) -> pd.Series:
    """The number of --STRESC: as collected when the standard value is the collected one (``0.050`` keeps its
    trailing zero, the precision the lab reported; a leading ``+`` or zero such as ``070`` goes), else the converted
    value as short text.

    >>> _standard_number_text(pd.Series(["0.050", "12.1", "070"]), pd.Series([0.05, 12.1, 70]), pd.Series([0.05, 121.0, 70])).tolist()
    ['0.050', '121', '70']
    """
    collected = on_distinct(orres, lambda t: t.str.replace(_PREFIX, "", regex=True).str.replace(r"^\+", "", regex=True)
                             .str.replace(r"^(-?)0+(?=\d)", r"\1", regex=True))
    return collected.where(stresn.eq(number).fillna(False), format_numbers(stresn))


def _number(text: pd.Series) -> pd.Series:
    """Text as numbers (not a number: missing), each distinct text parsed once."""
    return on_distinct(text, lambda t: pd.to_numeric(t, errors="coerce"))


@dataclass(frozen=True)
class _UnitCodes:
    """The collected unit of a test's records as codes into ``units`` (-1: none)."""

    codes: np.ndarray
    units: list[str]

    def eq(self, unit: str) -> np.ndarray:
        return self.codes == (self.units.index(unit) if unit in self.units else -2)

    def names(self, mask: np.ndarray) -> list[str]:
        return [self.units[c] if c >= 0 else "(none)" for c in np.unique(self.codes[mask])]


def _convert(test: FindingsTest, standard: StandardUnit, number: np.ndarray, unit: _UnitCodes, at: np.ndarray,
             rows: SdtmRecords) -> np.ndarray:
    """Values in the standard unit; a number in a unit with no conversion (or with no unit) is an error naming the
    raw rows (``at``: the raw row of each value)."""
    out = np.full(len(number), np.nan)
    present = ~np.isnan(number)
    same = present & unit.eq(standard.unit)
    out[same] = number[same]
    known = unit.eq(standard.unit)
    for collected, how in standard.convert.items():
        hit = present & unit.eq(collected)
        known |= unit.eq(collected)
        if hit.any():
            x = number[hit]
            out[hit] = x * how if isinstance(how, (int, float)) else parse_expression(how).evaluate(pd.DataFrame({"x": x}))
    unknown = present & ~known
    if unknown.any():
        units = ", ".join(sorted({repr(u) for u in unit.names(unknown)}))
        hit = np.zeros(len(rows.raw), bool)
        hit[at[unknown]] = True
        raise DataError(
            f"{rows.dataset} test {test.testcd}: unit {units} has no conversion to {standard.unit} at "
            f"{rows.where(hit)}; add it under the test's standard.convert"
        )
    return out.round(standard.digits) if standard.digits is not None else out


def _standard_terms(test: FindingsTest, orres: pd.Series, rows: SdtmRecords) -> pd.Series:
    """Text results as the submission values of the test's codelist; values not in it are errors."""
    assert test.codelist is not None  # called for tests with a codelist only
    lookup = _codelist(rows, test.codelist).lookup()
    mapped = on_distinct(orres, lambda t: t.str.upper().map(lookup))
    unmapped = mapped.isna() & orres.notna()
    if unmapped.any():
        values = ", ".join(repr(v) for v in orres[unmapped].unique()[:5])
        raise DataError(f"{rows.dataset} test {test.testcd}: result(s) {values} are not in codelist {test.codelist}; "
                        "add them as terms or synonyms in the study codelists")
    return mapped.astype("str")


def _nrind(stresn: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """LOW / HIGH / NORMAL against the standard range; missing without a numeric result or a range."""
    has_range = low.notna() | high.notna()
    codes = np.select([stresn < low, stresn > high], [0, 1], 2)
    return coded_text(np.where(stresn.notna() & has_range, codes, -1), ["LOW", "HIGH", "NORMAL"]).set_axis(stresn.index)


def format_numbers(values: pd.Series) -> pd.Series:
    """Numbers as short text (``44.4``, ``66.5``, ``16``), missing stays missing."""
    text = on_distinct(values.round(10), lambda v: v.astype("str").str.replace(r"\.0$", "", regex=True))
    return text.where(values.notna())


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
