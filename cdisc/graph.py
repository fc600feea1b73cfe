"""The datasets of a study (and the studies of a portfolio) as one Dask task graph.

Each dataset is a task whose inputs are the tasks of the datasets it needs (``cdisc.spec.check.dependencies``).
A task never raises for bad data: it returns an :class:`Outcome` holding the built dataset or the data errors
found, and a task whose inputs failed returns the names it waited for, so every data error of every dataset
that can be built is still collected in one run, and one study's failure does not stop another's.

Execution, all with no set-up: Dask's multiprocessing scheduler on this machine's cores (``processes``, the default
on Linux with more than one core), its synchronous scheduler in this process
(``sync``), or its threads (``threads``). Worker processes are forked from this one, so they hold the study, its
raw tables and its builder as this process does; what crosses between processes is small: a task's outcome
names the dataset it built, which the worker left as a cache entry (:class:`cdisc.handoff.Handoff`). Results do not
depend on where or in what order tasks run. On a ``dask.distributed`` cluster a study is one task that builds
this graph on its worker (:mod:`cdisc.portfolio`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dask
import dask.multiprocessing
import dask.threaded
import pandas as pd
from dask.callbacks import Callback

from cdisc.built import BuiltDataset
from cdisc.checks.loading import PINNED
from cdisc.collect import located
from cdisc.errors import DataError, DataErrors, UsageError
from cdisc.handoff import Handoff
from cdisc.incremental import cache_entry, files_key, input_hash
from cdisc.memory import release_memory, release_memory_grown
from cdisc.spec.check import dependencies
from cdisc.upstream import columns_read, read_held

__all__ = ["LOCAL", "Outcome", "check_keys", "checked_scheduler", "dataset_graph", "default_scheduler", "execute", "is_cluster"]

LOCAL = ("processes", "sync", "synchronous", "threads")  # --scheduler values that run the graph on this machine
RAW_READ = "raw-read"  # left in the handoff folder by the run's own process once every task that reads raw tables has run

Builder = Callable[[str, str, Callable[[], dict[str, pd.DataFrame]]], BuiltDataset]  # (name, input hash, what gives the frames it reads)
Check = Callable[[Handoff, str, Mapping[str, str]], None]  # validation's per-dataset rules on a dataset's files in the handoff folder


@dataclass
class Outcome:
    """What a dataset task gives: the built dataset, or its errors, or the failed datasets it needed."""

    name: str
    built: BuiltDataset | None = None  # (in a worker process: left in the study's handoff folder instead)
    errors: list[DataError] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)  # failed or skipped datasets it needed (then nothing was built)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # this dataset's frames and every one it read
    records: int | None = None  # how many records it has, when built
    key: str = ""  # its input hash (:func:`cdisc.incremental.input_hash`), when its task ran
    records_sha256: str = ""  # of its records, when built: the datasets built from it take it into their input hash
    reused: bool = False  # taken from the previous run's cache
    stored: bool = False  # left in the handoff folder by a worker process
    files_taken: bool = False  # its files taken from the previous run as that run wrote them (:meth:`Handoff.store`)

    @property
    def failed(self) -> bool:
        return self.records is None


_FORKED: dict[str, _Study] = {}  # the studies of the graph being run by worker processes forked from this one


class _Study:
    """A study's builder and input frames: one node of the graph, named by a fixed token so that Dask never
    pickles the study (raw frames and all) to name it, nor to send it to a worker process: the worker, forked
    from this process, finds it by that token (see :func:`_forked_study`). ``hashes``: each dataset's own input hash
    (:func:`cdisc.incremental.own_input_hashes`). ``handoff`` is where tasks run in worker processes leave the datasets
    they build."""

    def __init__(self, token: str, build: Builder, inputs: Mapping[str, pd.DataFrame], hashes: Mapping[str, str],
                 handoff: Handoff | None = None, check: Check | None = None, release_raw: Callable[[], None] | None = None):
        self.token, self.build, self.inputs, self.hashes, self.handoff, self.check = token, build, dict(inputs), hashes, handoff, check
        self.release_raw = release_raw  # lets go of the raw tables (of this process's copy of the study)

    def let_go_of_raw_tables(self) -> None:
        """In a worker process, once every task that reads raw tables has run (:data:`RAW_READ`), let go of this process's
        copy of them: the run's own process keeps what it needs of them, and the memory goes back to the system (once
        no process holds it) at once, so that what the worker holds afterwards is the mark its tasks' growth is measured
        from (:func:`~cdisc.memory.release_memory_grown`)."""
        if self.release_raw is not None and self.handoff is not None and (self.handoff.folder / RAW_READ).exists():
            self.release_raw()
            self.release_raw = None
            release_memory()

    def __dask_tokenize__(self) -> str:
        return self.token

    def __reduce__(self):
        return _forked_study, (self.token,)


def _forked_study(token: str) -> _Study:
    return _FORKED[token]


def _run_dataset(name: str, study: _Study, *needed: Outcome) -> Outcome:
    """One dataset task: build ``name`` from the frames of the datasets it needs. A worker process then hands the
    memory a large task freed back to the system (:func:`~cdisc.memory.release_memory_grown`), rather than holding it
    while the other worker builds."""
    if study.handoff is None:
        return _build_task(name, study, *needed)
    study.let_go_of_raw_tables()
    release_memory_grown()
    try:
        return _build_task(name, study, *needed)
    finally:
        release_memory_grown()


def _build_task(name: str, study: _Study, *needed: Outcome) -> Outcome:
    waiting = [o.name for o in needed if o.failed]
    if waiting:
        return Outcome(name, needs=waiting)
    frames: dict[str, pd.DataFrame] = {}
    handoff = study.handoff

    def read() -> dict[str, pd.DataFrame]:  # (not at all for a dataset taken from the previous run)
        if not frames:
            columns = columns_read(handoff.specs[name]) if handoff else {}
            held = read_held(handoff.specs[name]) if handoff else frozenset()
            frames.update(study.inputs)
            for outcome in needed:
                frames.update(handoff.frames(outcome.name, outcome.reused, columns.get(outcome.name), outcome.name in held) if outcome.stored and handoff
                              else outcome.frames)
        return frames

    if handoff is None:
        read()  # (in this process the frames are at hand, and each outcome passes on those its task read)
    key = input_hash(study.hashes[name], {o.name: o.records_sha256 for o in needed})
    try:
        built = study.build(name, key, read)
    except DataError as exc:
        return Outcome(name, errors=[located(e, name) for e in (exc.errors if isinstance(exc, DataErrors) else [exc])], key=key)
    if study.handoff is not None:  # (set only when the graph runs in worker processes)
        frames.clear()  # the records it was built from go before its files are written
        release_memory_grown()  # (and the memory a large build freed: writing then takes what the dataset's records leave)
        errors, taken = study.handoff.store(built, key)
        return Outcome(name, errors=errors, records=built.records, reused=built.reused, stored=True, key=key,
                       records_sha256=built.records_sha256 or "", files_taken=taken)
    if built.records_sha256 is None:  # (in this process its cache entry is written with the other outputs: made in memory)
        built.records_sha256 = cache_entry(built, key).records_sha256()
    own = {name: built.frame} | ({f"SUPP{name}": built.supp} if built.supp is not None else {})
    return Outcome(name, built=built, frames=frames | own, records=len(built.frame), reused=built.reused, key=key,
                   records_sha256=built.records_sha256)


def dataset_graph(prefix: str, specs: Mapping, build: Builder, inputs: Mapping[str, pd.DataFrame], hashes: Mapping[str, str],
                  handoff: Handoff | None = None, check: Check | None = None, release_raw: Callable[[], None] | None = None) -> dict:
    """The tasks of one study, keyed ``(prefix, dataset)``; ``specs`` in build order; ``hashes`` each dataset's own
    input hash (:func:`cdisc.incremental.own_input_hashes`); ``handoff`` where worker
    processes leave what they build (without one the graph runs in this process only). With ``check`` (and a
    ``handoff``) each dataset also has a task ``(prefix, "check DATASET")`` running it (:func:`check_keys`).
    ``release_raw`` lets go of the raw tables in a worker process once no task reads them (:data:`RAW_READ`)."""
    graph: dict = {(prefix, "@study"): _Study(f"cdisc-study-{prefix}-{id(build)}", build, inputs, hashes, handoff, check, release_raw)}
    for name, spec in specs.items():
        needed = [(prefix, d) for d in dependencies(spec) if d in specs]
        graph[(prefix, name)] = (_run_dataset, name, (prefix, "@study"), *needed)
    if check is not None and handoff is not None:
        for name in specs:  # after the dataset and the datasets every dataset's rules may reach by name
            reached = [(prefix, d) for d in specs if d in PINNED and d != name]
            graph[(prefix, f"check {name}")] = (_check_dataset, name, (prefix, "@study"), (prefix, name), *reached)
    return graph


def check_keys(graph: dict) -> list:
    """The keys of the graph's check tasks."""
    return [key for key, task in graph.items() if isinstance(task, tuple) and task[0] is _check_dataset]


