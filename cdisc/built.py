"""A dataset built from its spec, with what a run reports and writes beside it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cdisc.arrowtext import held_dictionary, is_large
from cdisc.errors import DataError
from cdisc.spec.adam import AdamDataset
from cdisc.spec.sdtm import SdtmDataset


@dataclass
class BuiltDataset:
    """A built dataset, the source rows behind each record, and what was left out and why."""

    spec: SdtmDataset | AdamDataset
    frame: pd.DataFrame
    lineage: pd.DataFrame
    excluded: pd.DataFrame
    supp: pd.DataFrame | None = None
    warnings: list[str | DataError] = field(default_factory=list)  # plain text, or data errors that name records
    reused: bool = False  # taken unchanged from the previous run's cache rather than built
    window_warnings: list[DataError] = field(default_factory=list)  # dates outside their visit's window: found by each run, never cached
    stored: Path | None = None  # the folder of its cache entry, when its records are left there (see :meth:`in_files`)
    reports: dict[str, bytes] | None = None  # the files of its spec's ``reports:`` by name, once rendered (kept in its cache entry)
    records_sha256: str | None = None  # of its records as its cache entry holds them, once stored (:mod:`cdisc.incremental`)
    records: int = field(init=False)  # counts kept when the frames are released (see :meth:`release`)
    supp_records: int | None = field(init=False)
    subjects: int | None = field(init=False)

    def __post_init__(self) -> None:
        self.records = len(self.frame)
        self.supp_records = None if self.supp is None else len(self.supp)
        self.subjects = int(self.frame["USUBJID"].nunique()) if "USUBJID" in self.frame else None

    @classmethod
    def in_files(cls, spec: SdtmDataset | AdamDataset, folder: Path, excluded: pd.DataFrame, warnings: list[str | DataError]) -> BuiltDataset:
        """A dataset whose records, SUPP-- records and lineage stay in its cache entry's parquet files in ``folder``
        (read when asked for, :meth:`read`): only its columns, counts, warnings and excluded rows are held."""
        stem = folder / spec.dataset.lower()
        files = {part: pq.ParquetFile(path) for part in ("frame", "lineage", "supp") if (path := Path(f"{stem}.{part}.parquet")).is_file()}
        parts = {part: file.schema_arrow.empty_table().to_pandas() for part, file in files.items()}
        built = cls(spec, parts["frame"], parts["lineage"], excluded, parts.get("supp"), warnings, stored=folder)  # (a cache entry always has both)
        built.records = files["frame"].metadata.num_rows
        built.supp_records = files["supp"].metadata.num_rows if "supp" in files else None
        if "USUBJID" in parts["frame"]:  # (as pandas' nunique counts: nulls are none; read as each file chunk's distinct values)
            subjects = pq.ParquetFile(f"{stem}.frame.parquet", read_dictionary=["USUBJID"]).read(columns=["USUBJID"]).column(0)
            distinct = pc.unique(subjects)
            built.subjects = len(distinct) - distinct.null_count
        return built

    def read(self, part: str = "frame", columns: Sequence[str] | None = None, held: bool = False) -> pd.DataFrame | None:
        """The records (``part`` "frame"), SUPP-- records ("supp", None without) or lineage ("lineage"): those held, or
        those of its cache entry (:meth:`in_files`), read anew at each call (with ``held``, a large file's repetitive
        text held once per distinct value: :func:`read_parquet_held`); only ``columns``, those it has, when given.

        >>> built = BuiltDataset(None, pd.DataFrame({"USUBJID": ["A"], "AETERM": ["X"]}), pd.DataFrame(), pd.DataFrame())
        >>> built.read("frame", ["AETERM", "AESTDTC"]).columns.tolist(), built.read("supp")
        (['AETERM'], None)
        """
        kept = getattr(self, part)
        if kept is None:
            return None
        chosen = None if columns is None else [c for c in columns if c in kept.columns]
        if self.stored is None:
            return kept if chosen is None else kept[chosen]
        path = self.stored / f"{self.spec.dataset.lower()}.{part}.parquet"
        return read_parquet_held(path, chosen) if held else pd.read_parquet(path, columns=chosen)

    def hold(self) -> None:
        """Read the records, SUPP-- records and lineage of a dataset :meth:`in_files` into memory."""
        if self.stored is not None:
            self.frame, self.lineage, self.supp = self.read("frame"), self.read("lineage"), self.read("supp")
            self.stored = None

    def release(self) -> None:
        """Let go of the records and their lineage once written and described; the counts above stay.

        >>> built = BuiltDataset(None, pd.DataFrame({"USUBJID": ["A", "A", "B"]}), pd.DataFrame(), pd.DataFrame())
        >>> built.release()
        >>> len(built.frame), built.records, built.subjects
        (0, 3, 2)
        """
        self.frame, self.lineage = _empty(self.frame), _empty(self.lineage)
        if self.supp is not None:
            self.supp = _empty(self.supp)

    @property
    def standard(self) -> str:
        """``adam`` or ``sdtm``: the output folder the dataset is written to."""
        return "adam" if isinstance(self.spec, AdamDataset) else "sdtm"


def read_parquet_held(path: Path, columns: Collection[str] | None = None) -> pd.DataFrame:
    """A parquet file's frame (only ``columns`` when given); when the file :func:`~cdisc.arrowtext.is_large`, its text that
    :func:`~cdisc.arrowtext.repeats` read as Arrow dictionaries and held once per distinct value
    (:func:`~cdisc.arrowtext.held_dictionary`): LB's text, read whole for ADLB, is ~190 MB at 10,000 subjects, its codes
    ~15 MB (and reading it so takes half the time)."""
    metadata = pq.read_metadata(path)
    if not is_large(metadata.num_rows):
        return pd.read_parquet(path, columns=None if columns is None else list(columns))
    schema = metadata.schema.to_arrow_schema()
    index = {name for name in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(name, str)}
    names = [name for name in schema.names if name not in index and (columns is None or name in columns)]
    text = [name for name in names if schema.field(name).type in (pa.string(), pa.large_string())]
    held: dict[str, pd.Series] = {}
    if text:
        read = pq.read_table(path, columns=text, read_dictionary=text)
        for name in text:
            values = held_dictionary(read.column(name))
            if values is not None:
                held[name] = values
        del read
    rest = pd.read_parquet(path, columns=[name for name in names if name not in held])
    if not held:
        return rest
    frame = pd.DataFrame({name: held[name] if name in held else rest[name] for name in names}, copy=False).set_axis(rest.index)
    frame.attrs = rest.attrs
    return frame


def _empty(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with ``frame``'s columns but no rows, sharing no memory with it (a zero-row slice would)."""
    return pd.DataFrame(columns=frame.columns)
