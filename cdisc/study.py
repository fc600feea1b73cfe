"""Run a study: load and check its specs, build every dataset in dependency order, write outputs
(XPT, define.xml and its HTML view per standard, lineage, exclusions and reconciliation reports).

Outputs are all-or-nothing: every dataset is built and every file written into
a staging folder first; only when all succeeded are the files moved into the
output folder. A failure leaves the previous outputs as they were.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from rich.console import Console

from cdisc import __version__
from cdisc.adam.engine import build_adam_dataset
from cdisc.arrowtext import plain_columns
from cdisc.built import BuiltDataset
from cdisc.changes import (
    Changes,
    DatasetChanges,
    Identity,
    PreviousRun,
    Snapshot,
    Snapshots,
    changes_json,
    changes_text,
    derive_changes,
    holds_run,
    read_run,
    record_identity,
    summary_frame,
    unchanged_dataset,
    with_qualifiers,
)
from cdisc.checks import validate
from cdisc.checks.ahead import check_in_worker, checked_in_workers, make_named_terms
from cdisc.checks.standards import load_standards, locate_standards
from cdisc.collect import located
from cdisc.compare.tables import Table, read_table
from cdisc.datasetjson_files import FORMATS, write_dataset_json_files
from cdisc.definexml import ColumnLoader, DefineDataset, Frame, write_define
from cdisc.definexml.summaries import read_summaries, save_summaries
from cdisc.errors import CdiscError, DataError, DataErrors, SpecError, UsageError
from cdisc.graph import RAW_READ, Outcome, check_keys, checked_scheduler, dataset_graph, default_scheduler, execute, is_cluster
from cdisc.handoff import Handoff, link_or_copy
from cdisc.incremental import CACHE, CacheEntry, cache_entry, load_built, own_input_hashes, raw_tables_read
from cdisc.io.csv_writer import write_csv
from cdisc.io.xpt_writer import WrittenXpt
from cdisc.listing import render_listing
from cdisc.manifest import combined_hash, dependency_versions, files_as_listed, inside, json_object, read_manifest, sha256_files, study_inputs
from cdisc.memory import release_memory, release_memory_grown
from cdisc.portfolio import ConvertedStudy, StudyJob, run_on_cluster
from cdisc.queries import queries_json, query_frame
from cdisc.raw import FILE, ROW
from cdisc.reports.datasets import dataset_reports
from cdisc.reports.run_report import RunReport, run_report_html
from cdisc.rules.common.todo import still_to_write
from cdisc.sdtm.columns import column_usage, columns_summary
from cdisc.sdtm.engine import build_dataset
from cdisc.sdtm.reconcile import reconcile
from cdisc.sdtm.visit_window import visit_window_warnings
from cdisc.spec.adam import AdamDataset
from cdisc.spec.check import dependencies
from cdisc.spec.expr import parse_expression
from cdisc.spec.load import Study, display_path, load_study
from cdisc.spec.models import NUMERIC_TYPES, SUPP_COLUMNS
from cdisc.spec.sdtm import SdtmDataset
from cdisc.uptodate import converted_run, run_key
from cdisc.xpt import XptDataset, XptError, XptVariable, write_xpt


@dataclass
class RunResult:
    """What a run built and wrote, for the summary users read."""

    study: Study
    out_dir: Path
    built: list[BuiltDataset] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    reconciliation: pd.DataFrame | None = None
    columns: pd.DataFrame | None = None
    created: dt.datetime = field(kw_only=True)  # the run's creation time (XPT headers, define.xml, run.json)
    data_cutoff: dt.date | None = None
    changes: Changes | None = None
    findings: pd.DataFrame | None = None  # validation of the written outputs (run-report.html)
    formats: tuple[str, ...] = ("xpt",)  # dataset files written side by side
    input_hashes: dict[str, str] = field(default_factory=dict)  # per dataset built (incremental reruns: :func:`cdisc.incremental.input_hash`)
    output_hashes: dict[str, str] = field(default_factory=dict)  # SHA-256 of the files worker processes wrote, by path in the output folder
    reused: list[str] = field(default_factory=list)  # datasets taken from the previous run: their inputs did not change
    inputs: dict[str, str] = field(default_factory=dict)  # SHA-256 of every input file, by name in the manifest (hashed when the run starts)
    key: str = ""  # one hash of what the outputs are made from (:func:`cdisc.uptodate.run_key`)
    up_to_date: dict[str, Any] | None = None  # the manifest of the run left in the output folder, when it is the run asked for

    @property
    def warnings(self) -> list[str | DataError]:
        """Every dataset's warnings (values set to missing, dates outside their visit window ...)."""
        return [w for one in self.built for w in (*one.warnings, *one.window_warnings)]

    def summary_lines(self) -> list[str]:
        if self.up_to_date is not None:
            return [f"Study {self.study.spec.study.id}: nothing to convert, {display_path(self.out_dir)} is up to date: its "
                    f"{len(self.study.datasets)} dataset(s), converted {self.up_to_date.get('created')}, were made from "
                    "the same specs, raw data, terminology and cdisc version, and no output file was changed since (--force converts again)"]
        lines = [f"Study {self.study.spec.study.id}: {len(self.built)} dataset(s) written to {display_path(self.out_dir)}"]
        cutoff = f", data cutoff {self.data_cutoff.isoformat()}" if self.data_cutoff else ""
        lines.append(f"Converted {self.created.isoformat(timespec='seconds')}{cutoff}")
        if self.reused:
            lines.append(f"{len(self.reused)} dataset(s) taken from the previous run, their inputs unchanged (--force rebuilds them): {', '.join(self.reused)}")
        for result in self.built:
            excluded = f", {len(result.excluded)} source row(s) excluded with a reason" if len(result.excluded) else ""
            supp = f", SUPP{result.spec.dataset} {result.supp_records} record(s)" if result.supp is not None else ""
            lines.append(f"  {result.spec.dataset:<8} {result.records:>7} record(s){supp}{excluded}")
        if self.study.spec_warnings:
            lines.append(f"{len(self.study.spec_warnings)} spec line(s) differ from the IG (kept as stated):")
            lines += [f"  {w}" for w in self.study.spec_warnings]
        if self.reconciliation is not None:
            totals = self.reconciliation[["rows", "excluded", "not_converted"]].sum()
            lines.append(
                f"Reconciliation: {totals['rows']} raw row(s) in {len(self.reconciliation)} table(s), all accounted for "
                f"({totals['excluded']} excluded with a reason, {totals['not_converted']} in tables not converted); "
                "see reports/reconciliation.csv"
            )
        if self.columns is not None and len(self.columns):
            lines.append(columns_summary(self.columns))
        if self.changes is not None:
            counts = summary_frame(self.changes)[["added", "removed", "changed", "renumbered"]].sum()
            lines.append(
                f"Changes since {self.changes.previous}: {len(self.changes.new_subjects)} new subject(s), "
                f"{counts['added']} record(s) added, {counts['removed']} removed, {counts['changed']} changed, "
                f"{counts['renumbered']} renumbered; see reports/changes.txt"
            )
        if self.warnings:
            lines.append(f"{len(self.warnings)} warning(s), also listed in reports/queries.csv:")
            lines += [f"  {w}" for w in self.warnings]
        return lines


