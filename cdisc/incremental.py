"""Incremental reruns: a dataset whose inputs did not change since the run in the output folder is
taken from that run instead of being built again.

A dataset's *input hash* covers everything its build reads. Its own inputs (:func:`own_input_hashes`): its spec
file; the files every dataset reads (study.yaml, the codelists file, the CT files, any other non-YAML file of the study
folder such as lookup tables, the input datasets); the raw tables its spec names (``table:`` anywhere in it, and, for
each DM reference date it takes, the tables study.yaml reads that date from); the cdisc version. And the records of the
datasets it is built from, as their cache entries hold them (:func:`input_hash`): a change reaches every dataset
downstream of it as far as it changes records, so a dataset built again with the records it had (a label or a comment
edited, a raw value no later dataset reads) leaves the datasets built from it as they were.

Each run stores every built dataset (records, lineage, exclusions, SUPP--, warnings) with its input hash and the
SHA-256 of its records in ``.cdisc-cache/`` of the output folder, written with the other outputs (all-or-nothing).
Parquet keeps the column types and the index (a RangeIndex as its range), so what is built from a reused dataset is
what a full rebuild builds. The files are read whole, so they are written without column statistics, LZ4-compressed
(faster to write than the default Snappy, and smaller), in row groups of :data:`HELD_ROWS` rows: the same records give
the same bytes whether their text was held once per distinct value or not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cdisc import __version__
from cdisc.errors import DataError
from cdisc.manifest import combined_hash, dependency_versions, folder_digest, sha256_file, shared_spec_files, spec_files
from cdisc.spec.load import Study
from cdisc.spec.models import RefDateName
from cdisc.spec.sdtm import SdtmDataset

if TYPE_CHECKING:  # cdisc.built imports the rule registry, which imports the engines
    from cdisc.built import BuiltDataset

__all__ = ["CACHE", "CacheEntry", "cache_entry", "files_key", "input_hash", "load_built", "own_input_hashes", "raw_tables_read", "tables_named",
           "warnings_json", "warnings_of"]

CACHE = ".cdisc-cache"
_PARTS = ("frame", "lineage", "excluded", "supp")
_READ_PARTS = ("frame", "supp")  # what the datasets built from a dataset read of it (:meth:`cdisc.handoff.Handoff.frames`)


def tables_named(data: Any) -> set[str]:
    """Every ``table:`` value anywhere in a spec document's data.

    >>> sorted(tables_named({"source": {"table": "ae", "merge": [{"table": "ex", "by": ["A"]}]}, "x": [1, "table"]}))
    ['ae', 'ex']
    """
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "table" and isinstance(value, str):
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


def raw_tables_read(study: Study, name: str) -> set[str]:
    """The raw tables dataset ``name``'s task reads: those its spec names, and the sources (study.yaml
    ``reference_dates``) of each DM reference date its variables take (rule ``reference_date``)."""
    tables = tables_named(study.datasets[name].doc.data)
    for date in reference_dates_used(study.datasets[name].spec):
        tables |= {source.table for source in study.spec.reference_dates[date].sources}
    return tables & study.raw_tables.keys()


def reference_dates_used(spec: Any) -> set[RefDateName]:
    """The reference dates (names in study.yaml ``reference_dates``) an SDTM dataset spec's variables, SUPP-- qualifiers
    and parts' variables take by the rule ``reference_date``. An ADaM step's parameter of that name (a date variable,
    e.g. ``derive_param_bor``'s ``reference_date: TRTSDT``) is not the rule."""
    if not isinstance(spec, SdtmDataset):
        return set()
    rules = [*spec.variables, *spec.supp, *(r for part in spec.parts for r in part.variables.values() if r is not None)]
    return {params for name, params in (r.rule for r in rules) if name == "reference_date"}


def own_input_hashes(study: Study, settings: Mapping[str, str] = {}, outputs: Path | None = None,  # noqa: B006 (read only)
                         digests: Mapping[Path, str] = {}) -> dict[str, str]:  # noqa: B006
    """The hash of every dataset's own inputs (see the module's docstring), in build order: all but the datasets it is
    built from (:func:`input_hash` adds their records); ``settings`` are run options a build reads (the data cutoff).
    The run's output folder ``outputs`` (and the query list a failed run writes beside it) is no input, nor are raw
    tables and input datasets lying in the study folder shared ones (each is hashed for the datasets that read it).
    ``digests``: the SHA-256 of files hashed already, by path."""

    def digest(path: Path) -> str:
        return digests.get(path) or sha256_file(path)

    shared_files = dict(shared_spec_files(study))
    own = {p.resolve() for p in spec_files(study).values()} | {p.resolve() for p in shared_files.values()}
    own |= {table.path.resolve() for table in study.raw_tables.values()} | {p.resolve() for p in study.input_files.values() if p is not None}
    written = None if outputs is None else outputs.resolve()
    if written is not None:
        own |= {written.with_name(f"{written.name}.queries.{suffix}") for suffix in ("csv", "json")}

    def is_shared(path: Path) -> bool:
        resolved = path.resolve()
        return path.suffix.lower() not in (".yaml", ".yml", ".md") and resolved not in own and not (written and resolved.is_relative_to(written))

    shared_files |= {f"folder/{p.relative_to(study.folder).as_posix()}": p for p in sorted(study.folder.rglob("*")) if p.is_file() and is_shared(p)}
    shared_files |= {f"inputs/{p.name}": p for p in study.input_files.values() if p is not None}
    code = {"cdisc": __version__, "cdisc files": folder_digest(Path(__file__).parent)}  # (a change of code makes all again)
    versions = {name: version or "" for name, version in dependency_versions().items()}
    shared = combined_hash({name: digest(path) for name, path in shared_files.items()} | code | versions | dict(settings))
    raw = {name: digest(table.path) for name, table in study.raw_tables.items()}
    files = spec_files(study)
    return {name: combined_hash({"@shared": shared, "@spec": digest(files[name])} | {f"raw/{t}": raw[t] for t in sorted(raw_tables_read(study, name))})
            for name in study.datasets}


def input_hash(own: str, records: Mapping[str, str]) -> str:
    """A dataset's input hash: the hash of its own inputs (:func:`own_input_hashes`) and, by name, the SHA-256 of the
    records of each dataset it is built from (:meth:`CacheEntry.write`).

    >>> input_hash("own", {"DM": "a", "AE": "b"}) == input_hash("own", {"AE": "b", "DM": "a"}) != input_hash("own", {"DM": "a", "AE": "c"})
    True
    """
    return combined_hash({"@own": own} | {f"dataset/{name}": digest for name, digest in sorted(records.items())})


def files_key(own: str, records: str) -> str:
    """What a dataset's files are made from: its own inputs (:func:`own_input_hashes`) and its records (their SHA-256),
    the same for a dataset built again with the records it had. Validation's findings of a dataset are kept by the keys
    of its files and of those its rules read (:meth:`cdisc.handoff.Handoff.check`)."""
    return combined_hash({"@own": own, "@records": records})


@dataclass(frozen=True)
class CacheEntry:
    """A built dataset as its cache files hold it: its parts as Arrow tables (sharing the frames' memory), and its input
    hash and warnings for the JSON header. Writing it touches no pandas object, so it can run beside other work."""

    stem: str
    tables: dict[str, pa.Table]
    header: dict[str, Any]
    reports: Mapping[str, bytes] = field(default_factory=dict)

    def write(self, folder: Path) -> str:
        """The entry's files in ``folder`` (the cache of a staging folder); the SHA-256 of its records, also in its header
        (:func:`_records_sha256`)."""
        folder.mkdir(parents=True, exist_ok=True)
        digests = {}
        for part, table in self.tables.items():
            path = folder / f"{self.stem}.{part}.parquet"
            _write_parquet(table, path)
            if part in _READ_PARTS:
                digests[part] = sha256_file(path)
        for name, content in self.reports.items():
            (folder / f"{self.stem}.report.{name}").write_bytes(content)
        records = _records_sha256(digests)
        (folder / f"{self.stem}.json").write_text(json.dumps(self.header | {"records_sha256": records}, indent=1) + "\n", encoding="utf-8")
        return records

    def records_sha256(self) -> str:
        """What :meth:`write` gives, without writing: its parquet files made in memory."""
        digests = {}
        for part in _READ_PARTS:
            if part in self.tables:
                sink = pa.BufferOutputStream()
                _write_parquet(self.tables[part], sink)
                digests[part] = hashlib.sha256(sink.getvalue()).hexdigest()
        return _records_sha256(digests)


def _records_sha256(digests: Mapping[str, str]) -> str:
    """One SHA-256 of a dataset's records and SUPP-- records (what the datasets built from it read) from the SHA-256 of
    their parquet files by part (``frame``, ``supp``)."""
    return combined_hash(dict(digests))


#: Rows of a row group of a cache file: text held once per distinct value is written as text a row group at a time (~130
#: MB of ADLB's text), and the same records give the same file whether their text was held or not.
HELD_ROWS = 1 << 18


def _write_parquet(table: pa.Table, where: Path | pa.NativeFile) -> None:
    """``table`` as a parquet file; its columns of text held once per distinct value (Arrow dictionaries, from
    categoricals of text: :func:`cdisc.arrowtext.text_per_record`) written as text, :data:`HELD_ROWS` rows at a time,
    so that the text of every record is never made at once. The file reads back as the frame of the text, and is the
    file of the frame of the text, byte for byte."""
    held = [p for p, column in enumerate(table.schema) if pa.types.is_dictionary(column.type) and column.type.value_type == pa.large_string()]
    if not held:
        pq.write_table(table, where, compression="lz4", write_statistics=False, row_group_size=HELD_ROWS)
        return
    schema = _as_text(table.schema, held)
    with pq.ParquetWriter(where, schema, compression="lz4", write_statistics=False) as writer:
        for start in range(0, table.num_rows, HELD_ROWS):
            rows = table.slice(start, HELD_ROWS)
            for position in held:
                rows = rows.set_column(position, schema.field(position), rows.column(position).cast(pa.large_string()))
            writer.write_table(rows.replace_schema_metadata(schema.metadata))


def _as_text(schema: pa.Schema, held: list[int]) -> pa.Schema:
    """``schema`` with the dictionary columns at positions ``held`` as the text pandas writes of ``str`` columns."""
    text = json.loads(pa.Table.from_pandas(pd.DataFrame({"": pd.Series([], dtype="str")})).schema.metadata[b"pandas"])["columns"][0]
    metadata = dict(schema.metadata)
    pandas = json.loads(metadata[b"pandas"])
    names = {schema.field(position).name for position in held}
    pandas["columns"] = [{**column, **{k: text[k] for k in ("pandas_type", "numpy_type", "metadata")}} if column["field_name"] in names else column
                         for column in pandas["columns"]]
    metadata[b"pandas"] = json.dumps(pandas).encode()
    for position in held:
        schema = schema.set(position, schema.field(position).with_type(pa.large_string()))
    return schema.with_metadata(metadata)


def cache_entry(built: BuiltDataset, input_hash: str) -> CacheEntry:
    """What the cache keeps of a built dataset; each frame handed to Arrow as ``DataFrame.to_parquet(index=None)``
    hands it (a RangeIndex kept as its range, ``attrs`` as metadata), so the files are the ones it writes."""
    tables = {}
    for part in _PARTS:
        frame = getattr(built, part)
        if frame is not None:
            table = pa.Table.from_pandas(frame)
            if frame.attrs:
                table = table.replace_schema_metadata({**table.schema.metadata, "PANDAS_ATTRS": json.dumps(frame.attrs)})
            tables[part] = table
    reports = None if built.reports is None else {name: hashlib.sha256(content).hexdigest() for name, content in sorted(built.reports.items())}
    header = {"input_hash": input_hash, "warnings": warnings_json(built.warnings)} | ({} if reports is None else {"reports": reports})
    return CacheEntry(built.spec.dataset.lower(), tables, header, built.reports or {})


def warnings_json(warnings: Sequence[str | DataError]) -> list[dict]:
    """Warnings as JSON values: their text, and for a data error what it says of where it is (:func:`warnings_of`)."""
    return [
        {"message": str(w)} if not isinstance(w, DataError) else {
            "message": str(w), "dataset": w.dataset, "variable": w.variable, "files": list(w.files),
            "raw_rows": [int(r) for r in w.raw_rows], "subjects": list(w.subjects), "values": [str(v) for v in w.values],
        }
        for w in warnings
    ]


def warnings_of(values: list[dict]) -> list[str | DataError]:
    """The warnings :func:`warnings_json` gave as JSON values.

    >>> warnings_of(warnings_json(["text", DataError("late", dataset="AE", raw_rows=[4])]))[1].raw_rows
    (4,)
    """
    return [w["message"] if "dataset" not in w else DataError(w["message"], **{k: v for k, v in w.items() if k != "message"}) for w in values]


def load_built(spec, input_hash: str, folder: Path, held: bool = True) -> BuiltDataset | None:
    """The dataset the run in ``folder``'s cache built from the same inputs, or None (also when its entry cannot be read:
    damaged or edited, it is rebuilt); with ``held`` False its records, SUPP-- records and lineage stay in the files
    (:meth:`cdisc.built.BuiltDataset.in_files`)."""
    try:
        return _read_entry(spec, input_hash, folder, held)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):  # (Arrow's errors are OSError or ValueError)
        return None


