"""Incremental reruns: only the datasets whose specs or raw inputs changed are built again, and the outputs
are byte-identical to a full rebuild (--force)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from conftest import minimal_study

from cdisc.checks.ahead import check_in_worker
from cdisc.incremental import tables_named
from cdisc.study import RunOptions, run_study


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _outputs(folder: Path) -> dict[str, bytes]:
    """The files of a run but its cache (one run in one process keeps in it less of what worker processes work out)."""
    return {name: content for name, content in _files(folder).items() if not name.startswith(".cdisc-cache/")}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, Path]:
    """A small study (DM, and AE built from DM; raw tables in its own folder) and its first run's output folder."""
    root = tmp_path_factory.mktemp("incremental")
    study = minimal_study(root / "study")
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


def _rebuilt(result) -> set[str]:
    return {b.spec.dataset for b in result.built} - set(result.reused)


def _edit_csv(path: Path, column: str, edit) -> None:
    """Change ``column`` of the first data row of the CSV file at ``path`` with ``edit``."""
    rows = list(csv.reader(io.StringIO(path.read_text())))
    rows[1][rows[0].index(column)] = edit(rows[1][rows[0].index(column)])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue())


def test_a_rerun_with_nothing_changed_takes_every_dataset_from_the_previous_run(first_run, tmp_path, monkeypatch):
    study, out = first_run
    result = _rerun(study, out, tmp_path / "again", monkeypatch)
    assert sorted(result.reused) == sorted(b.spec.dataset for b in result.built) == ["AE", "DM"]
    forced = _rerun(study, out, tmp_path / "forced", monkeypatch, force=True)
    assert forced.reused == []
    assert _files(tmp_path / "again" / "out") == _files(tmp_path / "forced" / "out")


def test_the_files_of_a_dataset_taken_from_the_previous_run_stay_the_files_they_were(first_run, tmp_path, monkeypatch):
    """AE edited: DM is taken from the previous run, and its files stay where they are (the same files, not copies of
    them: at 10,000 subjects such files are gigabytes); AE's are written anew."""
    import os

    (tmp_path / "probe").write_text("x")
    try:
        os.link(tmp_path / "probe", tmp_path / "probe-link")
    except OSError:
        pytest.skip("this file system has no hard links: taken files are copies")
    study, out = first_run
    changed = shutil.copytree(study, tmp_path / "study")
    (changed / "sdtm" / "ae.yaml").write_text((changed / "sdtm" / "ae.yaml").read_text().replace("label: Adverse Events", "label: Adverse Event"))
    previous = shutil.copytree(out, tmp_path / "rerun" / "out")
    before = {name: (previous / name).stat().st_ino for name in ("sdtm/dm.xpt", "sdtm/ae.xpt", ".cdisc-cache/dm.frame.parquet")}
    monkeypatch.chdir(tmp_path / "rerun")
    assert run_study(changed.resolve(), Path("out")).reused == ["DM"]
    after = {name: (previous / name).stat().st_ino for name in before}
    assert after["sdtm/dm.xpt"] == before["sdtm/dm.xpt"] and after[".cdisc-cache/dm.frame.parquet"] == before[".cdisc-cache/dm.frame.parquet"]
    assert after["sdtm/ae.xpt"] != before["sdtm/ae.xpt"]


def test_a_changed_raw_table_rebuilds_only_what_depends_on_it_and_matches_a_full_rebuild(first_run, tmp_path, monkeypatch):
    study, out = first_run
    changed = shutil.copytree(study, tmp_path / "study")
    _edit_csv(changed / "raw" / "ae.csv", "AETERM", lambda term: term + " AGAIN")  # one adverse event renamed
    incremental = _rerun(changed, out, tmp_path / "incremental", monkeypatch)
    full = _rerun(changed, out, tmp_path / "full", monkeypatch, force=True)
    assert _rebuilt(incremental) == {"AE"}  # AE built again from the DM of the previous run
    assert full.reused == []
    assert _files(tmp_path / "incremental" / "out") == _files(tmp_path / "full" / "out")