def xpt_metadata(spec: SdtmDataset | AdamDataset) -> XptDataset:
    """XPT attributes of a dataset, straight from its spec."""
    variables = tuple(
        XptVariable(v.name, v.label, "num" if v.type in NUMERIC_TYPES else "char", v.length, v.format or "")
        for v in spec.variables
        if not getattr(v, "temporary", False)
    )
    return XptDataset(spec.dataset, spec.label, variables)


def supp_metadata(spec: SdtmDataset) -> XptDataset:
    """XPT attributes of the SUPP-- dataset of a domain."""
    variables = tuple(XptVariable(name, label, "char") for name, label, _ in SUPP_COLUMNS)
    return XptDataset(f"SUPP{spec.dataset}", f"Supplemental Qualifiers for {spec.dataset}", variables)


@dataclass(frozen=True)
class RunOptions:
    """How a run is dated and what it is compared with.

    The creation time stamped into XPT headers, define.xml and ``reports/run.json`` is
    ``created`` when given, else ``output.created`` of study.yaml when ``reproducible``
    (byte-identical outputs for identical inputs), else the current time (UTC, whole seconds).
    ``data_cutoff`` is stored in the run, readable in expressions as ``DCUTDTC`` and given to TS
    as its DCUTDTC parameter. The change report compares with the run in ``compare_to``, else with
    the run already in the output folder, if any.
    """

    created: dt.datetime | None = None
    reproducible: bool = True
    data_cutoff: dt.date | None = None
    compare_to: Path | None = None
    formats: tuple[str, ...] | None = None  # dataset files besides XPT (json, ndjson); None: output.formats of study.yaml
    force: bool = False  # rebuild every dataset, even those whose inputs did not change since the run in the output folder
    # processes (forked workers), sync (this process), threads, tcp://HOST:PORT (a dask.distributed cluster);
    # None: processes where this machine can run them (cdisc.graph.default_scheduler), else sync
    scheduler: str | None = None
    keep_records: bool = True  # False: each dataset's records are let go once written, before validation reads the files (counts stay)
    skip_up_to_date: bool = False  # leave the output folder as it is when its run is the run asked for (:mod:`cdisc.uptodate`)


def creation_time(options: RunOptions, declared: dt.datetime, now: dt.datetime) -> dt.datetime:
    """``--created``, else study.yaml's ``output.created`` when reproducible, else ``now``.

    >>> at = dt.datetime(2026, 1, 20, 9, 0)
    >>> now = dt.datetime(2026, 3, 2, 8, 30, 15)
    >>> [creation_time(o, at, now).isoformat() for o in (RunOptions(), RunOptions(reproducible=False),
    ...  RunOptions(created=dt.datetime(2026, 2, 1), reproducible=False))]
    ['2026-01-20T09:00:00', '2026-03-02T08:30:15', '2026-02-01T00:00:00']
    """
    if options.created is not None:
        return options.created
    return declared if options.reproducible else now.replace(microsecond=0)


def run_study(
    folder: Path, out_dir: Path | None = None, progress: Console | None = None, options: RunOptions | None = None,
    raw: Path | None = None,
) -> RunResult | ConvertedStudy:
    """Build every dataset of the study in ``folder`` and write its outputs to ``out_dir``.

    Every data error of every dataset that can be built is collected (datasets that need a
    failed one are skipped and listed); then, if there were any, the query list is written beside
    the output folder (:func:`failed_queries_paths`; nothing is written into it) and the error raised.
    ``raw`` converts the raw extract in that folder instead of the one study.yaml names. With a
    cluster's address as ``options.scheduler`` a worker converts the study (:mod:`cdisc.portfolio`).
    """
    options = options or RunOptions()
    scheduler = checked_scheduler(options.scheduler)
    if scheduler is not None and is_cluster(scheduler):
        (converted,) = run_on_cluster(scheduler, [StudyJob.of(folder, out_dir, raw)], options, progress)
        if isinstance(converted, CdiscError):
            raise converted
        return converted
    run = prepare_run(folder, out_dir, options, raw)
    if run.result.up_to_date is not None:
        return _left_as_is(run)
    gc.freeze()  # the loaded study lives as long as the run: full collections skip it, and worker processes forked from this one leave its pages shared
    ahead = _Ahead(run) if run.handoff is not None else None
    try:
        done = _each(_reporter(progress, len(run.keys)), _raw_read(run), ahead.done if ahead is not None else None)
        outcomes = execute(run.graph, [*run.keys, *check_keys(run.graph)], run.scheduler, done,
                           run.work, first=run.keys)[: len(run.keys)]
        return finish_run(run, outcomes, ahead)
    finally:
        if ahead is not None:
            ahead.close()
        run.discard_handoff()
        gc.unfreeze()


#: How long (seconds) a thread of the run's own process holds the GIL while another waits for it, while :class:`_Ahead`
#: works: the threads handing tasks to the worker processes and taking their results wait at most this long, not
#: Python's 5 ms (at 60 subjects the workers waited ~20 ms more between tasks).
SWITCH_INTERVAL = 0.0005