def _check_dataset(name: str, study: _Study, *needed: Outcome) -> None:
    """One check task (in a worker process): validation's per-dataset rules on the files of ``name``, left in the
    handoff folder (with what the files of the datasets it waited for are made from: :func:`~cdisc.incremental.files_key`);
    nothing when one of them was not built (the run then fails)."""
    study.let_go_of_raw_tables()
    release_memory_grown()
    try:
        if not any(outcome.failed for outcome in needed):
            assert study.check is not None and study.handoff is not None  # (check tasks are made only with both)
            study.check(study.handoff, name, {o.name: files_key(study.hashes[o.name], o.records_sha256) for o in needed})
    finally:
        release_memory_grown()


def checked_scheduler(scheduler: str | None) -> str | None:
    """``scheduler`` if it is one of :data:`LOCAL` or a cluster's address (``PROTOCOL://HOST:PORT``); else a usage error.

    >>> checked_scheduler("tcp://10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    >>> checked_scheduler("proceses")
    Traceback (most recent call last):
    cdisc.errors.UsageError: --scheduler proceses: not a scheduler; choose processes, sync or threads, or give a cluster's address as tcp://HOST:PORT
    """
    if scheduler is None or scheduler in LOCAL or re.fullmatch(r"[a-z]+://\S+:\d+", scheduler):
        return scheduler
    raise UsageError(f"--scheduler {scheduler}: not a scheduler; choose processes, sync or threads, or give a cluster's address as tcp://HOST:PORT")