@pytest.mark.parametrize(("spec", "edit", "rebuilt"), [
    ("dm", lambda text: text + "\n# an edit\n", {"DM"}),  # DM built again with the records it had: AE as it was
    ("dm", lambda text: text.replace("expr: number(AGE)", "expr: number(AGE) + 1"), {"DM", "AE"}),  # AE built from new records
    ("ae", lambda text: text + "\n# an edit\n", {"AE"}),
])
def test_a_changed_spec_rebuilds_its_dataset_and_those_built_from_its_records_when_they_changed(first_run, tmp_path, monkeypatch, spec, edit, rebuilt):
    study, out = first_run
    changed = shutil.copytree(study, tmp_path / "study")
    path = changed / "sdtm" / f"{spec}.yaml"
    path.write_text(edit(path.read_text()))
    incremental = _rerun(changed, out, tmp_path / "incremental", monkeypatch)
    assert _rebuilt(incremental) == rebuilt
    _rerun(changed, out, tmp_path / "full", monkeypatch, force=True)
    assert _files(tmp_path / "incremental" / "out") == _files(tmp_path / "full" / "out")


def _example_copy(small_example: Path, tmp_path: Path) -> Path:
    """A copy of the small example study and its raw extract in ``tmp_path`` (study.yaml unchanged: ../extract/raw)."""
    shutil.copytree(small_example.parent / "extract" / "raw", tmp_path / "extract" / "raw")
    return shutil.copytree(small_example, tmp_path / "study")


def test_a_dataset_built_again_with_the_records_it_had_leaves_those_built_from_it_as_they_were(small_example, small_example_run, tmp_path,
                                                                                                  monkeypatch):
    """The example: a renamed medication changes CM's records; ADSL, which reads CM (subsequent anticancer therapies),
    is built again and has the records it had, so every other ADaM dataset is taken from the previous run, and only CM's
    files are validated again (ADSL's are made from what they were made from, and no other dataset's rules read CM);
    the outputs are those of a full rebuild, byte for byte."""
    import cdisc.study

    study = _example_copy(small_example, tmp_path)
    _edit_csv(tmp_path / "extract" / "raw" / "cm.csv", "CMTRT", lambda term: term + " SODIUM")  # one medication renamed
    checked = tmp_path / "checked.txt"

    def check_logged(study, handoff, name):  # (run in the worker processes: they append to one file)
        with checked.open("a") as log:
            log.write(f"{name}\n")
        return check_in_worker(study, handoff, name)

    with monkeypatch.context() as patched:
        patched.setattr(cdisc.study, "check_in_worker", check_logged)
        incremental = _rerun(study, small_example_run, tmp_path / "incremental", patched)
    full = _rerun(study, small_example_run, tmp_path / "full", monkeypatch, force=True)
    assert _rebuilt(incremental) == {"CM", "ADSL"}
    assert checked.read_text().split() == ["CM"]
    assert full.reused == []
    assert _files(tmp_path / "incremental" / "out") == _files(tmp_path / "full" / "out")


def test_adam_built_from_reused_sdtm_datasets_matches_a_full_rebuild(small_example, small_example_run, tmp_path, monkeypatch):
    """The example: ADSL's age groups worded anew change every subject's record, so each ADaM dataset built from ADSL is
    built again, from the SDTM datasets as the previous run stored them, byte for byte as a full rebuild."""
    study = _example_copy(small_example, tmp_path)
    adsl = study / "adam" / "adsl.yaml"
    adsl.write_text(adsl.read_text().replace('"<65"', '"<65 years"').replace('">=65"', '">=65 years"'))
    incremental = _rerun(study, small_example_run, tmp_path / "incremental", monkeypatch)
    full = _rerun(study, small_example_run, tmp_path / "full", monkeypatch, force=True)
    rebuilt = _rebuilt(incremental)
    assert {"ADSL", "ADAE", "ADLB", "ADTTE", "ADPC"} <= rebuilt and not {n for n in rebuilt if not n.startswith("AD")}
    assert full.reused == []
    assert _files(tmp_path / "incremental" / "out") == _files(tmp_path / "full" / "out")


def test_the_output_folder_in_the_study_folder_is_not_an_input(tmp_path):
    """The minimal study writes to out/ in its own folder (output.folder), beside its raw/ tables: what the first
    run wrote there is no input of the second, which takes every dataset from it."""
    study = minimal_study(tmp_path / "study")
    run_study(study)
    assert sorted(run_study(study).reused) == ["AE", "DM"]


