"""The example study's findings domains against what the simulator recorded.

Tumours: the simulator is replayed from the extract's seed (enrolment, course, tumours) and each subject's
sum of target diameters per assessment and the investigator's responses must equal TR SUMDIAM and RS.
PK: PC must hold exactly the simulated samples (PKSAMP x analytes), with their times and BLQ flags.
ADA: each subject's IS binding-antibody results give the simulator's ADA status per drug.
"""

import json

import numpy as np
import pandas as pd
import pytest

from cdisc.sdtm.engine import build_dataset
from cdisc.simulate import course, tumour
from cdisc.simulate.design import DEFAULT_DESIGN, load_design
from cdisc.simulate.population import enrol
from cdisc.simulate.streams import stream
from cdisc.spec.load import load_study

from conftest import REPO, SHARED

KEY = REPO / "examples" / "bat8008" / "answer_key"
RAW = REPO / "examples" / "bat8008" / "raw"
pytestmark = pytest.mark.skipif(not (SHARED / "standards").is_dir(), reason="needs the shared standards folder")


@pytest.fixture(scope="module")
def sdtm():
    study = load_study(REPO / "specs")
    frames = {}
    for name, dataset in study.datasets.items():
        if name in ("DM", "TA", "TE", "SE", "EX", "TR", "RS", "PC", "IS"):
            frames[name] = build_dataset(study, dataset.spec, frames).frame
    return frames


@pytest.fixture(scope="module")
def simulated():
    info = json.loads((KEY / "study.json").read_text())
    design = load_design(DEFAULT_DESIGN)
    subj, _ = enrol(design, info["subjects"], info["seed"])
    cutoff = float(subj["FIRST"].max() + design.study.cutoff_after_last_enrolment_days)
    latent = course.latent_events(design, subj, stream(info["seed"], "course"))
    result = tumour.simulate_tumours(design, subj, course.assessment_stop(latent), cutoff, stream(info["seed"], "tumour"))
    return subj, result


def _visit(n: pd.Series) -> pd.Series:
    return np.where(n == 0, 0, 1000 + n)


def test_lesion_sums_equal_the_simulator(sdtm, simulated):
    subj, result = simulated
    targets = result.measurements[result.measurements["CAT"] == "TARGET"]
    truth = targets.groupby(["_SUBJ", "_N"])["DIAM"].agg(lambda d: d.sum() if d.notna().all() else np.nan).rename("SLD").reset_index()
    truth["USUBJID"] = "BAT-8008-002-CR-" + subj["SUBJID"].to_numpy()[truth["_SUBJ"]]
    truth["VISITNUM"] = _visit(truth["_N"])
    tr = sdtm["TR"]
    sums = tr[tr["TRTESTCD"] == "SUMDIAM"][["USUBJID", "VISITNUM", "TRSTRESN", "TRSTAT"]]
    both = truth.merge(sums, on=["USUBJID", "VISITNUM"], how="outer", indicator=True)
    assert (both["_merge"] == "both").all() and len(both) == len(truth)
    measured = both["SLD"].notna()
    assert np.allclose(both.loc[measured, "TRSTRESN"], both.loc[measured, "SLD"])
    assert (both.loc[~measured, "TRSTAT"] == "NOT DONE").all() and both.loc[~measured, "TRSTRESN"].isna().all()
    assert (~measured).sum() == 2  # the two assessments with a target lesion not assessed (RS NE)


def test_investigator_responses_in_rs_equal_the_simulator(sdtm, simulated):
    subj, result = simulated
    truth = result.responses.assign(
        USUBJID="BAT-8008-002-CR-" + subj["SUBJID"].to_numpy()[result.responses["_SUBJ"]], VISITNUM=1000 + result.responses["_N"]
    ).rename(columns={"NEWLES": "NEWLIND"})
    rs = sdtm["RS"][sdtm["RS"]["RSCAT"] == "RECIST 1.1"]  # the response assessments (not the baseline ECOG)
    rs = rs.pivot(index=["USUBJID", "VISITNUM"], columns="RSTESTCD", values="RSSTRESC").reset_index()
    both = truth.merge(rs, on=["USUBJID", "VISITNUM"], suffixes=("", "_RS"), how="outer", indicator=True)
    assert (both["_merge"] == "both").all() and len(both) == len(truth)
    for test in ("TRGRESP", "NTRGRESP", "NEWLIND", "OVRLRESP"):
        expected = both[test].where(both[test] != "NA", "")  # no non-target lesions: no NTRGRESP record
        assert (expected == both[f"{test}_RS"].fillna("")).all(), test


