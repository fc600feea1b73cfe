"""Writing SAS XPORT v5: every rule checked first, then observations streamed in blocks, atomically."""

from __future__ import annotations

import codecs
import hashlib
import math
import os
import re
import tempfile
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from cdisc.arrowtext import TEXT, arrow_codes, arrow_text, is_text_per_record, plain_text
from cdisc.io.ibm import IBM_MAX, IBM_MIN, from_ibm, to_ibm
from cdisc.io.xpt_model import (
    BLANK,
    DSCRPTR_HEADER,
    HEADER,
    LIBRARY_HEADER,
    MEMBER_HEADER,
    NAMESTR,
    OBS_HEADER,
    XptDataset,
    XptEncodingError,
    XptError,
    XptFormatError,
    XptLabelError,
    XptLengthError,
    XptNameError,
    XptRangeError,
    XptTypeError,
    XptVariable,
    XptWarning,
    clip,
    count_phrase,
    rows_phrase,
)
from cdisc.io.xpt_reader import _member_bytes, _padding_rows, _text, _variable_of

_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,7}\Z")
_FORMAT = re.compile(r"(\$?(?:[A-Z_](?:[A-Z0-9_]*[A-Z_])?)?)(\d*)\.(\d*)\Z")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_SAS_VERSION, _SAS_OS = "9.4", "cdisc"
CHUNK_BYTES = 2 << 20  # observations are written in blocks of about this size: a block stays in a core's L2 cache
# while every column is copied into it (8 MB blocks took about 15% more CPU to fill)


# ---------------------------------------------------------------- metadata checks


def _format_parts(where: str, spec: str, kind: str, sas_type: str) -> tuple[bytes, int, int]:
    """(name, width, decimals) of a SAS format such as ``DATE9.``, ``$200.``, ``8.2``; "" is none."""
    if not spec:
        return b"", 0, 0
    match = _FORMAT.match(spec.upper())
    if match is None:
        raise XptFormatError(f"{where}: {kind} {spec!r} is not a SAS {kind} like DATE9., 8.2 or $20.")
    name, width, decimals = match[1], int(match[2] or 0), int(match[3] or 0)
    if len(name) > 8 or width > 32767 or decimals > 32767:
        raise XptFormatError(f"{where}: {kind} {spec!r} does not fit XPT v5 (name up to 8 characters)")
    if name.startswith("$") != (sas_type == "char"):
        need = "start with $" if sas_type == "char" else "not start with $"
        raise XptFormatError(f"{where}: {kind} {spec!r} must {need} for a {sas_type} variable")
    return name.encode("ascii"), width, decimals


def _label_bytes(where: str, label: str, encoding: str) -> bytes:
    try:
        data = label.encode(encoding)
    except UnicodeEncodeError:
        raise XptLabelError(
            f"{where}: label {label!r} has characters outside {encoding}; XPT labels should be ASCII"
        ) from None
    if len(data) > 40:
        raise XptLabelError(f"{where}: label is {len(data)} bytes, over the 40-byte XPT v5 limit: {label!r}")
    return data


def _check_metadata(dataset: XptDataset, encoding: str) -> None:
    if not _NAME.match(dataset.name):
        raise XptNameError(
            f"dataset name {dataset.name!r} is not a valid XPT v5 name: 1-8 upper-case letters, digits "
            "or _, not starting with a digit"
        )
    _label_bytes(dataset.name, dataset.label, encoding)
    if not dataset.variables:
        raise XptNameError(f"{dataset.name}: the dataset has no variables")
    seen: set[str] = set()
    for variable in dataset.variables:
        where = f"{dataset.name}.{variable.name}"
        if not _NAME.match(variable.name):
            raise XptNameError(
                f"{where}: variable name {variable.name!r} is not a valid XPT v5 name: 1-8 upper-case "
                "letters, digits or _, not starting with a digit"
            )
        if variable.name in seen:
            raise XptNameError(f"{where}: variable is listed twice")
        seen.add(variable.name)
        if variable.type not in ("char", "num"):
            raise XptTypeError(f"{where}: type {variable.type!r} must be 'char' or 'num'")
        _label_bytes(where, variable.label, encoding)
        low, high = (1, 200) if variable.type == "char" else (3, 8)
        if variable.length is not None and not low <= variable.length <= high:
            raise XptLengthError(
                f"{where}: declared length {variable.length} is outside {low}-{high} bytes allowed for a "
                f"{variable.type} variable in XPT v5"
            )
        _format_parts(where, variable.format, "format", variable.type)
        _format_parts(where, variable.informat, "informat", variable.type)


