"""Read a dataset (SAS XPORT, CSV or parquet) with its attributes, and find the datasets below a folder.

XPT gives every attribute (label, type, length, format, order). Parquet gives
types and, where the writer stored them, labels. CSV gives names and order
only: its columns are text of unknown type, compared against the other side's
type; blank and R's ``NA`` are missing. An attribute a format cannot carry is
``None`` and never reported as a difference. Variable names are compared in
upper case (R writes ``usubjid``, SAS ``USUBJID``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cdisc.errors import DataError

if TYPE_CHECKING:
    from cdisc.xpt import XptDataset

#: Readable file types, best first: when a folder holds ``adsl.xpt`` and ``adsl.csv``, the XPT is used.
SUFFIXES = (".xpt", ".parquet", ".csv")
#: Sub-folders of a ``cdisc run`` output that hold by-products, not datasets (and staging folders, hidden).
SKIPPED_FOLDERS = ("lineage", "reports")
#: Text read as a missing value from CSV: blank, and R's ``NA``.
CSV_MISSING = ["", "NA"]


@dataclass(frozen=True)
class Variable:
    """One column's attributes; ``None`` where the file format does not record the attribute."""

    name: str
    label: str | None
    type: str | None  # "char" | "num" | None (untyped CSV text)
    length: int | None
    format: str | None


@dataclass(frozen=True)
class Table:
    """A dataset read from a file: its data, name, label and variables in file order."""

    name: str
    label: str | None
    path: Path
    frame: pd.DataFrame
    variables: tuple[Variable, ...]
    encoding: str = "ascii"

    def variable(self, name: str) -> Variable:
        return next(v for v in self.variables if v.name == name)

    def upper(self) -> Table:
        """The same dataset with upper-case variable names; two names differing only in case are an error."""
        names = [v.name.upper() for v in self.variables]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            raise DataError(f"{self.path}: variable names differ only in case: {', '.join(clashes)}")
        variables = tuple(replace(v, name=n) for v, n in zip(self.variables, names))
        return replace(self, frame=self.frame.rename(columns=str.upper), variables=variables)

    def without(self, names: set[str]) -> Table:
        """The same dataset without the variables in ``names``."""
        kept = tuple(v for v in self.variables if v.name not in names)
        return replace(self, frame=self.frame[[v.name for v in kept]], variables=kept)


def read_table(path: Path, encoding: str | None = None) -> Table:
    """Read one dataset file; XPT text is ASCII, retried as Windows-1252 when that fails, unless ``encoding`` is given."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if suffix == ".xpt":
        return _read_xpt(path, encoding)
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise DataError(f"{path}: cannot read '{suffix}' files; use .xpt, .csv or .parquet")


def dataset_files(folder: Path) -> dict[str, Path]:
    """Dataset files below a folder, searched recursively, keyed by lower-case relative path without suffix.

    ``adam/adsl`` for ``adam/ADSL.xpt``; XPT wins over parquet over CSV in the same
    folder. Hidden folders and a run's ``lineage/`` and ``reports/`` are skipped.
    """
    found: dict[str, Path] = {}
    for suffix in reversed(SUFFIXES):
        paths = [p for p in folder.rglob("*") if p.suffix.lower() == suffix and p.is_file()]
        for path in sorted(paths):
            parts = [part.lower() for part in path.relative_to(folder).parts]
            if any(part.startswith(".") or part in SKIPPED_FOLDERS for part in parts[:-1]):
                continue
            found["/".join([*parts[:-1], path.stem.lower()])] = path
    return dict(sorted(found.items()))


def _read_xpt(path: Path, encoding: str | None) -> Table:
    if encoding is not None:
        return _xpt_table(path, encoding)
    try:
        return _xpt_table(path, "ascii")
    except (UnicodeDecodeError, DataError, ValueError):
        return _xpt_table(path, "cp1252")


def _xpt_table(path: Path, encoding: str) -> Table:
    try:
        from cdisc.xpt import read_xpt
    except ImportError:
        return _xpt_table_pyreadstat(path, encoding)
    frame, meta = read_xpt(path, encoding=encoding)
    return xpt_table(path, frame, meta, encoding)


def xpt_table(path: Path, frame: pd.DataFrame, meta: XptDataset, encoding: str) -> Table:
    """The table of the XPT file at ``path``, of which :func:`cdisc.xpt.read_xpt` gives ``frame`` and ``meta``."""
    variables = tuple(Variable(v.name, v.label, v.type, v.length, v.format or "") for v in meta.variables)
    return Table(meta.name, meta.label, path, frame, variables, encoding)


def _xpt_table_pyreadstat(path: Path, encoding: str) -> Table:
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_xport(str(path), encoding=encoding, disable_datetime_conversion=True)
    except pyreadstat.ReadstatError as exc:
        if "convert" in str(exc).lower() or "encoding" in str(exc).lower():
            raise UnicodeDecodeError(encoding, b"", 0, 1, str(exc)) from None
        raise DataError(f"{path}: not a readable SAS XPORT file ({exc})") from None
    variables = tuple(
        Variable(
            name,
            meta.column_names_to_labels.get(name) or "",
            "char" if meta.readstat_variable_types[name] == "string" else "num",
            meta.variable_storage_width[name],
            meta.original_variable_types.get(name) or "",
        )
        for name in meta.column_names
    )
    return Table(meta.table_name or path.stem.upper(), meta.file_label or "", path, frame, variables, encoding)


def _read_csv(path: Path) -> Table:
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=CSV_MISSING)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read CSV ({exc})") from None
    variables = tuple(Variable(str(c), None, None, None, None) for c in frame.columns)
    return Table(path.stem.upper(), None, path, frame, variables, "utf-8")


def _read_parquet(path: Path) -> Table:
    import pyarrow.parquet as pq

    try:
        arrow = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read parquet ({exc})") from None
    frame = arrow.to_pandas()
    variables = tuple(
        Variable(
            field.name,
            (field.metadata or {}).get(b"label", b"").decode() or None,
            "num" if pd.api.types.is_numeric_dtype(frame[field.name]) else "char",
            None,
            None,
        )
        for field in arrow.schema
    )
    label = (arrow.schema.metadata or {}).get(b"label", b"").decode() or None
    return Table(path.stem.upper(), label, path, frame, variables, "utf-8")
