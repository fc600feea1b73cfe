"""Dates outside their visit's window are warnings found by every run: a rerun taking datasets from the cache lists
each once, whichever scheduler built them, and records made by the spec alone (no raw file row) are named as such."""

from __future__ import annotations

import shutil

import pytest

from cdisc.study import RunOptions, run_study


@pytest.fixture(scope="module")
def narrow_windows(small_example, tmp_path_factory):
    """The small example with CYCLE 1 DAY 8 allowed on day 8 only: some LB, VS and SV dates fall outside."""
    root = tmp_path_factory.mktemp("narrow")
    shutil.copytree(small_example.parent / "extract", root / "extract")
    study = root / "study"
    shutil.copytree(small_example, study)
    study_yaml = study / "study.yaml"
    text = study_yaml.read_text()
    narrowed = text.replace("collected: [C1D8], visitdy: 8}", "collected: [C1D8], visitdy: 8, window: [0, 0]}")
    assert narrowed != text
    study_yaml.write_text(narrowed)
    return study


@pytest.mark.parametrize("scheduler", ["sync", "processes"])
def test_a_rerun_lists_each_visit_window_warning_once(narrow_windows, tmp_path, scheduler):
    options = RunOptions(scheduler=scheduler)
    first = run_study(narrow_windows, tmp_path / "out", options=options)
    queries = (tmp_path / "out" / "reports" / "queries.csv").read_text()
    rerun = run_study(narrow_windows, tmp_path / "out", options=options)
    assert rerun.reused and [str(w) for w in rerun.warnings] == [str(w) for w in first.warnings]
    assert (tmp_path / "out" / "reports" / "queries.csv").read_text() == queries
    windows = [str(w) for w in first.warnings if "outside the window of visit CYCLE 1 DAY 8" in str(w)]
    assert {w.split(".")[0] for w in windows} >= {"LB", "SV"}
    sv = next(w for w in windows if w.startswith("SV."))
    assert "record(s) without a raw file row" in sv  # SV's records are made from other domains' visits


def test_worker_processes_find_the_warnings_one_process_finds(narrow_windows, tmp_path):
    """With worker processes each dataset's check task finds its window warnings; they are the ones found in one process."""
    queries = {}
    for scheduler in ("sync", "processes"):
        run_study(narrow_windows, tmp_path / scheduler, options=RunOptions(scheduler=scheduler))
        queries[scheduler] = (tmp_path / scheduler / "reports" / "queries.csv").read_text()
    assert "outside the window of visit CYCLE 1 DAY 8" in queries["sync"]
    assert queries["processes"] == queries["sync"]


def test_a_rerun_takes_the_window_warnings_kept_and_works_out_damaged_ones(narrow_windows, tmp_path):
    """Worker processes keep each dataset's window warnings in its cache entry; a rerun that takes the dataset (and DM)
    takes them, and works them out again when the kept file was damaged."""
    options = RunOptions(scheduler="processes")
    run_study(narrow_windows, tmp_path / "out", options=options)
    cache = tmp_path / "out" / ".cdisc-cache"
    queries = (tmp_path / "out" / "reports" / "queries.csv").read_text()
    assert "outside the window" in (cache / "lb.windows.json").read_text() and (cache / "lb.windows.kept").is_file()
    (cache / "lb.windows.json").write_text("[]")  # damaged: its SHA-256 is not the one kept
    rerun = run_study(narrow_windows, tmp_path / "out", options=options)
    assert "LB" in rerun.reused
    assert (tmp_path / "out" / "reports" / "queries.csv").read_text() == queries
    assert "outside the window" in (cache / "lb.windows.json").read_text()
