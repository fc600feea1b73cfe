"""A rerun with nothing changed leaves the output folder as it is; any change of input, setting or output file converts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import minimal_study

from cdisc.errors import DataError
from cdisc.spec.load import display_path
from cdisc.study import RunOptions, run_portfolio, run_study

CLI = RunOptions(skip_up_to_date=True)  # as `cdisc run` runs


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Each file's bytes and modification time (a file written again, even with the same bytes, has a new time)."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def converted(tmp_path) -> tuple[Path, Path]:
    """A small study and the output folder of its run."""
    study = minimal_study(tmp_path / "study")
    run_study(study, tmp_path / "out", options=CLI)
    return study, tmp_path / "out"


def test_a_rerun_with_nothing_changed_writes_nothing(converted):
    study, out = converted
    before = _files(out)
    result = run_study(study, out, options=CLI)
    assert result.up_to_date is not None and result.built == []
    assert _files(out) == before
    (line,) = result.summary_lines()
    assert "nothing to convert" in line and "up to date" in line and "--force" in line
    assert "its 2 dataset(s)" in line


def test_the_run_key_is_in_the_manifest(converted):
    _, out = converted
    key = json.loads((out / "reports" / "run.json").read_text())["run_sha256"]
    assert len(key) == 64


@pytest.mark.parametrize("change", ["spec", "raw", "output edited", "output removed", "manifest damaged"])
def test_any_change_converts_again(converted, change):
    study, out = converted
    if change == "spec":
        spec = study / "sdtm" / "ae.yaml"
        spec.write_text(spec.read_text().replace("label: Adverse Events", "label: Adverse Events X", 1))
    elif change == "raw":
        raw = study / "raw" / "ae.csv"
        raw.write_text(raw.read_text() + raw.read_text().splitlines()[-1] + "\n")
    elif change == "output edited":
        xpt = next((out / "sdtm").glob("*.xpt"))
        xpt.write_bytes(xpt.read_bytes()[:-1] + b"!")
    elif change == "output removed":
        (out / "reports" / "reconciliation.csv").unlink()
    else:
        (out / "reports" / "run.json").write_text("{not json")
    result = run_study(study, out, options=CLI)
    assert result.up_to_date is None and result.built
    assert (out / "reports" / "reconciliation.csv").is_file()
    assert run_study(study, out, options=CLI).up_to_date is not None  # and now it is


def test_a_new_raw_table_no_spec_reads_is_not_left_unreconciled(converted):
    study, out = converted
    (study / "raw" / "extra.csv").write_text("SUBJID,X\n001,1\n")
    with pytest.raises(DataError, match="extra.csv: 1 row"):
        run_study(study, out, options=CLI)


@pytest.mark.parametrize("options", [
    RunOptions(skip_up_to_date=True, force=True),
    RunOptions(skip_up_to_date=True, formats=("xpt", "json")),
    RunOptions(skip_up_to_date=True, reproducible=False),  # stamped with the current time
    RunOptions(),  # the API's default: a run converts
], ids=["force", "other formats", "another creation time", "not asked"])
def test_settings_that_convert_again(converted, options):
    study, out = converted
    assert run_study(study, out, options=options).up_to_date is None


def test_a_compared_run_always_converts(converted, tmp_path):
    study, out = converted
    shutil.copytree(out, tmp_path / "earlier")
    result = run_study(study, out, options=RunOptions(skip_up_to_date=True, compare_to=tmp_path / "earlier"))
    assert result.up_to_date is None and result.changes is not None


def test_a_plain_run_after_a_compared_one_converts_once(converted, tmp_path):
    """The folder's change report compared with another folder; a run without --compare-to compares with the folder's
    own run, so it converts (once: the run after it finds the folder up to date)."""
    study, out = converted
    shutil.copytree(out, tmp_path / "earlier")
    run_study(study, out, options=RunOptions(compare_to=tmp_path / "earlier"))
    again = run_study(study, out, options=CLI)
    assert again.up_to_date is None and again.changes is not None and again.changes.previous != display_path(tmp_path / "earlier")
    assert run_study(study, out, options=CLI).up_to_date is not None


def test_the_failed_runs_query_list_goes_once_the_inputs_are_back(converted):
    study, out = converted
    queries = out.with_name(f"{out.name}.queries.csv")
    queries.write_text("left by a failed run\n")
    assert run_study(study, out, options=CLI).up_to_date is not None
    assert not queries.exists()


def test_a_portfolio_converts_only_the_studies_that_changed(tmp_path):
    studies = [minimal_study(tmp_path / "one"), minimal_study(tmp_path / "two", "MINI-02")]
    run_portfolio(studies, tmp_path / "out", options=CLI)
    spec = studies[1] / "sdtm" / "ae.yaml"
    spec.write_text(spec.read_text().replace("label: Adverse Events", "label: Adverse Events X", 1))
    results = dict(run_portfolio(studies, tmp_path / "out", options=CLI))
    assert results[studies[0]].up_to_date is not None
    assert results[studies[1]].up_to_date is None and results[studies[1]].reused == ["DM"]


@pytest.mark.parametrize("edit", [{"datasets": 5}, {"created": None}, {"outputs": []}, {"outputs": {"sdtm/dm.xpt": 1}}],
                         ids=["datasets a number", "no time", "outputs a list", "a digest a number"])
def test_a_manifest_edited_by_hand_is_read_in_words(converted, edit):
    """The manifest is no output (it lists them): an edit keeping its key gives an answer, never an internal error."""
    study, out = converted
    manifest = out / "reports" / "run.json"
    manifest.write_text(json.dumps(json.loads(manifest.read_text()) | edit))
    result = run_study(study, out, options=CLI)
    assert result.summary_lines()[0].startswith("Study MINI-01: ")
