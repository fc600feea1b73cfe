"""write_csv writes what DataFrame.to_csv(index=False, lineterminator="\n") writes, byte for byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc.io.csv_writer import _arrow_table, write_csv


def _pandas_bytes(frame: pd.DataFrame, path: Path) -> bytes:
    frame.to_csv(path, index=False, lineterminator="\n")
    return path.read_bytes()


def test_a_lineage_table_is_written_by_arrow_as_pandas_writes_it(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "USUBJID": ["S-1",    "S-1",  None,   "S-2 ü"],
        "@file":   ["lb.csv", "",     "x.csv", "lb.csv"],
        "@row":    [2,        14,     3,       -1],
        "record":  [1.0,      np.nan, 1e16,    1e-07],
    })  # fmt: skip
    assert _arrow_table(frame) is not None
    write_csv(frame, tmp_path / "ours.csv")
    assert (tmp_path / "ours.csv").read_text() == (
        "USUBJID,@file,@row,record\n"
        "S-1,lb.csv,2,1.0\n"
        "S-1,,14,\n"
        ",x.csv,3,1e+16\n"
        "S-2 ü,lb.csv,-1,1e-07\n"
    )
    assert (tmp_path / "ours.csv").read_bytes() == _pandas_bytes(frame, tmp_path / "pandas.csv")


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"TERM": ["RASH, MILD", "X"], "N": [1, 2]}),  # a value to quote
        pd.DataFrame({"TERM": ['SAY "HI"', "X"], "N": [1, 2]}),
        pd.DataFrame({"TERM": ["TWO\nLINES", "X"], "N": [1, 2]}),
        pd.DataFrame({"TERM": ["", None]}),  # one column: an empty value is quoted
        pd.DataFrame({"FLAG": [True, False], "N": [1, 2]}),  # True/False
        pd.DataFrame({"VALUE": pd.Series(["A", 1], dtype=object), "N": [1, 2]}),  # Python objects
        pd.DataFrame({"N": pd.array([1, None], dtype="Int64"), "M": [1, 2]}),
    ],
    ids=["comma", "quote", "newline", "one column", "booleans", "objects", "nullable integers"],
)
def test_what_arrow_would_write_otherwise_is_written_by_pandas(tmp_path: Path, frame: pd.DataFrame) -> None:
    assert _arrow_table(frame) is None
    write_csv(frame, tmp_path / "ours.csv")
    assert (tmp_path / "ours.csv").read_bytes() == _pandas_bytes(frame, tmp_path / "pandas.csv")


def test_an_empty_table_has_its_header_only(tmp_path: Path) -> None:
    frame = pd.DataFrame({"USUBJID": pd.Series([], dtype="str"), "record": pd.Series([], dtype="float64")})
    write_csv(frame, tmp_path / "ours.csv")
    assert (tmp_path / "ours.csv").read_text() == "USUBJID,record\n"
    assert (tmp_path / "ours.csv").read_bytes() == _pandas_bytes(frame, tmp_path / "pandas.csv")


def test_numbers_of_every_magnitude_are_written_as_pandas_writes_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    numbers = rng.normal(size=500) * 10.0 ** rng.integers(-30, 30, 500)
    numbers[::17] = np.nan
    frame = pd.DataFrame({"X": numbers, "Y": [-0.0, 0.0, np.inf, -np.inf, 0.1] * 100, "N": rng.integers(-(2**62), 2**62, 500)})
    write_csv(frame, tmp_path / "ours.csv")
    assert (tmp_path / "ours.csv").read_bytes() == _pandas_bytes(frame, tmp_path / "pandas.csv")


def test_whole_numbers_are_written_as_pandas_writes_them(tmp_path: Path) -> None:
    big = 2.0**53
    edges = [0.0, -0.0, 1.0, -7.0, 1e15, -1e15, 1e16 - 2, -(1e16 - 2), 1e16, -1e16, big - 1, big, big + 2, 1e17, 2.0**63, 1e300]
    rng = np.random.default_rng(11)
    numbers = np.concatenate([edges, np.round(rng.normal(size=300) * 10.0 ** rng.integers(0, 18, 300)), [np.nan, 0.5, -2.25]])
    frame = pd.DataFrame({"record": numbers, "@row": np.arange(len(numbers))})
    assert _arrow_table(frame) is not None
    write_csv(frame, tmp_path / "ours.csv")
    assert (tmp_path / "ours.csv").read_bytes() == _pandas_bytes(frame, tmp_path / "pandas.csv")
    assert (tmp_path / "ours.csv").read_text().splitlines()[1:10] == [
        "0.0,0", "-0.0,1", "1.0,2", "-7.0,3", "1000000000000000.0,4", "-1000000000000000.0,5", "9999999999999998.0,6",
        "-9999999999999998.0,7", "1e+16,8",
    ]  # fmt: skip


@pytest.mark.parametrize(("rows", "by_arrow"), [(slice(1, 3), True), (slice(1, 4), False), (slice(0, 2), False)])
def test_a_frame_cut_from_another_is_quoted_by_its_own_values(tmp_path: Path, rows: slice, by_arrow: bool) -> None:
    """Only the values of the rows written decide (Arrow keeps a cut frame's text beside the rows cut away)."""
    whole = pd.DataFrame({"TERM": pd.Series(["RASH, MILD", "FEVER", "COUGH", 'SAY "HI"'], dtype="str"), "N": [1, 2, 3, 4]})
    frame = whole.iloc[rows]
    assert (_arrow_table(frame) is not None) == by_arrow
    write_csv(frame, tmp_path / "ours.csv")
    assert (tmp_path / "ours.csv").read_bytes() == _pandas_bytes(frame, tmp_path / "pandas.csv")
