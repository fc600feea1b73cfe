"""Raw EDC extracts: find the tables of a study and read them as text, with provenance.

Every raw value is read as text (nothing is guessed as a number or a date), a
blank cell is missing, and a literal ``NA`` stays text. Each row carries where
it came from: :data:`FILE` (the file name) and :data:`ROW` (its line number in
a CSV, the header being line 1; its row number in a worksheet or dataset).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cdisc.errors import DataError

FILE = "@file"
ROW = "@row"
PROVENANCE = (FILE, ROW)
SUFFIXES = (".csv", ".xlsx", ".sas7bdat", ".xpt")


@dataclass(frozen=True)
class RawTableFile:
    """A raw table: its name in specs and the file that holds it."""

    name: str
    path: Path
    sheet: str | None = None
    encoding: str = "utf-8"


def discover_tables(folder: Path, declared: dict[str, tuple[str, str | None, str]] | None = None) -> dict[str, RawTableFile]:
    """Every supported file in ``folder`` as a table named by its lower-case stem, plus ``declared`` ones.

    ``declared`` maps a table name to (file name, sheet, encoding).
    """
    tables: dict[str, RawTableFile] = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in SUFFIXES and path.is_file():
                tables[path.stem.lower()] = RawTableFile(path.stem.lower(), path)
    for name, (file, sheet, encoding) in (declared or {}).items():
        tables[name] = RawTableFile(name, folder / file, sheet, encoding)
    return tables


def read_columns(table: RawTableFile) -> list[str]:
    """The column names of a raw table, without reading its rows."""
    suffix = table.path.suffix.lower()
    if suffix == ".csv":
        with table.path.open(newline="", encoding=table.encoding) as handle:
            return next(csv.reader(handle), [])
    return [c for c in read_table(table, nrows=0).columns if c not in PROVENANCE]


def read_table(table: RawTableFile, nrows: int | None = None) -> pd.DataFrame:
    """Read a raw table as text columns plus the provenance columns ``@file`` and ``@row``."""
    suffix = table.path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(
                table.path, dtype="str", keep_default_na=False, na_values=[""], encoding=table.encoding, nrows=nrows
            )
            first_row = 2
        elif suffix == ".xlsx":
            frame = pd.read_excel(table.path, sheet_name=table.sheet or 0, dtype="str", keep_default_na=False, na_values=[""], nrows=nrows)
            first_row = 2
        elif suffix in (".sas7bdat", ".xpt"):
            import pyreadstat

            reader = pyreadstat.read_sas7bdat if suffix == ".sas7bdat" else pyreadstat.read_xport
            frame, _ = reader(str(table.path), row_limit=nrows or 0)
            frame = frame.astype("str").where(frame.notna())
            first_row = 1
        else:
            raise DataError(f"{table.path}: unsupported raw file type '{suffix}'; use one of {', '.join(SUFFIXES)}")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{table.path}: cannot read raw table '{table.name}': {exc}") from None
    header = pd.Index(read_columns(table) if suffix == ".csv" else frame.columns)
    duplicated = header[header.duplicated()].tolist()
    if duplicated:
        raise DataError(f"{table.path}: column {duplicated[0]!r} appears more than once")
    frame[FILE] = table.path.name
    frame[ROW] = pd.RangeIndex(first_row, first_row + len(frame))
    return frame