@pytest.mark.parametrize("damage", [
    ("ae.frame.parquet", b"garbage"),  # a truncated or overwritten parquet file
    ("ae.json", b"[1, 2]"),  # not the header the cache writes
    ("ae.json", b'{"input_hash": null, "warnings": [{"message": "x", "dataset": "AE", "colour": "red"}]}'),
])
@pytest.mark.parametrize("scheduler", ["processes", "sync"])
def test_a_damaged_cache_entry_is_rebuilt(first_run, tmp_path, monkeypatch, damage, scheduler):
    """The cache is the tool's own: an entry that cannot be read (damaged, edited by hand) is rebuilt, never an error."""
    study, out = first_run
    shutil.copytree(out, tmp_path / "out")
    name, content = damage
    (tmp_path / "out" / ".cdisc-cache" / name).write_bytes(content)
    monkeypatch.chdir(tmp_path)
    result = run_study(study.resolve(), Path("out"), options=RunOptions(scheduler=scheduler))
    assert result.reused == ["DM"]
    _rerun(study, out, tmp_path / "forced", monkeypatch, force=True)
    assert _outputs(tmp_path / "out") == _outputs(tmp_path / "forced" / "out")


def test_a_cache_entry_without_the_hash_of_its_records_is_rebuilt(first_run, tmp_path, monkeypatch):
    """An entry whose header lacks its records' SHA-256 (the datasets built from it could not tell whether they changed)
    is rebuilt."""
    study, out = first_run
    shutil.copytree(out, tmp_path / "out")
    header = tmp_path / "out" / ".cdisc-cache" / "ae.json"
    header.write_text(json.dumps({k: v for k, v in json.loads(header.read_text()).items() if k != "records_sha256"}))
    monkeypatch.chdir(tmp_path)
    assert run_study(study.resolve(), Path("out")).reused == ["DM"]
    _rerun(study, out, tmp_path / "forced", monkeypatch, force=True)
    assert _outputs(tmp_path / "out") == _outputs(tmp_path / "forced" / "out")


@pytest.mark.parametrize("damage", [
    ("ae.checks.kept", b"[1, 2]"),  # not the record the cache writes
    ("ae.checks.kept", b'{"key": "k", "sha256": {"checks.json": "0"}, "reached": [3]}'),  # reached: not names
    ("ae.files.json", b"{"),  # the record of AE's files: they are written again, and compared record by record
])
def test_a_damaged_record_of_what_was_worked_out_of_a_dataset_is_worked_out_again(first_run, tmp_path, monkeypatch, damage):
    study, out = first_run
    shutil.copytree(out, tmp_path / "out")
    name, content = damage
    (tmp_path / "out" / ".cdisc-cache" / name).write_bytes(content)
    monkeypatch.chdir(tmp_path)
    assert sorted(run_study(study.resolve(), Path("out")).reused) == ["AE", "DM"]
    _rerun(study, out, tmp_path / "forced", monkeypatch, force=True)
    assert _outputs(tmp_path / "out") == _outputs(tmp_path / "forced" / "out")


def test_a_reused_dataset_s_reports_define_answers_and_findings_come_from_its_cache_entry(small_example, small_example_run, tmp_path, monkeypatch):
    """Plots, summaries, what define.xml asks of the records and the per-dataset validation findings are worked out
    once, when their dataset is built: a rerun that takes every dataset from the previous run writes the reports,
    define.xml and findings their cache entries kept, the files of a full rebuild."""
    import cdisc.study

    def render(*args):
        raise AssertionError("a reused dataset's reports or define.xml answers were worked out again")

    with monkeypatch.context() as patched:
        patched.setattr(cdisc.study, "dataset_reports", render)
        patched.setattr(cdisc.study, "save_summaries", render)
        patched.setattr(cdisc.study, "check_in_worker", render)
        again = _rerun(small_example, small_example_run, tmp_path / "again", patched)
    assert set(again.reused) == {b.spec.dataset for b in again.built}
    _rerun(small_example, small_example_run, tmp_path / "forced", monkeypatch, force=True)
    reports = _files(tmp_path / "again" / "out" / "reports")
    assert {"adpc", "adtte"} <= {name.split("_")[0] for name in reports if name.endswith(".png")}
    assert _files(tmp_path / "again" / "out") == _files(tmp_path / "forced" / "out")


def test_a_previous_file_edited_by_hand_is_compared_record_by_record(first_run, tmp_path, monkeypatch):
    """A reused dataset is reported unchanged without reading its records only while the previous run's file is the
    one it wrote (its SHA-256 in that run's manifest): an AE file edited since shows the edit as a change."""
    study, out = first_run
    shutil.copytree(out, tmp_path / "edited")
    xpt = tmp_path / "edited" / "sdtm" / "ae.xpt"
    content = xpt.read_bytes()
    assert content.count(b"NAUSEA") == 1
    xpt.write_bytes(content.replace(b"NAUSEA", b"NAUSEE"))
    result = _rerun(study, tmp_path / "edited", tmp_path / "rerun", monkeypatch)
    assert sorted(result.reused) == ["AE", "DM"]
    ae = next(d for d in result.changes.datasets if d.dataset == "AE")
    assert ae.changed[["variable", "before", "after"]].values.tolist() == [["AETERM", "NAUSEE", "NAUSEA"]]


