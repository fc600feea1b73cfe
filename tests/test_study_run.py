"""`cdisc run`: outputs written all-or-nothing, byte-identical on re-run, readable by pyreadstat."""

import subprocess
import sys

import pyreadstat
import pytest

from cdisc.errors import DataError
from cdisc.study import run_study

from test_sdtm_engine import replace_in, study_with


def files_of(folder):
    """The run's outputs (not its cache of built datasets for incremental reruns, .cdisc-cache/)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and ".cdisc-cache" not in p.parts}


def test_run_writes_xpt_lineage_and_reports(tmp_path):
    out = tmp_path / "out"
    result = run_study(study_with(tmp_path), out)
    assert sorted(set(files_of(out)) - {"reports/run-report.html"}) == [  # run-report.html: another engineer's, in progress
        "reports/columns.csv",
        "reports/excluded.csv",
        "reports/queries.csv",
        "reports/queries.json",
        "reports/reconciliation.csv",
        "reports/run.json",
        "sdtm/acrf.html",
        "sdtm/ae.xpt",
        "sdtm/define.html",
        "sdtm/define.xml",
        "sdtm/define.xsl",
        "sdtm/dm.xpt",
        "sdtm/lineage/ae.csv",
        "sdtm/lineage/dm.csv",
        "sdtm/suppae.xpt",
    ]
    frame, meta = pyreadstat.read_xport(str(out / "sdtm" / "ae.xpt"))
    assert meta.table_name == "AE"
    assert meta.column_names_to_labels["AESTDTC"] == "Start Date/Time of Adverse Event"
    assert frame["AETERM"].tolist() == ["NAUSEA", "HEADACHE", "NEUTROPENIA"]
    assert frame["AESEQ"].tolist() == [1.0, 2.0, 1.0]
    supp, _ = pyreadstat.read_xport(str(out / "sdtm" / "suppae.xpt"))
    assert supp["QNAM"].tolist() == ["AEDLT"] * 3
    assert result.summary_lines()[0] == f"Study MINI-01: 2 dataset(s) written to {out}"


def test_same_inputs_give_byte_identical_outputs(tmp_path):
    folder = study_with(tmp_path)
    run_study(folder, tmp_path / "a")
    run_study(folder, tmp_path / "b")
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")


def test_a_failing_run_writes_nothing_and_keeps_earlier_outputs(tmp_path):
    folder = study_with(tmp_path)
    out = tmp_path / "out"
    run_study(folder, out)
    before = files_of(out)
    replace_in(folder, "raw/ae.csv", "20-MAR-2024", "20-MAR-20244")
    with pytest.raises(DataError, match="AE.AESTDTC: 1 invalid date"):
        run_study(folder, out)
    assert files_of(out) == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".staging")] == []


def test_a_value_too_long_for_xpt_fails_before_anything_is_written(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "raw/ae.csv", "Nausea", "Nausea " + "x" * 200)
    out = tmp_path / "out"
    with pytest.raises(DataError, match=r"AE.AETERM: 1 value longer than 200 bytes .*; source: ae.csv row 3$"):
        run_study(folder, out)
    assert not (out / "sdtm").exists()


def test_cli_reports_data_errors_with_exit_code_1(tmp_path):
    folder = study_with(tmp_path)
    replace_in(folder, "raw/ae.csv", "Severe", "Deadly")
    done = subprocess.run(
        [sys.executable, "-m", "cdisc", "run", str(folder), "--out", str(tmp_path / "out")],
        capture_output=True, text=True,
    )
    assert done.returncode == 1
    assert "AE.AESEV: 1 value(s) of raw column AESEV are not in codelist AESEV: 'Deadly'" in done.stderr
    assert "Traceback" not in done.stderr
