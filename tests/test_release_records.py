"""The command line lets go of each dataset's records once its files are written (a 10,000-subject run would
otherwise hold every dataset twice while validation reads the files back): the outputs stay byte-identical to a
run that keeps them, and the summary still counts every record."""

from __future__ import annotations

import gc
from pathlib import Path

from cdisc.study import RunOptions, run_study


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_letting_go_of_records_changes_no_output_and_no_count(small_example, small_example_run, tmp_path):
    released = run_study(small_example, tmp_path / "released", options=RunOptions(keep_records=False))
    assert _files(tmp_path / "released") == _files(small_example_run)
    lb = next(one for one in released.built if one.spec.dataset == "LB")
    assert len(lb.frame) == len(lb.lineage) == 0 and list(lb.frame.columns)  # the records are gone, the columns stay
    assert lb.records > 0 and lb.subjects == 8
    assert f"LB       {lb.records:>7} record(s)" in "\n".join(released.summary_lines())


def test_the_api_keeps_the_records(small_example, tmp_path):
    kept = run_study(small_example, tmp_path / "kept")
    dm = next(one for one in kept.built if one.spec.dataset == "DM")
    assert len(dm.frame) == dm.records == dm.subjects == 8


def test_a_run_leaves_the_garbage_collector_as_it_found_it(small_example, tmp_path):
    """A run freezes the objects of the loaded study for its duration (full collections skip them); a program that
    runs studies one after another gets them back to collect."""
    run_study(small_example, tmp_path / "out", options=RunOptions(keep_records=False, scheduler="sync"))
    assert gc.get_freeze_count() == 0


def test_a_record_step_may_give_merged_text_a_new_value(small_example, tmp_path):
    """ADSL's text merged onto ADLB's records is held once per distinct value while ADLB is built: a worst-grade
    record step that sets it to a value no subject has (TRT01A) gives that value, as text, in either scheduler."""
    import shutil

    import pyreadstat

    study = Path(shutil.copytree(small_example, tmp_path / "study"))
    (study.parent / "extract").symlink_to(small_example.parent / "extract")
    adlb = study / "adam" / "adlb.yaml"
    worst = "set_values_to: {AVISIT: Post-Baseline Worst Low Grade, AVISITN: 9998, DTYPE: WOC}"
    adlb.write_text(adlb.read_text().replace(worst, worst[:-1] + ", TRT01A: Another Arm}"))
    frames = {}
    for scheduler in ("processes", "sync"):
        run_study(study, tmp_path / scheduler, options=RunOptions(scheduler=scheduler))
        frames[scheduler], _ = pyreadstat.read_xport(tmp_path / scheduler / "adam" / "adlb.xpt")
    worst_low = frames["processes"][frames["processes"]["AVISITN"] == 9998]
    assert len(worst_low) and set(worst_low["TRT01A"]) == {"Another Arm"}
    assert "Another Arm" not in set(frames["processes"].loc[frames["processes"]["AVISITN"] != 9998, "TRT01A"])
    assert frames["processes"].equals(frames["sync"])


def test_holding_every_repetitive_variable_changes_no_output(small_example, small_example_run, tmp_path, monkeypatch):
    """A large raw table holds its repetitive text columns once per distinct value (SDTM rules, expressions, merges,
    the pivot of findings and the reconciliation read them as text); a large ADaM build in a worker process holds its
    repetitive text variables so as it builds them (rules read them as text, record steps copy them), and reads the
    repetitive text of the datasets it is made from so when its record steps copy records whole: held from the first
    record, the outputs are the same."""
    import cdisc.arrowtext

    monkeypatch.setattr(cdisc.arrowtext, "HELD_FROM", 1)  # (the worker processes are forked: they see it)
    run_study(small_example, tmp_path / "held", options=RunOptions(scheduler="processes"))
    assert _files(tmp_path / "held") == _files(small_example_run)