def test_a_dataset_built_again_with_the_records_it_had_is_reported_unchanged_without_comparing_records(first_run, tmp_path, monkeypatch):
    """DM's spec edited (a comment): DM is built again with the records it had, so the change report says so without
    reading its records again, unless the previous run's file was edited since (then it is compared)."""
    import cdisc.changes

    study, out = first_run
    changed = shutil.copytree(study, tmp_path / "study")
    (changed / "sdtm" / "dm.yaml").write_text((changed / "sdtm" / "dm.yaml").read_text() + "\n# an edit\n")
    compared: list[str] = []
    derive = cdisc.changes.derive_dataset_changes
    monkeypatch.setattr(cdisc.changes, "derive_dataset_changes", lambda name, *args: compared.append(name) or derive(name, *args))
    result = _rerun(changed, out, tmp_path / "rerun", monkeypatch)
    assert _rebuilt(result) == {"DM"} and compared == []
    assert not any(d.any for d in result.changes.datasets)

    edited = shutil.copytree(out, tmp_path / "edited")
    xpt = edited / "sdtm" / "dm.xpt"
    xpt.write_bytes(xpt.read_bytes().replace(b"YEARS", b"YEARZ", 1))
    again = _rerun(changed, edited, tmp_path / "again", monkeypatch)
    assert compared == ["DM"]
    dm = next(d for d in again.changes.datasets if d.dataset == "DM")
    assert dm.changed[["variable", "before", "after"]].values.tolist()[0] == ["AGEU", "YEARZ", "YEARS"]


def test_files_the_previous_run_wrote_and_this_one_did_not_are_removed(first_run, tmp_path, monkeypatch):
    """The output folder holds this run's outputs only: a file the previous run's manifest lists (a dataset or plot no
    longer made) and an old cache entry go; a user's own file stays, and a manifest naming files outside the folder
    removes nothing there."""
    study, out = first_run
    previous = shutil.copytree(out, tmp_path / "previous")
    manifest = previous / "reports" / "run.json"
    listed = json.loads(manifest.read_text())
    listed["outputs"] |= {"sdtm/xx.xpt": "0" * 64, "reports/dm_old_group.png": "0" * 64, "../outside.txt": "0" * 64}
    manifest.write_text(json.dumps(listed))
    for name in ("sdtm/xx.xpt", "reports/dm_old_group.png", "reports/notes.txt", ".cdisc-cache/xx.json"):
        (previous / name).write_text("x")
    (tmp_path / "rerun").mkdir()
    (tmp_path / "rerun" / "outside.txt").write_text("kept")
    _rerun(study, previous, tmp_path / "rerun", monkeypatch)
    rerun = tmp_path / "rerun" / "out"
    assert not any((rerun / name).exists() for name in ("sdtm/xx.xpt", "reports/dm_old_group.png", ".cdisc-cache/xx.json"))
    assert (rerun / "reports" / "notes.txt").read_text() == "x" and (tmp_path / "rerun" / "outside.txt").read_text() == "kept"
    assert sorted(p.name for p in (rerun / "sdtm").glob("*.xpt")) == ["ae.xpt", "dm.xpt", "suppae.xpt"]


@pytest.mark.parametrize("listed", [{"ae_gone.png": "0" * 64}, ["ae_gone.png"], {"../../escape.png": "0" * 64}])
def test_report_files_a_cache_entry_lists_but_lacks_are_rendered_again(first_run, tmp_path, monkeypatch, listed):
    """Report files gone, listed otherwise than the cache lists them, or named outside the cache: the dataset is still
    taken from the cache, its reports rendered again, and the outputs are those of a full rebuild."""
    study, out = first_run
    shutil.copytree(out, tmp_path / "out")
    header = tmp_path / "out" / ".cdisc-cache" / "ae.json"
    header.write_text(json.dumps(json.loads(header.read_text()) | {"reports": listed}))
    monkeypatch.chdir(tmp_path)
    assert sorted(run_study(study.resolve(), Path("out")).reused) == ["AE", "DM"]
    _rerun(study, out, tmp_path / "forced", monkeypatch, force=True)
    assert _outputs(tmp_path / "out") == _outputs(tmp_path / "forced" / "out")
