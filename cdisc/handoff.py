"""Built datasets passed between the processes that run a study's graph, as incremental-cache entries in a folder.

A worker process stores each dataset it builds as the cache entry the run writes anyway
(:func:`cdisc.incremental.cache_entry`); the datasets built after it read its records from there, and the
run's own process reads from there what each of its last steps needs (:meth:`cdisc.built.BuiltDataset.read`).
The cache round trip restores the frames exactly (types, index, ``attrs``), which is what makes a dataset taken
from the previous run's cache give the outputs of a rebuild, so the outputs do not depend on which process built
what. The worker also writes the dataset's own files and hashes them, and keeps each XPT file as validation reads it
(as the writer gives it, without reading the file back: :class:`cdisc.io.xpt_writer.WrittenXpt`), so that the run's
own process, which finishes alone, does neither.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import feather

from cdisc.arrowtext import TEXT, held_or_text, is_large, repeated_dictionary
from cdisc.built import BuiltDataset, read_parquet_held
from cdisc.compare.tables import Table, Variable, read_table, xpt_table
from cdisc.errors import DataError
from cdisc.incremental import cache_entry, load_built, warnings_json, warnings_of
from cdisc.io.xpt_writer import WrittenXpt
from cdisc.manifest import combined_hash, files_as_listed, folder_digest, json_object, sha256_file

__all__ = ["Handoff", "link_or_copy"]

#: How many values (records x columns) of the frames read from the handoff folder a process keeps, the first read first:
#: the datasets most others are made from (DM, SE, ADSL) are each read by a dozen tasks, ~3 ms a read.
KEPT_VALUES = 500_000
_kept: dict[tuple[Path, int, int], pd.DataFrame] = {}  # by file (path, modification time, size), in this process


@dataclass(frozen=True)
class Handoff:
    """Where a study's worker processes leave the datasets they build and the files made from each (``folder``), and
    where the datasets taken unchanged from the previous run are (``previous``, the output folder's cache).
    ``write`` writes a dataset's own files (XPT, lineage, reports ...) into a folder, handing each XPT file it writes to
    ``written`` (:class:`~cdisc.io.xpt_writer.WrittenXpt`), and gives the data errors found."""

    folder: Path
    previous: Path
    specs: Mapping  # as the run builds them (``cdisc.study.with_data_cutoff``)
    write: Callable[..., list[DataError]]  # (built, folder, written=...)
    describe: Callable[[BuiltDataset, Path], None] | None = None  # what define.xml asks of a dataset's records, answered into a folder
    settings: str = ""  # a hash of what ``write`` makes a dataset's files from besides its records (:meth:`_take_files`)

    def store(self, built: BuiltDataset, key: str) -> tuple[list[DataError], bool]:
        """Write a dataset built from inputs of hash ``key`` (:func:`cdisc.incremental.input_hash`): its files, each with
        its SHA-256 (for the run's manifest: hashed here while the file is fresh, beside the other builds, rather than read
        again at the end; an XPT file while it is written), keep each XPT file
        as validation reads it (:meth:`read_back`: as its writer gave it, else read back), and leave the dataset for the
        other processes with the SHA-256 of its records (:attr:`BuiltDataset.records_sha256`; one taken from the previous
        run is in its cache already, and its files, when still as that run wrote them, are linked from the output folder:
        :meth:`_take_files`); the data errors writing found, and whether the files were taken so."""
        files, stem = self.folder / "files" / built.spec.dataset, built.spec.dataset.lower()
        made_from = combined_hash({"dataset": key, "@settings": self.settings})  # (what its files are made from)
        taken = self._take_files(stem, made_from, files) if built.reused else None
        errors: list[DataError] = []
        digests = taken
        if digests is None:
            built.hold()
            hashed: dict[Path, str] = {}
            errors = self.write(built, files, written=partial(self._written, files, hashed))
            digests = {p.relative_to(files).as_posix(): hashed.get(p) or sha256_file(p) for p in sorted(files.rglob("*")) if p.is_file()}
        files.with_name(f"{built.spec.dataset}.sha256.json").write_text(json.dumps(digests), encoding="utf-8")
        if not errors:
            (self.folder / f"{stem}.files.json").write_text(json.dumps({"key": made_from, "sha256": digests}), encoding="utf-8")
        xpts = [name for name in digests if name.endswith(".xpt")] if taken is None else []  # (a taken file: see read_back)
        for name in xpts:
            kept = self.folder / "read" / name
            if errors:  # (as none would be read back)
                for path in (kept.with_suffix(".json"), kept.with_suffix(".arrow")):
                    path.unlink(missing_ok=True)
                continue
            if kept.with_suffix(".json").is_file():
                continue
            try:
                _keep_table(read_table(files / name), kept)
            except DataError:
                pass  # validation reads it again, and says why it cannot
        if not built.reused:
            built.records_sha256 = cache_entry(built, key).write(self.folder)
        if self.describe is not None and not errors:
            self._describe(built, key)
        return errors, taken is not None

    def _written(self, files: Path, hashed: dict[Path, str], xpt: WrittenXpt) -> None:
        """An XPT file written into ``files``: its SHA-256 into ``hashed``, and the table validation reads of it kept
        (:meth:`read_back`) when its writer gave what a reader gives of it (:func:`xpt_table`, bit for bit the same)."""
        hashed[xpt.path] = xpt.sha256
        if xpt.read is not None:
            _keep_table(xpt_table(xpt.path, *xpt.read, "ascii"), self.folder / "read" / xpt.path.relative_to(files).as_posix())

    def _take_files(self, stem: str, key: str, files: Path) -> dict[str, str] | None:
        """The files the previous run wrote of a dataset taken from it, linked into ``files`` (:func:`link_or_copy`), by path
        in the output folder with their SHA-256, when the run made them from the same records and settings (``key``) and each is there as it
        was written (its SHA-256 as listed); else None: they are written again. (Without a fixed creation time the key
        holds no time: the files keep the time they were made, as their records do.)"""
        listed = _listed(self.previous / f"{stem}.files.json", key)
        sources = files_as_listed(self.previous.parent, listed) if listed else None
        if not listed or not sources:
            return None
        for name, path in sources.items():
            (files / name).parent.mkdir(parents=True, exist_ok=True)
            link_or_copy(path, files / name)
        return dict(listed)

    def _describe(self, built: BuiltDataset, key: str) -> None:
        """What define.xml asks of a dataset's records, into :attr:`summaries`: for one taken from the previous run, the
        answers its cache entry kept (the same records and specs: the same input hash); else worked out, and kept for its
        cache entry (:meth:`move_cache_entry`)."""
        name = built.spec.dataset
        answers = self.summaries / f"{name}.json"
        taken = self._taken(name, "define", key) if built.reused else None
        self.summaries.mkdir(parents=True, exist_ok=True)
        if taken is not None:
            shutil.copyfile(taken["define.json"], answers)
            return
        assert self.describe is not None
        built.hold()
        self.describe(built, self.summaries)
        self._keep(name, "define", key, {"define.json": answers})

    def check(self, check: Callable[[Handoff, str], Collection[str]], name: str, keys: Mapping[str, str]) -> None:
        """Validation's per-dataset rules on the files of dataset ``name`` (``check``, which leaves its results in
        ``checks/`` and gives the names of the datasets its rules reached), kept for its cache entry
        (:meth:`move_cache_entry`) with those names; when its files and those of the datasets its rules reached in the
        previous run are made from what they were made from then (``keys`` by name, of it and the pinned datasets:
        :func:`~cdisc.incremental.files_key`), checked against the same standards, the results the previous run kept:
        the rules would read what they read then."""
        from cdisc.checks.standards import locate_standards  # (the checks import the package's readers, which import this module)

        standards = folder_digest(locate_standards(None))

        def key(reached: Collection[str]) -> str:
            return combined_hash({n: keys[n] for n in sorted({name, *reached} & set(keys))} | {"@standards": standards})

        checks = self.folder / "checks"
        found = {f"checks.{suffix}": checks / f"{name}.{suffix}" for suffix in ("json", "arrow")}
        before = _reached_before(self.previous / f"{name.lower()}.checks.kept")
        taken = None if before is None else self._taken(name, "checks", key(before))
        if before is None or taken is None:
            reached = sorted(check(self, name))
        else:
            reached = before
            checks.mkdir(exist_ok=True)
            for part, path in taken.items():
                shutil.copyfile(path, found[part])
        if found["checks.json"].is_file():  # (kept again: a dataset built again has a new cache entry)
            self._keep(name, "checks", key(reached), {part: path for part, path in found.items() if path.is_file()}, {"reached": reached})

    #: The files a cache entry may keep of what was worked out of its dataset, by kind.
    _KEPT_PARTS = {"define": {"define.json"}, "checks": {"checks.json", "checks.arrow"}, "windows": {"windows.json"}}

    def _keep(self, name: str, kind: str, key: str, files: Mapping[str, Path], more: Mapping[str, Any] = {}) -> None:  # noqa: B006 (read only)
        """Copies of ``files`` (by part: ``define.json`` ...) for dataset ``name``'s cache entry, with the key they hold
        for and their SHA-256 (``<stem>.<kind>.kept``, with ``more``), so that a damaged copy is never taken (:meth:`_taken`)."""
        stem = name.lower()
        for part, path in files.items():
            shutil.copyfile(path, self.folder / f"{stem}.{part}")
        record = {"key": key, "sha256": {part: sha256_file(path) for part, path in files.items()}, **more}
        (self.folder / f"{stem}.{kind}.kept").write_text(json.dumps(record), encoding="utf-8")

    def _taken(self, name: str, kind: str, key: str) -> dict[str, Path] | None:
        """The files the previous run's cache entry kept of dataset ``name`` (:meth:`_keep`) when they hold for ``key``
        and are whole (their SHA-256 as kept); else None: they are worked out again."""
        stem = name.lower()
        digests = _listed(self.previous / f"{stem}.{kind}.kept", key)
        if not digests or not set(digests) <= self._KEPT_PARTS[kind]:
            return None
        whole = files_as_listed(self.previous, {f"{stem}.{part}": digest for part, digest in digests.items()})
        return {part: self.previous / f"{stem}.{part}" for part in digests} if whole is not None else None

    def read(self, name: str, part: str, columns: Sequence[str]) -> pd.DataFrame:
        """Of dataset ``name`` as its task left it (built here, or taken from the previous run), the ``columns`` it
        has of its records (``part`` "frame") or lineage ("lineage")."""
        path = (self.folder if self._built_here(name) else self.previous) / f"{name.lower()}.{part}.parquet"
        return pd.read_parquet(path, columns=[c for c in columns if c in pq.read_schema(path).names])

    def read_shared(self, name: str, part: str, columns: Sequence[str]) -> pd.DataFrame:
        """:meth:`read` of a dataset many tasks read (DM ...): its records kept in this process once read, within
        :data:`KEPT_VALUES`."""
        path = (self.folder if self._built_here(name) else self.previous) / f"{name.lower()}.{part}.parquet"
        return _read_kept(path, columns)

    def _built_here(self, name: str) -> bool:
        """Whether dataset ``name`` was built in this run (its cache entry is here), not taken from the previous run."""
        return (self.folder / f"{name.lower()}.json").is_file()

    def keep_warnings(self, name: str, find: Callable[[], list[DataError]], keys: Mapping[str, str]) -> None:
        """Dataset ``name``'s dates outside their visit's window, found by its check task (``find``, which reads DM), for
        :meth:`kept_warnings` and its cache entry; when it and DM hold what they held in the previous run (``keys`` by name,
        :func:`~cdisc.incremental.files_key`), the warnings the previous run's cache entry kept."""
        found, key = self.folder / "warnings" / f"{name}.json", combined_hash({n: keys[n] for n in {name, "DM"} & set(keys)})
        found.parent.mkdir(exist_ok=True)
        taken = self._taken(name, "windows", key)
        if taken is not None:
            shutil.copyfile(taken["windows.json"], found)
        else:
            found.write_text(json.dumps(warnings_json(find())), encoding="utf-8")
        self._keep(name, "windows", key, {"windows.json": found})

    def kept_warnings(self, name: str) -> list[DataError] | None:
        """The warnings :meth:`keep_warnings` kept for dataset ``name``; None when its check task kept none."""
        path = self.folder / "warnings" / f"{name}.json"
        if not path.is_file():
            return None
        return [w for w in warnings_of(json.loads(path.read_text(encoding="utf-8"))) if isinstance(w, DataError)]

    @property
    def summaries(self) -> Path:
        """Where :attr:`describe` leaves what define.xml asks of each dataset's records."""
        return self.folder / "define"

    def built(self, name: str, reused: bool, key: str) -> BuiltDataset:
        """A dataset as the process that built it from inputs of hash ``key`` (or took it from the previous run) left it:
        its records, SUPP-- records and lineage left in the files, read when asked for (:meth:`BuiltDataset.read`)."""
        found = load_built(self.specs[name], key, self.previous if reused else self.folder, held=False)
        if found is None:
            raise FileNotFoundError(f"{name}: not in {self.folder}")  # our bug: every stored dataset is written before its task ends
        found.reused = reused
        return found

    def frames(self, name: str, reused: bool, columns: frozenset[str] | None = None, held: bool = False) -> dict[str, pd.DataFrame]:
        """The records (and SUPP-- records) of a dataset, for the datasets built from it; only the ``columns`` it has
        of those named, when named (:func:`cdisc.upstream.columns_read`); with ``held`` (for an ADaM build, which reads
        such text as text: :meth:`cdisc.rules.records.Records.column`) a large dataset's repetitive text held once per
        distinct value (:func:`_read_held`)."""
        stem, folder = name.lower(), self.previous if reused else self.folder
        path = folder / f"{stem}.frame.parquet"
        own = {name: _read_held(path, columns) if held else _read_kept(path, columns)}
        supp = folder / f"{stem}.supp.parquet"
        return own | ({f"SUPP{name}": _read_kept(supp)} if supp.is_file() else {})

    def move_cache_entry(self, name: str, cache: Path) -> None:
        """The cache files a worker process wrote for a dataset, into the staging folder's cache (read back already): a
        dataset built in this run's whole entry, or what was worked out anew for one taken from the previous run (over
        the files copied from there)."""
        cache.mkdir(parents=True, exist_ok=True)
        for path in self.folder.glob(f"{name.lower()}.*"):
            os.replace(path, cache / path.name)

    def read_back(self, name: str, path: Path, anew: bool = False) -> Table | None:
        """The dataset file ``name`` (its path in the output folder, e.g. ``sdtm/ae.xpt``) as :func:`read_table` reads it,
        kept by the worker process that wrote it, now at ``path``; None when it was not kept there. With ``anew`` one not
        kept (a file taken from the previous run) is read now and kept; None when it cannot be read."""
        kept = self.folder / "read" / name
        if kept.with_suffix(".json").is_file():
            return _kept_table(kept, path)
        if not anew:
            return None
        try:
            table = read_table(path)
        except DataError:
            return None  # (the run's own process reads it again, and says why it cannot)
        _keep_table(table, kept)
        return table

    def move_files(self, staging: Path) -> dict[str, str]:
        """Every dataset's own files, into the run's staging folder (the same file system: nothing is copied); their
        SHA-256 by path in the staging folder."""
        digests: dict[str, str] = {}
        for listed in sorted((self.folder / "files").glob("*.sha256.json")):
            files = listed.with_name(listed.name.removesuffix(".sha256.json"))
            for name, digest in json.loads(listed.read_text(encoding="utf-8")).items():
                destination = staging / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.replace(files / name, destination)
                digests[name] = digest
        return digests



