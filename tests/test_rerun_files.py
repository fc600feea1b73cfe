"""A rerun in worker processes copies the files of a dataset taken from the previous run instead of writing them again,
when they would be the same bytes and are still as that run wrote them; else it writes them again."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from conftest import minimal_study

from cdisc.study import RunOptions, run_study


def _outputs(folder: Path) -> dict[str, bytes]:
    """The dataset files and define.xml (the reports of a rerun also say what changed since the previous run)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted((folder / "sdtm").rglob("*")) if p.is_file()}


@pytest.fixture
def rerun(tmp_path) -> tuple[Path, Path]:
    """A small study run once in worker processes, then with AE's label edited (DM is taken from the first run)."""
    study = minimal_study(tmp_path / "study")
    run_study(study, tmp_path / "out", options=RunOptions(scheduler="processes"))
    spec = study / "sdtm" / "ae.yaml"
    spec.write_text(spec.read_text().replace("label: Adverse Events", "label: Adverse Events Again", 1))
    return study, tmp_path / "out"


def _listed(out: Path, stem: str) -> dict:
    return json.loads((out / ".cdisc-cache" / f"{stem}.files.json").read_text())


def test_a_taken_datasets_files_are_those_of_a_full_rebuild(rerun, tmp_path):
    study, out = rerun
    result = run_study(study, out, options=RunOptions(scheduler="processes"))
    assert result.reused == ["DM"]
    full = tmp_path / "full"
    run_study(study, full, options=RunOptions(scheduler="processes", force=True))
    assert _outputs(out) == _outputs(full)
    assert _listed(out, "dm") == _listed(full, "dm")
    assert set(_listed(out, "dm")["sha256"]) >= {"sdtm/dm.xpt", "sdtm/lineage/dm.csv"}


@pytest.mark.parametrize("damage", ["output edited", "output removed", "list damaged"])
def test_files_no_longer_as_written_are_written_again(rerun, tmp_path, damage):
    study, out = rerun
    dm = out / "sdtm" / "dm.xpt"
    expected = dm.read_bytes()
    if damage == "output edited":
        dm.write_bytes(expected[:-1] + b"!")
    elif damage == "output removed":
        dm.unlink()
    else:
        (out / ".cdisc-cache" / "dm.files.json").write_text('{"key": "x", "sha256": {"../../etc/passwd": "0"}}')
    result = run_study(study, out, options=RunOptions(scheduler="processes"))
    assert "DM" in result.reused
    assert dm.read_bytes() == expected


def test_without_a_fixed_time_a_taken_dataset_keeps_the_time_it_was_made(tmp_path):
    """Without --created or --reproducible each run stamps its own time; a dataset taken from the previous run keeps
    that run's time in its XPT header (its files are copied), one built again gets this run's."""
    study = minimal_study(tmp_path / "study")
    options = RunOptions(scheduler="processes", reproducible=False)
    first = run_study(study, tmp_path / "out", options=options)
    headers = {name: (tmp_path / "out" / "sdtm" / f"{name}.xpt").read_bytes()[:480] for name in ("dm", "ae")}
    spec = study / "sdtm" / "ae.yaml"
    spec.write_text(spec.read_text().replace("label: Adverse Events", "label: Adverse Events Again", 1))
    while dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) <= first.created:
        time.sleep(0.1)
    second = run_study(study, tmp_path / "out", options=options)
    assert second.reused == ["DM"] and second.created > first.created
    assert (tmp_path / "out" / "sdtm" / "dm.xpt").read_bytes()[:480] == headers["dm"]
    assert (tmp_path / "out" / "sdtm" / "ae.xpt").read_bytes()[:480] != headers["ae"]