def _check_columns(frame: pd.DataFrame, dataset: XptDataset) -> None:
    columns = [str(c) for c in frame.columns]
    names = [v.name for v in dataset.variables]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    missing = [n for n in names if n not in columns]
    extra = [c for c in columns if c not in names]
    problems = []
    if duplicated:
        problems.append(f"duplicated frame columns {', '.join(duplicated)}")
    if missing:
        problems.append(f"variables with no frame column: {', '.join(missing)}")
    if extra:
        problems.append(f"frame columns not in the dataset metadata: {', '.join(extra)}")
    if problems:
        raise XptNameError(f"{dataset.name}: {'; '.join(problems)}")


# ---------------------------------------------------------------- column preparation


def _refuse_special_types(where: str, column: pd.Series) -> None:
    dtype = column.dtype
    kind = pd.api.types.infer_dtype(column, skipna=True) if pd.api.types.is_object_dtype(dtype) else ""
    if pd.api.types.is_bool_dtype(dtype) or kind == "boolean":
        raise XptTypeError(
            f"{where}: column holds True/False; SAS has no boolean type: convert to 'Y'/'N' or 1/0 first"
        )
    timelike = (pd.DatetimeTZDtype, pd.PeriodDtype)
    if (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, timelike)
        or kind in ("datetime", "datetime64", "date", "time", "timedelta", "timedelta64", "period")
    ):
        raise XptTypeError(
            f"{where}: column holds dates/times; convert to SAS numeric dates first (days since 1960-01-01 "
            "with DATE9., seconds since 1960-01-01 with DATETIME20., seconds since midnight with TIME8.) "
            "or to ISO 8601 text for a char variable"
        )


def _numeric_values(where: str, column: pd.Series) -> np.ndarray:
    """The column as float64 (NaN and tagged NaN kept bit for bit)."""
    _refuse_special_types(where, column)
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fiu":
        return np.ascontiguousarray(column.to_numpy(), dtype=np.float64)
    if pd.api.types.is_numeric_dtype(dtype):
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_object_dtype(dtype):
        converted = pd.to_numeric(column, errors="coerce")
        bad = np.flatnonzero(converted.isna().to_numpy() & column.notna().to_numpy())
        if not len(bad) and pd.api.types.is_numeric_dtype(converted.dtype):
            return np.ascontiguousarray(converted.to_numpy(dtype=np.float64, na_value=np.nan))
        positions = bad if len(bad) else np.flatnonzero(column.notna().to_numpy())
        raise XptTypeError(
            f"{where}: declared num but {count_phrase(len(positions), 'value')} not numbers; "
            f"{rows_phrase(positions)} (e.g. {clip(column.iloc[positions[0]])})",
            rows=positions,
        )
    raise XptTypeError(
        f"{where}: declared num but the column holds {dtype} values; convert with pd.to_numeric or declare it char"
    )


