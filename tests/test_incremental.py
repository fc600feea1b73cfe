"""Incremental reruns: only the datasets whose specs or raw inputs changed are built again, and the outputs
are byte-identical to a full rebuild (--force)."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from cdisc.incremental import tables_named
from cdisc.simulate import simulate_study
from cdisc.study import RunOptions, run_study


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, Path]:
    """A small study (the example's specs on an 8-subject extract) and its first run's output folder."""
    root = tmp_path_factory.mktemp("incremental")
    simulate_study(root / "extract", subjects=8, seed=11)
    study = root / "study"
    shutil.copytree(REPO / "specs", study)
    text = (study / "study.yaml").read_text()
    (study / "study.yaml").write_text(re.sub(r"(?m)^  folder: \.\./examples/bat8008/raw", "  folder: ../extract/raw", text))
    run_study(study, root / "out")
    return study, root / "out"


def test_tables_named_anywhere_in_a_spec():
    spec = {"source": {"table": "vs", "merge": [{"table": "dm", "by": ["SUBJID"]}]}, "variables": [{"name": "X", "expr": "table"}]}
    assert tables_named(spec) == {"vs", "dm"}
    assert tables_named({"source": {"dataset": "AE"}}) == set()


def _rerun(study: Path, previous: Path, where: Path, monkeypatch, force: bool = False):
    """Run ``study`` into a copy of ``previous`` at ``where/out``, from ``where`` (so that the change report
    names the folder it compared with as ``out`` in every run)."""
    shutil.copytree(previous, where / "out")
    monkeypatch.chdir(where)
    return run_study(study.resolve(), Path("out"), options=RunOptions(force=force))


def test_a_rerun_with_nothing_changed_takes_every_dataset_from_the_previous_run(first_run, tmp_path, monkeypatch):
    study, out = first_run
    result = _rerun(study, out, tmp_path / "again", monkeypatch)
    assert sorted(result.reused) == sorted(b.spec.dataset for b in result.built)
    forced = _rerun(study, out, tmp_path / "forced", monkeypatch, force=True)
    assert forced.reused == []
    assert _files(tmp_path / "again" / "out") == _files(tmp_path / "forced" / "out")


def test_a_changed_raw_table_rebuilds_only_what_depends_on_it_and_matches_a_full_rebuild(first_run, tmp_path, monkeypatch):
    study, out = first_run
    changed = tmp_path / "study"
    shutil.copytree(study, changed)
    raw = tmp_path / "extract" / "raw"  # the same layout: study.yaml is unchanged, only a raw table is
    shutil.copytree(study.parent / "extract" / "raw", raw)
    rows = list(csv.reader(io.StringIO((raw / "cm.csv").read_text())))
    rows[1][rows[0].index("CMTRT")] += " SODIUM"  # one medication renamed
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (raw / "cm.csv").write_text(buffer.getvalue())
    incremental = _rerun(changed, out, tmp_path / "incremental", monkeypatch)
    full = _rerun(changed, out, tmp_path / "full", monkeypatch, force=True)
    rebuilt = {b.spec.dataset for b in incremental.built} - set(incremental.reused)
    assert "CM" in rebuilt and "DM" not in rebuilt and "LB" not in rebuilt
    assert full.reused == []
    assert _files(tmp_path / "incremental" / "out") == _files(tmp_path / "full" / "out")


def test_a_changed_spec_rebuilds_its_dataset_and_those_built_from_it(first_run, tmp_path, monkeypatch):
    study, out = first_run
    changed = tmp_path / "study"
    shutil.copytree(study, changed)
    shutil.copytree(study.parent / "extract", tmp_path / "extract")
    ae = changed / "sdtm" / "ae.yaml"
    ae.write_text(ae.read_text() + "\n# an edit\n")
    result = _rerun(changed, out, tmp_path / "rerun", monkeypatch)
    rebuilt = {b.spec.dataset for b in result.built} - set(result.reused)
    assert {"AE", "ADAE"} <= rebuilt and "DM" not in rebuilt and "VS" not in rebuilt