class _Ahead:
    """The run's tail work that needs the datasets but not the check tasks, done by a thread of this process while the
    worker processes build and check (with worker processes only): each dataset read back from the handoff folder as
    its task ends; once the last dataset task has run (none failed), the raw rows reconciled and define.xml written
    (into the handoff folder), while the workers run the check tasks (started after every dataset task:
    :func:`cdisc.graph.execute`'s ``first``). :func:`finish_run` takes its results (or the errors raised making them)
    where it would have made them."""

    def __init__(self, run: PreparedRun):
        self.run, self.waiting, self.failed = run, set(run.keys), False
        self.pool = ThreadPoolExecutor(max_workers=1)  # (in order: each step reads what the ones before made)
        self.switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.read: dict[tuple, Future[BuiltDataset | None]] = {}
        self.reconciled: Future[tuple[pd.DataFrame, pd.DataFrame]] | None = None
        self.defines: Future[Path | None] | None = None

    def done(self, key: tuple, outcome: Outcome) -> None:
        """A task's callback: read a dataset back once its task has run; once every dataset is built, start on the tail."""
        if key not in self.waiting:
            return
        self.waiting.discard(key)
        self.failed |= outcome.failed or bool(outcome.errors)
        if not outcome.failed:
            self.read[key] = self.pool.submit(self.run.built, outcome)
        if not self.waiting and not self.failed:
            self.reconciled = self.pool.submit(self._reconcile)
            self.defines = self.pool.submit(self._write_defines)

    def built(self) -> list[BuiltDataset]:
        """The datasets the tasks built, in the order of the run's keys, as read back (every task has run)."""
        read = (self.read[key].result() for key in self.run.keys if key in self.read)
        return [one for one in read if one is not None]

    def _reconcile(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The raw rows reconciled and the raw columns' use, once the memory the datasets' reading back freed is handed
        back to the system when it is much (:func:`~cdisc.memory.release_memory_grown`; the check tasks run beside this
        process meanwhile)."""
        release_memory_grown()
        return reconcile(self.run.study, self.built()), column_usage(self.run.study)

    def _write_defines(self) -> Path | None:
        """define.xml of each standard into the handoff folder (``defines/<standard>``); nothing when reconciling failed
        (the run fails before its outputs are written)."""
        assert self.run.handoff is not None and self.reconciled is not None
        if self.reconciled.exception() is not None:
            return None
        folder = self.run.handoff.folder / "defines"
        _write_defines(self.run.study, self.built(), folder, release=False, summaries=self.run.handoff.summaries)
        release_memory_grown()  # what reconciling and define.xml read, handed back while the check tasks run beside this process
        return folder

    def close(self) -> None:
        """Wait for the thread's work (before the handoff folder is removed)."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        sys.setswitchinterval(self.switch)


def run_portfolio(
    folders: list[Path], out_root: Path | None = None, progress: Console | None = None, options: RunOptions | None = None,
) -> list[tuple[Path, RunResult | ConvertedStudy | CdiscError]]:
    """Convert several studies as one task graph; each study's outputs stay all-or-nothing.

    Each study is written to ``out_root/<study folder name>``, or to its own ``output.folder`` without
    ``out_root``. A study whose specs are refused, or whose data has errors, gives its error in place of
    its result (its query list written beside its output folder); the other studies are converted.
    With a cluster's address as ``options.scheduler`` each study is a task converting it on a worker.
    """
    options = options or RunOptions()
    scheduler = checked_scheduler(options.scheduler)
    if scheduler is not None and is_cluster(scheduler):
        jobs = [StudyJob.of(folder, None if out_root is None else out_root / folder.resolve().name) for folder in folders]
        return list(zip(folders, run_on_cluster(scheduler, jobs, options, progress)))
    runs: list[tuple[Path, PreparedRun | CdiscError]] = []
    for folder in folders:
        try:
            runs.append((folder, prepare_run(folder, None if out_root is None else out_root / folder.resolve().name, options, prefix=str(folder))))
        except CdiscError as exc:
            runs.append((folder, exc))
    prepared = [run for _, run in runs if isinstance(run, PreparedRun)]
    graph = {key: task for run in prepared for key, task in run.graph.items()}
    keys = [key for run in prepared for key in [*run.keys, *check_keys(run.graph)]]
    gc.freeze()  # (as in run_study)
    try:
        work = {key: rows for run in prepared for key, rows in run.work.items()}
        done = _each(_reporter(progress, sum(len(run.keys) for run in prepared)), *map(_raw_read, prepared))
        outcomes = dict(zip(keys, execute(graph, keys, _scheduler(options), done, work)))
        results: list[tuple[Path, RunResult | ConvertedStudy | CdiscError]] = []
        for folder, run in runs:
            if isinstance(run, CdiscError):
                results.append((folder, run))
                continue
            if run.result.up_to_date is not None:
                results.append((folder, _left_as_is(run)))
                continue
            try:
                results.append((folder, finish_run(run, [outcomes[key] for key in run.keys])))
            except CdiscError as exc:
                results.append((folder, exc))
        return results
    finally:
        for run in prepared:
            run.discard_handoff()
        gc.unfreeze()


def _left_as_is(run: PreparedRun) -> RunResult:
    """The result of a run whose output folder holds the run asked for: nothing written but the removal of a failed
    run's query list beside it (the inputs are back to those of the run in the folder)."""
    for stale in failed_queries_paths(run.target):
        stale.unlink(missing_ok=True)
    return run.result


@dataclass
class PreparedRun:
    """A loaded study, its run settings and the task graph of its datasets (keys in build order)."""

    study: Study
    result: RunResult
    target: Path
    identities: dict[str, Identity]
    previous: PreviousRun | None
    graph: dict
    keys: list
    keep_records: bool = True  # see RunOptions
    scheduler: str = "sync"  # where the graph runs (see RunOptions)
    handoff: Handoff | None = None  # where worker processes leave the datasets they build (with the ``processes`` scheduler)
    work: dict = field(default_factory=dict)  # an estimate of each task's work by key (:func:`work_estimates`), to start long chains first

    def built(self, outcome: Outcome) -> BuiltDataset | None:
        """The dataset a task built: in this process, or read back from the worker process that built it (once the graph
        has run, so that this process does not hold the datasets while the workers build)."""
        if outcome.failed or outcome.built is not None:
            return outcome.built
        assert self.handoff is not None  # (a task run in a worker process stores what it built)
        return self.handoff.built(outcome.name, outcome.reused, outcome.key)

    def discard_handoff(self) -> None:
        """Remove the handoff folder, once the outputs are written (or the run failed)."""
        if self.handoff is not None:
            shutil.rmtree(self.handoff.folder, ignore_errors=True)


def _scheduler(options: RunOptions) -> str:
    return options.scheduler or default_scheduler()


def prepare_run(folder: Path, out_dir: Path | None, options: RunOptions, raw: Path | None = None, prefix: str = "") -> PreparedRun:
    """Load and check the study's specs, settle the run's time, cutoff, formats and output folder, and make its graph."""
    study = load_study(folder, raw)
    pending = still_to_write(study)
    if pending:
        raise SpecError(pending)
    created = creation_time(options, study.spec.output.created, dt.datetime.now(dt.UTC).replace(tzinfo=None))
    study.spec = study.spec.model_copy(update={"output": study.spec.output.model_copy(update={"created": created})})
    study.data_cutoff = options.data_cutoff or study.spec.data_cutoff
    target = out_dir if out_dir is not None else study.resolve(study.spec.output.folder)
    for folder in (target, *target.parents):  # refused before anything is built: the outputs could not be written there
        if folder.exists():
            if not folder.is_dir():
                raise UsageError(f"{display_path(target)}: cannot be the output folder, {display_path(folder)} is a file")
            break
    formats = tuple(f for f in FORMATS if f in (options.formats or study.spec.output.formats) or f == "xpt")
    result = RunResult(study, target, created=created, data_cutoff=study.data_cutoff, formats=formats)
    identities = {name: record_identity(dataset.spec) for name, dataset in study.datasets.items()}
    previous = _previous_run(options.compare_to, target, identities)
    study.previous_run = previous  # for rules that keep what the previous transfer said (seq: {stable: true})
    frames = {name: study.input_frame(name) for name in study.input_files}
    inputs = study_inputs(study)
    digests = sha256_files(list(inputs.values()))  # (each input hashed once, for the manifest and the datasets' input hashes)
    own_hashes = own_input_hashes(study, {"data_cutoff": str(study.data_cutoff)}, target, digests)
    standards = locate_standards(None)  # (validation's: a folder that is none is refused before anything is built)
    result.inputs = {name: digests[path] for name, path in sorted(inputs.items())}
    stamped = created if options.created is not None or options.reproducible else None  # (None: the current time, no input)
    result.key = run_key(own_hashes, result.inputs, formats, stamped, standards, options.compare_to)
    if options.skip_up_to_date and not options.force and options.compare_to is None:
        result.up_to_date = converted_run(target, result.key)
        if result.up_to_date is not None:
            return PreparedRun(study, result, target, {}, None, {}, [])
    built_specs = {name: with_data_cutoff(dataset.spec, study.data_cutoff) for name, dataset in study.datasets.items()}

    def build(name: str, key: str, frames: Callable[[], dict[str, pd.DataFrame]]) -> BuiltDataset:
        spec = built_specs[name]
        reused = None if options.force else load_built(spec, key, target / CACHE, held=handoff is None)
        if reused is not None:
            reused.reused = True
            return reused
        available = frames()
        if isinstance(spec, AdamDataset):  # (in a worker process the frames read are the task's own: let go of them)
            return build_adam_dataset(study, spec, available, release=handoff is not None)
        return build_dataset(study, spec, available, hold=handoff is not None)

    scheduler = _scheduler(options)
    handoff = None
    if scheduler == "processes":
        for table in study.raw_tables:  # read once here, shared with the worker processes forked from this one
            study.raw_frame(table)
        make_named_terms(study)  # (likewise)
        load_standards(standards)  # (likewise)
        import_module("pyarrow.dataset")  # (likewise: pandas' parquet reader imports it when first reading, in each process)
        target.parent.mkdir(parents=True, exist_ok=True)  # (the handoff folder is its sibling, so that files move into place)
        handoff = Handoff(Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent)), target / CACHE, built_specs,
                          partial(write_dataset_files, created=created, formats=formats, study_id=study.spec.study.id),
                          partial(save_summaries, study), combined_hash({"created": stamped.isoformat() if stamped else "now", "formats": ",".join(formats),
                                                                         "study": study.spec.study.id}))
    key = prefix or study.spec.study.id
    graph = dataset_graph(key, built_specs, build, frames, own_hashes, handoff, partial(_check, study), study.release_frames)
    work = {} if handoff is None else work_estimates(study, built_specs, key)
    return PreparedRun(study, result, target, identities, previous, graph, [(key, name) for name in built_specs], options.keep_records,
                       scheduler, handoff, work)


