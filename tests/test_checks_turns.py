"""Validation holds the records of one dataset at a time (besides the pinned DM, SE, TS, AE, DD and ADSL, and a
dataset's SUPP--), reads each file once, and finds what every rule run once on the whole submission finds."""

from __future__ import annotations

import gc
import weakref
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from test_checks import PILOT_SDTM, STANDARDS, SUBJECTS, _sdtm_domain, clean_files, set_value, write

from cdisc.checks import RULES, validate
from cdisc.checks.loading import PINNED, open_submission, turn_order
from cdisc.checks.registry import KEPT
from cdisc.checks.standards import load_standards
from cdisc.compare.tables import read_table as read_table_as_validation_does

pytestmark = pytest.mark.skipif(not STANDARDS.is_dir(), reason="shared standards not available")


def _study(root: Path) -> Path:
    """The clean submission of test_checks plus five SDTM domains and a SUPPLB; LBDTC of LB's first record is no date."""
    files = clean_files()
    for domain in ("CM", "EX", "LB", "MH", "VS"):
        frame, labels = _sdtm_domain(domain, 3)
        files[domain] = ("sdtm", frame, labels)
    files["SUPPLB"] = ("sdtm", pd.DataFrame({
        "STUDYID": "STUDY1", "RDOMAIN": "LB", "USUBJID": SUBJECTS, "IDVAR": "LBSEQ", "IDVARVAL": "1", "QNAM": "LBXX",
        "QLABEL": "Extra", "QVAL": "Y", "QORIG": "CRF", "QEVAL": ""}), {})
    set_value("LB", "LBDTC", 0, "2024-13-01")(files)
    return write(root, files)


def test_each_file_is_read_once_and_let_go_after_its_turn(tmp_path):
    root = _study(tmp_path)
    reads: Counter[str] = Counter()
    frames: dict[str, weakref.ref] = {}
    held_at_read: list[list[str]] = []  # per read, the other datasets (not pinned) whose records are still held

    def read_table(path: Path, *args):
        gc.collect()
        held_at_read.append([name for name, frame in frames.items() if frame() is not None and name not in PINNED])
        table = read_table_as_validation_does(path, *args)
        reads[path.stem.upper()] += 1
        frames[path.stem.upper()] = weakref.ref(table.frame)
        return table

    result = validate(root, STANDARDS, read=read_table)
    gc.collect()

    assert reads == Counter({p.stem.upper(): 1 for p in root.rglob("*.xpt")})
    assert max(len(held) for held in held_at_read) == 1  # LB, while SUPPLB is read beside it
    assert ["LB"] in held_at_read
    assert [name for name, frame in frames.items() if frame() is not None] == []  # nothing held once validation is done
    assert [d.records for d in result.submission.datasets if d.name in ("LB", "SUPPLB")] == [6, 2]
    assert ["ISO8601", "LB", 1, "LBDTC"] in result.findings[["rule", "dataset", "row", "variable"]].values.tolist()


def test_a_rule_reaches_by_name_only_the_datasets_held_beside_the_turn(tmp_path):
    loader = open_submission(_study(tmp_path), load_standards(STANDARDS))
    for dataset, view in loader.turns():
        if dataset.name == "LB":
            assert view.datasets == [dataset]
            assert (view.find("SUPPLB").name, view.find("DM").records, view.find("SE")) == ("SUPPLB", 2, None)
            with pytest.raises(RuntimeError, match="does not hold CM beside LB"):
                view.find("CM")
        if dataset.name == "MH":  # (after LB's turn and SUPPLB's)
            with pytest.raises(RuntimeError, match="LB: its records were let go"):
                loader.submission.find("LB").text("LBDTC")


@pytest.mark.parametrize(("names", "turns"), [
    # file order                                    turns
    (["AE", "DM", "LB", "SUPPAE", "SUPPLB"],        ["AE", "SUPPAE", "DM", "LB", "SUPPLB"]),
    (["LB", "SUPPLB", "SUPPXX", "TS"],              ["LB", "SUPPLB", "SUPPXX", "TS"]),  # no XX: SUPPXX stays
    (["AE", "SUPPAE", "AE", "SUPPAE"],              ["AE", "AE", "SUPPAE", "SUPPAE"]),  # two folders: after the last AE
    ([],                                            []),
])
def test_a_supp_dataset_takes_its_turn_right_after_the_dataset_it_supplements(names, turns):
    assert [names[p] for p in turn_order(names)] == turns


@pytest.mark.skipif(not PILOT_SDTM.is_dir(), reason="cdisc-pilot reference data not available")
def test_findings_are_those_of_every_rule_run_on_the_whole_submission():
    """The CDISC pilot SDTM (thousands of findings of many rules, split over datasets) validated turn by turn, and
    with every dataset read first and each rule run once on all of them."""
    loader = open_submission(PILOT_SDTM, load_standards(STANDARDS))
    for position in range(len(loader.files)):
        loader._dataset(position)  # (every dataset read at once)
    whole = loader.submission
    for dataset in whole.datasets:
        dataset.kept.update({name: summary(dataset) for name, summary in KEPT.items()})
    at_once = pd.concat([f for rule in RULES.values() for f in rule.check(whole) if not f.empty], ignore_index=True)
    turn_by_turn = validate(PILOT_SDTM, STANDARDS).findings
    assert len(set(turn_by_turn["rule"])) > 10
    pd.testing.assert_frame_equal(turn_by_turn, at_once[turn_by_turn.columns])
