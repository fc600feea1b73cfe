"""The data as define.xml sees it, summarised once per column (cdisc.definexml.values): texts, lengths, digits,
record counts, where-clause rows, and the check against the data that reads them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.definexml.check import check_against_data
from cdisc.definexml.read import Attributes, CodelistSummary, DatasetSummary, DefineSummary, TermSummary, ValueSummary, VariableSummary
from cdisc.definexml.values import ColumnValues, FrameValues, number_texts


def test_numbers_are_written_in_their_shortest_exact_decimal_form_also_very_large_or_small_ones():
    numbers = np.array([3.0, -0.25, 120.5, 0.1 + 0.2, 1e-7, 1e15, 1.5e21, -0.0])
    expected = ["3", "-0.25", "120.5", "0.30000000000000004", "0.0000001", "1000000000000000", "1500000000000000000000", "-0"]
    assert number_texts(numbers).to_pylist() == expected
    assert number_texts(np.array([], dtype=float)).to_pylist() == []


def test_texts_skip_missing_and_blank_values_and_trailing_blanks_do_not_count():
    #            row:  0     1      2     3    4      5
    column = pd.Series(["AB", None, "AB  ", " ", "Cé", "AB"])
    values = ColumnValues(column).select()
    assert values.text_counts() == {"AB": 3, "Cé": 1}
    assert values.text_length() == 3  # bytes: "Cé" is 3 bytes in UTF-8
    assert ColumnValues(pd.Series([None, " "], dtype="str")).select().empty


def test_digits_of_numbers_and_of_numbers_held_as_text():
    #                    value   digits  decimals
    floats = pd.Series([12.5,   # 3       1
                        -0.125,  # 4       3
                        None,
                        100.0])  # 3       0
    assert ColumnValues(floats).select().number_digits() == (4, 3)
    assert ColumnValues(pd.Series(["-1.50", "20"])).select().number_digits() == (3, 2)
    assert ColumnValues(pd.Series([None], dtype=float)).select().number_digits() == (None, None)


def test_mixed_objects_are_texts_value_by_value():
    values = ColumnValues(pd.Series([1, "1", 1.0, None], dtype=object)).select()
    assert values.text_counts() == {"1": 2, "1.0": 1}


def test_where_clause_rows_and_the_values_on_them():
    frame = pd.DataFrame({
        "LBTESTCD": ["ALT", "ALT", "HGB", "HGB", None, "AST"],
        "LBSTRESN": [12.0, 130.25, 8.5, None, 1.0, 40.0],
    })  # fmt: skip
    data = FrameValues(frame)
    alt = data.select("LBSTRESN", (("LBTESTCD", "EQ", ("ALT",)),))
    assert alt is not None and alt.text_counts() == {"12": 1, "130.25": 1} and alt.number_digits() == (5, 2)
    either = data.select("LBSTRESN", (("LBTESTCD", "IN", ("HGB", "AST")),))
    assert either is not None and either.text_counts() == {"8.5": 1, "40": 1}
    others = data.select("LBSTRESN", (("LBTESTCD", "NE", ("ALT",)),))  # a missing test code is not ALT
    assert others is not None and others.text_counts() == {"8.5": 1, "1": 1, "40": 1}
    assert data.rows((("LBTESTCD", "EQ", ("XYZ",)),)).tolist() == []
    assert data.select("LBSTRESN", (("DM.SEX", "EQ", ("F",)),)) is None  # another dataset's variable
    assert data.select("LBSTRESN", (("LBTESTCD", "GT", ("A",)),)) is None  # a comparator not evaluated


def _attributes(name: str, data_type: str, length: int | None, codelist: str | None = None) -> Attributes:
    return Attributes(name, None, data_type, length, None, None, codelist, None, None, None, None, False, None, None, None)


def test_check_reports_lengths_fractions_and_codes_per_value_level_item():
    frame = pd.DataFrame({
        "LBTESTCD": ["ALT", "ALT", "HGB", "HGB", "HGB"],
        "LBSTRESN": [12.0, 13.5, 8.0, 9.25, 10.5],
        "LBSTRESU": ["U/L", "U/L", "g/dL", "g/L", "g/L"],
    })  # fmt: skip
    alt = (("LBTESTCD", "EQ", ("ALT",)),)
    define = DefineSummary(
        datasets={"LB": DatasetSummary("LB", None, None, None, None, None, None, None, (
            VariableSummary(_attributes("LBTESTCD", "text", 3), 1, ()),
            VariableSummary(_attributes("LBSTRESN", "float", 3), None, (  # 9.25: 3 digits
                ValueSummary(alt, _attributes("ALT", "integer", 2)),
            )),
            VariableSummary(_attributes("LBSTRESU", "text", 4, "CL.UNIT"), None, ()),  # g/dL: 4 bytes, as declared
        ))},  # fmt: skip
        codelists={"CL.UNIT": CodelistSummary("CL.UNIT", "UNIT", "text", None, tuple(TermSummary(t, None, None, False) for t in ("U/L", "g/dL")), None)},
    )
    found = [str(f) for f in check_against_data(define, {"LB": frame})]
    assert found == [
        "error: LB.LBSTRESN where LBTESTCD EQ ALT: define.xml says integer but the data holds 13.5",
        "error: LB.LBSTRESN where LBTESTCD EQ ALT: define.xml gives length 2 but the longest value has 3",
        "error: LB.LBSTRESU: value 'g/L' (2 record(s)) is not in codelist UNIT (CL.UNIT)",
    ]


def test_text_lengths_read_from_the_rows_agree_with_the_encoded_texts_whichever_is_asked_first():
    #                    row:  0      1       2        3     4           5
    column = pd.Series(["AB", None, "ABC  ", " ", "É\u00a0", "Z"], dtype="str")  # "É" 2 bytes, then a no-break space
    measured = ColumnValues(column)
    assert measured.select().text_length() == 3 and not measured.encoded  # read from the rows, nothing encoded
    assert measured.select(np.array([0, 4])).text_length() == 2
    assert measured.select(np.array([1, 3])).text_length() is None and measured.select(np.array([1, 3])).empty
    encoded = ColumnValues(column)
    assert encoded.select().texts() == ["AB", "ABC", "É", "Z"]
    assert encoded.select().text_length() == 3 and encoded.select(np.array([0, 4])).text_length() == 2


def test_all_missing_columns_have_no_values_lengths_or_digits():
    for column in (pd.Series([None, " ", ""], dtype="str"), pd.Series([np.nan, np.nan]), pd.Series([None, None], dtype="Int64")):
        values = ColumnValues(column).select()
        assert values.empty
        assert values.text_length() is None and values.number_digits() == (None, None)
        assert not values.has_non_integers and values.text_counts() == {}


def test_digits_of_whole_numbers_without_encoding_and_what_is_not_whole():
    #                      value     digits
    whole = pd.Series([-120.0,   # 3
                       3.0,      # 1
                       np.nan,
                       1e16])    # 17 (written positionally)
    values = ColumnValues(whole).select()
    assert values.number_digits() == (17, 0) and not values.has_non_integers and not values.column.encoded
    assert ColumnValues(pd.Series([7, 12345], dtype="Int64")).select().number_digits() == (5, 0)
    assert ColumnValues(pd.Series([1.0, np.inf])).select().has_non_integers  # infinite: not a whole number
    fractions = ColumnValues(pd.Series([2.0, -0.125])).select()
    assert fractions.has_non_integers and fractions.number_digits() == (4, 3)


def test_longest_text_trims_only_when_a_longest_value_ends_in_whitespace():
    import pyarrow as pa

    from cdisc.definexml.values import longest_text

    assert longest_text(pa.chunked_array([["AB", "XYZ"], [None]])) == 3
    assert longest_text(pa.chunked_array([["XY\t", "AB"], ["CD "]])) == 2  # every longest value ends in whitespace
    assert longest_text(pa.chunked_array([[None, "  "]], type=pa.large_string())) == 0
    assert longest_text(pa.chunked_array([], type=pa.string())) == 0


def test_check_reports_a_value_outside_the_codelist_and_lengths_of_columns_read_without_encoding():
    frame = pd.DataFrame({
        "AETERM": ["HEADACHE", "NAUSEA  ", None],         # longest 8: trailing blanks do not count
        "AESEV": ["MILD", "SEVERE", "MODERATE"],           # SEVERE is not in the list below
        "AESEQ": [1.0, 2.0, 3.0],
        "AESTDY": [np.nan, np.nan, np.nan],                # no value at all
    })  # fmt: skip
    define = DefineSummary(
        datasets={"AE": DatasetSummary("AE", None, None, None, None, None, None, None, (
            VariableSummary(_attributes("AETERM", "text", 8), None, ()),
            VariableSummary(_attributes("AESEV", "text", 7, "CL.AESEV"), None, ()),  # MODERATE has 8
            VariableSummary(_attributes("AESEQ", "integer", 1), None, ()),
            VariableSummary(_attributes("AESTDY", "integer", 3), None, ()),
        ))},  # fmt: skip
        codelists={"CL.AESEV": CodelistSummary(
            "CL.AESEV", "AESEV", "text", None, tuple(TermSummary(t, None, None, False) for t in ("MILD", "MODERATE")), None)},
    )
    found = [str(f) for f in check_against_data(define, {"AE": frame})]
    assert found == [
        "error: AE.AESEV: define.xml gives length 7 but the longest value has 8",
        "error: AE.AESEV: value 'SEVERE' (1 record(s)) is not in codelist AESEV (CL.AESEV)",
    ]


def test_text_lengths_per_where_clause_count_only_the_rows_it_selects():
    frame = pd.DataFrame({
        "LBTESTCD": ["ALT", "ALT", "HGB", "COM"],
        "LBORRES": ["12", "130 ", "8.5", "SEE NARRATIVE"],
    })  # fmt: skip
    data = FrameValues(frame)
    lengths = {test: data.select("LBORRES", (("LBTESTCD", "EQ", (test,)),)).text_length() for test in ("ALT", "HGB", "COM", "XYZ")}
    assert lengths == {"ALT": 3, "HGB": 3, "COM": 13, "XYZ": None}
    assert data.every("LBORRES").text_length() == 13 and not data.column("LBORRES").encoded


def test_texts_and_counts_of_a_whole_column_are_alike_counted_by_arrow_or_from_codes():
    #                    AB ×3 (one with trailing blanks), C ×1, blank and missing not counted
    column = pd.Series(["AB", None, "AB  ", " ", "C", "AB"], dtype="str")
    counted = ColumnValues(column)
    assert counted.select().text_counts() == {"AB": 3, "C": 1} and not counted.encoded  # no code per row made
    encoded = ColumnValues(column)
    assert encoded.select(np.arange(6)).text_counts() == {"AB": 3, "C": 1} and encoded.encoded
    assert encoded.select().text_counts() == {"AB": 3, "C": 1} and sorted(encoded.select().texts()) == ["AB", "C"]
