"""cdisc run as a Dask graph: in this process by default, Dask's threads or a dask.distributed cluster on
request, several studies as one graph; the outputs are byte-identical whichever runs the graph, and each
study's outputs stay all-or-nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from cdisc.errors import DataError, DataErrors
from cdisc.study import RunOptions, run_portfolio, run_study


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _study(root: Path, name: str, raw: Path) -> Path:
    """A copy of the example specs converting the extract in ``raw``."""
    folder = root / name
    shutil.copytree(REPO / "specs", folder)
    study_yaml = folder / "study.yaml"
    study_yaml.write_text(re.sub(r"(?m)^  folder: \.\./examples/bat8008/raw", f"  folder: {raw.as_posix()}", study_yaml.read_text()))
    return folder


@pytest.fixture(scope="module")
def two_studies(tmp_path_factory) -> list[Path]:
    """Two studies: the example's specs on its bundled extract, with two data cutoffs (TS differs)."""
    root = tmp_path_factory.mktemp("portfolio")
    studies = []
    for cutoff in ("2026-01-12", "2026-01-05"):
        raw = root / f"extract-{cutoff}"
        shutil.copytree(REPO / "examples" / "bat8008" / "raw", raw)
        study = _study(root, f"study-{cutoff}", raw)
        (study / "study.yaml").write_text(re.sub(r"(?m)^data_cutoff: \S+", f"data_cutoff: {cutoff}", (study / "study.yaml").read_text()))
        studies.append(study)
    return studies


def test_dask_threads_give_the_outputs_of_the_default_run(two_studies, tmp_path):
    run_study(two_studies[0], tmp_path / "threads", options=RunOptions(scheduler="threads"))
    run_study(two_studies[0], tmp_path / "default")
    assert _files(tmp_path / "threads") == _files(tmp_path / "default")


def test_a_portfolio_on_a_local_cluster_gives_the_in_process_outputs(two_studies, tmp_path):
    """Two studies as one graph on a LocalCluster of 2 workers (processes=False: in-process workers start in a
    second rather than the many seconds two interpreters take to import pandas; the graph still goes through
    the distributed scheduler and its two workers)."""
    distributed = pytest.importorskip("distributed", reason="dask.distributed is a test dependency: pip install -e '.[test]'")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        results = run_portfolio(two_studies, tmp_path / "cluster", options=RunOptions(scheduler=cluster.scheduler_address))
    assert [type(r).__name__ for _, r in results] == ["RunResult", "RunResult"]
    for study in two_studies:
        run_study(study, tmp_path / "local" / study.name)
        cluster_files = _files(tmp_path / "cluster" / study.name)
        assert cluster_files and cluster_files == _files(tmp_path / "local" / study.name)


def test_a_study_with_bad_data_fails_alone_in_a_portfolio(two_studies, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(two_studies[1], broken)
    raw = tmp_path / "broken-raw"
    shutil.copytree(Path(re.search(r"(?m)^  folder: (\S+)", (broken / "study.yaml").read_text()).group(1)), raw)
    (broken / "study.yaml").write_text(re.sub(r"(?m)^  folder: .+$", f"  folder: {raw.as_posix()}", (broken / "study.yaml").read_text(), count=1))
    text = (raw / "ae.csv").read_text()
    date = re.search(r"\b\d\d-[A-Z]{3}-\d{4}\b", text.splitlines()[1]).group(0)
    (raw / "ae.csv").write_text(text.replace(date, "31-FEB-2024", 1))  # an impossible date: a data error in AE
    results = dict(run_portfolio([two_studies[0], broken], tmp_path / "out"))
    assert type(results[two_studies[0]]).__name__ == "RunResult"
    failure = results[broken]
    assert isinstance(failure, DataErrors | DataError) and "31-FEB-2024" in str(failure)
    assert not (tmp_path / "out" / "broken").exists()  # nothing written for the failed study
    assert (tmp_path / "out" / "broken.queries.csv").is_file()
    assert (tmp_path / "out" / two_studies[0].name / "reports" / "run.json").is_file()
