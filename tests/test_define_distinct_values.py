"""define.xml's questions answered from a column's distinct values (cdisc.definexml.values): digits and decimals of
numbers from each distinct number written once, the rows of each where clause from one grouping of its column, and
the longest text on some rows trimmed only when needed. Each answer is the one the texts of every row give."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.definexml.values import ColumnValues, FrameValues, Numbers, number_text_digits, number_texts


def _digits_of_every_text(numbers: np.ndarray) -> tuple[int | None, int | None]:
    """(digits, decimals) as the written texts of every present number give them, one by one."""
    texts = [number_texts(np.array([n])).to_pylist()[0] for n in numbers if not np.isnan(n)]
    if not texts:
        return None, None
    unsigned = [t.removeprefix("-") for t in texts]
    return max(len(t) - ("." in t) for t in unsigned), max(len(t.split(".", 1)[1]) if "." in t else 0 for t in unsigned)


def test_digits_and_decimals_of_number_texts():
    numbers = np.array([-12.5,   3.0, -np.inf, 1e-7,        1e15,               -0.0])  # fmt: skip
    #          text:   "-12.5" "3"  "-inf"   "0.0000001" "1000000000000000"  "-0"
    digits, decimals = number_text_digits(number_texts(numbers))
    assert digits.tolist() ==   [3,       1,   3,       8,           16,                 1]  # fmt: skip
    assert decimals.tolist() == [1,       0,   0,       7,           0,                  0]  # fmt: skip


def test_numbers_from_distinct_values_whole_fractions_infinite_and_missing():
    #                                    present  non_integer  digits  decimals
    assert Numbers.of(np.array([3.0, np.nan, -120.0, 3.0])) == Numbers(True, False, 3, 0)
    assert Numbers.of(np.array([-1234.0, 0.25, 0.25, 12.5])) == Numbers(True, True, 4, 2)  # a whole number has most digits
    assert Numbers.of(np.array([1.0, np.inf])) == Numbers(True, True, 3, 0)  # "inf": not whole, 3 characters
    assert Numbers.of(np.array([0.0, -0.0])) == Numbers(True, False, 1, 0)
    assert Numbers.of(np.array([1.5e-7, 2e20])) == Numbers(True, True, 21, 8)  # exponent forms written out
    assert Numbers.of(np.array([np.nan, np.nan])) == Numbers(False, False, None, None)
    assert Numbers.of(np.array([], dtype=float)) == Numbers(False, False, None, None)


def test_numbers_agree_with_the_texts_of_every_value_on_random_columns():
    rng = np.random.default_rng(7)
    pool = np.array([0.0, -0.0, 1.0, 0.5, 1e15, 1e16, -1e20, 123456789012345.0, 1e-7, -2.5e-9, np.inf, -np.inf, np.nan,
                     1 / 3, 9.999999999999999e22, 1e15 + 0.5, 4503599627370495.5, 12.25])  # fmt: skip
    for _ in range(200):
        size = int(rng.integers(0, 30))
        numbers = np.concatenate([rng.choice(pool, size), np.round(rng.normal(0, 10.0 ** rng.integers(0, 6), size), int(rng.integers(0, 5)))])
        found = Numbers.of(numbers)
        assert (found.digits, found.decimals) == _digits_of_every_text(numbers)


def test_digits_on_where_clause_rows_and_integers_stored_as_floats():
    frame = pd.DataFrame({
        "PARAMCD": ["AUC", "CMAX", "AUC", "TMAX", "CMAX", None],
        "AVAL":    [1234.5, 12.25, np.nan, 2.0, 1e-7, 99.0],
        "ASEQ":    [1.0, 2.0, 3.0, 4.0, 5.5, 6.0],
    })  # fmt: skip
    data = FrameValues(frame)
    assert data.select("AVAL", (("PARAMCD", "EQ", ("AUC",)),)).number_digits() == (5, 1)
    assert data.select("AVAL", (("PARAMCD", "EQ", ("CMAX",)),)).number_digits() == (8, 7)
    assert data.select("AVAL", (("PARAMCD", "IN", ("TMAX", "XYZ")),)).number_digits() == (1, 0)
    assert data.select("AVAL", (("PARAMCD", "EQ", ("XYZ",)),)).number_digits() == (None, None)
    assert data.every("AVAL").number_digits() == (8, 7)
    on_first = data.select("ASEQ", (("PARAMCD", "IN", ("AUC", "CMAX")),))
    assert on_first.has_non_integers and on_first.non_integers().tolist() == [5.5]
    assert not data.select("ASEQ", (("PARAMCD", "EQ", ("AUC",)),)).has_non_integers


def test_rows_of_each_text_grouped_once_in_record_order():
    #                         row: 0    1     2     3     4     5
    column = ColumnValues(pd.Series(["B", "A", None, "B ", "C", "A"]))
    assert column.rows_of(("B",)).tolist() == [0, 3]  # trailing blanks do not count
    assert column.rows_of(("C", "A")).tolist() == [1, 4, 5]  # in record order whatever the order of the values
    assert column.rows_of(("Z",)).tolist() == []
    numbers = ColumnValues(pd.Series([2.0, 1.0, np.nan, 2.0]))  # a where clause on numbers selects by their texts
    assert numbers.rows_of(("2",)).tolist() == [0, 3]


def test_where_clause_rows_are_the_same_by_groups_and_by_masks():
    rng = np.random.default_rng(3)
    codes = pd.Series(rng.choice(np.array(["ALT", "AST", "HGB", "ALT ", "", None], dtype=object), 200), dtype="str")
    data = FrameValues(pd.DataFrame({"LBTESTCD": codes, "X": np.arange(200.0)}))
    for values in [("ALT",), ("AST", "HGB"), ("",), ("XYZ",)]:
        by_mask = np.flatnonzero(data.column("LBTESTCD").matches(values))
        assert data.rows((("LBTESTCD", "IN", values),)).tolist() == by_mask.tolist()


def test_longest_text_on_rows_trims_only_when_the_longest_ends_in_blanks():
    #                         row: 0      1     2        3     4
    column = ColumnValues(pd.Series(["AB", None, "AB   ", "Cé", "  "]))
    assert column.longest_on(np.array([0, 1, 2])) == 2  # "AB   " is "AB" once trimmed
    assert column.longest_on(np.array([2, 3])) == 3  # bytes: "Cé" is 3 bytes in UTF-8
    assert column.longest_on(np.array([1, 4])) == 0  # missing and blank
    assert column.longest_on(np.array([], dtype=np.intp)) == 0
    assert column.select(np.array([1, 4])).text_length() is None


def test_longest_text_of_a_coded_column_from_its_counted_texts():
    column = ColumnValues(pd.Series(["Y", "N  ", None, "Né"], dtype="str"))
    values = column.select()
    assert values.text_counts() == {"Y": 1, "N": 1, "Né": 1}
    assert values.text_length() == 3  # from the texts counted: "Né"
    assert ColumnValues(pd.Series([" ", None], dtype="str")).select().text_length() is None