def test_pc_records_equal_the_simulated_samples(sdtm):
    samples = pd.read_csv(RAW / "pksamp.csv", dtype=str, keep_default_na=False)
    conc = pd.read_csv(RAW / "pkconc.csv", dtype=str, keep_default_na=False)
    pc = sdtm["PC"]
    assert len(pc) == 4 * len(samples)
    assert (pc["PCSTAT"] == "NOT DONE").sum() == 4 * (samples["PKPERF"] == "N").sum()
    done = pc[pc["PCSTAT"].isna()].merge(
        conc.rename(columns={"SAMPLEID": "PCREFID"}), on="PCREFID", how="inner"
    )
    done = done[done["PCTEST"].str.upper() == done["ANALYTE"].str.upper()]
    assert len(done) == len(conc)
    assert (done["PCDTC"] == done["COLLDATE"] + "T" + done["COLLTIME"]).all()
    blq = done["RESULT"].str.startswith("<")
    assert (done["PCORRES"] == done["RESULT"]).all()
    assert done.loc[blq, "PCSTRESN"].isna().all() and done.loc[~blq, "PCSTRESN"].notna().all()
    assert (done["PCLLOQ"] == done["LLOQ"].astype(float)).all()
    predose_c1 = pc[(pc["VISITNUM"] == 1.01) & (pc["PCTPTNUM"] == -0.5) & pc["PCSTAT"].isna()]
    assert predose_c1["PCSTRESN"].isna().all()  # every C1D1 pre-dose sample is below the LLOQ


def test_pc_reference_dose_is_the_infusion_of_the_analytes_own_drug(sdtm):
    pc, ex = sdtm["PC"], sdtm["EX"]
    starts = set(zip(ex["USUBJID"], ex["EXTRT"], ex["EXSTDTC"]))
    drug = pc["PCTESTCD"].where(pc["PCTESTCD"] == "BAT1308", "BAT8008")
    assert all(triple in starts for triple in zip(pc["USUBJID"], drug, pc["PCRFTDTC"]))  # NOT DONE samples too
    assert (pc["PCTPTREF"] == drug + " INFUSION START").all()
    taken = pc[pc["PCDTC"].notna()]
    hours = (pd.to_datetime(taken["PCDTC"]) - pd.to_datetime(taken["PCRFTDTC"])).dt.total_seconds() / 3600
    assert ((hours - taken["PCTPTNUM"]).abs() < 2).mean() > 0.99  # actual times follow the nominal ones


def test_ada_results_give_the_simulated_status_per_drug(sdtm):
    key = pd.read_csv(KEY / "subjects.csv", dtype=str, keep_default_na=False)
    results = sdtm["IS"]
    binding = results[(results["ISTESTCD"] == "ADA_BAB") & results["ISTSTDTL"].isna()]
    positive = binding.assign(BASE=binding["VISITNUM"].eq(1.01), POS=binding["ISSTRESC"].eq("POSITIVE"))
    for drug in ("BAT8008", "BAT1308"):
        own = positive[positive["ISBDAGNT"] == drug]
        at_base = own[own["BASE"]].groupby("USUBJID")["POS"].any()
        after = own[~own["BASE"]].groupby("USUBJID")["POS"].any()
        usubjid = "BAT-8008-002-CR-" + key["SUBJID"]
        status = pd.Series("NEGATIVE", index=usubjid.to_numpy())
        status[after.reindex(status.index, fill_value=False).to_numpy()] = "TREATMENT EMERGENT"
        status[at_base.reindex(status.index, fill_value=False).to_numpy()] = "BASELINE POSITIVE"
        assert (status.to_numpy() == key[f"ADA_{drug}"].to_numpy()).all(), drug
    assert set(results["ISTESTCD"]) == {"ADA_BAB", "ADA_NAB"} and (results["ISTSTDTL"] == "TITER").sum() > 0
