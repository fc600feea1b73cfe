"""What the XPT writer hands over of a file it wrote (``write_xpt(..., written=...)``): the file's SHA-256, hashed while
it was written, and what the reader gives of the file, taken from the columns written instead of reading the file back.
Validation is given that table, so it must be the reader's to the bit: values (numbers as the IBM floats stand for,
SAS's special missing values, text right-trimmed with missing as ""), types, labels, lengths, formats and rows."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from pandas.arrays import ArrowStringArray
from pandas.testing import assert_frame_equal

from cdisc.compare.tables import Table, read_table, xpt_table
from cdisc.io import xpt_writer
from cdisc.io.xpt_writer import WrittenXpt
from cdisc.manifest import sha256_file
from cdisc.xpt import XptDataset, XptEncodingError, XptVariable, XptWarning, missing_codes, special_missing, write_xpt


def _write(frame, dataset, folder, **options) -> WrittenXpt:
    handed: list[WrittenXpt] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XptWarning)
        path = write_xpt(frame, dataset, folder, written=handed.append, **options)
    assert [w.path for w in handed] == [path]
    return handed[0]


def _assert_as_read(written: WrittenXpt) -> Table:
    """The writer's table is the one read_table gives of the file, numbers bit for bit and Arrow types alike."""
    read = read_table(written.path)
    assert written.sha256 == sha256_file(written.path)
    assert written.read is not None
    given = xpt_table(written.path, *written.read, "ascii")
    assert_frame_equal(given.frame, read.frame, check_exact=True)
    assert (given.name, given.label, given.path, given.encoding, given.variables) == (read.name, read.label, read.path, read.encoding, read.variables)
    for name in read.frame.columns:
        left, right = given.frame[name], read.frame[name]
        if right.dtype == np.float64:
            assert left.to_numpy().view(np.uint64).tolist() == right.to_numpy().view(np.uint64).tolist(), name
        else:
            assert left.array._pa_array.type == right.array._pa_array.type, name
    return given


def test_numbers_text_and_attributes_are_the_readers(tmp_path):
    tiny, big = 1e-80, 7e75
    frame = pd.DataFrame({
        # input                                                   # as read
        "USUBJID": ["S-1", "S-2 ", "  S-3", None, ""],              # "S-1", "S-2", "  S-3", "", ""
        "AVALC": ["5.1", np.nan, "NEG", "x" * 200, " "],            # "5.1", "", "NEG", "x" * 200, ""
        "AVAL": [5.1, special_missing("A"), np.nan, -0.0, tiny],    # 5.1, .A, ., 0.0, 0.0
        "ADT": [23000.0, np.nan, special_missing("_"), 0.0, -1.0],  # SAS dates: 2022-12-21 ...
        "SHORT": [1 / 3, np.nan, 123456.789, -2.5, big],            # cut to 4 bytes
        "ASEQ": pd.array([1, 2, None, 4, 5], dtype="Int64"),
    })
    dataset = XptDataset("ADLB", "Lab Analysis  ", (
        XptVariable("USUBJID", "Unique Subject Identifier  ", "char", 8),
        XptVariable("AVALC", "Analysis Value (C)", "char", None, "$200."),
        XptVariable("AVAL", "Analysis Value", "num", 8, "8.2"),
        XptVariable("ADT", "Analysis Date", "num", 8, "date9.", "yymmdd10."),
        XptVariable("SHORT", "", "num", 4, "BEST12."),
        XptVariable("ASEQ", "Sequence Number", "num", 3),
    ))

    given = _assert_as_read(_write(frame, dataset, tmp_path))

    assert given.frame["USUBJID"].tolist() == ["S-1", "S-2", "  S-3", "", ""]
    assert given.frame["AVALC"].tolist() == ["5.1", "", "NEG", "x" * 200, ""]
    assert missing_codes(given.frame["AVAL"]).tolist() == ["", ".A", ".", "", ""]
    assert given.frame["AVAL"].to_numpy().view(np.uint64)[3:].tolist() == [0, 0]  # -0.0 and below IBM's minimum: +0
    assert missing_codes(given.frame["ADT"]).tolist() == ["", ".", "._", "", ""]
    assert given.frame["SHORT"][0] != 1 / 3  # (the fraction cut to 4 bytes, as SAS does)
    assert [(v.label, v.length, v.format) for v in given.variables] == [
        ("Unique Subject Identifier", 8, ""), ("Analysis Value (C)", 200, "$200."), ("Analysis Value", 8, "8.2"),
        ("Analysis Date", 8, "DATE9."), ("", 4, "BEST12."), ("Sequence Number", 3, ""),
    ]
    assert (given.label, given.encoding) == ("Lab Analysis", "ascii")


