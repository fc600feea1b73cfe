"""Reading SAS XPORT v5 (first member) into a DataFrame plus its metadata, in blocks."""

from __future__ import annotations

import codecs
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from cdisc.arrowtext import TEXT, held_or_text, is_large
from cdisc.io.ibm import from_ibm
from cdisc.io.xpt_model import (
    CHUNK_BYTES,
    LIBRARY_HEADER,
    MEMBER_HEADER,
    NAMESTR,
    OBS_HEADER,
    XptDataset,
    XptEncodingError,
    XptFileError,
    XptVariable,
    count_phrase,
    rows_phrase,
)

_MEMBER_WORD = np.frombuffer(MEMBER_HEADER[:8], np.uint64)[0]
_POOL = pa.system_memory_pool()  # the values read stay in malloc's memory, as numpy's: the default pool (mimalloc) keeps ~15% more resident


@dataclass(frozen=True)
class _Layout:
    """A member's metadata as stored, and where its observation bytes start."""

    dataset: XptDataset
    namestrs: np.ndarray
    start: int


def _read_headers(handle, path: Path, first: bytes) -> bytes:
    """The file's bytes through the OBS header record, continuing ``first`` in 64 KiB steps."""
    head = bytearray(first)
    while True:
        piece = handle.read(1 << 16)
        head += piece
        found = head.find(OBS_HEADER[:48])
        while found >= 0 and found % 80:
            found = head.find(OBS_HEADER[:48], found + 1)
        if found >= 0:
            return bytes(head[: found + 80])
        if not piece:
            raise XptFileError(f"{path.name}: no OBS header record; not a complete SAS XPORT v5 file")


def _text(raw: bytes, encoding: str, path: Path, what: str) -> str:
    try:
        return raw.rstrip(b" \0").decode(encoding)
    except UnicodeDecodeError:
        raise XptEncodingError(f"{path.name}: {what} {raw!r} is not {encoding}; pass the file's encoding") from None


def _parse_layout(handle, path: Path, encoding: str) -> _Layout:
    head = handle.read(80)
    if not head.startswith(LIBRARY_HEADER[:48]):
        what = (
            "a SAS XPORT v8/v9 file (not accepted by FDA)"
            if head.startswith(b"HEADER RECORD*******LIBV8")
            else "not a SAS XPORT file"
        )
        raise XptFileError(f"{path.name}: {what}; expected a v5 LIBRARY HEADER RECORD")
    head = _read_headers(handle, path, head)
    member = head.find(MEMBER_HEADER[:48])
    if member < 0 or member % 80:
        raise XptFileError(f"{path.name}: no MEMBER header record; the file holds no dataset")
    namestr_size = int(head[member + 74 : member + 78])
    descriptor = head[member + 160 : member + 320]
    name = _text(descriptor[8:16], "ascii", path, "dataset name")
    label = _text(descriptor[112:152], encoding, path, "dataset label")
    count = int(head[member + 320 + 54 : member + 320 + 58])
    start = member + 400
    raw = np.frombuffer(head, np.uint8, count=count * namestr_size, offset=start).reshape(count, namestr_size)
    padded = np.zeros((count, NAMESTR.itemsize), np.uint8)
    padded[:, : min(namestr_size, NAMESTR.itemsize)] = raw[:, : NAMESTR.itemsize]
    namestrs = padded.view(NAMESTR).ravel()
    variables = tuple(_variable_of(row, path, encoding) for row in namestrs)
    return _Layout(XptDataset(name, label, variables), namestrs, len(head))


def _format_text(name: bytes, width: int, decimals: int) -> str:
    text = name.rstrip(b" \0").decode("ascii", "replace")
    return f"{text}{width or ''}.{decimals or ''}" if text or width or decimals else ""


def _variable_of(row: np.void, path: Path, encoding: str) -> XptVariable:
    name = _text(row["nname"], "ascii", path, "variable name")
    return XptVariable(
        name=name,
        label=_text(row["nlabel"], encoding, path, f"label of {name}"),
        type="num" if row["ntype"] == 1 else "char",
        length=int(row["nlng"]),
        format=_format_text(row["nform"], int(row["nfl"]), int(row["nfd"])),
        informat=_format_text(row["niform"], int(row["nifl"]), int(row["nifd"])),
    )


