"""Studies converted on a ``dask.distributed`` cluster (``cdisc run ... --scheduler tcp://HOST:PORT``).

The graph sent to the cluster has one task per study and holds only paths and the run's options: the
worker loads the specs and the raw extract itself, builds the study's dataset graph in its own process
(as ``cdisc run`` does in-process), writes the outputs all-or-nothing into the output folder the client
named, and sends back the lines of its summary or the study's error. No data frame crosses the network,
so the studies of a portfolio run side by side on as many workers. The workers must see the study, raw
and output folders at the paths the client sees (one machine, or a shared file system).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cdisc.errors import CdiscError, UsageError

if TYPE_CHECKING:  # cdisc.study imports this module
    from rich.console import Console

    from cdisc.study import RunOptions

__all__ = ["ConvertedStudy", "StudyJob", "convert_study", "run_on_cluster"]


@dataclass(frozen=True)
class StudyJob:
    """What a worker is sent to convert a study: absolute paths (the worker's working folder is not the client's)."""

    folder: Path
    out_dir: Path | None = None  # None: output.folder of study.yaml
    raw: Path | None = None  # None: raw.folder of study.yaml

    @classmethod
    def of(cls, folder: Path, out_dir: Path | None = None, raw: Path | None = None) -> StudyJob:
        """A job for paths given relative to this process's working folder.

        >>> StudyJob.of(Path("/studies/a"), Path("/out/a")).out_dir.as_posix()
        '/out/a'
        """
        return cls(folder.resolve(), None if out_dir is None else out_dir.resolve(), None if raw is None else raw.resolve())


@dataclass(frozen=True)
class ConvertedStudy:
    """What a worker sends back for a study it converted: where its outputs are and its summary's lines
    (the datasets themselves stay in the output folder)."""

    folder: Path
    out_dir: Path
    lines: tuple[str, ...]
    up_to_date: dict | None = None  # the manifest of the run left in the output folder, when it was the run asked for

    def summary_lines(self) -> list[str]:
        return list(self.lines)


def convert_study(job: StudyJob, options: RunOptions, working_folder: Path) -> ConvertedStudy | CdiscError:
    """The task a worker runs: convert one study in this process (outputs all-or-nothing); the study's
    error, if any, is returned (its query list is written beside its output folder). Paths in messages
    and reports are shown relative to the client's ``working_folder``, as an in-process run shows them."""
    from cdisc.spec.load import WORKING_FOLDER
    from cdisc.study import run_study

    token = WORKING_FOLDER.set(working_folder)
    try:
        result = run_study(job.folder, job.out_dir, options=dataclasses.replace(options, scheduler="sync"), raw=job.raw)
        return ConvertedStudy(job.folder, result.out_dir, tuple(result.summary_lines()), result.up_to_date)
    except CdiscError as exc:
        return exc
    finally:
        WORKING_FOLDER.reset(token)


def run_on_cluster(scheduler: str, jobs: Sequence[StudyJob], options: RunOptions, progress: Console | None = None) -> list[ConvertedStudy | CdiscError]:
    """Convert each study of ``jobs`` on the cluster at ``scheduler``; what each gave, in the order of ``jobs``.
    ``progress`` gets a line per study as it finishes."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'cdisc[cluster]'") from None
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except OSError as exc:
        raise UsageError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})") from None
    if options.compare_to is not None:
        options = dataclasses.replace(options, compare_to=options.compare_to.resolve())
    outcomes: list[ConvertedStudy | CdiscError | None] = [None] * len(jobs)
    with client:
        futures = {client.submit(convert_study, job, options, Path.cwd(), pure=False): i for i, job in enumerate(jobs)}
        for done, future in enumerate(as_completed(futures, loop=client.loop), 1):
            i = futures[future]
            outcome = outcomes[i] = future.result()
            if progress is not None:
                what = f"{jobs[i].folder.name}: not converted" if isinstance(outcome, CdiscError) else outcome.lines[0]
                progress.print(f"[{done}/{len(jobs)}] {what}", markup=False)
    return [outcome for outcome in outcomes if outcome is not None]
