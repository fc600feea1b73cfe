"""Every data error of a transfer in one run, as a message and as the data manager's query list."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_sdtm_engine import CT, replace_in

from cdisc.errors import DataError, DataErrors
from cdisc.queries import query_frame
from cdisc.study import run_study

TRANSFER = Path(__file__).parent / "fixtures" / "transfer"
needs_ct = pytest.mark.skipif(not CT.is_file(), reason="shared CDISC CT (../shared/standards/ct) not available")


def transfer_study(tmp_path: Path) -> Path:
    """The transfer fixture (DM, AE, CM, LB, DS) copied to ``tmp_path/study``, reading the shared CT."""
    folder = tmp_path / "study"
    shutil.copytree(TRANSFER, folder)
    replace_in(folder, "study.yaml", "../../../specs/ct/SDTM_Terminology_2025-03-28.txt.gz", str(CT))
    return folder


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


#   planted problem                       raw file  row  subject          value
FIVE_PROBLEMS = [
    ("AE", "AESEV", "ae.csv", 3, "XFER-01-01-001", "Deadly", "Nausea,12-MAR-2024,,Moderate", "Nausea,12-MAR-2024,,Deadly"),
    ("AE", "AESTDTC", "ae.csv", 4, "XFER-01-01-001", "31-FEB-2024", "Fatigue,20-MAR-2024", "Fatigue,31-FEB-2024"),
    ("CM", "CMDOSE", "cm.csv", 2, "XFER-01-01-001", "", "Paracetamol,500", "Paracetamol,five hundred"),
    ("CM", "CMSTDTC", "cm.csv", 3, "XFER-01-02-003", "32-MAR-2024", "5,21-MAR-2024", "5,32-MAR-2024"),
    ("LB", "LBSTRESN", "lb.csv", 3, "XFER-01-01-002", "", "12.1,07-MAR", "12..1,07-MAR"),
]


@needs_ct
def test_five_problems_in_three_datasets_are_all_reported_in_one_run_with_the_query_file(tmp_path):
    study = transfer_study(tmp_path)
    out = tmp_path / "out"
    run_study(study, out)
    before = files_of(out)
    for dataset, _, raw_file, *_, old, new in FIVE_PROBLEMS:
        replace_in(study, f"raw/{raw_file}", old, new)

    done = subprocess.run([sys.executable, "-m", "cdisc", "run", str(study), "--out", str(out)], check=False, capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    for dataset, variable, raw_file, row, subject, *_ in FIVE_PROBLEMS:
        assert f"{dataset}.{variable}: " in done.stderr
        assert f"{raw_file} rows {row} (subjects {subject})" in done.stderr
    assert "AE.AESTDY" not in done.stderr and "AE.AESEQ" not in done.stderr  # they read AESTDTC: skipped, not repeated
    assert "5 data error(s) in 3 dataset(s) (AE, CM, LB); nothing was written to" in done.stderr
    assert files_of(out) == before  # the output folder is all-or-nothing

    queries = pd.read_csv(tmp_path / "out.queries.csv", dtype=str, keep_default_na=False)
    assert queries.columns.tolist() == ["severity", "dataset", "variable", "file", "row", "subject", "value", "message"]
    found = queries[["dataset", "variable", "file", "row", "subject"]].values.tolist()
    assert sorted(found) == sorted([[d, v, f, str(r), s] for d, v, f, r, s, *_ in FIVE_PROBLEMS])
    values = dict(zip(queries["variable"], queries["value"]))
    assert (values["AESEV"], values["AESTDTC"], values["CMSTDTC"]) == ("Deadly", "31-FEB-2024", "32-MAR-2024")
    data = json.loads((tmp_path / "out.queries.json").read_text())
    assert data["status"] == "failed: no outputs written" and data["count"] == 5

    for dataset, _, raw_file, *_, old, new in FIVE_PROBLEMS:  # the corrected transfer runs, and the stale query list goes
        replace_in(study, f"raw/{raw_file}", new, old)
    run_study(study, out)
    assert not (tmp_path / "out.queries.csv").exists() and not (tmp_path / "out.queries.json").exists()
    assert pd.read_csv(out / "reports" / "queries.csv").empty


@needs_ct
def test_datasets_that_need_a_failed_dataset_are_skipped_and_listed_while_the_others_are_checked(tmp_path):
    study = transfer_study(tmp_path)
    replace_in(study, "raw/dm.csv", "01,002,F,69", "01,002,Female?,69")  # DM fails; AE needs DM (study day)
    replace_in(study, "raw/cm.csv", "5,21-MAR-2024", "5,32-MAR-2024")  # CM does not need DM
    with pytest.raises(DataErrors) as raised:
        run_study(study, tmp_path / "out")
    message = str(raised.value)
    assert "DM.SEX: 1 value(s) of raw column SEX are not in codelist SEXS: 'Female?'" in message
    assert "CM.CMSTDTC: 1 invalid date(s)" in message
    assert "AE: not built, it needs DM, which failed" in message
    assert raised.value.skipped == {"AE": ["DM"]}
    assert not (tmp_path / "out").exists()


def test_the_query_list_has_one_row_per_raw_record_and_lists_warnings():
    #   error: 2 records                         warning: text only
    error = DataError(
        "AE.AESEV: 2 value(s) not in codelist AESEV", dataset="AE", variable="AESEV",
        files=["ae.csv", "ae.csv"], raw_rows=[3, 9], subjects=["S-1", "S-2"], values=["Deadly", "Fatal?"],
    )
    frame = query_frame([error, DataError("reconciliation: ex.csv row 4 unaccounted")], ["LB.LBDTC: date outside its visit window"])
    assert frame[["severity", "dataset", "file", "row", "subject", "value"]].astype(object).values.tolist() == [
        ["error", "AE", "ae.csv", 3, "S-1", "Deadly"],
        ["error", "AE", "ae.csv", 9, "S-2", "Fatal?"],
        ["error", "", "", pd.NA, "", ""],
        ["warning", "", "", pd.NA, "", ""],
    ]
    assert frame["message"].iloc[3] == "LB.LBDTC: date outside its visit window"
