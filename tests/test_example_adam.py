"""The example study's ADaM (specs/adam) against the simulator's answer key: DLT-evaluable status and DLT per subject,
the 3+3 decision per cohort and the declared MTD, exactly; TRTEMFL at its boundaries on real records; the listing."""

import json
from pathlib import Path

import pandas as pd
import pytest

from cdisc.sasdates import to_iso
from cdisc.study import run_study

ROOT = Path(__file__).resolve().parent.parent
KEY = ROOT / "examples" / "bat8008" / "answer_key"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("example-adam")
    result = run_study(ROOT / "specs", out)
    return out, {b.spec.dataset: b.frame for b in result.built}


@pytest.fixture(scope="module")
def subjects(run) -> pd.DataFrame:
    adsl = run[1]["ADSL"]
    key = pd.read_csv(KEY / "subjects.csv", dtype=str, keep_default_na=False)
    merged = adsl.merge(key, on="SUBJID", how="outer", validate="one_to_one", indicator=True)
    assert merged["_merge"].eq("both").all(), "ADSL and the answer key hold different subjects"
    return merged


def test_every_subjects_dlt_evaluable_status_and_dlt_match_the_answer_key(subjects):
    escalation = subjects[subjects["STAGE_y"] == "ESCALATION"]
    assert len(escalation) == 30
    assert escalation["DLTEVLFL"].tolist() == escalation["DLT_EVALUABLE"].tolist()
    assert escalation["DLTSUBFL"].tolist() == escalation["DLT"].tolist()
    expansion = subjects[subjects["STAGE_y"] == "EXPANSION"]
    assert expansion["DLTEVLFL"].eq("N").all() and expansion["DLTSUBFL"].isna().all()  # no DLT assessment in expansion


def test_dates_and_dose_level_match_the_answer_key(subjects):
    as_iso = lambda column: [to_iso(v) or "" for v in subjects[column]]  # noqa: E731
    assert as_iso("TRTSDT") == subjects["FIRST_DOSE_DATE"].tolist()
    assert as_iso("TRTEDT") == subjects["LAST_DOSE_DATE"].tolist()
    assert as_iso("DTHDT") == subjects["DEATH_DATE"].tolist()
    assert as_iso("NACTDT") == subjects["NEW_THERAPY_DATE"].tolist()
    assert subjects["DOSELVL"].astype(int).astype(str).tolist() == subjects["DOSE_LEVEL"].tolist()
    assert subjects["DOSE01P"].tolist() == subjects["BAT8008_MGKG"].astype(float).tolist()
    assert subjects["TUMTYPE"].tolist() == subjects["TUMOUR"].tolist()
    assert as_iso("EOTDT") == subjects["EOT_DATE"].tolist()
    assert as_iso("EOSDT") == subjects["EOS_DATE"].tolist()


def test_every_cohorts_decision_and_the_declared_mtd_match_the_answer_key(run):
    adesc = run[1]["ADESC"].sort_values("COHORTN")
    cohorts = pd.read_csv(KEY / "cohorts.csv")
    assert adesc["COHORTN"].tolist() == cohorts["COHORT"].astype(float).tolist()
    assert adesc["DOSELVL"].tolist() == cohorts["LEVEL"].astype(float).tolist()
    assert adesc["NENRL"].tolist() == cohorts["N_ENROLLED"].astype(float).tolist()
    assert adesc["NEVAL"].tolist() == cohorts["N_EVALUABLE"].astype(float).tolist()
    assert adesc["NDLT"].tolist() == cohorts["N_DLT"].astype(float).tolist()
    assert adesc["CUMEVAL"].tolist() == cohorts["LEVEL_N_EVALUABLE"].astype(float).tolist()
    assert adesc["CUMDLT"].tolist() == cohorts["LEVEL_N_DLT"].astype(float).tolist()
    assert adesc["DECISION"].tolist() == cohorts["DECISION"].tolist()
    declared = json.loads((KEY / "study.json").read_text())["declared_mtd"]
    assert adesc["MTDLVL"].unique().tolist() == [declared["level"]]
    assert adesc["MTDDOSE"].unique().tolist() == [declared["bat8008_mgkg"]]
    assert adesc["MAXDOSE"].unique().tolist() == [cohorts["BAT8008_MGKG"].max()]