def test_doubles_of_every_kind_read_back_bit_for_bit(tmp_path):
    generator = np.random.default_rng(15)
    bits = generator.integers(0, 2**63, size=20_000, dtype=np.uint64) | (generator.integers(0, 2, 20_000, dtype=np.uint64) << np.uint64(63))
    values = bits.view(np.float64).copy()
    values[np.abs(values) >= 2.0**252] = np.nan  # (too large for IBM floats: refused), NaNs of every payload and sign
    values[::7] = generator.normal(size=len(values[::7])) * 10.0 ** generator.integers(-80, 76, len(values[::7]))
    values[::11] = generator.integers(-1000, 1000, len(values[::11]))
    values[::13] = [special_missing(c) for c in "ABZ_" * (len(values[::13]) // 4)] + [np.nan] * (len(values[::13]) % 4)
    frame = pd.DataFrame({"X8": values, "X5": values, "X3": values})
    dataset = XptDataset("NUMS", "", tuple(XptVariable(name, "", "num", int(name[1])) for name in frame.columns))

    _assert_as_read(_write(frame, dataset, tmp_path))


def test_rows_across_many_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(xpt_writer, "CHUNK_BYTES", 1000)  # (blocks of whole 80-byte records: 80 rows of 27 bytes)
    rows = 1234
    frame = pd.DataFrame({
        "ID": [f"ID-{i}" for i in range(rows)],
        "TEXT": pd.array([None if i % 5 == 0 else "y" * (i % 19) for i in range(rows)], dtype="str"),
        "N": np.arange(rows) / 7,
    })
    dataset = XptDataset("BLOCKS", "Blocks", (
        XptVariable("ID", "", "char", 8), XptVariable("TEXT", "", "char", 11), XptVariable("N", "", "num", 8),
    ))
    frame["TEXT"] = frame["TEXT"].str.slice(0, 11)

    _assert_as_read(_write(frame, dataset, tmp_path))


def test_an_empty_dataset(tmp_path):
    frame = pd.DataFrame({"USUBJID": pd.Series([], dtype="str"), "AVAL": pd.Series([], dtype="float64")})
    dataset = XptDataset("EMPTY", "No records", (XptVariable("USUBJID", "", "char", 20), XptVariable("AVAL", "", "num")))

    given = _assert_as_read(_write(frame, dataset, tmp_path))

    assert len(given.frame) == 0


def test_trailing_blank_rows_a_reader_takes_for_padding(tmp_path):
    frame = pd.DataFrame({"A": ["x", "", "y", "", ""], "B": ["", "", "", "", None]})
    dataset = XptDataset("BLANKS", "", (XptVariable("A", "", "char", 3), XptVariable("B", "", "char", 2)))

    given = _assert_as_read(_write(frame, dataset, tmp_path))

    assert given.frame["A"].tolist() == ["x", "", "y"]  # (the last two rows are padding to any reader)


def test_text_a_reader_takes_for_the_next_member_is_read_from_the_file(tmp_path):
    header = "HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
    frame = pd.DataFrame({"A": ["a", header[:40], "b"], "B": ["c", header[40:], "d"]})
    dataset = XptDataset("TRICK", "", (XptVariable("A", "", "char", 40), XptVariable("B", "", "char", 40)))

    written = _write(frame, dataset, tmp_path)

    assert written.read is None  # (the writer does not claim to know better than the reader ...)
    assert written.sha256 == sha256_file(written.path)
    assert read_table(written.path).frame["A"].tolist() == ["a"]  # (... which stops at the second row)


def test_non_ascii_text_is_refused_before_anything_is_handed(tmp_path):
    frame = pd.DataFrame({"A": ["Négatif"]})
    dataset = XptDataset("LATIN", "", (XptVariable("A", "", "char", 20),))
    handed: list[WrittenXpt] = []

    with pytest.raises(XptEncodingError):
        write_xpt(frame, dataset, tmp_path, written=handed.append)

    assert handed == []


def test_another_encoding_gives_the_hash_and_leaves_reading_to_the_reader(tmp_path):
    frame = pd.DataFrame({"A": ["Négatif", "NEG"]})
    dataset = XptDataset("LATIN", "", (XptVariable("A", "", "char", 20),))

    written = _write(frame, dataset, tmp_path, encoding="cp1252")

    assert written.read is None
    assert written.sha256 == sha256_file(written.path)
    assert read_table(written.path).frame["A"].tolist() == ["Négatif", "NEG"]


def _in_chunks(values: list, sizes: list[int]) -> pd.Series:
    """Text held in Arrow chunks of ``sizes`` values (as a frame read from parquet holds it)."""
    chunks, start = [], 0
    for size in sizes:
        chunks.append(pa.array(values[start : start + size], pa.large_string()))
        start += size
    return pd.Series(ArrowStringArray(pa.chunked_array(chunks, pa.large_string()), dtype=pd.StringDtype("pyarrow", na_value=np.nan)))


def test_text_in_chunks_is_written_as_in_one_array(tmp_path, monkeypatch):
    monkeypatch.setattr(xpt_writer, "CHUNK_BYTES", 1000)  # (blocks that cross the chunks' bounds)
    rows = 500
    values = [None if i % 7 == 0 else ("z" * 6 if i % 3 else f"v{i} ") for i in range(rows)]
    chunked = pd.DataFrame({"A": _in_chunks(values, [0, 130, 1, 0, 369]), "N": np.arange(rows) * 0.5})
    whole = pd.DataFrame({"A": pd.array(values, dtype="str"), "N": np.arange(rows) * 0.5})
    dataset = XptDataset("CHUNKS", "", (XptVariable("A", "", "char", 6), XptVariable("N", "", "num")))
    (tmp_path / "chunked").mkdir()
    (tmp_path / "whole").mkdir()

    written = _write(chunked, dataset, tmp_path / "chunked")

    assert written.sha256 == _write(whole, dataset, tmp_path / "whole").sha256  # (the same bytes)
    _assert_as_read(written)


def test_text_in_chunks_names_the_rows_it_refuses(tmp_path):
    frame = pd.DataFrame({"A": _in_chunks(["a", "b", "c", "Négatif", "d", "é"], [2, 2, 2])})
    dataset = XptDataset("LATIN", "", (XptVariable("A", "", "char", 20),))

    with pytest.raises(XptEncodingError) as raised:
        write_xpt(frame, dataset, tmp_path)

    assert raised.value.rows.tolist() == [3, 5]
