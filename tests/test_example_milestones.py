"""The example study's domains built from several raw forms or datasets: DS consent milestones from the consent form,
baseline ECOG in RS from the enrolment form, SV from the visit dates of every collected form; checked against the raw
forms, and the raw columns they read are no longer listed as not submitted."""

import pandas as pd
import pyreadstat
import pytest
from conftest import REPO

from cdisc.study import run_study

SPECS = REPO / "specs"
RAW = REPO / "examples" / "bat8008" / "raw"
STUDYID = "BAT-8008-002-CR"


def raw(form: str) -> pd.DataFrame:
    return pd.read_csv(RAW / f"{form}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_study(SPECS, tmp_path_factory.mktemp("bat8008"))


@pytest.fixture(scope="module")
def sdtm(run):
    def read(name: str) -> pd.DataFrame:
        frame, _ = pyreadstat.read_xport(str(run.out_dir / "sdtm" / f"{name.lower()}.xpt"))
        return frame

    return read


def test_every_consent_is_an_informed_consent_milestone_with_its_protocol_version(sdtm):
    ic = raw("ic")
    ds = sdtm("DS")
    consents = ds[ds["DSDECOD"] == "INFORMED CONSENT OBTAINED"]
    assert len(consents) == len(ic) and set(consents["DSCAT"]) == {"PROTOCOL MILESTONE"}
    expected = sorted(zip(
        STUDYID + "-" + ic["SUBJID"],
        ic["ICTYPE"].map({"Initial consent": "INFORMED CONSENT OBTAINED", "Re-consent": "RE-CONSENT OBTAINED"})
        + ", PROTOCOL VERSION " + ic["ICVER"],
    ))
    assert sorted(zip(consents["USUBJID"], consents["DSTERM"])) == expected
    assert (consents["DSSCAT"] == "").all() and (consents["EPOCH"] != "").all()
    first = consents.groupby("USUBJID")["DSSTDTC"].min()
    dm = sdtm("DM").set_index("USUBJID")
    assert (first == dm.loc[first.index, "RFICDTC"]).all()  # RFICDTC stays the first consent
    assert ds.groupby("USUBJID")["DSSEQ"].apply(lambda s: sorted(s) == list(range(1, len(s) + 1))).all()


def test_every_eligible_enrolled_subject_entered_the_trial_on_the_enrolment_date(sdtm):
    enrol = raw("enrol")
    ds = sdtm("DS")
    entered = ds[ds["DSDECOD"] == "ENTERED INTO TRIAL"].set_index("USUBJID")
    assert (enrol["ELIGYN"] == "Y").all() and len(entered) == len(enrol)  # IE: no criterion was not met
    dates = pd.to_datetime(enrol["ENRDAT"], format="%d-%b-%Y").dt.strftime("%Y-%m-%d")
    assert entered.loc[STUDYID + "-" + enrol["SUBJID"], "DSSTDTC"].tolist() == dates.tolist()
    assert set(entered["DSCAT"]) == {"PROTOCOL MILESTONE"} and set(entered["EPOCH"]) == {"SCREENING"}


def test_baseline_ecog_is_a_clinical_classification_at_screening(sdtm):
    enrol = raw("enrol")
    rs = sdtm("RS")
    ecog = rs[rs["RSTESTCD"] == "ECOG101"].set_index("USUBJID")
    assert len(ecog) == len(enrol)
    assert ecog.loc[STUDYID + "-" + enrol["SUBJID"], "RSSTRESC"].tolist() == enrol["ECOG"].tolist()
    assert set(ecog["RSTEST"]) == {"ECOG1-Performance Status"} and set(ecog["RSCAT"]) == {"ECOG"}
    assert set(ecog["VISIT"]) == {"SCREENING"} and set(ecog["RSLOBXFL"]) == {"Y"}
    assert ecog.loc[ecog["RSSTRESC"] == "0", "RSORRES"].eq("Fully active, able to carry on all pre-disease performance without restriction").all()
    assert (rs.loc[rs["RSCAT"] == "RECIST 1.1", "RSLOBXFL"] == "").all()  # no response assessment before the first dose


def test_subject_visits_span_the_dates_of_every_form_of_the_visit(sdtm):
    sv = sdtm("SV")
    assert not sv.duplicated(["USUBJID", "VISITNUM"]).any()
    dated = pd.concat([
        sdtm(name)[["USUBJID", "VISITNUM", column]].rename(columns={column: "DTC"})
        for name, column in [("VS", "VSDTC"), ("LB", "LBDTC"), ("EX", "EXSTDTC"), ("EX", "EXENDTC"), ("PC", "PCDTC"),
                             ("IS", "ISDTC"), ("TU", "TUDTC"), ("TR", "TRDTC"), ("RS", "RSDTC"), ("SS", "SSDTC")]
    ])
    dated = dated[dated["DTC"] != ""]
    span = dated.groupby(["USUBJID", "VISITNUM"])["DTC"].agg(["min", "max"])
    sv = sv.set_index(["USUBJID", "VISITNUM"])
    assert set(span.index) <= set(sv.index)
    assert (sv.loc[span.index, "SVSTDTC"] == span["min"]).all() and (sv.loc[span.index, "SVENDTC"] == span["max"]).all()
    screening = sv.xs(0.0, level="VISITNUM")
    assert len(screening) == len(raw("enrol"))


def test_the_raw_columns_they_read_are_submitted(run):
    columns = pd.read_csv(run.out_dir / "reports" / "columns.csv").set_index(["table", "column"])
    for table, column, target in [("ic", "ICVER", "DS.DSTERM"), ("ic", "ICTYPE", "DS.DSTERM"), ("ic", "ICDAT", "DM.RFICDTC; DM.RFPENDTC; DS.DSSTDTC"),
                                  ("enrol", "ECOG", "RS.RSORRES; RS.RSSTRESC"), ("enrol", "ENRDAT", "DS.DSSTDTC")]:
        assert columns.loc[(table, column), ["status", "target"]].tolist() == ["mapped", target]
    assert columns.loc[("enrol", "ELIGYN"), "status"] == "used"  # selects the enrolled subjects' milestone
    reconciliation = pd.read_csv(run.out_dir / "reports" / "reconciliation.csv").set_index("table")
    assert reconciliation.loc["ic", "mapped"] == len(raw("ic")) and reconciliation.loc["enrol", "unaccounted"] == 0
