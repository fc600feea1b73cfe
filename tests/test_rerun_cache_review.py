"""Reviewer's tests (session of 2 December, issue 15): what an incremental rerun takes from the previous run's cache
entry and manifest, and the Arrow CSV reader, against hand-damaged or unusual input. Each failed at 319ba52 (fixed
by ee2cf01 and the commit that adds this sentence)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import minimal_study

from cdisc.checks.standards import SHIPPED
from cdisc.raw import RawTableFile, _read_csv_arrow
from cdisc.study import RunOptions, _move_into_place, run_study


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cdisc-cache" not in p.parts}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, Path]:
    """A minimal study (DM, AE) and its first run, by worker processes (which keep define answers and findings)."""
    root = tmp_path_factory.mktemp("rerun-review")
    study = minimal_study(root / "study")
    run_study(study, root / "out", options=RunOptions(scheduler="processes"))
    return study, root / "out"


def _rerun(study: Path, first: Path, where: Path, monkeypatch, **options):
    """A rerun into a copy of the first run's folder at ``where/out`` (named relatively, so reports name it alike)."""
    shutil.copytree(first, where / "out")
    monkeypatch.chdir(where)
    return run_study(study.resolve(), Path("out"), options=RunOptions(scheduler="processes", **options))


@pytest.mark.parametrize("content", [b"{", b"[]", b"{}"])
def test_damaged_define_answers_are_worked_out_again(first_run, tmp_path, monkeypatch, content):
    study, out = first_run
    shutil.copytree(out, tmp_path / "damaged")
    (tmp_path / "damaged" / ".cdisc-cache" / "ae.define.json").write_bytes(content)
    _rerun(study, tmp_path / "damaged", tmp_path / "a", monkeypatch)
    _rerun(study, out, tmp_path / "b", monkeypatch, force=True)
    assert _outputs(tmp_path / "a" / "out") == _outputs(tmp_path / "b" / "out")


@pytest.mark.parametrize(("name", "content"), [
    ("ae.checks.json", b"{"), ("ae.checks.json", b"{}"), ("ae.checks.ke?*", b"\xff\xfe"), ("ae.checks.arrow", b"garbage"),
    ("ae.checks.arrow", None),  # deleted: its findings are silently lost
])
def test_damaged_findings_are_worked_out_again(first_run, tmp_path, monkeypatch, name, content):
    study, out = first_run
    shutil.copytree(out, tmp_path / "damaged")
    (path,) = (tmp_path / "damaged" / ".cdisc-cache").glob(name)  # (the findings' key: .key at 319ba52, .kept since)
    path.unlink() if content is None else path.write_bytes(content)
    _rerun(study, tmp_path / "damaged", tmp_path / "a", monkeypatch)
    _rerun(study, out, tmp_path / "b", monkeypatch, force=True)
    assert _outputs(tmp_path / "a" / "out") == _outputs(tmp_path / "b" / "out")



def test_findings_follow_the_standards_folder(first_run, tmp_path, monkeypatch):
    study, out = first_run
    standards = tmp_path / "standards"
    shutil.copytree(SHIPPED, standards)
    variables = standards / "sdtmig-3.4" / "Variables.csv.gz"
    lines = gzip.decompress(variables.read_bytes()).decode("utf-8").split("\n")
    lines = [line[: -len('"Perm"')] + '"Req"' if ',"AE","AEGRPID",' in line else line for line in lines]
    variables.write_bytes(gzip.compress("\n".join(lines).encode("utf-8")))
    monkeypatch.setenv("CDISC_STANDARDS", str(standards))
    again = _rerun(study, out, tmp_path / "a", monkeypatch)
    forced = _rerun(study, out, tmp_path / "b", monkeypatch, force=True)
    assert "AEGRPID" in " ".join(forced.findings["message"].astype(str))
    assert again.findings.equals(forced.findings)



