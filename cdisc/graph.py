"""The datasets of a study (and the studies of a portfolio) as one Dask task graph.

Each dataset is a task whose inputs are the tasks of the datasets it needs (``cdisc.spec.check.dependencies``).
A task never raises for bad data: it returns an :class:`Outcome` holding the built dataset or the data errors
found, and a task whose inputs failed returns the names it waited for, so every data error of every dataset
that can be built is still collected in one run, and one study's failure does not stop another's.

Execution: Dask's synchronous scheduler in this process by default (no set-up), or its threads with
``threads``. Results do not depend on the order tasks run in. On a ``dask.distributed`` cluster a study is
one task that builds this graph on its worker (:mod:`cdisc.portfolio`): the tasks here hold the study's
frames and its builder, which are not to be shipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import dask
import dask.threaded
import pandas as pd
from dask.callbacks import Callback

from cdisc.built import BuiltDataset
from cdisc.collect import located
from cdisc.errors import DataError, DataErrors, UsageError
from cdisc.spec.check import dependencies

__all__ = ["IN_PROCESS", "Outcome", "dataset_graph", "execute", "is_cluster"]

IN_PROCESS = ("sync", "synchronous", "threads")  # --scheduler values that run the graph in this process

Builder = Callable[[str, dict[str, pd.DataFrame]], BuiltDataset]  # the frames of the inputs and of the datasets it needs


@dataclass
class Outcome:
    """What a dataset task gives: the built dataset, or its errors, or the failed datasets it needed."""

    name: str
    built: BuiltDataset | None = None
    errors: list[DataError] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)  # failed or skipped datasets it needed (then nothing was built)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # this dataset's frames and every one it read

    @property
    def failed(self) -> bool:
        return self.built is None


class _Study:
    """A study's builder and input frames: one node of the graph, named by a fixed token so that Dask never
    pickles the study (raw frames and all) to name it."""

    def __init__(self, token: str, build: Builder, inputs: Mapping[str, pd.DataFrame]):
        self.token, self.build, self.inputs = token, build, dict(inputs)

    def __dask_tokenize__(self) -> str:
        return self.token


def _run_dataset(name: str, study: _Study, *needed: Outcome) -> Outcome:
    """One dataset task: build ``name`` from the frames of the datasets it needs."""
    waiting = [o.name for o in needed if o.failed]
    if waiting:
        return Outcome(name, needs=waiting)
    build = study.build
    frames = dict(study.inputs)
    for outcome in needed:
        frames.update(outcome.frames)
    try:
        built = build(name, frames)
    except DataError as exc:
        return Outcome(name, errors=[located(e, name) for e in (exc.errors if isinstance(exc, DataErrors) else [exc])])
    own = {name: built.frame} | ({f"SUPP{name}": built.supp} if built.supp is not None else {})
    return Outcome(name, built=built, frames=frames | own)


def dataset_graph(prefix: str, specs: Mapping, build: Builder, inputs: Mapping[str, pd.DataFrame]) -> dict:
    """The tasks of one study, keyed ``(prefix, dataset)``; ``specs`` in build order."""
    graph: dict = {(prefix, "@study"): _Study(f"cdisc-study-{prefix}-{id(build)}", build, inputs)}
    for name, spec in specs.items():
        needed = [(prefix, d) for d in dependencies(spec) if d in specs]
        graph[(prefix, name)] = (_run_dataset, name, (prefix, "@study"), *needed)
    return graph


def is_cluster(scheduler: str | None) -> bool:
    """Whether ``scheduler`` is the address of a ``dask.distributed`` scheduler rather than an in-process one.

    >>> [is_cluster(s) for s in (None, "threads", "tcp://10.0.0.5:8786")]
    [False, False, True]
    """
    return scheduler is not None and scheduler not in IN_PROCESS


def execute(graph: dict, keys: list, scheduler: str | None = None, done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Compute ``keys`` of ``graph`` in this process: Dask's synchronous scheduler, or its threads with ``threads``.
    ``done`` is called with each outcome as its task finishes."""
    if is_cluster(scheduler):
        raise UsageError(f"--scheduler {scheduler}: a study's dataset graph runs in one process; send the study to the cluster (cdisc.portfolio)")
    get = dask.threaded.get if scheduler == "threads" else dask.get  # threads: not yet race-free (see issue 15 notes)
    if done is None:
        return list(get(graph, keys))
    with Callback(posttask=lambda key, outcome, *_: done(outcome) if isinstance(outcome, Outcome) else None):
        return list(get(graph, keys))