def work_estimates(study: Study, specs: Mapping, prefix: str) -> dict:
    """The rows each dataset task is expected to work through, by graph key: those of the raw tables its spec reads
    (once per test a raw row holds where a wide page is pivoted to one record per test) and of the datasets it is made
    from (estimated alike: its source, those appended, and those its record steps make records of, as RELREC's of
    ADPC); a dataset's check task a third of its own (the raw tables are read already: worker
    processes share them)."""
    rows: dict[str, int] = {}
    for name, spec in specs.items():  # (in build order: what a dataset is made from comes before it)
        raw = sum(len(study.raw_frame(t)) for t in sorted(raw_tables_read(study, name)))
        raw *= max(1, sum(test.when is None for test in getattr(spec, "tests", [])))
        source = getattr(spec.source, "dataset", None)
        appended = [part.dataset for part in getattr(spec.source, "append", [])]
        stepped = [dataset for dataset, path in dependencies(spec).items() if "steps" in path]  # (records made from them)
        rows[name] = raw + sum(rows.get(d, 0) for d in dict.fromkeys([source, *appended, *stepped]) if d is not None)
    return {(prefix, name): n for name, n in rows.items()} | {(prefix, f"check {name}"): n // 3 for name, n in rows.items()}


def _check(study: Study, handoff: Handoff, name: str, keys: Mapping[str, str]) -> None:
    """A check task: validation's per-dataset rules on a dataset's files (or what its cache entry kept of them), and
    its dates outside their visit's window (DM, which they need, is built before every check task); ``keys``: what the
    files of the dataset and of those its task waited for are made from (:func:`~cdisc.incremental.files_key`)."""
    handoff.check(partial(check_in_worker, study), name, keys)
    if study.spec.visits and isinstance(handoff.specs[name], SdtmDataset):
        def find() -> list[DataError]:
            dm = handoff.read_shared("DM", "frame", ["USUBJID", "RFSTDTC"]) if "DM" in handoff.specs else None
            return _window_warnings(name, partial(handoff.read, name), study.spec.visits, dm)

        handoff.keep_warnings(name, find, keys)


def finish_run(run: PreparedRun, outcomes: list[Outcome], ahead: _Ahead | None = None) -> RunResult:
    """Reconcile, compare and write a study's outputs from its datasets' outcomes (all or nothing); what ``ahead``
    made of them while the check tasks ran is taken from it."""
    study, result, target = run.study, run.result, run.target
    errors: list[DataError] = [e for outcome in outcomes for e in outcome.errors]
    skipped = {outcome.name: outcome.needs for outcome in outcomes if outcome.needs}
    result.built = ahead.built() if ahead is not None else [built for built in map(run.built, outcomes) if built is not None]
    result.reused = [one.spec.dataset for one in result.built if one.reused]
    result.input_hashes = {outcome.name: outcome.key for outcome in outcomes if not outcome.failed}
    for outcome in outcomes:  # the frames each task read were for the tasks after it: all have run
        outcome.frames = {}
    run.graph.clear()
    _find_window_warnings(study, result.built, run.handoff)
    try:
        if not errors:
            result.reconciliation, result.columns = (ahead.reconciled.result() if ahead is not None and ahead.reconciled is not None
                                                     else (reconcile(study, result.built), column_usage(study)))
    except DataError as exc:
        errors.append(exc)
    if run.previous is not None and not errors:
        result.changes = changes_since(run.previous, result, run.identities, target, [o.name for o in outcomes if o.files_taken])
    result.files = _write_outputs(study, result, target, errors, run.keep_records, run.handoff, ahead.defines if ahead is not None else None)
    if errors:
        found = DataErrors(errors, skipped)
        failure = found.errors[0] if len(found.errors) == 1 and not skipped else found
        failure.epilogue = _write_failed_queries(found, result, target)
        raise failure from None
    if result.files:
        for stale in failed_queries_paths(target):
            stale.unlink(missing_ok=True)
    return result


def _find_window_warnings(study: Study, built: list[BuiltDataset], handoff: Handoff | None) -> None:
    """Each SDTM dataset's dates outside their visit's window: those its check task found, else found here."""
    sdtm = [one for one in built if one.standard == "sdtm"] if study.spec.visits else []
    kept = {one.spec.dataset: handoff.kept_warnings(one.spec.dataset) if handoff is not None else None for one in sdtm}
    dm = next((d.read("frame", ["USUBJID", "RFSTDTC"]) for d in built if d.spec.dataset == "DM"), None) if None in kept.values() else None
    for one in sdtm:
        found = kept[one.spec.dataset]
        one.window_warnings = found if found is not None else _window_warnings(one.spec.dataset, one.read, study.spec.visits, dm)


def _window_warnings(name: str, read: Callable, visits: list, dm: pd.DataFrame | None) -> list[DataError]:
    """Dataset ``name``'s dates outside their visit's window (:func:`visit_window_warnings`), from the columns it
    needs: ``read(part, columns)`` gives those it has of its records ("frame") or lineage ("lineage")."""
    frame = read("frame", [f"{name}DTC", f"{name}STDTC", "VISITNUM", "USUBJID"])
    lineage = read("lineage", [FILE, ROW])
    assert frame is not None and lineage is not None
    return visit_window_warnings(name, frame, lineage, visits, dm)


def _each(*calls: Callable[[tuple, Outcome], None] | None) -> Callable[[tuple, Outcome], None]:
    """One callback calling each of ``calls`` (those not None) in turn."""
    def call(key: tuple, outcome: Outcome) -> None:
        for one in calls:
            if one is not None:
                one(key, outcome)
    return call


def _raw_read(run: PreparedRun) -> Callable[[tuple, Outcome], None] | None:
    """With worker processes, a callback that, once every dataset task of ``run`` that reads raw tables has run
    (:func:`~cdisc.incremental.raw_tables_read`), keeps of the raw tables only what this process reads of them afterwards
    (:func:`_raw_columns_kept`) and tells the worker processes to let go of theirs (:data:`cdisc.graph.RAW_READ`): at
    10,000 subjects the raw tables take about 1 GB, held by every process until then. Datasets made of others only
    (RELREC, built last of all from PC, PP, TU and TR) do not hold them up."""
    if run.handoff is None:
        return None
    handoff, waiting = run.handoff, {key for key in run.keys if raw_tables_read(run.study, key[1])}

    def done(key: tuple, outcome: Outcome) -> None:
        if key in waiting:
            waiting.discard(key)
            if not waiting:
                run.study.narrow_raw_frames(_raw_columns_kept(run.study))
                (handoff.folder / RAW_READ).touch()
                release_memory()
    return done


def _raw_columns_kept(study: Study) -> dict[str, set[str]]:
    """The columns of each raw table this process reads once the datasets are built: the raw row numbers (reconciliation),
    the reference dates' columns (the rows they use) and the columns of the subjects' USUBJID (excluded rows' subjects)."""
    subjects = parse_expression(study.spec.subjects.usubjid).names if study.spec.subjects is not None else frozenset()
    kept = {table: {FILE, ROW, *subjects} for table in study.raw_tables}
    for rule in study.spec.reference_dates.values():
        for ref in rule.sources:
            kept[ref.table] |= {ref.date, *(parse_expression(ref.where).names if ref.where else ())}
    return kept


def _reporter(progress: Console | None, total: int):
    """A line per dataset as its task finishes (``[n/total] NAME: records``), or None without a console."""
    if progress is None:
        return None
    done = [0]

    def report(key: tuple[str, str], outcome: Outcome) -> None:
        done[0] += 1
        what = (f"{outcome.records} record(s)" if not outcome.failed
                else f"not built, needs {', '.join(outcome.needs)}" if outcome.needs else f"{len(outcome.errors)} data error(s)")
        progress.print(f"[{done[0]}/{total}] {outcome.name}: {what}", markup=False)

    return report


def failed_queries_paths(target: Path) -> tuple[Path, Path]:
    """Where a failed run writes its query list: beside the output folder (``out.queries.csv``, ``.json``).

    The output folder itself stays all-or-nothing: a failed run changes nothing in it. A
    successful run lists its warnings in ``reports/queries.csv`` and removes these files.
    """
    return target.with_name(f"{target.name}.queries.csv"), target.with_name(f"{target.name}.queries.json")


def _previous_run(compare_to: Path | None, target: Path, identities: dict[str, Identity]) -> PreviousRun | None:
    """The run to compare with (read before anything is written): ``compare_to``, else the output folder's own."""
    if compare_to is not None and not holds_run(compare_to):
        raise UsageError(f"--compare-to {display_path(compare_to)}: no run output there (no .xpt files in sdtm/ or adam/)")
    folder = compare_to if compare_to is not None else target if holds_run(target) else None
    return None if folder is None else read_run(folder, {name: i.seq for name, i in identities.items()})


def changes_since(previous: PreviousRun, result: RunResult, identities: dict[str, Identity], target: Path,
                  verified: Collection[str] = ()) -> Changes:
    """The change report of this run against ``previous``; a dataset holding the records the previous run of the output
    folder ``target`` wrote is not compared record by record (:func:`_known_unchanged`; ``verified``: the datasets whose
    files were taken from that run as it wrote them)."""
    built = {one.spec.dataset: one for one in result.built}
    now = Snapshots(
        list(built), lambda name: Snapshot(with_qualifiers(built[name].read("frame", held=True), built[name].read("supp"), identities[name].seq),
                                           built[name].read("lineage")),
    )
    return derive_changes(
        display_path(previous.folder), previous.manifest, previous.datasets, now, identities, previous.excluded,
        excluded_with_subjects(result.study, result.built), _known_unchanged(previous, result.built, identities, target, verified),
    )


def _known_unchanged(
    previous: PreviousRun, built: list[BuiltDataset], identities: dict[str, Identity], target: Path, verified: Collection[str],
) -> dict[str, DatasetChanges]:
    """The (absent) changes of the datasets holding the records the previous run of the output folder wrote: taken from
    its cache, or built again with the same records (their SHA-256 as its cache entry, of the run its manifest lists,
    holds it). That run wrote their files from those records, so they hold the records they held, as long as the files
    are those it wrote: their SHA-256 is the one its manifest lists (and its cache entry, for files taken from it:
    checked then, ``verified``)."""
    listed, datasets = previous.manifest.get("outputs"), previous.manifest.get("datasets")
    if previous.folder.resolve() != target.resolve() or not isinstance(listed, dict) or not isinstance(datasets, dict):
        return {}  # (a manifest that is not ours vouches for no file)
    known = {}
    for one in built:
        name = one.spec.dataset
        header, made = json_object(target / CACHE / f"{name.lower()}.json"), datasets.get(name)
        if one.records_sha256 is None or header.get("records_sha256") != one.records_sha256:
            continue
        if not isinstance(made, dict) or made.get("input_sha256") != header.get("input_hash"):
            continue  # (the cache entry is not of the run the manifest lists)
        stems = (name.lower(), *([f"supp{name.lower()}"] if one.supp is not None else []))
        files = {f: listed.get(f) for f in (f"{one.standard}/{stem}.xpt" for stem in stems)}
        taken = json_object(target / CACHE / f"{name.lower()}.files.json").get("sha256") if name in verified else None
        as_written = isinstance(taken, dict) and all(taken.get(f) == digest for f, digest in files.items())
        if None not in files.values() and (as_written or files_as_listed(target, files) is not None):
            columns = with_qualifiers(one.frame.iloc[:0], one.read("supp"), identities[name].seq)
            found = unchanged_dataset(name, identities[name], columns, one.records)
            if found is not None:
                known[name] = found
    return known


def excluded_with_subjects(study: Study, built: list[BuiltDataset]) -> pd.DataFrame:
    """Every excluded raw row with its reason and, where the raw table identifies subjects, its USUBJID."""
    parts = []
    for one in built:
        sources = [one.spec.source, *(part.source for part in getattr(one.spec, "parts", []))]  # a domain's parts: own tables
        files = {t: study.raw_tables[t].path.name for t in (getattr(s, "table", None) for s in sources) if t is not None}
        for table in dict.fromkeys(getattr(source, "table", None) for source in sources):
            excluded = one.excluded
            if len(sources) > 1:
                excluded = excluded[excluded[FILE] == files[table] if table is not None else ~excluded[FILE].isin(list(files.values()))]
            if len(excluded) and table is not None and study.spec.subjects is not None:
                raw = study.raw_frame(table)
                rows = raw.set_index(ROW).reindex(excluded[ROW].to_numpy()).reset_index()
                try:
                    subjects = parse_expression(study.spec.subjects.usubjid).evaluate(rows, {"STUDYID": study.spec.study.id})
                    excluded = excluded.assign(USUBJID=pd.Series(subjects, index=rows.index).to_numpy())
                except DataError:
                    pass  # the raw table does not hold what USUBJID is made of
            parts.append(excluded)
    columns = [FILE, ROW, "dataset", "reason", "USUBJID"]
    return pd.concat(parts, ignore_index=True).reindex(columns=columns) if parts else pd.DataFrame(columns=columns)


def with_data_cutoff(spec: SdtmDataset | AdamDataset, cutoff: dt.date | None) -> SdtmDataset | AdamDataset:
    """TS with a DCUTDTC record (Data Cutoff Date) for the run's data cutoff, unless its spec lists one; other specs as they are."""
    records = getattr(spec.source, "records", None)
    if cutoff is None or spec.dataset != "TS" or not records or any(r.get("TSPARMCD") == "DCUTDTC" for r in records):
        return spec
    record = {"TSPARMCD": "DCUTDTC", "TSPARM": "Data Cutoff Date", "TSVAL": cutoff.isoformat(), "TSVCDREF": "ISO 8601"}
    return spec.model_copy(update={"source": spec.source.model_copy(update={"records": [*records, record]})})


def _write_failed_queries(failure: DataErrors, result: RunResult, target: Path) -> str:
    """The query list of a failed run, written beside the output folder; the sentences saying so."""
    queries = query_frame(failure.errors, result.warnings)
    csv_path, json_path = failed_queries_paths(target)
    _write_csv(queries, csv_path)
    json_path.write_text(queries_json(queries, "failed: no outputs written"), encoding="utf-8")
    datasets = sorted({error.dataset for error in failure.errors if error.dataset})
    shown = f" in {len(datasets)} dataset(s) ({', '.join(datasets)})" if datasets else ""
    warnings = [f"{len(result.warnings)} warning(s):", *(f"  {w}" for w in result.warnings)] if result.warnings else []
    return "\n".join([
        *warnings,
        f"{len(failure.errors)} data error(s){shown}; nothing was written to {display_path(target)}.",
        f"Queries ({len(queries)} row(s): dataset, variable, raw file, row, subject, value, message): "
        f"{display_path(csv_path)} and {json_path.name}",
    ])


def _write_outputs(
    study: Study, result: RunResult, target: Path, errors: list[DataError], keep_records: bool = True, handoff: Handoff | None = None,
    defines: Future[Path | None] | None = None,
) -> list[Path]:
    """Every output into a staging folder, then moved into place; nothing when there are ``errors``. ``defines``: the
    folder where define.xml of each standard was written already (:class:`_Ahead`).

    Each dataset's XPT file is written (into staging) even after errors elsewhere, so that its
    write errors (a value too long for XPT ...) are added to ``errors`` in the same run.
    """
    built, created = result.built, result.created
    existed = target.exists()
    if not errors:
        target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=None if errors else target))  # a failing run only checks
    try:
        if handoff is not None:  # the worker processes wrote each dataset's files as they built it (their errors are in)
            if not errors:
                result.output_hashes = handoff.move_files(staging)
        else:
            for one in built:
                errors += write_dataset_files(one, staging, created, result.formats, study.spec.study.id)
        if errors:
            return []
        defined = defines.result() if defines is not None else None  # (before the cache entries it may read are moved)
        with ThreadPoolExecutor(max_workers=1) as beside:  # Arrow writes the cache outside the GIL while define.xml is made
            caching = [beside.submit(entry.write, staging / CACHE) for entry in _cache_entries(result, target, staging, handoff)]
            _write_csv(excluded_with_subjects(study, built), staging / "reports" / "excluded.csv")  # the last to read raw rows
            if not keep_records:
                study.release_frames()
            if defined is not None:
                _move_defines(defined, staging, built, release=not keep_records)
            else:
                _write_defines(study, built, staging, release=not keep_records, summaries=handoff.summaries if handoff is not None else None)
            _write_csv(result.reconciliation, staging / "reports" / "reconciliation.csv")
            _write_csv(result.columns, staging / "reports" / "columns.csv")
            queries = query_frame([], result.warnings)
            _write_csv(queries, staging / "reports" / "queries.csv")
            (staging / "reports" / "queries.json").write_text(queries_json(queries, "written"), encoding="utf-8")
            if result.changes is not None:
                (staging / "reports" / "changes.txt").write_text(changes_text(result.changes), encoding="utf-8")
                (staging / "reports" / "changes.json").write_text(changes_json(result.changes), encoding="utf-8")
            for written in caching:
                written.result()
        if not keep_records:
            _release(study, built)
        else:
            for one in built:  # (those a worker process built are in the staging folder's cache until moved)
                one.hold()
        checked = checked_in_workers(handoff.folder, staging) if handoff is not None else None  # (their per-dataset rules)
        findings = validate(staging, read=_validation_reader(staging, handoff), checked=checked).findings
        # (messages name files in the staging folder: name them as in the output folder)
        result.findings = findings.assign(message=findings["message"].astype("str").str.replace(f"{staging}{os.sep}", "", regex=False))
        (staging / "reports" / "run-report.html").write_text(run_report_html(run_report(result, staging)), encoding="utf-8")
        (staging / "reports" / "run.json").write_text(run_manifest(result, staging), encoding="utf-8")
        return _move_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not existed and target.is_dir() and not any(target.iterdir()):  # (a failed run, or a write refused midway)
            target.rmdir()