def test_a_manifest_listing_outputs_as_a_list_is_no_internal_error(first_run, tmp_path, monkeypatch):
    study, out = first_run
    shutil.copytree(out, tmp_path / "edited")
    manifest = tmp_path / "edited" / "reports" / "run.json"
    content = json.loads(manifest.read_text())
    manifest.write_text(json.dumps(content | {"outputs": sorted(content["outputs"])}))
    assert sorted(_rerun(study, tmp_path / "edited", tmp_path / "a", monkeypatch).reused) == ["AE", "DM"]


def _folders(tmp_path: Path) -> tuple[Path, Path, Path]:
    target, staging, outside = tmp_path / "out", tmp_path / "staging", tmp_path / "outside"
    for folder in (target / "sdtm", target / "reports", staging / "sdtm", outside):
        folder.mkdir(parents=True)
    (staging / "sdtm" / "ae.xpt").write_text("new")
    (outside / "mine.txt").write_text("a user's file")
    return target, staging, outside


@pytest.mark.parametrize("listed", ["sdtm", "", "sdtm/ae.xpt/x"])
def test_a_manifest_naming_a_folder_is_no_internal_error(tmp_path, listed):
    target, staging, _ = _folders(tmp_path)
    (target / "reports" / "run.json").write_text(json.dumps({"outputs": {listed: "x"}}))
    _move_into_place(staging, target)
    assert (target / "sdtm" / "ae.xpt").read_text() == "new"



def test_a_manifest_path_through_a_symlink_removes_nothing_outside(tmp_path):
    target, staging, outside = _folders(tmp_path)
    os.symlink(outside, target / "link")
    (target / "reports" / "run.json").write_text(json.dumps({"outputs": {"link/mine.txt": "x"}}))
    _move_into_place(staging, target)
    assert (outside / "mine.txt").is_file()


@pytest.mark.parametrize("content", [b"A\nx\n   \ny\n", b"A\r\nx\r\n\t\r\ny\r\n", b"A\nx\n  "])
def test_a_one_column_csv_with_a_blank_looking_line_reads_as_pandas_does(tmp_path, content):
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    taken = _read_csv_arrow(RawTableFile("t", path))
    expected = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    assert taken is None or taken.equals(expected)


def test_a_manifest_naming_an_impossible_file_is_no_internal_error(tmp_path):
    target, staging, _ = _folders(tmp_path)
    (target / "reports" / "run.json").write_text(json.dumps({"outputs": {"a" * 5000: "x"}}))
    _move_into_place(staging, target)
    assert (target / "sdtm" / "ae.xpt").read_text() == "new"


def test_a_symlinked_cache_folder_keeps_the_files_it_points_to(tmp_path):
    target, staging, outside = _folders(tmp_path)
    os.symlink(outside, target / ".cdisc-cache")
    _move_into_place(staging, target)
    assert (outside / "mine.txt").is_file()


def test_a_cache_from_another_run_does_not_hide_changes(first_run, tmp_path, monkeypatch):
    from cdisc.changes import summary_frame

    study, out = first_run
    edited = tmp_path / "edited"
    shutil.copytree(study, edited)
    raw = edited / "raw" / "ae.csv"
    raw.write_text(raw.read_text().replace("Nausea", "Vomiting"))
    run_study(edited, tmp_path / "other", options=RunOptions(scheduler="processes"))  # the same inputs, another folder
    shutil.copytree(out, tmp_path / "mixed")
    shutil.rmtree(tmp_path / "mixed" / ".cdisc-cache")
    shutil.copytree(tmp_path / "other" / ".cdisc-cache", tmp_path / "mixed" / ".cdisc-cache")
    again = _rerun(edited, tmp_path / "mixed", tmp_path / "a", monkeypatch)
    forced = _rerun(edited, out, tmp_path / "b", monkeypatch, force=True)
    assert "AE" in again.reused
    changed = {name: summary_frame(run.changes).set_index("dataset").loc["AE", "changed"] for name, run in (("again", again), ("forced", forced))}
    assert changed["forced"] == 1
    assert changed["again"] == changed["forced"]
