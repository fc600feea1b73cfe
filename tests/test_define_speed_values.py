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