def _validation_reader(staging: Path, handoff: Handoff | None) -> Callable[[Path], Table]:
    """How validation reads a dataset file of the staging folder: as the worker process that wrote it read it, else
    from the file."""
    if handoff is None:
        return read_table

    def read(path: Path) -> Table:
        return handoff.read_back(path.relative_to(staging).as_posix(), path) or read_table(path)

    return read


def _cache_entries(result: RunResult, target: Path, staging: Path, handoff: Handoff | None) -> list[CacheEntry]:
    """The cache entries of the datasets built in this run; those taken from the previous run have theirs as they were
    (:func:`~cdisc.handoff.link_or_copy`), and those a worker process wrote into the ``handoff`` folder are moved from there."""
    entries = []
    for one in result.built:
        if one.reused:
            (staging / CACHE).mkdir(exist_ok=True)
            for path in (target / CACHE).glob(f"{one.spec.dataset.lower()}.*"):
                link_or_copy(path, staging / CACHE / path.name)
            if handoff is not None:
                handoff.move_cache_entry(one.spec.dataset, staging / CACHE)
        elif handoff is not None:
            handoff.move_cache_entry(one.spec.dataset, staging / CACHE)
            one.stored = staging / CACHE  # (its records are read from there)
        else:
            entries.append(cache_entry(one, result.input_hashes[one.spec.dataset]))
    return entries


