"""Raw EDC extracts: find the tables of a study and read them as text, with provenance.

Every raw value is read as text (nothing is guessed as a number or a date), a
blank cell is missing, and a literal ``NA`` stays text unless the study lists it
in ``na_values``. Each row carries where it came from: :data:`FILE` (the file
name) and :data:`ROW` (its line number in a CSV, the header being line 1; its
row number in a worksheet or dataset). A UTF-8 byte-order mark (Excel's "CSV
UTF-8" export) is dropped; a byte that is not text in the table's encoding is a
data error naming the file, rows and columns.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from cdisc.errors import CdiscError, DataError

FILE = "@file"
ROW = "@row"
PROVENANCE = (FILE, ROW)
SUFFIXES = (".csv", ".xlsx", ".sas7bdat", ".xpt")


@dataclass(frozen=True)
class RawTableFile:
    """A raw table: its name in specs, the file that holds it and how to read it."""

    name: str
    path: Path
    sheet: str | None = None
    encoding: str = "utf-8"
    na_values: tuple[str, ...] = ()


def discover_tables(
    folder: Path, declared: Mapping[str, Mapping[str, Any]] | None = None, *, encoding: str = "utf-8",
    na_values: Sequence[str] = (),
) -> dict[str, RawTableFile]:
    """Every supported file in ``folder`` as a table named by its lower-case stem, plus ``declared`` ones.

    ``declared`` maps a table name to its ``file`` (default: the file whose stem is the name) and optionally
    ``sheet``, ``encoding`` and ``na_values`` (missing ones take the study's ``encoding`` and ``na_values``).
    A file a declared table reads is that table only, not also a table under its own stem.
    """
    declared = declared or {}
    claimed = {str(options["file"]) for options in declared.values() if options.get("file")}
    tables: dict[str, RawTableFile] = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in SUFFIXES and path.is_file() and path.name not in claimed:
                tables[path.stem.lower()] = RawTableFile(path.stem.lower(), path, None, encoding, tuple(na_values))
    for name, options in declared.items():
        table_na = options.get("na_values")
        found = tables.get(name)
        path = folder / str(options["file"]) if options.get("file") else found.path if found else folder / f"{name}.csv"
        tables[name] = RawTableFile(
            name, path, options.get("sheet"), options.get("encoding") or encoding,
            tuple(na_values if table_na is None else table_na),
        )
    return tables


def _codec(encoding: str) -> str:
    """The codec to read with: UTF-8 drops a leading byte-order mark."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def read_columns(table: RawTableFile) -> list[str]:
    """The column names of a raw table, without reading its rows."""
    if table.path.suffix.lower() == ".csv":
        with table.path.open("rb") as handle:
            header = next(iter(handle.readline().splitlines()), b"")  # (a line may end in \r alone, as pandas reads it)
        try:
            return next(csv.reader([header.decode(_codec(table.encoding))]), [])
        except UnicodeDecodeError as exc:
            raise _undecodable(table, exc) from None
        except csv.Error as exc:
            raise DataError(f"{table.path}: cannot read the header of raw table '{table.name}': {exc}") from None
    return [c for c in read_table(table, nrows=0).columns if c not in PROVENANCE]


def read_table(table: RawTableFile, nrows: int | None = None) -> pd.DataFrame:
    """Read a raw table as text columns plus the provenance columns ``@file`` and ``@row``."""
    suffix = table.path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = _read_csv_arrow(table) if nrows is None else None
            if frame is None:
                frame = pd.read_csv(
                    table.path, dtype="str", keep_default_na=False, na_values=[""], encoding=_codec(table.encoding), nrows=nrows
                )
            first_row = 2
        elif suffix == ".xlsx":
            frame = _read_xlsx(table, nrows)
            first_row = 2
        elif suffix in (".sas7bdat", ".xpt"):
            import pyreadstat

            reader = pyreadstat.read_sas7bdat if suffix == ".sas7bdat" else pyreadstat.read_xport
            frame, _ = reader(str(table.path), row_limit=nrows or 0)
            frame = frame.astype("str").where(frame.notna())
            first_row = 1
        else:
            raise DataError(f"{table.path}: unsupported raw file type '{suffix}'; use one of {', '.join(SUFFIXES)}")
    except UnicodeDecodeError as exc:
        raise _undecodable(table, exc) from None
    except (OSError, pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{table.path}: cannot read raw table '{table.name}': {exc}") from None
    header = pd.Index(read_columns(table) if suffix == ".csv" else frame.columns)
    duplicated = header[header.duplicated()].tolist()
    if duplicated:
        raise DataError(f"{table.path}: column {duplicated[0]!r} appears more than once")
    frame = _missing(frame, table.na_values)
    frame[FILE] = table.path.name
    frame[ROW] = pd.RangeIndex(first_row, first_row + len(frame))
    return frame


def _read_csv_arrow(table: RawTableFile) -> pd.DataFrame | None:
    """A UTF-8 CSV file read by Arrow's multi-threaded reader into the frame ``pd.read_csv`` gives (every cell text,
    only a blank cell missing); None when pandas is to read it, which words what is wrong with it or reads it its own
    way: another encoding, a single column, a header naming a column twice or not at all, quotes, lone carriage
    returns, no rows, a row with another number of cells, bytes that are not UTF-8. Cells are read as Arrow's large
    strings, as pandas' ``str`` columns hold them (read as strings, each column was copied to convert it)."""
    if _codec(table.encoding) != "utf-8-sig":
        return None
    header = read_columns(table)
    if len(header) < 2 or len(set(header)) != len(header) or not all(name.strip() for name in header):
        return None  # (one column: pandas skips a line of blanks as empty, Arrow reads it as a value)
    content = table.path.read_bytes()
    if b'"' in content or (b"\r" in content and content.count(b"\r") != content.count(b"\r\n")):  # (a count reads it all)
        return None  # quotes, line breaks of old Macs: what the two readers may split otherwise
    try:
        read = pa_csv.read_csv(
            pa.BufferReader(content),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(header, pa.large_string()), null_values=[""],
                                                  strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, OSError):
        return None
    if read.num_rows == 0 or read.column_names != header:
        return None
    return read.to_pandas()


def _read_xlsx(table: RawTableFile, nrows: int | None) -> pd.DataFrame:
    try:
        import openpyxl  # noqa: F401  (pandas reads .xlsx through it)
    except ImportError:
        raise CdiscError(
            f"{table.path}: reading .xlsx raw files needs the openpyxl package, which cdisc installs with it; "
            "install it into this environment with: pip install openpyxl"
        ) from None
    return pd.read_excel(table.path, sheet_name=table.sheet or 0, dtype="str", keep_default_na=False, na_values=[""], nrows=nrows)


def _missing(frame: pd.DataFrame, na_values: Sequence[str]) -> pd.DataFrame:
    """Cells that hold one of ``na_values`` (surrounding spaces aside) as missing."""
    if not na_values:
        return frame
    return frame.apply(lambda column: column.mask(column.str.strip().isin(na_values)))


def _undecodable(table: RawTableFile, exc: UnicodeDecodeError) -> DataError:
    """Where bytes that are not text in the table's encoding are: rows and columns, with the fix."""
    byte = exc.object[exc.start:exc.end]
    text = table.path.read_bytes().decode(_codec(table.encoding), errors="replace")
    frame = pd.read_csv(io.StringIO(text), dtype="str", keep_default_na=False)
    hint = (
        f"declare the file's encoding in study.yaml (raw.tables.{table.name}.encoding, or raw.encoding for every table), "
        "e.g. cp1252 or latin-1, or export the file as UTF-8"
    )
    where = f"byte 0x{byte.hex().upper()} is not {table.encoding} text"
    bad_header = [c for c in frame.columns if "\ufffd" in c]
    if bad_header:
        return DataError(f"{table.path.name}: {where} in the header (column {bad_header[0]!r}); {hint}")
    hits = frame.apply(lambda column: column.str.contains("\ufffd", regex=False)).stack()
    hits = hits[hits]
    first = hits.index[:5]
    shown = ", ".join(f"row {r + 2} column {c} ({frame.at[r, c]!r})" for r, c in first)
    more = f" and {len(hits) - 5} more cell(s)" if len(hits) > 5 else ""
    return DataError(f"{table.path.name}: {where} at {shown}{more} (shown as \ufffd); {hint}")