def test_adae_dlt_flags_are_the_subjects_dlts(run):
    adsl, adae = run[1]["ADSL"], run[1]["ADAE"]
    with_dlt = sorted(adae.loc[adae["DLTFL"] == "Y", "USUBJID"].unique())
    assert with_dlt == sorted(adsl.loc[adsl["DLTSUBFL"] == "Y", "USUBJID"])
    assert (adae.loc[adae["DLTFL"] == "Y", "ASTDY"].between(1, 21)).all()


def test_trtemfl_boundaries_on_real_records(run):
    """First dose day in, last dose + 28 in and + 29 out, the day before new anticancer therapy in and its day out."""
    adae = run[1]["ADAE"]
    emergent = adae["TRTEMFL"].eq("Y")
    after_last = adae["ASTDT"] - adae["TRTEDT"]
    before_new = adae["NACTDT"] - adae["ASTDT"]
    assert emergent[adae["ASTDT"] == adae["TRTSDT"]].all() and (adae["ASTDT"] == adae["TRTSDT"]).any()
    assert not emergent[adae["ASTDT"] < adae["TRTSDT"]].any()
    in_window = (after_last <= 28) & ~(before_new <= 0)
    assert emergent[in_window & (adae["ASTDT"] >= adae["TRTSDT"])].all()
    assert not emergent[after_last > 28].any()
    assert not emergent[before_new <= 0].any()
    # spot checks on records of the default extract at the boundary: last dose + 28 days in, + 30 out (none at + 29)
    spot = adae.set_index(["USUBJID", "AESEQ"])["TRTEMFL"]
    subject = "BAT-8008-002-CR-{}".format
    assert spot[subject("101-0014"), 4.0] == "Y" and spot[subject("101-0023"), 8.0] == "Y"  # + 28
    assert pd.isna(spot[subject("101-0024"), 8.0]) and pd.isna(spot[subject("102-0006"), 3.0])  # + 30
    # no event starts on or after a new anticancer therapy within 28 days of the last dose in this extract (AEs are
    # not collected after it), so the end_before boundary is tested in tests/test_adam_derivations.py only
    assert not ((before_new <= 0) & (after_last <= 28)).any()
    assert emergent.sum() == 387 and (~emergent).sum() == 9


def test_first_occurrence_flags(run):
    adae = run[1]["ADAE"]
    teae = adae[adae["TRTEMFL"] == "Y"]
    assert teae.groupby("USUBJID")["AOCCFL"].apply(lambda f: f.eq("Y").sum()).eq(1).all()
    assert teae.groupby(["USUBJID", "AEBODSYS"])["AOCCSFL"].apply(lambda f: f.eq("Y").sum()).eq(1).all()
    assert teae.groupby(["USUBJID", "AEBODSYS", "AEDECOD"])["AOCCPFL"].apply(lambda f: f.eq("Y").sum()).eq(1).all()
    assert adae.loc[adae["TRTEMFL"] != "Y", ["AOCCFL", "AOCCSFL", "AOCCPFL"]].isna().all().all()


def test_outputs_and_the_readable_escalation_table(run):
    out = run[0]
    for name in ("adsl", "adae", "adesc"):
        assert (out / "adam" / f"{name}.xpt").is_file()
    listing = (out / "reports" / "adesc.txt").read_text()
    assert listing.splitlines()[0] == "ADESC: Dose Escalation Summary by Cohort (9 records)"
    assert "STOP: MTD EXCEEDED" in listing


def test_efficacy_population_is_the_subjects_with_a_post_baseline_response(subjects):
    """The answer key's BOR is NE exactly for the subjects with no post-baseline assessment."""
    assert subjects["EFFFL"].eq("N").tolist() == subjects["BOR"].eq("NE").tolist()


def test_cause_of_death_comes_from_dd_for_every_death(subjects):
    causes = subjects[["DTHCAUS", "DEATH_CAUSE"]].fillna("").value_counts().to_dict()
    assert causes == {("", ""): 24, ("DISEASE PROGRESSION", "PROGRESSIVE DISEASE"): 34, ("SUDDEN DEATH, CAUSE UNKNOWN", "OTHER"): 2}
