"""The weekly transfer: a dated run (--created, --reproducible, --data-cutoff) and the change report between transfers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_queries import needs_ct, transfer_study
from test_sdtm_engine import replace_in

from cdisc.changes import Identity, Snapshot, derive_dataset_changes, new_exclusions
from cdisc.xpt import read_xpt


def cdisc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cdisc", *args], check=False, capture_output=True, text=True)


def second_transfer(study: Path) -> None:
    """Transfer 2 from transfer 1: two new AEs (one inserted in the middle of ae.csv), a new subject (with an
    AE page saying "no AE": a new exclusion), a withdrawal, a changed lab value and a corrected CM date."""
    replace_in(study, "raw/ae.csv", "01,001,Y,Nausea", "01,001,Y,Vomiting,10-MAR-2024,,Mild,N,N\n01,001,Y,Nausea")
    replace_in(study, "raw/ae.csv", "Severe,Y,Y\n", "Severe,Y,Y\n02,003,Y,Rash,25-MAR-2024,,Mild,N,N\n01,004,N,,,,,,\n")
    replace_in(study, "raw/dm.csv", "02,003,F,54\n", "02,003,F,54\n01,004,M,48\n")
    replace_in(study, "raw/ex.csv", "08:15\n", "08:15\n01,004,20-MAR-2024,10:00\n")
    replace_in(study, "raw/ds.csv", "26-MAR-2024\n", "26-MAR-2024\n02,003,Withdrawal by subject,28-MAR-2024\n")
    replace_in(study, "raw/lb.csv", "12.1,07-MAR", "12.7,07-MAR")
    replace_in(study, "raw/cm.csv", "Paracetamol,500,06-MAR-2024", "Paracetamol,500,08-MAR-2024")


def records(data: dict, dataset: str, kind: str, columns: list[str]) -> list[list]:
    return [[row[c] for c in columns] for row in data["datasets"][dataset][kind]]


@needs_ct
def test_the_change_report_lists_exactly_what_changed_between_two_transfers(tmp_path):
    study, out = transfer_study(tmp_path), tmp_path / "out"
    assert cdisc("run", str(study), "--out", str(out)).returncode == 0
    assert not (out / "reports" / "changes.txt").exists()  # a first transfer has nothing to compare with
    second_transfer(study)
    done = cdisc("run", str(study), "--out", str(out))  # the output folder holds transfer 1: compared automatically
    assert done.returncode == 0, done.stderr
    assert "1 new subject(s), 4 record(s) added, 0 removed, 2 changed, 2 renumbered; see reports/changes.txt" in done.stdout

    data = json.loads((out / "reports" / "changes.json").read_text())
    assert (data["new_subjects"], data["dropped_subjects"]) == (["XFER-01-01-004"], [])
    summary = pd.DataFrame(data["summary"]).set_index("dataset").sort_index()
    #                     before now added removed changed renumbered
    assert summary.loc[["AE", "CM", "DM", "DS", "LB", "TS"]].values.tolist() == [
        [4, 6, 2, 0, 0, 2],
        [2, 2, 0, 0, 1, 0],
        [3, 4, 1, 0, 0, 0],
        [1, 2, 1, 0, 0, 0],
        [3, 3, 0, 0, 1, 0],
        [1, 1, 0, 0, 0, 0],
    ]
    assert records(data, "AE", "added", ["USUBJID", "AETERM", "AESTDTC", "AESEQ"]) == [
        ["XFER-01-01-001", "VOMITING", "2024-03-10", 2.0],
        ["XFER-01-02-003", "RASH", "2024-03-25", 2.0],
    ]
    assert records(data, "AE", "renumbered", ["AETERM", "before", "after"]) == [["NAUSEA", 2.0, 3.0], ["FATIGUE", 3.0, 4.0]]
    assert records(data, "DM", "added", ["USUBJID"]) == [["XFER-01-01-004"]]
    assert records(data, "DS", "added", ["USUBJID", "DSDECOD", "DSSTDTC"]) == [["XFER-01-02-003", "WITHDRAWAL BY SUBJECT", "2024-03-28"]]
    assert records(data, "LB", "changed", ["USUBJID", "variable", "before", "after"]) == [
        ["XFER-01-01-002", "LBORRES", "12.1", "12.7"],
        ["XFER-01-01-002", "LBSTRESN", 12.1, 12.7],
    ]
    assert records(data, "CM", "changed", ["USUBJID", "variable", "before", "after"]) == [["XFER-01-01-001", "CMSTDTC", "2024-03-06", "2024-03-08"]]
    assert data["datasets"]["CM"]["recognised_by_lineage"] == 1  # its natural key (the date) changed; the raw row did not
    assert all(not data["datasets"][d][k] for d in ("AE", "DM", "DS") for k in ("removed", "changed"))
    assert [[e["dataset"], e["USUBJID"]] for e in data["new_exclusions"]] == [["AE", "XFER-01-01-004"]]
    text = (out / "reports" / "changes.txt").read_text()
    assert "AE: 2 record(s) renumbered (AESEQ before -> after; the same record by USUBJID, AESTDTC, AETERM)" in text
    assert json.loads((out / "reports" / "run.json").read_text())["changes"]["compared_to"] == str(out)


@needs_ct
def test_compare_to_names_the_previous_transfer_and_must_hold_a_run(tmp_path):
    study = transfer_study(tmp_path)
    assert cdisc("run", str(study), "--out", str(tmp_path / "week1")).returncode == 0
    replace_in(study, "raw/lb.csv", "13.5,05-MAR", "13.9,05-MAR")
    assert cdisc("run", str(study), "--out", str(tmp_path / "week2"), "--compare-to", str(tmp_path / "week1")).returncode == 0
    data = json.loads((tmp_path / "week2" / "reports" / "changes.json").read_text())
    assert [s["dataset"] for s in data["summary"] if s["changed"]] == ["LB"]
    (tmp_path / "empty").mkdir()
    done = cdisc("run", str(study), "--out", str(tmp_path / "week3"), "--compare-to", str(tmp_path / "empty"))
    assert done.returncode == 2 and "no run output there" in done.stderr


@needs_ct
def test_a_dated_run_stamps_created_and_the_data_cutoff(tmp_path):
    study = transfer_study(tmp_path)
    replace_in(study, "sdtm/dm.yaml", "  - {name: SEX,", "  - {name: DMDTC, label: Date/Time of Collection, type: text, origin: Derived, expr: DCUTDTC}\n  - {name: SEX,")
    out = tmp_path / "out"
    done = cdisc("run", str(study), "--out", str(out), "--created", "2024-04-02T08:00:00", "--data-cutoff", "2024-03-31")
    assert done.returncode == 0, done.stderr
    assert "Converted 2024-04-02T08:00:00, data cutoff 2024-03-31" in done.stdout
    run = json.loads((out / "reports" / "run.json").read_text())
    assert (run["created"], run["data_cutoff"]) == ("2024-04-02T08:00:00", "2024-03-31")
    assert 'CreationDateTime="2024-04-02T08:00:00"' in (out / "sdtm" / "define.xml").read_text()
    ts, _ = read_xpt(out / "sdtm" / "ts.xpt")
    assert ts.loc[ts["TSPARMCD"] == "DCUTDTC", ["TSPARM", "TSVAL"]].values.tolist() == [["Data Cutoff Date", "2024-03-31"]]
    dm, _ = read_xpt(out / "sdtm" / "dm.xpt")
    assert set(dm["DMDTC"]) == {"2024-03-31"}  # DCUTDTC in an expression

    assert cdisc("run", str(study), "--out", str(out), "--reproducible").returncode == 0  # study.yaml's output.created
    run = json.loads((out / "reports" / "run.json").read_text())
    assert (run["created"], run["data_cutoff"]) == ("2026-01-15T09:00:00", None)
    ts, _ = read_xpt(out / "sdtm" / "ts.xpt")
    assert "DCUTDTC" not in set(ts["TSPARMCD"]) and set(read_xpt(out / "sdtm" / "dm.xpt")[0]["DMDTC"]) == {""}

    assert cdisc("run", str(study), "--out", str(out)).returncode == 0  # by default: when the transfer was converted
    assert json.loads((out / "reports" / "run.json").read_text())["created"] != "2026-01-15T09:00:00"


def test_records_pair_by_natural_key_then_by_lineage_and_the_rest_are_added_or_removed():
    #   before                                after
    #   USUBJID AESEQ AETERM AESTDTC          USUBJID AESEQ AETERM AESTDTC    raw row
    #   A       1     X      2024-01-02       A       1     X      2024-01-02  2
    #   A       2     Y      2024-01-05       A       2     Y      2024-01-04  3   (date corrected: same raw row)
    #   B       1     W      2024-02-01       -                                     (removed)
    #                                         B       1     V      2024-02-03  5   (added)
    identity = Identity(["USUBJID", "AESEQ"], "AESEQ", ["USUBJID", "AESTDTC", "AETERM"])
    before = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AESEQ": [1.0, 2.0, 1.0], "AETERM": ["X", "Y", "W"],
                           "AESTDTC": ["2024-01-02", "2024-01-05", "2024-02-01"]})
    after = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AESEQ": [1.0, 2.0, 1.0], "AETERM": ["X", "Y", "V"],
                          "AESTDTC": ["2024-01-02", "2024-01-04", "2024-02-03"]})
    lineage = pd.DataFrame({"USUBJID": ["A", "A", "B"], "@file": ["ae.csv"] * 3, "@row": ["2", "3", "4"]})
    found = derive_dataset_changes("AE", Snapshot(before, lineage), Snapshot(after, lineage.assign(**{"@row": ["2", "3", "5"]})), identity)
    assert found.changed[["AETERM", "variable", "before", "after"]].values.tolist() == [["Y", "AESTDTC", "2024-01-05", "2024-01-04"]]
    assert (found.by_lineage, found.removed["AETERM"].tolist(), found.added["AETERM"].tolist()) == (1, ["W"], ["V"])
    assert found.renumbered.empty


def test_new_exclusions_are_counted_per_subject_so_moved_raw_rows_are_not_new():
    before = pd.DataFrame({"dataset": ["AE"], "reason": ["no AE"], "USUBJID": ["S2"], "@file": ["ae.csv"], "@row": [4]})
    after = pd.DataFrame({"dataset": ["AE", "AE"], "reason": ["no AE"] * 2, "USUBJID": ["S2", "S4"], "@file": ["ae.csv"] * 2, "@row": [5, 9]})
    assert new_exclusions(before, after)[["USUBJID", "@row"]].values.tolist() == [["S4", "9"]]
    assert new_exclusions(after, after).empty


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch):
    monkeypatch.delenv("CDISC_DEBUG", raising=False)