def _text_array(where: str, column: pd.Series) -> list[pa.Array]:
    """The column as arrow large_string arrays, missing values as "" (XPT writes both as blanks): one array, or the
    chunks the column holds its values in (not joined: that would copy every value)."""
    _refuse_special_types(where, column)
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        column = column.astype(object)
        dtype = column.dtype
    if isinstance(dtype, pd.StringDtype):
        array = column.array.__arrow_array__()
        chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
        chunks = [chunk.cast(pa.large_string()) for chunk in chunks if len(chunk)] or [pa.array([], pa.large_string())]
    elif pd.api.types.is_object_dtype(dtype):
        try:
            chunks = [pa.array(column.to_numpy(), type=pa.large_string(), from_pandas=True)]
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            bad = np.flatnonzero(column.notna().to_numpy() & ~column.map(type).eq(str).to_numpy())
            raise XptTypeError(
                f"{where}: declared char but {count_phrase(len(bad), 'value')} not text; {rows_phrase(bad)} "
                f"(e.g. {clip(column.iloc[bad[0]])} of type {type(column.iloc[bad[0]]).__name__})",
                rows=bad,
            ) from None
    else:
        raise XptTypeError(
            f"{where}: declared char but the column holds {dtype} values; convert with .astype('str') "
            "(formatting numbers as the spec says) or declare it num"
        )
    return [_blank_missing(chunk) for chunk in chunks]


def _blank_missing(array: pa.Array) -> pa.Array:
    """``array`` with missing values as "": its bitmap dropped when they hold no bytes (as Arrow and pandas
    make them), else filled (a copy of every value)."""
    if not array.null_count:
        return array
    offsets, _ = _buffers(array)
    valid = np.unpackbits(np.frombuffer(array.buffers()[0], np.uint8), count=array.offset + len(array), bitorder="little")
    if np.diff(offsets)[valid[array.offset :] == 0].any():
        return array.fill_null("")
    return pa.Array.from_buffers(array.type, len(array), [None, *array.buffers()[1:]], 0, array.offset)


def _buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Where each value of a large string or binary array starts (and the last ends) in its data buffer, and that
    buffer (which may hold bytes of other values before and after those of ``array``, a slice of a larger array)."""
    offsets = np.frombuffer(array.buffers()[1], np.int64, count=len(array) + 1, offset=8 * array.offset)
    return offsets, np.frombuffer(array.buffers()[2] or b"", np.uint8)


def _offsets_data(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Where each value of a large string or binary array starts (and the last ends), from 0, and their bytes."""
    offsets, data = _buffers(array)
    return (offsets - offsets[0] if offsets[0] else offsets), data[offsets[0] : offsets[-1]]


def _trimmed(text: pa.Array) -> pa.Array:
    """Values without trailing blanks, which SAS does not keep (so they count toward no length)."""
    offsets, data = _buffers(text)
    if offsets[-1] > offsets[0] and (data[offsets[1:] - 1] == BLANK).any():  # (an empty value looks at the end of the one before)
        return pc.utf8_rtrim(text, characters=" ")
    return text


def _encoded(where: str, chunks: list[pa.Array], column: pd.Series, encoding: str | None) -> list[pa.Array]:
    """Bytes to write: the UTF-8 data when ASCII (or UTF-8 asked for), else transcoded via unique values."""
    if max(data[offsets[0] : offsets[-1]].max(initial=0) for offsets, data in map(_buffers, chunks)) < 0x80:  # ASCII
        return chunks
    text = pa.chunked_array(chunks, pa.large_string())
    if encoding is None or codecs.lookup(encoding).name == "ascii":
        bad = np.flatnonzero(~pc.string_is_ascii(text).to_numpy(zero_copy_only=False))
        raise XptEncodingError(
            f"{where}: {count_phrase(len(bad), 'value')} with non-ASCII characters; {rows_phrase(bad)} "
            f"(e.g. {clip(column.iloc[bad[0]])}); FDA expects ASCII: fix the data, or pass encoding= explicitly",
            rows=bad,
        )
    if codecs.lookup(encoding).name == "utf-8":
        return chunks
    codes, uniques = pd.factorize(pd.Series(text.to_pandas(types_mapper=pd.ArrowDtype)))
    encoded = []
    for position, value in enumerate(uniques):
        try:
            encoded.append(value.encode(encoding))
        except UnicodeEncodeError:
            bad = np.flatnonzero(codes == position)
            raise XptEncodingError(
                f"{where}: {count_phrase(len(bad), 'value')} not encodable in {encoding}; {rows_phrase(bad)} "
                f"(e.g. {clip(value)})",
                rows=bad,
            ) from None
    return [pa.array(encoded, type=pa.large_binary()).take(codes).view(pa.large_string())]  # (bytes padded as text)