def is_cluster(scheduler: str | None) -> bool:
    """Whether ``scheduler`` is the address of a ``dask.distributed`` scheduler rather than an in-process one.

    >>> [is_cluster(s) for s in (None, "threads", "tcp://10.0.0.5:8786")]
    [False, False, True]
    """
    return scheduler is not None and scheduler not in LOCAL


def default_scheduler() -> str:
    """``processes`` on Linux with more than one core, else ``sync``. Forking is safe on Linux only (macOS's system
    libraries are not fork-safe, Windows cannot fork), and a daemon process, such as a ``dask.distributed`` worker, may
    not start processes."""
    can_fork = sys.platform.startswith("linux") and not multiprocessing.current_process().daemon
    return "processes" if can_fork and workers() > 1 else "sync"


def workers() -> int:
    """How many worker processes ``processes`` runs: one per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def execute(graph: dict, keys: list, scheduler: str | None = None, done: Callable[[tuple, Outcome], None] | None = None,
            cost: Mapping | None = None, first: Collection = ()) -> list[Outcome]:
    """Compute ``keys`` of ``graph`` on this machine: Dask's multiprocessing scheduler with ``processes`` (worker
    processes forked from this one), its synchronous scheduler in this process with ``sync`` (or None), its threads with
    ``threads``. ``done`` is called with each task's key and outcome as it finishes. With ``cost`` (an estimate of the
    work of tasks by key) the tasks ready are started longest chain of work first (:class:`LongestChainFirst`), those of
    ``first`` (keys) before any other."""
    if is_cluster(scheduler):
        raise UsageError(f"--scheduler {scheduler}: a study's dataset graph runs on one machine; send the study to the cluster (cdisc.portfolio)")
    callback = Callback(posttask=lambda key, outcome, *_: done(key, outcome) if isinstance(outcome, Outcome) and done else None)
    with callback, LongestChainFirst(chain_lengths(graph, cost or {}), first):
        if scheduler != "processes":
            get = dask.threaded.get if scheduler == "threads" else dask.get  # threads: not yet race-free (see issue 15 notes)
            return list(get(graph, keys))
        ours = gc.get_freeze_count() == 0  # (a run freezes the loaded study for its whole length: then it unfreezes)
        gc.freeze()  # a collection in a worker would write to every object shared with this process, copying their pages
        try:
            with _forked_studies(graph), ProcessPoolExecutor(workers(), mp_context=multiprocessing.get_context("fork")) as pool:
                return list(dask.multiprocessing.get(graph, keys, pool=pool, optimize_graph=False, chunksize=1))
        finally:
            if ours:
                gc.unfreeze()


def chain_lengths(graph: dict, cost: Mapping) -> dict:
    """Each task's estimated work (``cost``, 0 where it gives none) plus the longest chain of it among the tasks that
    need it: the work the task holds up.

    >>> graph = {"DM": (len, []), "LB": (len, []), "ADSL": (len, "DM"), "ADLB": (len, "LB", "ADSL")}
    >>> chain_lengths(graph, {"DM": 1, "LB": 10, "ADSL": 2, "ADLB": 20})
    {'DM': 23, 'LB': 30, 'ADSL': 22, 'ADLB': 20}
    """
    needed_by: dict = {key: [] for key in graph}
    for key, task in graph.items():
        for needed in _needed(task, graph):
            needed_by[needed].append(key)
    lengths: dict = {}
    for key in reversed(list(_in_dependency_order(graph))):
        lengths[key] = cost.get(key, 0) + max((lengths[after] for after in needed_by[key]), default=0)
    return {key: lengths[key] for key in graph}


def _needed(task: Any, graph: dict) -> list:
    """The keys of ``graph`` a task names as its inputs."""
    return [part for part in task[1:] if _hashable(part) and part in graph] if isinstance(task, tuple) else []


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _in_dependency_order(graph: dict) -> Iterator:
    """The keys of ``graph``, each after those its task needs."""
    seen: set = set()

    def visit(key) -> Iterator:
        if key not in seen:
            seen.add(key)
            for needed in _needed(graph[key], graph):
                yield from visit(needed)
            yield key

    for key in graph:
        yield from visit(key)


class LongestChainFirst(Callback):
    """Makes Dask's local schedulers start, of the tasks ready, the one holding up the longest chain of work
    (:func:`chain_lengths`) rather than the one Dask's static ordering gives: on the 10,000-subject study its order left
    one worker building ADVS alone at the end while the other had finished (a simulation of the measured task times:
    the graph 12% longer than with the longest chain first); a task of ``first`` before any other (a dataset task
    before any check task: the run's own process starts on its outputs once the datasets are built). It re-sorts the
    scheduler's ready list (popped from its end) when the run starts and after each task."""

    def __init__(self, lengths: Mapping, first: Collection = ()):
        self.lengths, self.first = lengths, frozenset(first)
        super().__init__(start_state=self.order_ready, posttask=lambda key, result, dsk, state, worker_id: self.order_ready(dsk, state))

    def order_ready(self, dsk: Mapping, state: dict) -> None:
        """Sort the ready tasks by their chain's length, those of ``first`` after the others: the scheduler starts the
        last first."""
        if self.lengths or self.first:
            state["ready"].sort(key=lambda key: (key in self.first, self.lengths.get(key, 0)))


@contextmanager
def _forked_studies(graph: dict):
    """The graph's studies, found by their tokens in the worker processes forked while the graph runs."""
    studies = {node.token: node for node in graph.values() if isinstance(node, _Study)}
    if any(node.handoff is None for node in studies.values()):
        raise ValueError("a graph run by worker processes needs a handoff folder for each study")  # our bug
    _FORKED.update(studies)
    try:
        yield
    finally:
        for token in studies:
            _FORKED.pop(token, None)
