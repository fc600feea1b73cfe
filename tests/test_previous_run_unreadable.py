"""A rerun compares with the run already in its output folder, reading it a dataset at a time; a damaged file of
that run is a data error naming the folder and what to do (exit 1), and the folder is left as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import minimal_study

from cdisc.study import run_study


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("damage", [lambda data: data[:1000], lambda data: b""], ids=["truncated", "empty"])
def test_a_damaged_file_of_the_previous_run_is_a_data_error_and_nothing_is_written(tmp_path, damage):
    study = minimal_study(tmp_path / "study")
    out = tmp_path / "out"
    run_study(study, out)
    ae = out / "sdtm" / "ae.xpt"
    ae.write_bytes(damage(ae.read_bytes()))
    before = _files(out)
    rerun = subprocess.run([sys.executable, "-m", "cdisc", "run", str(study), "--out", str(out), "--force"], capture_output=True, text=True)
    assert rerun.returncode == 1, rerun.stderr
    assert "the previous run in" in rerun.stderr and "cannot be read: ae.xpt" in rerun.stderr and "--compare-to" in rerun.stderr
    assert _files(out) == before