def _write_defines(study: Study, built: list[BuiltDataset], staging: Path, release: bool, summaries: Path | None = None) -> None:
    """define.xml of the SDTM datasets and of the ADaM datasets, each in its standard's folder; with ``release`` each
    standard's records are let go once its define.xml is written (they are the last to need them). ``summaries``: where
    the worker processes left what define.xml asks of the records of the datasets they built."""
    for standard in ("sdtm", "adam"):
        described = [r for r in built if r.standard == standard]
        if described:
            write_define(study, [DefineDataset(r.spec, *_define_records(r, summaries)) for r in described], staging / standard)
        if release:
            for one in described:
                one.release()


def _move_defines(written: Path, staging: Path, built: list[BuiltDataset], release: bool) -> None:
    """The define.xml files of each standard :func:`_write_defines` wrote into ``written``, into the staging folder;
    with ``release`` the records are let go (as :func:`_write_defines` does)."""
    for folder in sorted(written.iterdir()):
        (staging / folder.name).mkdir(exist_ok=True)
        for path in sorted(folder.iterdir()):
            os.replace(path, staging / folder.name / path.name)
    if release:
        for one in built:
            one.release()


#: Above this many values (records x columns) define.xml reads a dataset left in the files a column at a time (about 3 ms
#: a read): 5 M values of text hold some 100 MB.
COLUMN_AT_A_TIME = 5_000_000


