"""cdisc run as a Dask graph: in worker processes forked from this one by default (one per core), in this process or
Dask's threads on request, or each study as a task on a dask.distributed cluster (sent as paths, loaded on the
worker); several studies as one graph. The outputs are byte-identical whichever runs the graph, and each study's
outputs stay all-or-nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import minimal_study

from cdisc.errors import DataError, DataErrors
from cdisc.portfolio import ConvertedStudy
from cdisc.study import RunOptions, run_portfolio, run_study


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of a run's folder but what worker processes keep in the cache beyond the datasets (define.xml answers,
    validation findings, visit-window warnings, the list of its files: a run in one process works them out again when it needs them)."""
    kept = re.compile(r"\.cdisc-cache/[a-z0-9]+\.(define|checks|windows|files)\.")
    return {name: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
            and not kept.match(name := p.relative_to(folder).as_posix())}


@pytest.fixture(scope="module")
def studies(tmp_path_factory) -> dict[str, Path]:
    """Two small studies whose every output differs (study ids MINI-01 and MINI-02), and a third with an
    impossible AE start date (a data error in AE)."""
    root = tmp_path_factory.mktemp("portfolio")
    found = {"one": minimal_study(root / "one"), "two": minimal_study(root / "two", "MINI-02"), "broken": minimal_study(root / "broken")}
    ae = found["broken"] / "raw" / "ae.csv"
    ae.write_text(ae.read_text().replace("06-MAR-2024", "31-FEB-2024", 1))
    return found


@pytest.fixture(scope="module")
def in_process(studies, tmp_path_factory) -> dict[str, Path]:
    """The default run (in this process) of each good study: what every other way of running must give."""
    root = tmp_path_factory.mktemp("in-process")
    for name in ("one", "two"):
        run_study(studies[name], root / name)
    return {name: root / name for name in ("one", "two")}


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 worker processes, 1 thread each: the studies and their results cross process boundaries."""
    distributed = pytest.importorskip("distributed", reason="dask.distributed is a test dependency: pip install -e '.[test]'")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as running:
        yield running.scheduler_address


def test_worker_processes_give_the_outputs_of_a_run_in_this_process(small_example, small_example_run, tmp_path):
    """Datasets built in forked worker processes and handed back as cache entries (the default with more than one
    core) give, cache included, what one process building them all gives."""
    for scheduler in ("processes", "sync"):
        run_study(small_example, tmp_path / scheduler, options=RunOptions(scheduler=scheduler))
    assert _files(tmp_path / "processes") == _files(tmp_path / "sync") == _files(small_example_run)
    rerun = run_study(small_example, tmp_path / "processes", options=RunOptions(scheduler="processes"))
    assert len(rerun.reused) == len(rerun.built)  # taken from the cache by the workers, read back by this process
    datasets = [{name: content for name, content in _files(tmp_path / folder).items() if not name.startswith("reports/")} for folder in ("processes", "sync")]
    assert datasets[0] == datasets[1]


def test_data_errors_found_in_worker_processes_read_as_in_one_process(studies, tmp_path):
    """A data error crosses back from the worker process with all it names: the message and the query list are the same."""
    found = {}
    for scheduler in ("processes", "sync"):
        with pytest.raises(DataError) as failed:
            run_study(studies["broken"], tmp_path / scheduler, options=RunOptions(scheduler=scheduler))
        found[scheduler] = (str(failed.value), (tmp_path / f"{scheduler}.queries.csv").read_bytes())
        assert not (tmp_path / scheduler).exists()
    assert found["processes"] == found["sync"] and "31-FEB-2024" in found["sync"][0]


def test_dask_threads_give_the_outputs_of_the_default_run(small_example, small_example_run, tmp_path):
    """The example's whole dataset graph (SDTM and ADaM), where many datasets can run at once."""
    run_study(small_example, tmp_path / "threads", options=RunOptions(scheduler="threads"))
    assert _files(tmp_path / "threads") == _files(small_example_run)


def test_a_portfolio_on_a_local_cluster_gives_the_in_process_outputs(studies, in_process, cluster, tmp_path):
    results = dict(run_portfolio(list(studies.values()), tmp_path / "cluster", options=RunOptions(scheduler=cluster)))
    assert [type(results[studies[name]]) for name in ("one", "two")] == [ConvertedStudy, ConvertedStudy]
    for name in ("one", "two"):
        cluster_files = _files(tmp_path / "cluster" / name)
        assert cluster_files and cluster_files == _files(in_process[name])
    failure = results[studies["broken"]]  # fails alone: its error comes back, nothing is written for it
    assert isinstance(failure, DataErrors | DataError) and "31-FEB-2024" in str(failure)
    assert not (tmp_path / "cluster" / "broken").exists()
    assert (tmp_path / "cluster" / "broken.queries.csv").is_file()


def test_a_study_on_a_cluster_reports_paths_as_an_in_process_run(studies, cluster, tmp_path, monkeypatch):
    """The worker's working folder is not the client's: output folders given relative to the client's are
    written there and named as the client's user typed them, in the summary and in a failure's message."""
    monkeypatch.chdir(tmp_path)
    converted = run_study(studies["one"], Path("out"), options=RunOptions(scheduler=cluster))
    assert converted.summary_lines()[0] == "Study MINI-01: 2 dataset(s) written to out"
    assert (tmp_path / "out" / "sdtm" / "ae.xpt").is_file()
    failures = []
    for where, scheduler in (("cluster", cluster), ("local", None)):
        with pytest.raises(DataError) as failed:
            run_study(studies["broken"], Path(where), options=RunOptions(scheduler=scheduler))
        failures.append(str(failed.value) + failed.value.epilogue.replace(where, "OUT"))
        assert not (tmp_path / where).exists() and (tmp_path / f"{where}.queries.csv").is_file()
    assert failures[0] == failures[1] and "nothing was written to OUT." in failures[0]


def test_a_study_with_bad_data_fails_alone_in_a_portfolio(studies, in_process, tmp_path):
    results = dict(run_portfolio([studies["one"], studies["broken"]], tmp_path / "out"))
    assert type(results[studies["one"]]).__name__ == "RunResult"
    assert _files(tmp_path / "out" / "one") == _files(in_process["one"])
    failure = results[studies["broken"]]
    assert isinstance(failure, DataErrors | DataError) and "31-FEB-2024" in str(failure)
    assert not (tmp_path / "out" / "broken").exists()  # nothing written for the failed study
    assert (tmp_path / "out" / "broken.queries.csv").is_file()
