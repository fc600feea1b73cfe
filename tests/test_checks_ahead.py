"""Validation's per-dataset rules run in the worker processes that write the datasets (cdisc.checks.ahead): what the
run's own process then reports is what validation of the output folder alone reports, finding for finding; where a
worker assumed other keys or value-level codelists than define.xml gives, or could not read a file back, the dataset
takes its turn in the run's own process as before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

import cdisc.checks.ahead as ahead
import cdisc.checks.loading as loading
from cdisc.checks import validate
from cdisc.checks.ahead import check_in_worker, checked_in_workers, spec_define
from cdisc.checks.standards import load_standards, locate_standards
from cdisc.compare.tables import read_table
from cdisc.handoff import Handoff, _keep_table
from cdisc.spec.load import load_study
from cdisc.study import with_data_cutoff

STANDARDS = load_standards(locate_standards(None))


def _handoff(out: Path, folder: Path, study) -> Handoff:
    """A handoff folder as the worker processes leave it for the run's output ``out``: each dataset's XPT files (its own,
    its SUPP--'s) with the list of its files, and each file read back as validation reads it."""
    specs = {name: with_data_cutoff(dataset.spec, study.data_cutoff) for name, dataset in study.datasets.items()}
    for name in specs:
        standard = "adam" if name.startswith("AD") else "sdtm"
        written = [f"{standard}/{stem}.xpt" for stem in (name.lower(), f"supp{name.lower()}") if (out / standard / f"{stem}.xpt").is_file()]
        for rel in written:
            (folder / "files" / name / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / rel, folder / "files" / name / rel)
            _keep_table(read_table(out / rel), folder / "read" / rel)
        (folder / "files" / f"{name}.sha256.json").write_text(json.dumps(dict.fromkeys(written, "")), encoding="utf-8")
    return Handoff(folder, out / ".cdisc-cache", specs, lambda built, files: [])


@pytest.fixture(scope="module")
def checked_run(small_example, small_example_run, tmp_path_factory):
    """The example's output folder (a copy), its study and a handoff folder for it with every dataset's task run."""
    root = tmp_path_factory.mktemp("ahead")
    out = root / "out"
    shutil.copytree(small_example_run, out, ignore=shutil.ignore_patterns(".cdisc-cache"))
    study = load_study(small_example)
    handoff = _handoff(out, root / "handoff", study)
    for name in handoff.specs:
        check_in_worker(study, handoff, name)
    return out, study, handoff


def _same(left, right) -> None:
    assert_frame_equal(left.findings, right.findings, check_dtype=False)
    assert left.skipped == right.skipped


def test_the_workers_findings_are_those_of_validation_alone(checked_run):
    out, _, handoff = checked_run
    checked = checked_in_workers(handoff.folder, out)
    read: list[str] = []

    found = validate(out, read=lambda path: read.append(path.stem) or read_table(path), checked=checked)

    assert sorted(checked) == sorted(out.rglob("*.xpt"))  # every file checked in a worker
    assert set(read) <= {name.lower() for name in loading.PINNED}  # only the datasets rules across datasets read
    _same(found, validate(out))
    assert not found.findings.empty


def test_the_keys_and_codelists_a_worker_assumes_are_those_define_xml_gives(checked_run):
    out, study, _ = checked_run
    packages = {p.folder.name: p for p in loading.open_submission(out, STANDARDS).submission.packages}
    for name, dataset in study.datasets.items():
        keys, levels = spec_define(study, dataset.spec)
        package = packages["adam" if name.startswith("AD") else "sdtm"]
        written = loading.define_keys(package.tree)
        for one in keys:  # the dataset and its SUPP--
            assumed = json.loads(json.dumps({"keys": keys.get(one), "levels": {v: i for (d, v), i in levels.items() if d == one}}))
            assert assumed == loading.define_facts(package, written, one), one


def test_a_worker_that_assumed_other_keys_is_overruled(checked_run, tmp_path, monkeypatch):
    """AE's task assumed keys that would find duplicates: AE and SUPPAE then take their turn here, with define.xml's."""
    out, study, handoff = checked_run
    described = ahead.spec_define

    def other_keys(study, spec):
        keys, levels = described(study, spec)
        return ({**keys, "AE": ["STUDYID"]} if spec.dataset == "AE" else keys), levels

    monkeypatch.setattr(ahead, "spec_define", other_keys)
    redone = Handoff(tmp_path / "handoff", handoff.previous, handoff.specs, handoff.write)
    shutil.copytree(handoff.folder / "files", redone.folder / "files")
    shutil.copytree(handoff.folder / "read", redone.folder / "read")
    check_in_worker(study, redone, "AE")
    assumed = _rules_found(redone.folder)
    assert "KEY-UNIQUE" in assumed  # what the worker found with its keys
    checked = checked_in_workers(handoff.folder, out) | checked_in_workers(redone.folder, out)
    accepted = loading.open_submission(out, STANDARDS, checked=checked).checked

    found = validate(out, checked=checked)

    assert {one.task for one in accepted.values()} == set(handoff.specs) - {"AE"}
    _same(found, validate(out))
    assert "KEY-UNIQUE" not in set(found.findings["rule"])


def _rules_found(folder: Path) -> set[str]:
    """The rules with findings in the check tasks' findings of ``folder``."""
    return {rule for rules in (one.findings for one in checked_in_workers(folder, folder).values()) for rule in rules}


def test_a_file_the_worker_could_not_read_back_is_read_and_reported_as_before(checked_run, tmp_path):
    """A worker leaves nothing for a dataset whose files it could not read (not kept as written, and unreadable when read
    anew); validation reads them, and an unreadable one is reported by name ("(read)") as validation alone reports it."""
    out, study, handoff = checked_run
    broken = tmp_path / "out"
    shutil.copytree(out, broken)
    (broken / "sdtm" / "cm.xpt").write_bytes(b"not an XPT file")
    redone = Handoff(tmp_path / "handoff", handoff.previous, handoff.specs, handoff.write)
    shutil.copytree(handoff.folder / "files", redone.folder / "files")
    (redone.folder / "files" / "CM" / "sdtm" / "cm.xpt").write_bytes(b"not an XPT file")
    shutil.copytree(handoff.folder / "read", redone.folder / "read", ignore=shutil.ignore_patterns("cm.*"))
    shutil.copytree(handoff.folder / "checks", redone.folder / "checks", ignore=shutil.ignore_patterns("CM.*"))
    check_in_worker(study, redone, "CM")
    checked = checked_in_workers(redone.folder, broken)

    found = validate(broken, checked=checked)

    assert broken / "sdtm" / "cm.xpt" not in checked
    assert "(read)" in found.skipped and "cm.xpt" in found.skipped["(read)"]
    _same(found, validate(broken))


def test_define_keys_of_a_define_whose_key_sequence_is_no_whole_number():
    """A user's define.xml may write KeySequence="1.0": that key is not ordered by it (no internal error)."""
    from lxml import etree

    from cdisc.checks.loading import define_keys

    tree = etree.ElementTree(etree.fromstring(
        '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><ItemGroupDef Name="AE">'
        '<ItemRef ItemOID="IT.USUBJID" KeySequence="1"/><ItemRef ItemOID="IT.AESEQ" KeySequence="2.0"/></ItemGroupDef>'
        '<ItemDef OID="IT.USUBJID" Name="USUBJID"/><ItemDef OID="IT.AESEQ" Name="AESEQ"/></ODM>'))
    assert define_keys(tree) == {"AE": ["USUBJID"]}
