"""`cdisc run STUDY --raw DIR`: a new transfer converted with the same specs, study.yaml untouched."""

import shutil
import subprocess
import sys

import pyreadstat

from test_sdtm_engine import study_with

NEW_AE_ROW = "02,003,Y,Rash,21-MAR-2024,,Mild,N,N\n"


def cdisc(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cdisc", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def new_transfer(folder, target):
    """The study's raw extract copied to ``target`` with one more adverse event."""
    shutil.copytree(folder / "raw", target)
    with (target / "ae.csv").open("a") as handle:
        handle.write(NEW_AE_ROW)
    return target


def test_run_converts_the_folder_given_with_raw(tmp_path):
    folder = study_with(tmp_path)
    study_yaml = (folder / "study.yaml").read_text()
    new_transfer(folder, tmp_path / "transfer-2")
    done = cdisc("run", "study", "--raw", "transfer-2", "--out", "out", cwd=tmp_path)  # relative to the working folder
    assert done.returncode == 0, done.stderr
    ae, _ = pyreadstat.read_xport(str(tmp_path / "out" / "sdtm" / "ae.xpt"))
    assert ae["AETERM"].tolist() == ["NAUSEA", "HEADACHE", "NEUTROPENIA", "RASH"]
    lineage = (tmp_path / "out" / "sdtm" / "lineage" / "ae.csv").read_text()
    assert "ae.csv,6" in lineage
    assert (folder / "study.yaml").read_text() == study_yaml


def test_without_raw_the_folder_in_study_yaml_is_converted(tmp_path):
    folder = study_with(tmp_path)
    new_transfer(folder, tmp_path / "transfer-2")
    assert cdisc("run", folder, "--out", tmp_path / "out").returncode == 0
    ae, _ = pyreadstat.read_xport(str(tmp_path / "out" / "sdtm" / "ae.xpt"))
    assert len(ae) == 3


def test_check_spec_checks_the_new_transfer_columns(tmp_path):
    folder = study_with(tmp_path)
    transfer = new_transfer(folder, tmp_path / "transfer-2")
    text = (transfer / "ae.csv").read_text().replace("AESTDAT", "AESTDATE", 1)
    (transfer / "ae.csv").write_text(text)
    done = cdisc("check-spec", folder, "--raw", transfer)
    assert done.returncode == 2
    assert "unknown source column 'AESTDAT' in raw table 'ae' (did you mean 'AESTDATE'?)" in done.stderr
    assert cdisc("check-spec", folder).returncode == 0


def test_a_raw_folder_that_does_not_exist_is_a_usage_error(tmp_path):
    folder = study_with(tmp_path)
    done = cdisc("run", folder, "--raw", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert done.returncode == 2
    assert "--raw" in done.stderr and "nowhere: no such folder" in done.stderr
    assert not (tmp_path / "out").exists()
