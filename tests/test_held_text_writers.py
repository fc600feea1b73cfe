"""Text held once per distinct value (a categorical of text, as a large ADaM build in a worker process gives its
repetitive text to ``Handoff.store``) is written as the text itself: the XPT file byte for byte, what the writer hands
over as read (kept for validation, read back with the text of the file), and the parquet cache entry read back as the frame of text."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal

from cdisc.arrowtext import plain_columns, text_per_record
from cdisc.compare.tables import read_table, xpt_table
from cdisc.handoff import _keep_table, _kept_table
from cdisc.incremental import HELD_ROWS, _write_parquet
from cdisc.xpt import XptDataset, XptVariable, XptWarning, write_xpt


def _held(values: list[str | None], at: list[int]) -> pd.Series:
    return text_per_record(pd.Series(values, dtype="str"), np.array(at))


def _frame(rows: int = 9) -> pd.DataFrame:
    at = np.arange(rows) % 4 - 1  # (-1: missing)
    return pd.DataFrame({
        "PARAM": _held(["Hemoglobin (g/L)", "ALT  ", "", "Neutrophils"], at),  # trailing blanks, an empty value
        "AVAL": np.linspace(0, 1, rows),
        "SHORT": _held(["Y", "N", "Y"], np.where(at < 0, 0, at % 2)),
        "NONE": _held([None], np.full(rows, -1)),
        "PLAIN": pd.Series([f"v{i}" for i in range(rows)], dtype="str"),
    })


def _dataset(length: int | None = None) -> XptDataset:
    return XptDataset("ADXX", "Held text", (
        XptVariable("PARAM", "Parameter", "char", length), XptVariable("AVAL", "Value", "num"),
        XptVariable("SHORT", "Flag", "char"), XptVariable("NONE", "Missing", "char"), XptVariable("PLAIN", "Plain", "char"),
    ))


@pytest.mark.parametrize("length", [None, 30, 5])
def test_xpt_of_held_text_is_that_of_the_text(tmp_path, length):
    frame, handed = _frame(), []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XptWarning)
        if length == 5:  # a value too long: refused as for text, naming the rows
            with pytest.raises(Exception) as held_error:
                write_xpt(frame, _dataset(length), tmp_path / "held")
            with pytest.raises(Exception) as text_error:
                write_xpt(plain_columns(frame), _dataset(length), tmp_path / "text")
            assert str(held_error.value) == str(text_error.value)
            return
        (tmp_path / "held").mkdir()
        (tmp_path / "text").mkdir()
        held = write_xpt(frame, _dataset(length), tmp_path / "held", written=handed.append)
        text = write_xpt(plain_columns(frame), _dataset(length), tmp_path / "text")
    assert held.read_bytes() == text.read_bytes()
    given = xpt_table(held, *handed[0].read, "ascii")
    _keep_table(given, tmp_path / "kept" / "adxx")
    kept = _kept_table(tmp_path / "kept" / "adxx", held)
    read = read_table(held)
    assert_frame_equal(plain_columns(kept.frame), read.frame, check_exact=True)  # (held where it repeats: see _kept_column)
    assert kept.variables == read.variables


def test_parquet_of_held_text_reads_back_as_the_text(tmp_path, monkeypatch):
    monkeypatch.setattr("cdisc.incremental.HELD_ROWS", 4)  # several row groups
    frame = _frame(11)
    table = pa.Table.from_pandas(frame)
    _write_parquet(table, tmp_path / "held.parquet")
    pq.write_table(pa.Table.from_pandas(plain_columns(frame)), tmp_path / "text.parquet")
    assert_frame_equal(pd.read_parquet(tmp_path / "held.parquet"), pd.read_parquet(tmp_path / "text.parquet"), check_exact=True)
    assert HELD_ROWS > 4