def link_or_copy(source: Path, destination: Path) -> None:
    """``destination`` as a second name of the file ``source`` (a hard link: nothing is copied; at 10,000 subjects the
    files of the datasets a rerun takes from the previous run are ~3 GB), else, where the file system has no such links,
    a copy. A file linked so is never written in place: it is moved (``os.replace``) or removed.

    >>> import tempfile; folder = Path(tempfile.mkdtemp()); _ = (folder / "a").write_text("x")
    >>> link_or_copy(folder / "a", folder / "b"); (folder / "b").read_text()
    'x'
    """
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)


def _read_kept(path: Path, columns: Collection[str] | None = None) -> pd.DataFrame:
    """The records of a parquet file of the handoff folder (the ``columns`` it has of those named, in its order): read
    once and kept (:data:`KEPT_VALUES`), then given as a new frame each time (copy on write: what a task changes in it is
    its own)."""
    stat = path.stat()
    key = (path, stat.st_mtime_ns, stat.st_size)  # (a file written again at the same path is read again)
    frame = _kept.get(key)
    if frame is None:
        metadata = pq.read_metadata(path)
        if metadata.num_rows * metadata.num_columns + sum(f.size for f in _kept.values()) > KEPT_VALUES:
            names = pq.read_schema(path).names
            return pd.read_parquet(path, columns=None if columns is None else [c for c in names if c in columns])
        frame = _kept[key] = pd.read_parquet(path)
    return frame.copy(deep=False) if columns is None else frame[[c for c in frame.columns if c in columns]]


