"""XPT observations as written in blocks: every row is each value padded with blanks to its variable's
length (numbers as IBM floats cut to theirs), whatever the block size, the encoding or the way the
text column holds its missing values; a failed block write leaves no file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cdisc.io import xpt_writer
from cdisc.io.ibm import to_ibm
from cdisc.io.xpt_model import OBS_HEADER
from cdisc.xpt import XptDataset, XptVariable, read_xpt, write_xpt

TERMS = ["RASH", None, "HEADACHE  ", "", "X" * 30, "Caf\u00e9 au lait", "NAUS\u00c9E"]


def _frame(rows: int, ascii_only: bool) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    terms = [t for t in TERMS if not ascii_only or t is None or t.isascii()]
    return pd.DataFrame({
        "AETERM": pd.Series([terms[i] for i in rng.integers(0, len(terms), rows)], dtype="str"),
        "AESEQ": np.where(rng.random(rows) < 0.1, np.nan, rng.normal(0, 1e3, rows)),
        "AESER": pd.Series(np.where(rng.random(rows) < 0.5, "Y", "N"), dtype="str"),  # every value fills it
        "AESTDY": rng.integers(-5, 400, rows).astype(float),
    })  # fmt: skip


DATASET = XptDataset("AE", "Adverse Events", (
    XptVariable("AETERM", "Reported Term", "char", 40), XptVariable("AESEQ", "Sequence Number", "num"),
    XptVariable("AESER", "Serious", "char"), XptVariable("AESTDY", "Study Day", "num", 4),
))  # fmt: skip


def _expected_observations(frame: pd.DataFrame, encoding: str) -> bytes:
    """The observation records built value by value: text right-trimmed, encoded and blank-padded."""
    rows = []
    for term, seq, serious, day in frame.itertuples(index=False):
        text = b"" if pd.isna(term) else term.rstrip(" ").encode(encoding)
        rows.append(text.ljust(40) + to_ibm(np.array([seq])).tobytes() + serious.encode() + to_ibm(np.array([day])).tobytes()[:4])
    data = b"".join(rows)
    return data + b" " * (-len(data) % 80)


def _observations(path: Path) -> bytes:
    data = path.read_bytes()
    return data[data.index(OBS_HEADER) + len(OBS_HEADER) :]


@pytest.mark.parametrize("block_bytes", [8 << 20, 3 * 53, 20], ids=["one block", "three rows a block", "a row wider than a block"])
@pytest.mark.parametrize("encoding", [None, "cp1252", "utf-8"])
def test_observations_are_values_padded_to_their_lengths(tmp_path: Path, monkeypatch, block_bytes: int, encoding: str | None) -> None:
    frame = _frame(301, ascii_only=encoding is None)
    monkeypatch.setattr(xpt_writer, "CHUNK_BYTES", block_bytes)
    path = write_xpt(frame, DATASET, tmp_path, encoding=encoding)
    assert _observations(path) == _expected_observations(frame, encoding or "ascii")
    back, _ = read_xpt(path, encoding=encoding or "ascii")
    assert back["AETERM"].tolist() == frame["AETERM"].fillna("").str.rstrip(" ").tolist()


def test_zero_rows_in_small_blocks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(xpt_writer, "CHUNK_BYTES", 20)
    path = write_xpt(_frame(0, ascii_only=True), DATASET, tmp_path)
    assert _observations(path) == b""
    assert len(read_xpt(path)[0]) == 0


def test_missing_text_holding_bytes_is_written_blank(tmp_path: Path) -> None:
    """Arrow lets a missing value keep bytes behind it (here "JUNK"); it is written as blanks all the same."""
    values = pa.array(["RASH", "JUNK", "FEVER"], pa.large_string())
    valid = pa.py_buffer(np.packbits([1, 0, 1], bitorder="little").tobytes())
    holed = pa.Array.from_buffers(pa.large_string(), 3, [valid, *values.buffers()[1:]])
    assert holed.to_pylist() == ["RASH", None, "FEVER"]
    frame = pd.DataFrame({"AETERM": pd.Series(pd.arrays.ArrowStringArray(holed))})
    path = write_xpt(frame, XptDataset("AE", "Adverse Events", (XptVariable("AETERM", "Reported Term", "char"),)), tmp_path)
    assert _observations(path) == (b"RASH " + b"     " + b"FEVER").ljust(80)
    assert read_xpt(path)[0]["AETERM"].tolist() == ["RASH", "", "FEVER"]


def test_failed_block_write_leaves_no_file(tmp_path: Path, monkeypatch) -> None:
    """A write failing in the thread that writes the blocks (a full disk) is raised, and no file is left."""

    class FullDisk:
        def __init__(self, path, mode):
            self.file = open(path, mode)  # noqa: SIM115 (closed in __exit__)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, data) -> int:
            if len(data) > 80 * 10:  # the observations, not the headers
                raise OSError(28, "No space left on device")
            return self.file.write(data)

    monkeypatch.setattr(xpt_writer, "open", FullDisk, raising=False)
    monkeypatch.setattr(xpt_writer, "CHUNK_BYTES", 53 * 100)
    with pytest.raises(OSError, match="No space left"):
        write_xpt(_frame(1000, ascii_only=True), DATASET, tmp_path)
    assert list(tmp_path.iterdir()) == []
