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
def test_the_change_report_is_the_same_when_large_datasets_are_read_held(tmp_path, monkeypatch):
    """A large transfer is compared with its datasets' repetitive text held once per distinct value (the raw tables, the
    previous run's XPT files, this run's records as the worker processes left them): every text column held from the first
    record, the change report is the same."""
    import cdisc.arrowtext
    from cdisc.study import RunOptions, run_study

    reports = []
    for held_from, repeated in ((cdisc.arrowtext.HELD_FROM, cdisc.arrowtext.REPEATED), (1, 1e-9)):  # held: every text column
        monkeypatch.setattr(cdisc.arrowtext, "HELD_FROM", held_from)
        monkeypatch.setattr(cdisc.arrowtext, "REPEATED", repeated)
        study, out = transfer_study(tmp_path / f"held-from-{held_from}"), tmp_path / f"out-{held_from}"
        run_study(study, out, options=RunOptions(scheduler="processes"))
        second_transfer(study)
        run_study(study, out, options=RunOptions(scheduler="processes"))
        data = json.loads((out / "reports" / "changes.json").read_text())
        reports.append({key: data[key] for key in ("summary", "datasets", "new_subjects", "dropped_subjects", "new_exclusions")})
    assert reports[0] == reports[1]
    assert reports[1]["datasets"]["LB"]["changed"]  # (what the report finds: see the test above)


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
    dmdtc = "  - {name: DMDTC, label: Date/Time of Collection, type: text, origin: Derived, expr: DCUTDTC}\n"
    replace_in(study, "sdtm/dm.yaml", "  - {name: SEX,", dmdtc + "  - {name: SEX,")
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


@needs_ct
def test_stable_sequencing_keeps_every_old_aeseq_and_numbers_new_records_after_them(tmp_path):
    study, out = transfer_study(tmp_path), tmp_path / "out"
    replace_in(study, "sdtm/ae.yaml", "seq: {order_by: [AESTDTC, AETERM]}", "seq: {order_by: [AESTDTC, AETERM], stable: true}")
    assert cdisc("run", str(study), "--out", str(out)).returncode == 0
    first, _ = read_xpt(out / "sdtm" / "ae.xpt")
    second_transfer(study)
    done = cdisc("run", str(study), "--out", str(out))
    assert done.returncode == 0, done.stderr
    again, _ = read_xpt(out / "sdtm" / "ae.xpt")
    old = dict(zip(first["USUBJID"] + "/" + first["AETERM"], first["AESEQ"]))
    new = dict(zip(again["USUBJID"] + "/" + again["AETERM"], again["AESEQ"]))
    assert {k: new[k] for k in old} == old  # every old AESEQ kept
    #   subject          new AE     AESEQ: after the subject's last earlier number
    assert (new["XFER-01-01-001/VOMITING"], new["XFER-01-02-003/RASH"]) == (4.0, 2.0)
    supp, _ = read_xpt(out / "sdtm" / "suppae.xpt")
    assert sorted(zip(supp["USUBJID"], supp["IDVARVAL"])) == sorted((u, f"{s:.0f}") for u, s in zip(again["USUBJID"], again["AESEQ"]))
    data = json.loads((out / "reports" / "changes.json").read_text())
    assert data["datasets"]["AE"]["renumbered"] == [] and len(data["datasets"]["AE"]["added"]) == 2