def _padding_rows(rows: int, width: int) -> range:
    """Rows that start less than 80 bytes before the end: if blank to the end, they are record padding.

    This is TS-140's rule (padding only fills out the last record) and matches what SAS does, except
    that SAS also drops a whole final record of blank rows when the row length divides 80.
    """
    end = -(-rows * width // 80) * 80
    first = max(0, (end - 80) // width + 1) if width else rows
    return range(min(first, rows), rows)


def _row_count(handle, layout: _Layout, rows: int, width: int) -> int:
    """Observations stored: of the ``rows`` whole rows read, less trailing all-blank rows inside the last record."""
    candidates = _padding_rows(rows, width)
    if not candidates:
        return rows
    handle.seek(layout.start + candidates.start * width)
    tail = handle.read(len(candidates) * width)
    for row in reversed(candidates):
        if tail[(row - candidates.start) * width : (row - candidates.start + 1) * width].strip(b" "):
            break
        rows = row
    return rows


def _member_bytes(buffer: bytearray | memoryview, count: int) -> tuple[int, bool]:
    """Bytes of the first ``count`` in ``buffer`` (read from an 80-aligned offset) before the next
    MEMBER header record, and whether one was found there (the first member's observations end).

    Only 80-byte records can hold a header: their first 8 bytes are compared as one word each.
    """
    starts = np.frombuffer(buffer, np.uint64, count=count // 80 * 10)[::10]
    for record in np.flatnonzero(starts == _MEMBER_WORD):
        if buffer[record * 80 : record * 80 + 48] == MEMBER_HEADER[:48]:
            return int(record) * 80, True
    return count, False


def _text_column(buffer: bytearray, rows: int, position: int, length: int, width: int, where: str, start: int, encoding: str) -> pa.Array:
    """An arrow string array of the right-trimmed values of one variable in a block of ``rows`` rows.

    The variable's bytes are gathered into one fixed-width run (a strided numpy copy), seen by arrow as
    strings of ``length`` bytes and right-trimmed of blanks by arrow, column-wide (unless no value ends in a blank).
    """
    cells = np.ndarray((rows,), f"S{length}", buffer, position, (width,)).copy().view(np.uint8)
    offsets = np.arange(0, (rows + 1) * length, length, dtype=np.int64)
    fixed = pa.LargeStringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(cells))
    padded = (cells[length - 1 :: length] == ord(" ")).any()
    trimmed = pc.ascii_rtrim(fixed, characters=" ", memory_pool=_POOL) if padded else fixed
    if not rows or cells.max() < 0x80:
        return trimmed
    if codecs.lookup(encoding).name == "ascii":
        bad = np.flatnonzero((cells.reshape(rows, length) >= 0x80).any(axis=1)) + start
        raise XptEncodingError(
            f"{where}: {count_phrase(len(bad), 'value')} not ASCII; {rows_phrase(bad)}; "
            "pass the file's encoding, e.g. read_xpt(path, encoding='cp1252')"
        )
    encoded = trimmed.view(pa.large_binary()).dictionary_encode()
    try:
        decoded = [value.decode(encoding) for value in encoded.dictionary.to_pylist()]
    except UnicodeDecodeError as error:
        raise XptEncodingError(
            f"{where}: bytes that are not valid {encoding} ({error.reason}); pass the file's encoding"
        ) from None
    return pa.array(decoded, pa.large_string()).take(encoded.indices)


def _numeric_column(buffer: bytearray, rows: int, position: int, length: int, width: int) -> np.ndarray:
    """float64 values of one numeric variable in a block of ``rows`` rows (short lengths zero-filled)."""
    if length == 8:
        return from_ibm(np.ndarray((rows,), ">u8", buffer, position, (width,)).astype(np.uint64))
    cells = np.ndarray((rows, min(length, 8)), np.uint8, buffer, position, (width, 1))
    words = np.zeros((rows, 8), np.uint8)
    words[:, : cells.shape[1]] = cells
    return from_ibm(words.view(">u8").ravel().astype(np.uint64))


def _read_block(
    buffer: bytearray, rows: int, width: int, layout: _Layout, start: int, numeric: dict, texts: dict, encoding: str, held: bool,
) -> None:
    """Decode the first ``rows`` rows of ``width`` bytes in ``buffer``: rows ``start`` on of the numbers, a block of the texts
    (with ``held``, as Arrow dictionaries)."""
    for variable, namestr in zip(layout.dataset.variables, layout.namestrs, strict=True):
        position, length = int(namestr["npos"]), int(namestr["nlng"])
        if variable.type == "num":
            numeric[variable.name][start : start + rows] = _numeric_column(buffer, rows, position, length, width)
        else:
            where = f"{layout.dataset.name}.{variable.name}"
            text = _text_column(buffer, rows, position, length, width, where, start, encoding)
            texts[variable.name].append(pc.dictionary_encode(text, memory_pool=_POOL) if held else text)


def _text_values(blocks: list[pa.Array], rows: int, held: bool) -> pd.Series | ArrowStringArray:
    """A text variable of the blocks read: held once per distinct value where it repeats
    (:func:`~cdisc.arrowtext.held_or_text`) when read ``held``, else as text."""
    if not held:
        return ArrowStringArray(pa.chunked_array(blocks, pa.large_string())[:rows], dtype=TEXT)  # (pd.array(..., dtype="str") checks more)
    return held_or_text(pa.chunked_array(blocks, pa.dictionary(pa.int32(), pa.large_string()))[:rows])


def read_xpt(path: Path, *, encoding: str = "ascii", held: bool = False) -> tuple[pd.DataFrame, XptDataset]:
    """Read the first dataset of a SAS XPORT v5 file: a DataFrame plus its metadata.

    Character values come back right-trimmed with ``str`` dtype, missing as ``""``; numbers as
    float64 with NaN for ``.`` and tagged NaNs for ``.A``-``.Z``/``._`` (see :func:`missing_codes`).
    ``encoding`` applies to character values and labels (``"cp1252"`` for most SAS-on-Windows files).

    Observations are read in blocks of whole 80-byte records and whole rows, each variable decoded
    column-wide with numpy and arrow; they end at the next MEMBER header record or the end of the file.
    With ``held``, a large file's (:func:`~cdisc.arrowtext.is_large`) repetitive text is held once per distinct value
    (a categorical: :func:`~cdisc.arrowtext.held_dictionary`), each block encoded as it is read.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as handle:
        layout = _parse_layout(handle, path, encoding)
        if size % 80:  # (every part of a transport file is 80-byte records: a cut-off copy reads as fewer records otherwise)
            raise XptFileError(f"{path.name}: {size} bytes, not a whole number of 80-byte records; the file is truncated or damaged")
        variables = layout.dataset.variables
        width = int(layout.namestrs["nlng"].astype(np.int64).sum())
        capacity = (size - layout.start) // width if width else 0  # rows to the end of the file (pages past the rows read stay untouched)
        held = held and is_large(capacity)
        numeric = {v.name: np.empty(capacity, np.float64) for v in variables if v.type == "num"}
        texts: dict[str, list[pa.Array]] = {v.name: [] for v in variables if v.type == "char"}
        rows = 0
        if width:
            step = math.lcm(80, width)  # blocks of whole records and whole rows: a header never straddles two
            buffer = bytearray(step * max(1, min(CHUNK_BYTES // step, -(-(size - layout.start) // step))))
            handle.seek(layout.start)
            ended = False
            while not ended:
                count, ended = _member_bytes(buffer, handle.readinto(buffer))
                block_rows = count // width
                if block_rows:
                    _read_block(buffer, block_rows, width, layout, rows, numeric, texts, encoding, held)
                rows += block_rows
                ended = ended or count < len(buffer)
            rows = _row_count(handle, layout, rows, width)
    columns = {v.name: numeric[v.name][:rows] if v.type == "num" else _text_values(texts[v.name], rows, held) for v in variables}
    return pd.DataFrame(columns, index=pd.RangeIndex(rows), copy=False), layout.dataset