def _read_held(path: Path, columns: Collection[str] | None = None) -> pd.DataFrame:
    """:func:`_read_kept`, but of a file that :func:`~cdisc.arrowtext.is_large`, its repetitive text held once per
    distinct value (:func:`~cdisc.built.read_parquet_held`)."""
    if not is_large(pq.read_metadata(path).num_rows):
        return _read_kept(path, columns)
    return read_parquet_held(path, columns)


def _listed(path: Path, key: str) -> dict | None:
    """The SHA-256s by name a kept record (``{"key": ..., "sha256": {name: digest}}``, :meth:`Handoff._keep`, the
    ``<stem>.files.json`` of :meth:`Handoff.store`) at ``path`` lists, when it holds for ``key``; else None."""
    record = json_object(path)
    listed = record.get("sha256") if record.get("key") == key else None
    return listed if isinstance(listed, dict) else None


def _reached_before(path: Path) -> list[str] | None:
    """The names of the datasets the rules reached that a kept record of validation's findings (:meth:`Handoff.check`)
    at ``path`` lists; None without one."""
    reached = json_object(path).get("reached")
    return reached if isinstance(reached, list) and all(isinstance(n, str) for n in reached) else None


def _keep_table(table: Table, path: Path) -> None:
    """A dataset file as read, at ``path`` (Arrow IPC, numbers with their bits: NaN payloads are SAS's special missing
    values) and its attributes beside it (JSON)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = table.frame
    columns = {name: _kept_column(frame[name]) for name in frame.columns}
    # one record batch: read back, numbers are views of the mapped file and text one chunk, neither copied (split_blocks)
    _put(path.with_suffix(".arrow"), lambda to: feather.write_feather(pa.table(columns), to, compression="uncompressed", chunksize=max(1, len(frame))))
    attributes = {"name": table.name, "label": table.label, "encoding": table.encoding, "variables": [asdict(v) for v in table.variables]}
    _put(path.with_suffix(".json"), lambda to: to.write_text(json.dumps(attributes), encoding="utf-8"))  # (last: read_back looks for it)


def _kept_column(values: pd.Series) -> pa.Array:
    """A column of a dataset file as :func:`_keep_table` keeps it: numbers with their bits; a large dataset's repetitive
    text (:func:`~cdisc.arrowtext.is_large`, :func:`~cdisc.arrowtext.repeats`) as an Arrow dictionary, which its check
    task reads held once per distinct value (LB's text at 10,000 subjects: ~400 MB, its codes ~120 MB)."""
    if values.dtype == np.float64:
        return pa.array(values.to_numpy(), from_pandas=False)
    encoded = repeated_dictionary(values) if is_large(len(values)) and values.dtype == TEXT else None
    return encoded if encoded is not None else pa.array(values)


def _put(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` as a file of this process's own beside it, then renamed into place: another process sees the
    whole file or none. Two check tasks may keep the same file at once (a pinned dataset, DM, taken from the previous
    run: each reads it anew); written in place, one read the other's half-written attributes."""
    own = path.with_name(f".{path.name}.{os.getpid()}")
    write(own)
    os.replace(own, path)


def _kept_table(path: Path, source: Path) -> Table:
    """The dataset file read from ``source`` as :func:`_keep_table` kept it at ``path``."""
    attributes = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    table = feather.read_table(path.with_suffix(".arrow"), memory_map=True)
    encoded = [column.name for column in table.schema if pa.types.is_dictionary(column.type)]  # text kept as dictionaries
    frame = table.drop_columns(encoded).to_pandas(split_blocks=True)  # (values stay in the file's pages)
    if encoded:
        read = {name: held_or_text(table.column(name)) for name in encoded}
        frame = pd.DataFrame({name: read[name] if name in read else frame[name] for name in table.column_names}, copy=False)
    variables = tuple(Variable(**v) for v in attributes["variables"])
    return Table(attributes["name"], attributes["label"], source, frame, variables, attributes["encoding"])