@needs_ct
def test_an_unmapped_value_set_to_missing_is_listed_as_a_query(tmp_path):
    study, out = transfer_study(tmp_path), tmp_path / "out"
    replace_in(study, "sdtm/ae.yaml", "assign_ct: AESEV}", "assign_ct: {from: AESEV, unmapped: missing}}")
    replace_in(study, "raw/ae.csv", "Nausea,12-MAR-2024,,Moderate", "Nausea,12-MAR-2024,,Deadly")
    done = cdisc("run", str(study), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "AE.AESEV: 1 value(s) of raw column AESEV are not in codelist AESEV: 'Deadly'" in done.stdout
    ae, _ = read_xpt(out / "sdtm" / "ae.xpt")
    assert ae.loc[ae["AETERM"] == "NAUSEA", "AESEV"].tolist() == [""]  # never passed through
    queries = pd.read_csv(out / "reports" / "queries.csv", dtype=str, keep_default_na=False)
    assert queries[["severity", "dataset", "variable", "file", "row", "subject", "value"]].values.tolist() == [
        ["warning", "AE", "AESEV", "ae.csv", "3", "XFER-01-01-001", "Deadly"]
    ]


@needs_ct
def test_dates_contradicting_their_visit_window_are_warnings(tmp_path):
    study, out = transfer_study(tmp_path), tmp_path / "out"
    visits = (
        "visits:\n"
        "  - {visitnum: 1, visit: CYCLE 1 DAY 1, collected: [C1D1], visitdy: 1}\n"
        "  - {visitnum: 2, visit: CYCLE 2 DAY 1, collected: [C2D1], visitdy: 22, window: [-3, 3]}\n"
        "  - {visitnum: 9, visit: CYCLE 9 DAY 1, collected: [C9D1], visitdy: 169}\n"
    )
    replace_in(study, "study.yaml", "reference_dates:", visits + "reference_dates:")
    visitnum = "  - {name: VISITNUM, label: Visit Number, type: float, origin: Derived, visitnum: VISIT}\n"
    replace_in(study, "sdtm/lb.yaml", "  - {name: LBDTC,", visitnum + "  - {name: LBDTC,")
    #   subject  visit  date         study day  window
    #   001      C1D1   05-MAR-2024  1          (day 1: not checked)
    #   002      C2D1   29-MAR-2024  23         19 to 25: fine
    #   003      C2D1   16-MAR-2024  6          19 to 25: warning
    #   003      C9D1   14-JUN-2023  -271       not before day 1: warning
    (study / "raw" / "lb.csv").write_text(
        "SITEID,SUBJID,LBTESTCD,LBTEST,LBORRES,LBDAT,VISIT\n"
        "01,001,HGB,Hemoglobin,13.5,05-MAR-2024,C1D1\n"
        "01,002,HGB,Hemoglobin,12.1,29-MAR-2024,C2D1\n"
        "02,003,HGB,Hemoglobin,11.0,16-MAR-2024,C2D1\n"
        "02,003,HGB,Hemoglobin,10.2,14-JUN-2023,C9D1\n"
    )
    done = cdisc("run", str(study), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "LB.LBDTC: 1 date(s) outside the window of visit CYCLE 2 DAY 1 (study days 19 to 25)" in done.stdout
    assert "LB.LBDTC: 1 date(s) outside the window of visit CYCLE 9 DAY 1 (not before study day 1)" in done.stdout
    queries = pd.read_csv(out / "reports" / "queries.csv", dtype=str, keep_default_na=False)
    assert sorted(queries[["severity", "variable", "row", "subject", "value"]].values.tolist()) == [
        ["warning", "LBDTC", "4", "XFER-01-02-003", "2024-03-16"],
        ["warning", "LBDTC", "5", "XFER-01-02-003", "2023-06-14"],
    ]


@needs_ct
def test_a_date_in_another_form_than_the_declared_one_is_an_error(tmp_path):
    study = transfer_study(tmp_path)
    replace_in(study, "sdtm/cm.yaml", "iso8601: CMSTDAT}", "iso8601: {date: CMSTDAT, format: DD-MON-YYYY}}")
    replace_in(study, "raw/cm.csv", "5,21-MAR-2024", "5,2024-03-21")  # ISO text in a DD-MON-YYYY column
    done = cdisc("run", str(study), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "CM.CMSTDTC: 1 invalid date(s) in raw CMSTDAT at cm.csv rows 3 (subjects XFER-01-02-003): '2024-03-21'" in done.stderr
