"""Validation's shared column summaries: each distinct value tested once and mapped back to the records, and
the pyarrow fast paths giving what pandas' element-by-element versions give (findings must not change)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdisc.checks.iso8601 import _DATETIME, invalid_datetimes, invalid_durations
from cdisc.checks.package import Pool, distinct_text
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