@dataclass(frozen=True)
class _Text:
    """Values of a char variable from row ``start`` on, as written: ``text`` (an Arrow string array, no missing
    values) and its bytes one after another (in ``data``), row ``start + i``'s from ``offsets[i]`` to ``offsets[i + 1]``."""

    start: int
    text: pa.Array
    offsets: np.ndarray
    data: np.ndarray

    @classmethod
    def pieces(cls, chunks: list[pa.Array]) -> tuple[_Text, ...]:
        starts = np.cumsum([0, *map(len, chunks)])
        return tuple(cls(int(start), chunk, *_buffers(chunk)) for start, chunk in zip(starts, chunks))

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


@dataclass(frozen=True)
class _Held:
    """Values of a char variable held once per distinct value (a categorical of text): each row's code (-1: missing),
    each distinct value as written (``text``: without trailing blanks, then "" for missing) and padded to the
    variable's length (``cells``: one row of bytes each), so that a row's cell is ``cells[code]``."""

    codes: np.ndarray
    text: pa.Array
    cells: np.ndarray


@dataclass(frozen=True)
class _Column:
    """A variable ready to stream: its NAMESTR facts and its values: num, a float per row (``values``); char, the
    text of every row in the pieces the frame held it in (``texts``: one, unless its column was in chunks), or once
    per distinct value (``held``)."""

    variable: XptVariable
    length: int
    position: int
    values: np.ndarray | None = None
    texts: tuple[_Text, ...] = ()
    held: _Held | None = None


def _char_length(where: str, variable: XptVariable, lengths: np.ndarray, column: pd.Series) -> int:
    limit = variable.length or 200
    too_long = np.flatnonzero(lengths > limit)
    if len(too_long):
        first = too_long[0]
        rule = f"longer than the declared length {limit}" if variable.length else "longer than 200 bytes (XPT v5 limit)"
        raise XptLengthError(
            f"{where}: {count_phrase(len(too_long), 'value')} {rule}; {rows_phrase(too_long)} "
            f"(e.g. {clip(column.iloc[first])} is {lengths[first]} bytes)",
            rows=too_long,
        )
    return variable.length or max(1, int(lengths.max(initial=0)))


def _check_numbers(where: str, values: np.ndarray) -> None:
    magnitude = np.abs(values)
    too_big = np.flatnonzero(magnitude >= IBM_MAX)  # includes inf
    if len(too_big):
        raise XptRangeError(
            f"{where}: {count_phrase(len(too_big), 'value')} too large for XPT (IBM float maximum about 7.2e75) "
            f"or infinite; {rows_phrase(too_big)} (e.g. {values[too_big[0]]!r})",
            rows=too_big,
        )
    tiny = np.flatnonzero((magnitude < IBM_MIN) & (magnitude > 0))
    if len(tiny):
        warnings.warn(
            f"{where}: {count_phrase(len(tiny), 'value')} below the IBM float minimum (about 5.4e-79) written as 0; "
            f"{rows_phrase(tiny)} (e.g. {values[tiny[0]]!r})",
            XptWarning,
            stacklevel=4,
        )


def _prepare(frame: pd.DataFrame, dataset: XptDataset, encoding: str | None) -> list[_Column]:
    prepared, position = [], 0
    for variable in dataset.variables:
        where = f"{dataset.name}.{variable.name}"
        column = frame[variable.name]
        if variable.type == "num":
            values = _numeric_values(where, column)
            _check_numbers(where, values)
            length = variable.length or 8
            prepared.append(_Column(variable, length, position, values))
        elif (held := _held(variable, column)) is not None:
            length = held.cells.shape[1]
            prepared.append(_Column(variable, length, position, held=held))
        else:
            column = plain_text(column)  # (a value written otherwise than as ASCII, or too long: as any text)
            texts = _Text.pieces(_encoded(where, [_trimmed(chunk) for chunk in _text_array(where, column)], column, encoding))
            lengths = texts[0].lengths() if len(texts) == 1 else np.concatenate([piece.lengths() for piece in texts])
            length = _char_length(where, variable, lengths, column)
            prepared.append(_Column(variable, length, position, texts=texts))
        position += length
    _warn_trailing_blanks(dataset, prepared, len(frame))
    return prepared