def _define_records(one: BuiltDataset, summaries: Path | None = None) -> tuple[Frame, Frame]:
    """The records and SUPP-- records define.xml describes: what the worker process that built the dataset worked out of
    them (in ``summaries``), else those held, else those left in the files read when described, a large dataset a column
    at a time, so that describing it holds one of its columns rather than all its records."""
    answered = read_summaries(summaries, one.spec.dataset) if summaries is not None else None
    if answered is not None:
        return answered
    if one.stored is None:
        return one.frame, one.supp
    if one.records * len(one.frame.columns) <= COLUMN_AT_A_TIME:
        return partial(one.read, "frame"), partial(one.read, "supp")
    return ColumnLoader(tuple(one.frame.columns), partial(one.read, "frame")), partial(one.read, "supp")


def _release(study: Study, built: list[BuiltDataset]) -> None:
    """Let go of the datasets' records and the raw tables, every file made from them being written."""
    for one in built:
        one.release()
    study.release_frames()
    gc.collect()
    pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed memory for itself, out of reach of what follows


def run_report(result: RunResult, staging: Path) -> RunReport:
    """What ``run-report.html`` shows: the run's datasets, reconciliation, findings and warnings, the
    listings and every PNG already written into ``reports/``."""
    datasets = pd.DataFrame(
        [(one.spec.dataset, one.standard, one.records, len(xpt_metadata(one.spec).variables)) for one in result.built]
        + [(f"SUPP{one.spec.dataset}", one.standard, one.supp_records, len(SUPP_COLUMNS)) for one in result.built if one.supp is not None],
        columns=["dataset", "standard", "records", "variables"],
    )
    listings = {
        one.spec.dataset: (staging / "reports" / f"{one.spec.dataset.lower()}.txt").read_text(encoding="utf-8")
        for one in result.built if getattr(one.spec, "listing", False)
    }
    return RunReport(
        title=f"Study {result.study.spec.study.id}", created=result.created.isoformat(timespec="seconds"), datasets=datasets,
        reconciliation=result.reconciliation, columns=result.columns, findings=result.findings,
        warnings=[str(w) for w in result.warnings], listings=listings,
        images={p.name: p.read_bytes() for p in sorted((staging / "reports").glob("*.png"))},
    )


