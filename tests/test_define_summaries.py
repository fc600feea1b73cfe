"""define.xml from what the process that built each dataset worked out of its records (saved as JSON): the same
bytes and the same findings as from the records themselves, without the records."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cdisc.built import BuiltDataset
from cdisc.definexml import DefineDataset, DefineMismatchError, generate_define
from cdisc.definexml.summaries import read_summaries, save_summaries
from cdisc.sdtm.engine import build_dataset
from cdisc.spec.load import Study, load_study
from conftest import REPO

MINIMAL = REPO / "tests" / "fixtures" / "minimal"


@pytest.fixture(scope="module")
def minimal() -> tuple[Study, dict[str, BuiltDataset]]:
    """The minimal study and its built datasets (DM, AE with SUPPAE)."""
    study = load_study(MINIMAL)
    frames: dict = {}
    built = {}
    for name, dataset in study.datasets.items():
        built[name] = build_dataset(study, dataset.spec, frames)
        frames[name] = built[name].frame
    return study, built


def _from_records(built: dict[str, BuiltDataset]) -> list[DefineDataset]:
    return [DefineDataset(one.spec, one.frame, one.supp) for one in built.values()]


def _from_summaries(study: Study, built: dict[str, BuiltDataset], folder) -> list[DefineDataset]:
    for one in built.values():
        save_summaries(study, one, folder)
    answered = {name: read_summaries(folder, name) for name in built}
    assert all(a is not None for a in answered.values())
    return [DefineDataset(one.spec, *answered[name]) for name, one in built.items()]


def test_define_from_saved_summaries_is_byte_identical_to_define_from_the_records(minimal, tmp_path):
    study, built = minimal
    expected, expected_findings = generate_define(study, _from_records(built), tmp_path / "records")
    written, findings = generate_define(study, _from_summaries(study, built, tmp_path / "saved"), tmp_path / "summaries")
    assert [p.name for p in written] == [p.name for p in expected]
    assert [p.read_bytes() for p in written] == [p.read_bytes() for p in expected]
    assert findings == expected_findings


def test_saved_summaries_hold_answers_not_records(minimal, tmp_path):
    study, built = minimal
    save_summaries(study, built["AE"], tmp_path)
    saved = json.loads((tmp_path / "AE.json").read_text(encoding="utf-8"))
    assert sorted(saved) == ["AE", "SUPPAE"]  # the dataset and its SUPP-- dataset
    assert saved["AE"]["columns"] == list(built["AE"].frame.columns)
    terms = set(built["AE"].frame["AETERM"].dropna())  # free text (no codelist): only its longest length is kept
    assert terms and not any(term in (tmp_path / "AE.json").read_text(encoding="utf-8") for term in terms)
    assert read_summaries(tmp_path, "DM") is None  # not saved


def test_a_value_outside_its_codelist_is_found_from_the_saved_summaries(minimal, tmp_path):
    study, built = minimal
    ae = built["AE"]
    bad = pd.DataFrame(ae.frame).copy()
    bad.loc[0, "AESEV"] = "EXTREME"  # AESEV (C66769) is not extensible
    changed = dict(built, AE=BuiltDataset(ae.spec, bad, ae.lineage, ae.excluded, ae.supp))
    with pytest.raises(DefineMismatchError, match=r"AE\.AESEV: value 'EXTREME' \(1 record\(s\)\) is not in codelist"):
        generate_define(study, _from_summaries(study, changed, tmp_path / "saved"), tmp_path / "out")
    assert not (tmp_path / "out").exists()
