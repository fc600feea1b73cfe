"""Reading SAS XPORT v5 (first member) into a DataFrame plus its metadata, in blocks."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from cdisc.io.ibm import from_ibm
from cdisc.io.xpt_model import (
    BLANK,
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


@dataclass(frozen=True)
class _Layout:
    """A member's metadata as stored, and where its observation bytes lie."""

    dataset: XptDataset
    namestrs: np.ndarray
    start: int
    end: int


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


def _member_end(handle, path: Path, start: int, size: int) -> int:
    """Where the first member's observations end: the next MEMBER header (80-aligned) or the file end."""
    handle.seek(start)
    buffer, overlap = bytearray(CHUNK_BYTES), len(MEMBER_HEADER)
    offset = start
    while offset < size:
        handle.seek(offset)
        count = handle.readinto(buffer)
        view = buffer[:count] if count < len(buffer) else buffer
        found = view.find(MEMBER_HEADER[:48])
        while found >= 0:
            if (offset + found) % 80 == 0:
                return offset + found
            found = view.find(MEMBER_HEADER[:48], found + 1)
        if count < len(buffer):
            break
        offset += count - overlap
    return size


def _text(raw: bytes, encoding: str, path: Path, what: str) -> str:
    try:
        return raw.rstrip(b" \0").decode(encoding)
    except UnicodeDecodeError:
        raise XptEncodingError(f"{path.name}: {what} {raw!r} is not {encoding}; pass the file's encoding") from None


def _parse_layout(handle, path: Path, size: int, encoding: str) -> _Layout:
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
    return _Layout(XptDataset(name, label, variables), namestrs, len(head), _member_end(handle, path, len(head), size))


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


def _row_count(handle, layout: _Layout, width: int) -> int:
    """Observations stored: whole rows, less trailing all-blank rows inside the last record."""
    rows = (layout.end - layout.start) // width if width else 0
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


def _text_from_block(block: np.ndarray, where: str, start: int, encoding: str) -> pa.Array:
    """An arrow string array of the right-trimmed values in a fixed-width byte block."""
    rows, width = block.shape
    filled = block != BLANK
    lengths = np.where(filled.any(axis=1), width - np.argmax(filled[:, ::-1], axis=1), 0)
    data = block[np.arange(width) < lengths[:, None]]
    offsets = np.zeros(rows + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    binary = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    codec = codecs.lookup(encoding).name
    if not len(data) or data.max() < 0x80:
        return binary.view(pa.large_string())
    if codec == "ascii":
        bad = np.flatnonzero((block >= 0x80).any(axis=1)) + start
        raise XptEncodingError(
            f"{where}: {count_phrase(len(bad), 'value')} not ASCII; {rows_phrase(bad)}; "
            "pass the file's encoding, e.g. read_xpt(path, encoding='cp1252')"
        )
    encoded = binary.dictionary_encode()
    try:
        decoded = [value.decode(encoding) for value in encoded.dictionary.to_pylist()]
    except UnicodeDecodeError as error:
        raise XptEncodingError(
            f"{where}: bytes that are not valid {encoding} ({error.reason}); pass the file's encoding"
        ) from None
    return pa.array(decoded, pa.large_string()).take(encoded.indices)


def _read_block(block: np.ndarray, layout: _Layout, start: int, numeric: dict, texts: dict, encoding: str) -> None:
    rows = len(block)
    for variable, namestr in zip(layout.dataset.variables, layout.namestrs, strict=True):
        position, length = int(namestr["npos"]), int(namestr["nlng"])
        cells = block[:, position : position + length]
        if variable.type == "num":
            words = np.zeros((rows, 8), np.uint8)
            words[:, : min(length, 8)] = cells[:, :8]
            numeric[variable.name][start : start + rows] = from_ibm(words.view(">u8").ravel().astype(np.uint64))
        else:
            where = f"{layout.dataset.name}.{variable.name}"
            texts[variable.name].append(_text_from_block(np.ascontiguousarray(cells), where, start, encoding))


def read_xpt(path: Path, *, encoding: str = "ascii") -> tuple[pd.DataFrame, XptDataset]:
    """Read the first dataset of a SAS XPORT v5 file: a DataFrame plus its metadata.

    Character values come back right-trimmed with ``str`` dtype, missing as ``""``; numbers as
    float64 with NaN for ``.`` and tagged NaNs for ``.A``-``.Z``/``._`` (see :func:`missing_codes`).
    ``encoding`` applies to character values and labels (``"cp1252"`` for most SAS-on-Windows files).
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as handle:
        layout = _parse_layout(handle, path, size, encoding)
        width = int(layout.namestrs["nlng"].astype(np.int64).sum())
        rows = _row_count(handle, layout, width)
        variables = layout.dataset.variables
        numeric = {v.name: np.empty(rows, np.float64) for v in variables if v.type == "num"}
        texts: dict[str, list[pa.Array]] = {v.name: [] for v in variables if v.type == "char"}
        block_rows = max(1, CHUNK_BYTES // max(width, 1))
        buffer = np.empty(min(block_rows, rows) * width, np.uint8)
        handle.seek(layout.start)
        for start in range(0, rows, block_rows):
            block = buffer[: min(block_rows, rows - start) * width]
            handle.readinto(block.data)
            _read_block(block.reshape(-1, width), layout, start, numeric, texts, encoding)
    columns = {
        v.name: numeric[v.name]
        if v.type == "num"
        else pd.array(pa.chunked_array(texts[v.name], pa.large_string()), dtype="str")
        for v in variables
    }
    return pd.DataFrame(columns, index=pd.RangeIndex(rows), copy=False), layout.dataset