def _held(variable: XptVariable, column: pd.Series) -> _Held | None:
    """A categorical of text (:func:`~cdisc.arrowtext.text_per_record`) ready to write once per distinct value; None
    for any other column, and for one whose values are not all ASCII or are too long (written, or refused, as text)."""
    if not is_text_per_record(column.dtype):
        return None
    codes = column.cat.codes.to_numpy()
    text = _trimmed(arrow_text(column.dtype.categories.array).combine_chunks().cast(pa.large_string()))
    offsets, data = _buffers(text)
    used = np.zeros(len(text) + 1, dtype=bool)
    used[codes] = True  # (-1, missing: the last)
    lengths = np.append(np.diff(offsets), 0)
    longest = int(lengths[used].max(initial=0))
    if data[offsets[0] : offsets[-1]].max(initial=0) >= 0x80 or longest > (variable.length or 200):
        return None
    length = variable.length or max(1, longest)
    text = pa.concat_arrays([text, pa.array([""], pa.large_string())])
    cut = pc.utf8_slice_codeunits(text, 0, length)  # (a value not written may be longer)
    cells = _offsets_data(pc.ascii_rpad(cut, width=length, padding=" "))[1].reshape(len(text), length)
    return _Held(codes, text, cells)


def _warn_trailing_blanks(dataset: XptDataset, columns: list[_Column], rows: int) -> None:
    """Warn when only-character rows at the end are blank: v5 readers cannot tell them from padding."""
    if rows == 0 or any(c.values is not None for c in columns):
        return
    blank = np.ones(rows, dtype=bool)
    for piece in (piece for column in columns for piece in column.texts):  # values are already right-trimmed
        blank[piece.start : piece.start + len(piece.text)] &= piece.lengths() == 0
    for held in (column.held for column in columns if column.held is not None):
        blank &= (np.diff(_buffers(held.text)[0]) == 0)[held.codes]
    trailing = rows - (np.flatnonzero(~blank)[-1] + 1 if not blank.all() else 0)
    if trailing:
        verb = "is" if trailing == 1 else "are"
        warnings.warn(
            f"{dataset.name}: the last {count_phrase(trailing, 'row')} {verb} entirely blank; with only character "
            "variables, SAS and other XPT readers take them for record padding and drop them",
            XptWarning,
            stacklevel=4,
        )


# ---------------------------------------------------------------- header records


def _sas_datetime(moment: datetime) -> bytes:
    return f"{moment.day:02d}{_MONTHS[moment.month - 1]}{moment.year % 100:02d}:{moment:%H:%M:%S}".encode()


