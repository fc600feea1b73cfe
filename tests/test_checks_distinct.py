"""Validation's shared column summaries: each distinct value tested once and mapped back to the records, and
the pyarrow fast paths giving what pandas' element-by-element versions give (findings must not change)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdisc.checks.iso8601 import _DATETIME, _invalid_point, invalid_datetimes, invalid_durations
from cdisc.checks.package import Dataset, Pool, distinct_text, printable_ascii
from cdisc.checks.rules_metadata import _empty, _longest
from cdisc.compare.tables import Table, Variable
from cdisc.textparts import extract_groups as extract

DATETIME = f"^{_DATETIME}$"


def test_a_column_is_its_distinct_values_taken_at_its_codes():
    column = pd.Series(["B ", "A", None, "B ", ""], dtype="str")
    distinct = distinct_text(column)
    assert distinct.values.tolist() == ["B ", "A", ""]  # missing and blank are one value
    assert distinct.column(column.index).tolist() == ["B ", "A", "", "B ", ""]
    trimmed = distinct.transformed(lambda v: v.str.rstrip())
    assert trimmed.per_record(trimmed.values == "B").tolist() == [True, False, False, True, False]
    assert trimmed.first().tolist() == [True, True, True, False, False]


def test_a_pool_tests_the_values_of_several_columns_once():
    ae, cm = distinct_text(pd.Series(["x", "y", "x"], dtype="str")), distinct_text(pd.Series(["y", "z"], dtype="str"))
    pool = Pool.of([ae, cm])
    assert sorted(pool.values) == ["x", "y", "z"]
    tested = pool.values == "y"
    assert tested[pool.positions(ae)].tolist() == [False, True, False]
    assert tested[pool.positions(cm)].tolist() == [True, False]
    assert pool.positions(distinct_text(pd.Series(["w", "x"], dtype="str"))) is None  # not a column of the pool


@pytest.mark.parametrize(
    "text",
    [
        "2003-12-15T10:30:59.5",  # every part
        "2003---15",  # unknown month
        "2003-12-15T-:15",  # unknown hour
        "2003-12-15T10:30+01:00",
        "2003-12-15\n",  # Python's $ matches before a final newline, RE2's does not: the re path decides
        "\u0662\u0660\u0660\u0663",  # Arabic-Indic digits: \d in Python's re, not in RE2
        "2003-1é-15",
        "",
        "x",
    ],
)
def test_extract_gives_what_pandas_str_extract_gives(text):
    values = pd.Series([text, "2003-12"], dtype="str")
    assert extract(values, DATETIME).equals(values.str.extract(DATETIME))


@given(st.lists(st.text(alphabet="0123456789-T:+Z./ é\n", max_size=24), min_size=1, max_size=30))
def test_extract_agrees_with_pandas_on_any_text(texts):
    values = pd.Series(texts, dtype="str")
    assert extract(values, DATETIME).equals(values.str.extract(DATETIME))


def test_date_times_and_durations_are_judged_per_value():
    dates = pd.Series(["2003-12-15T10:30", "2003---15", "2003-02-30", "2003-12/2004", "2003-13", "2003-12-15T24:00", ""], dtype="str")
    assert invalid_datetimes(dates).tolist() == [False, False, True, False, True, True, False]
    durations = pd.Series(["P2Y3M", "-PT15M", "P3W", "P", "PT", "1D", ""], dtype="str")
    assert invalid_durations(durations).tolist() == [False, False, False, True, True, True, False]


def _chunked(texts: list[str | None], cut: int, kind: pa.DataType) -> pd.Series:
    """``texts`` as arrow-backed text in two chunks split at ``cut``, the second a slice of a longer array."""
    cut = min(cut, len(texts))
    second = pa.array(["pad", *texts[cut:], "pad"], kind).slice(1, len(texts) - cut)
    data = pa.chunked_array([pa.array(texts[:cut], kind), second], kind)
    return pd.Series(pd.arrays.ArrowStringArray(data, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))


TEXT = st.lists(st.one_of(st.none(), st.text(alphabet="ab \t\x00\x7f~é\xa0", max_size=6)), max_size=12)


@given(TEXT, st.integers(0, 12), st.sampled_from([pa.string(), pa.large_string()]))
def test_printable_ascii_from_the_value_bytes_is_arrows_test_of_every_value(texts, cut, kind):
    column = _chunked(texts, cut, kind)
    every = pc.fill_null(pc.ascii_is_printable(pa.array(column.array)), True).to_numpy(zero_copy_only=False)
    assert printable_ascii(column) == bool(every.all())


@given(TEXT, st.integers(0, 12), st.sampled_from([pa.string(), pa.large_string()]), st.sampled_from(["ascii", "cp1252"]))
def test_longest_value_from_the_offsets_is_the_longest_trimmed_value(texts, cut, kind, encoding):
    """LENGTH's longest value: characters without trailing whitespace (blank, tab, no-break space), nulls as empty."""
    column = _chunked(texts, cut, kind)
    table = Table("AE", "", Path("ae.xpt"), pd.DataFrame({"AETERM": column}), (Variable("AETERM", "", "char", 8, ""),), encoding)
    trimmed = pc.fill_null(pc.utf8_length(pc.utf8_rtrim_whitespace(pa.array(column.array))), 0)
    assert _longest(Dataset("AE", "SDTM", table, [])) == {"AETERM": pc.max(trimmed).as_py() or 0}