def run_manifest(result: RunResult, staging: Path) -> str:
    """``reports/run.json``, the run's manifest: when the transfer was converted, its data cutoff, what each
    dataset holds, the SHA-256 of every input and output file (this one excepted), the specs' hash and
    the versions of cdisc, its dependencies and the controlled terminology."""
    study = result.study
    inputs = result.inputs
    written = {path.relative_to(staging).as_posix(): path for path in sorted(staging.rglob("*"))
               if path.is_file() and path.name != "run.json" and CACHE not in path.parts}
    unknown = sha256_files([path for name, path in written.items() if name not in result.output_hashes])
    outputs = {name: result.output_hashes.get(name) or unknown[path] for name, path in written.items()}
    manifest: dict[str, Any] = {
        "study": result.study.spec.study.id,
        "cdisc_version": __version__,
        "run_sha256": result.key,
        "created": result.created.isoformat(timespec="seconds"),
        "data_cutoff": result.data_cutoff.isoformat() if result.data_cutoff else None,
        "datasets": {
            one.spec.dataset: {
                "standard": one.standard, "records": one.records, "subjects": one.subjects,
                "input_sha256": result.input_hashes.get(one.spec.dataset),
            }
            for one in result.built
        },
    }
    manifest |= {
        "specs_sha256": combined_hash({k: v for k, v in inputs.items() if k.startswith("spec/")}),
        "terminology": {"version": study.spec.terminology.version,
                        **{k: v.as_posix() for k, v in (("sdtm", study.spec.terminology.sdtm), ("adam", study.spec.terminology.adam)) if v}},
        "versions": {"cdisc": __version__, **dependency_versions()},
        "inputs": inputs,
        "outputs": outputs,
    }
    if result.changes is not None:
        manifest["changes"] = {
            "compared_to": result.changes.previous,
            "new_subjects": result.changes.new_subjects,
            "dropped_subjects": result.changes.dropped_subjects,
            "datasets": summary_frame(result.changes).set_index("dataset").to_dict(orient="index"),
            "report": "reports/changes.txt",
        }
    return json.dumps(manifest, indent=2, default=int) + "\n"


def write_dataset_files(one: BuiltDataset, staging: Path, created: dt.datetime, formats: tuple[str, ...], study_id: str,
                        written: Callable[[WrittenXpt], None] | None = None) -> list[DataError]:
    """Every file made from one dataset alone, into ``staging``: its XPT file (and its SUPP--'s, each handed to
    ``written`` once written), its Dataset-JSON forms, its lineage, its listing and its reports; the data errors writing
    found (a value too long for XPT ...)."""
    folder = staging / one.standard
    folder.mkdir(parents=True, exist_ok=True)
    errors = []
    try:
        _write_dataset(one, folder, created, written)
        if one.supp is not None and isinstance(one.spec, SdtmDataset):  # (only SDTM has SUPP--)
            write_xpt(one.supp, supp_metadata(one.spec), folder, created=created, written=written)
        _write_json_forms(one, folder, created, formats, study_id)
    except DataError as exc:
        errors.append(located(exc, one.spec.dataset))
    _write_csv(plain_columns(one.lineage), folder / "lineage" / f"{one.spec.dataset.lower()}.csv")
    if getattr(one.spec, "listing", False):
        listing = staging / "reports" / f"{one.spec.dataset.lower()}.txt"
        listing.parent.mkdir(exist_ok=True)
        listing.write_text(render_listing(plain_columns(one.frame), one.spec), encoding="utf-8")
    if one.reports is None:  # (one taken from the previous run has them from its cache entry)
        one.reports = dict(dataset_reports(one.frame, one.spec.dataset, getattr(one.spec, "reports", []), {"STUDYID": study_id}))
    for name, content in one.reports.items():
        (staging / "reports").mkdir(exist_ok=True)
        (staging / "reports" / name).write_bytes(content)
    return errors


def _write_json_forms(one: BuiltDataset, folder: Path, created, formats: tuple[str, ...], study_id: str) -> None:
    """Dataset-JSON and NDJSON files of a dataset (and its SUPP--) beside its XPT file, as ``formats`` asks."""
    keys = tuple(k for k in getattr(one.spec, "keys", ()) if k in one.frame.columns)
    frame = plain_columns(one.frame) if set(formats) - {"xpt"} else one.frame  # (text held once per distinct value, as text)
    write_dataset_json_files(frame, xpt_metadata(one.spec), folder, formats, created=created, study_oid=study_id, keys=keys)
    if one.supp is not None and isinstance(one.spec, SdtmDataset):  # (only SDTM has SUPP--)
        write_dataset_json_files(one.supp, supp_metadata(one.spec), folder, formats, created=created, study_oid=study_id)


def _write_dataset(result: BuiltDataset, folder: Path, created, written: Callable[[WrittenXpt], None] | None = None) -> None:
    """The dataset's XPT file; an XPT rule broken by some values names the source rows behind them."""
    try:
        write_xpt(result.frame, xpt_metadata(result.spec), folder, created=created, written=written)
    except XptError as exc:
        if exc.rows is None or not {FILE, ROW} <= set(result.lineage.columns):
            raise
        source = result.lineage.iloc[exc.rows[:5]]
        where = ", ".join(f"{f} row {r}" for f, r in zip(source[FILE], source[ROW]))
        error = type(exc)(f"{exc}; source: {where}", rows=exc.rows)
        every = result.lineage.iloc[exc.rows]
        error.files, error.raw_rows = tuple(every[FILE].astype("str")), tuple(every[ROW].astype(int))
        error.subjects = tuple(every["USUBJID"].astype("str")) if "USUBJID" in every else ()
        raise error from None


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(frame, path)  # the bytes of frame.to_csv(path, index=False, lineterminator="\n")


def _move_into_place(staging: Path, target: Path) -> list[Path]:
    """Every file of the staging folder into the output folder; then the files the previous run wrote there and this
    one did not are removed (a dataset no longer converted, a plot of a group no longer in the data ...)."""
    before = _previous_outputs(target)
    moved = []
    for source in sorted(p for p in staging.rglob("*") if p.is_file()):
        destination = target / source.relative_to(staging)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, destination)
        moved.append(destination)
    for stale in before.difference(moved):
        with suppress(OSError):  # (the outputs are in place: a file that cannot be removed stays, as a user's would)
            stale.unlink(missing_ok=True)
    return moved


def _previous_outputs(target: Path) -> set[Path]:
    """The files of the run in ``target``: those its manifest lists, the manifest and the incremental cache (files a
    user added are none of these)."""
    listed = read_manifest(target).get("outputs")  # (a manifest that is not ours lists nothing)
    named = [target / name for name in listed if isinstance(name, str) and inside(name)] if isinstance(listed, dict) else []
    cache = [] if (target / CACHE).is_symlink() else list((target / CACHE).glob("*"))
    return {path for path in [*named, *cache] if _own_file(path, target)} | {target / "reports" / "run.json"}


def _own_file(path: Path, target: Path) -> bool:
    """Whether ``path`` is a file (not a link) in the output folder ``target`` (not reached through a link out of it)."""
    try:
        return path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(target.resolve())
    except (OSError, ValueError):  # (a name too long for the file system, a NUL byte ...)
        return False