def _read_entry(spec, input_hash: str, folder: Path, held: bool) -> BuiltDataset | None:
    from cdisc.built import BuiltDataset
    stem = spec.dataset.lower()
    stored = json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))
    if stored.get("input_hash") != input_hash or not isinstance(stored.get("records_sha256"), str):
        return None
    if not all((folder / f"{stem}.{part}.parquet").is_file() for part in _PARTS if part != "supp"):
        return None
    warnings = warnings_of(stored.get("warnings", []))
    if not held:
        built = BuiltDataset.in_files(spec, folder, pd.read_parquet(folder / f"{stem}.excluded.parquet"), warnings)
    else:
        parts = {part: pd.read_parquet(path) if (path := folder / f"{stem}.{part}.parquet").is_file() else None for part in _PARTS}
        built = BuiltDataset(spec, parts["frame"], parts["lineage"], parts["excluded"], parts["supp"], warnings)
    built.reports = _kept_reports(folder, stem, stored.get("reports"))
    built.records_sha256 = stored["records_sha256"]
    return built


def _kept_reports(folder: Path, stem: str, listed: Any) -> dict[str, bytes] | None:
    """The report files a cache entry kept (rendered when its dataset was built), when each is whole (its SHA-256 as
    listed); else None: they are rendered again."""
    if not isinstance(listed, dict) or not all(isinstance(name, str) and "/" not in name and "\\" not in name for name in listed):
        return None
    paths = {name: folder / f"{stem}.report.{name}" for name in listed}
    if not all(path.is_file() for path in paths.values()):
        return None
    reports = {name: path.read_bytes() for name, path in paths.items()}
    return reports if all(hashlib.sha256(content).hexdigest() == listed[name] for name, content in reports.items()) else None