def test_longest_value_of_blank_tab_and_empty_text():
    def longest(*texts: str) -> int:
        frame = pd.DataFrame({"X": pd.Series(list(texts), dtype="str")})
        return _longest(Dataset("AE", "SDTM", Table("AE", "", Path("ae.xpt"), frame, (Variable("X", "", "char", 8, ""),)), []))["X"]

    assert (longest(), longest(""), longest("ab", "abc"), longest("abcd ", "ab"), longest("ab\t", "a"), longest("a  b")) == (0, 0, 3, 4, 2, 4)


@settings(max_examples=40, deadline=None)  # (each example parses dates through pandas a dozen times)
@given(st.lists(st.text(alphabet="0123456789-T:/Z.é ", max_size=24), min_size=1, max_size=30))
def test_an_interval_is_valid_when_both_ends_are(texts):
    """Ends are read from the intervals only: the same as reading every value's start and end."""
    values = pd.Series(texts, dtype="str")
    start, end = values.str.replace(r"/.*$", "", regex=True), values.str.replace(r"^[^/]*/", "", regex=True)
    every = (_invalid_point(start) | (values.str.contains("/", regex=False) & _invalid_point(end))).to_numpy(bool) & (values != "").to_numpy(bool)
    assert invalid_datetimes(values).tolist() == every.tolist()


@given(TEXT, st.integers(0, 12), st.sampled_from([pa.string(), pa.large_string()]))
def test_blank_values_from_the_offsets_are_the_values_blank_once_stripped(texts, cut, kind):
    """REQ-NULL's blank: missing, or only whitespace (blank, tab, no-break space)."""
    column = _chunked(texts, cut, kind)
    table = Table("AE", "", Path("ae.xpt"), pd.DataFrame({"AETERM": column}), (Variable("AETERM", "", "char", 8, ""),))
    stripped = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(pa.array(column.array)), ""), True)
    assert _empty(Dataset("AE", "SDTM", table, []), "AETERM").tolist() == stripped.to_numpy(zero_copy_only=False).tolist()


@given(TEXT, st.sampled_from(["ascii", "cp1252"]), st.data())
def test_held_text_gives_the_answers_of_its_text(texts, encoding, data):
    """A large dataset's check task reads its repetitive text held once per distinct value: LENGTH's longest value,
    REQ-NULL's blanks and whether it is printable ASCII are read off the distinct values its records take (an unused
    category, left by a filter, counts for nothing) and are those of the text itself."""
    from cdisc.arrowtext import text_per_record

    distinct = pd.Series([*dict.fromkeys(t for t in texts if t is not None), "never taken"], dtype="str")
    at = np.array(data.draw(st.lists(st.integers(-1, len(distinct) - 2), max_size=12)) if len(distinct) > 1 else [], dtype=np.int64)
    held = text_per_record(distinct, at)
    plain = pd.Series(distinct.take(np.where(at < 0, 0, at)).where(at >= 0).to_numpy(), dtype="str")

    def dataset(column: pd.Series) -> Dataset:
        return Dataset("AE", "SDTM", Table("AE", "", Path("ae.xpt"), pd.DataFrame({"AETERM": column}), (Variable("AETERM", "", "char", 8, ""),), encoding), [])

    assert _longest(dataset(held)) == _longest(dataset(plain))
    assert _empty(dataset(held), "AETERM").tolist() == _empty(dataset(plain), "AETERM").tolist()
    assert dataset(held).printable("AETERM") == dataset(plain).printable("AETERM")