def creation_time(created: datetime | None) -> datetime:
    """``created``, else ``SOURCE_DATE_EPOCH`` (UTC), else 1960-01-01T00:00:00: never the clock."""
    if created is not None:
        return created
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return datetime(1960, 1, 1)
    try:
        return datetime.fromtimestamp(int(epoch), tz=UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        raise XptError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds since 1970-01-01") from None


def _pad80(data: bytes) -> bytes:
    return data + b" " * (-len(data) % 80)


def _fixed(text: bytes, width: int) -> bytes:
    return text.ljust(width)[:width]


def _namestrs(dataset: XptDataset, columns: list[_Column], label_encoding: str) -> np.ndarray:
    """The NAMESTR record of every variable."""
    namestrs = np.zeros(len(columns), dtype=NAMESTR)
    for number, column in enumerate(columns):
        variable, where = column.variable, f"{dataset.name}.{column.variable.name}"
        form, form_width, form_decimals = _format_parts(where, variable.format, "format", variable.type)
        informat, informat_width, informat_decimals = _format_parts(where, variable.informat, "informat", variable.type)
        namestrs[number] = (
            1 if variable.type == "num" else 2, 0, column.length, number + 1, _fixed(variable.name.encode(), 8),
            _fixed(_label_bytes(where, variable.label, label_encoding), 40), _fixed(form, 8), form_width,
            form_decimals, 0, b"\0\0", _fixed(informat, 8), informat_width, informat_decimals, column.position,
            b"\0" * 52,
        )  # fmt: skip
    return namestrs


def _headers(dataset: XptDataset, namestrs: np.ndarray, moment: bytes, label_encoding: str) -> bytes:
    version = _fixed(_SAS_VERSION.encode(), 8) + _fixed(_SAS_OS.encode(), 8)
    label = _label_bytes(dataset.name, dataset.label, label_encoding)
    return b"".join(
        [
            LIBRARY_HEADER,
            b"SAS     SAS     SASLIB  " + version + b" " * 24 + moment,
            moment + b" " * 64,
            MEMBER_HEADER,
            DSCRPTR_HEADER,
            b"SAS     " + _fixed(dataset.name.encode(), 8) + b"SASDATA " + version + b" " * 24 + moment,
            moment + b" " * 16 + _fixed(label, 40) + b" " * 8,
            HEADER.format(kind="NAMESTR", digits=f"000000{len(namestrs):04d}" + "0" * 20).encode(),
            _pad80(namestrs.tobytes()),
            OBS_HEADER,
        ]
    )


# ---------------------------------------------------------------- observations


def _fill_block(block: np.ndarray, columns: list[_Column], start: int) -> None:
    """Write rows ``start .. start+len(block)`` of every column into ``block`` (rows x obs length): each
    column's cells as ``length``-byte items, copied in one strided copy to their place in every row."""
    rows, width = block.shape
    for column in columns:
        item = np.dtype((np.void, column.length))
        target = np.ndarray((rows,), item, buffer=block, offset=column.position, strides=(width,))
        target[:] = _cells(column, start, rows, item)


def _cells(column: _Column, start: int, rows: int, item: np.dtype) -> np.ndarray:
    """Rows ``start .. start+rows`` of a column as XPT writes them, one ``item`` (``length`` bytes) each:
    IBM floats cut to the length, text padded with blanks."""
    if column.values is not None:
        ibm = to_ibm(column.values[start : start + rows])
        return np.ndarray((rows,), item, buffer=ibm, strides=(8,))
    if column.held is not None:
        return column.held.cells[column.held.codes[start : start + rows]].reshape(-1).view(item)
    end = start + rows
    cells = [_text_cells(piece, max(start, piece.start) - piece.start, min(end, piece.start + len(piece.text)) - piece.start, item)
             for piece in column.texts if piece.start < end and start < piece.start + len(piece.text)]
    return cells[0] if len(cells) == 1 else np.concatenate(cells)


def _text_cells(piece: _Text, first: int, last: int, item: np.dtype) -> np.ndarray:
    """Rows ``first .. last`` of a piece of text, padded with blanks to ``item``'s length."""
    begin, end = piece.offsets[first], piece.offsets[last]
    if end - begin == (last - first) * item.itemsize:  # every value fills the variable
        return piece.data[begin:end].view(item)
    padded = pc.ascii_rpad(piece.text.slice(first, last - first), width=item.itemsize, padding=" ")  # pads bytes
    return _offsets_data(padded)[1].view(item)


def _block_rows(width: int) -> int:
    """Rows per block of observations: about ``CHUNK_BYTES``, whole 80-byte records (as the reader reads them, so that a
    block is searched for a MEMBER header record as the reader searches it) unless that makes a block four times over."""
    step = math.lcm(80, width)
    if step > 4 * CHUNK_BYTES:
        return max(1, CHUNK_BYTES // width)
    return step // width * max(1, CHUNK_BYTES // step)


def _write_file(path: Path, headers: bytes, columns: list[_Column], rows: int, digest: hashlib._Hash | None = None) -> bool:
    """Headers, then the observations in blocks of about ``CHUNK_BYTES``: a block is filled while the one
    before is written (and hashed into ``digest``) by a second thread (the write and the hash release the GIL);
    then padding and fsync. Whether a reader reads every row written: no block of whole 80-byte records holds what
    it takes for the next member's header record (text that spells it, where a record starts)."""
    width = sum(c.length for c in columns)
    block_rows = _block_rows(width)
    buffers = [np.empty((min(block_rows, rows), width), dtype=np.uint8) for _ in range(1 if rows <= block_rows else 2)]
    whole = block_rows * width % 80 == 0
    with open(path, "wb") as handle, ThreadPoolExecutor(max_workers=1) as writer:

        def put(data: bytes | memoryview) -> None:
            handle.write(data)
            if digest is not None:
                digest.update(data)

        written: Future[None] = writer.submit(put, headers)
        for number, start in enumerate(range(0, rows, block_rows)):
            block = buffers[number % 2][: min(block_rows, rows - start)]
            _fill_block(block, columns, start)  # (the other buffer may still be being written)
            whole = whole and not _ends_member(block, -(rows * width) % 80 if start + len(block) == rows else 0)
            written.result()
            written = writer.submit(put, block.data)
        written.result()
        put(b" " * (-(rows * width) % 80))
        handle.flush()
        os.fsync(handle.fileno())
    return whole


def _ends_member(block: np.ndarray, padding: int) -> bool:
    """Whether a reader takes a record of ``block`` (whole 80-byte records of observations; the last rows, with the
    ``padding`` blanks written after them) for the next member's header record, where it stops reading rows."""
    data = block.data.cast("B")
    records = len(data) // 80 * 80
    last = bytes(data[records:]) + b" " * padding if padding else b""
    return _member_bytes(data, records)[1] or last.startswith(MEMBER_HEADER[:48])


# ---------------------------------------------------------------- the file as read


@dataclass(frozen=True)
class WrittenXpt:
    """An XPT file :func:`write_xpt` has written: where it is, its SHA-256 (of the bytes as they were written), and
    what :func:`~cdisc.io.xpt_reader.read_xpt` gives of it, the frame and its metadata, taken from the columns written
    rather than read back (None when its text may not be ASCII, or a reader would stop short: read the file)."""

    path: Path
    sha256: str
    read: tuple[pd.DataFrame, XptDataset] | None


def _as_read(dataset: XptDataset, namestrs: np.ndarray, columns: list[_Column], rows: int, path: Path) -> tuple[pd.DataFrame, XptDataset]:
    """What :func:`~cdisc.io.xpt_reader.read_xpt` (``encoding="ascii"``) gives of the file written from ``columns``:
    text as written (right-trimmed, missing as ""), numbers as the IBM floats written stand for, the metadata decoded
    from the header records as the reader decodes them, and the rows a reader finds."""
    width = sum(c.length for c in columns)
    kept = _rows_read(columns, rows, width)
    frame = pd.DataFrame(
        {c.variable.name: _values_read(c, kept) for c in columns},
        index=pd.RangeIndex(kept), copy=False,
    )  # fmt: skip
    label = _fixed(_label_bytes(dataset.name, dataset.label, "ascii"), 40)
    read = XptDataset(_text(_fixed(dataset.name.encode(), 8), "ascii", path, "dataset name"),
                      _text(label, "ascii", path, "dataset label"), tuple(_variable_of(row, path, "ascii") for row in namestrs))
    return frame, read


def _values_read(column: _Column, rows: int) -> np.ndarray | ArrowStringArray | pd.Categorical:
    """The first ``rows`` values of a column as a reader gives them (text held once per distinct value stays so)."""
    if column.values is not None:
        return _numbers_read(column.values[:rows], column.length)
    if column.held is not None:
        codes, distinct = arrow_codes(pa.chunked_array([column.held.text]))  # (values the same once trimmed: one)
        return pd.Categorical.from_codes(codes[column.held.codes[:rows]], dtype=pd.CategoricalDtype(pd.Index(ArrowStringArray(distinct, dtype=TEXT))))
    return ArrowStringArray(pa.chunked_array([piece.text for piece in column.texts], pa.large_string())[:rows], dtype=TEXT)


def _rows_read(columns: list[_Column], rows: int, width: int) -> int:
    """The rows a reader finds of ``rows`` written: trailing rows entirely blank that start within the last 80-byte
    record are record padding to it (:func:`~cdisc.io.xpt_reader._padding_rows`)."""
    candidates = _padding_rows(rows, width)
    if not candidates:
        return rows
    tail = np.empty((len(candidates), width), np.uint8)
    _fill_block(tail, columns, candidates.start)
    written = np.flatnonzero(~(tail == BLANK).all(axis=1))
    return candidates.start + (int(written[-1]) + 1 if len(written) else 0)


def _numbers_read(values: np.ndarray, length: int) -> np.ndarray:
    """The numbers the IBM floats written of ``values`` (``length`` bytes each) stand for, as a reader decodes them:
    ``values`` themselves when they are those (every finite double in IBM's range is, at 8 bytes), else a copy with
    zero for -0.0 and numbers below IBM's minimum, and each missing value's NaN as read (:func:`from_ibm`).

    >>> _numbers_read(np.array([1.5, -0.0, np.nan]), 8).tolist()
    [1.5, 0.0, nan]
    """
    if length < 8:  # (the fraction cut to its first bytes)
        words = to_ibm(values).astype(np.uint64) & ~np.uint64((1 << 8 * (8 - length)) - 1)
        return from_ibm(words)
    bits = values.view(np.uint64)
    magnitude = bits & np.uint64(0x7FFF_FFFF_FFFF_FFFF)
    odd = np.flatnonzero((magnitude < _IBM_MIN_BITS) | (magnitude > _INFINITY_BITS))  # zeros, below IBM's minimum, NaN
    read = from_ibm(to_ibm(values[odd]).astype(np.uint64))
    if np.array_equal(read.view(np.uint64), bits[odd]):
        return values
    copy = values.copy()
    copy[odd] = read
    return copy


_IBM_MIN_BITS = np.array(IBM_MIN).view(np.uint64)
_INFINITY_BITS = np.array(np.inf).view(np.uint64)


def write_xpt(
    frame: pd.DataFrame,
    dataset: XptDataset,
    directory: Path,
    *,
    created: datetime | None = None,
    encoding: str | None = None,
    written: Callable[[WrittenXpt], None] | None = None,
) -> Path:
    """Write ``frame`` as ``directory/<name lower>.xpt`` (SAS XPORT v5) and return the path.

    Every rule is checked before anything is written; then the file is written to a temporary
    file in ``directory`` and renamed into place. ``encoding=None`` requires ASCII text; name
    another encoding (e.g. ``"cp1252"``) to allow other characters in values and labels.
    Raises an :class:`XptError` subclass naming the dataset, variable, rule and rows.
    ``written``, when given, is handed the file's :class:`WrittenXpt` once it is in place (its SHA-256 and what a
    reader gives of it, without reading it).
    """
    label_encoding = encoding or "ascii"
    _check_metadata(dataset, label_encoding)
    _check_columns(frame, dataset)
    columns = _prepare(frame, dataset, encoding)
    namestrs = _namestrs(dataset, columns, label_encoding)
    headers = _headers(dataset, namestrs, _sas_datetime(creation_time(created)), label_encoding)
    directory = Path(directory)
    target = directory / f"{dataset.name.lower()}.xpt"
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    os.close(descriptor)
    digest = None if written is None else hashlib.sha256()
    try:
        whole = _write_file(Path(temporary), headers, columns, len(frame), digest)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if written is not None and digest is not None:
        ascii_only = encoding is None or codecs.lookup(encoding).name == "ascii"
        read = _as_read(dataset, namestrs, columns, len(frame), target) if ascii_only and whole else None
        written(WrittenXpt(target, digest.hexdigest(), read))
    return target
