"""RECIST 1.1 responses, BOR, PFS and OS derived from the example study's SDTM/ADSL XPT files against the
simulator's answer key, for the default extract and a 1,000-subject extract.

How the key defines them (cdisc/simulate/tumour.py and answer_key.py): the investigator's overall response
applies RECIST 1.1 to the recorded measurements; BOR / BOR_UNCONFIRMED as specs/README.md says (confirmation
>= 28 days, SD >= 35 days after first dose); PFS_CNSR/PFS_DATE: first PD or death unless after new therapy or
more than 2 x 42 + 7 days after the last adequate assessment (then, and without an event, censored at the last
adequate assessment, or first dose); OS_CNSR/OS_DATE: death, else censored at the last date known alive.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from conftest import REPO
from test_efficacy_report import greenwood_loglog, hand_median

from cdisc.adam.recist import (
    derive_concordance,
    derive_param_bor,
    derive_param_clinical_benefit,
    derive_param_confirmed_bor,
    derive_param_response,
    derive_recist_response,
    filter_pd,
)
from cdisc.adam.tte import (
    derive_param_dor,
    derive_param_os,
    derive_param_pfs,
    derive_var_aval_months,
)
from cdisc.reports.efficacy import summarise_km
from cdisc.sasdates import sas_date
from cdisc.simulate import simulate_study
from cdisc.study import run_study

#: The protocol's windows (specs/README.md), as the ADaM spec will state them.
BOR_ARGS = {"reference_date": "TRTSDT", "ref_start_window": 35}
CONFIRM_ARGS = {"ref_confirm": 28, "max_nr_ne": 1, "accept_sd": False}
PFS_ARGS = {"assessment_interval": 42, "missed_assessments": 2, "assessment_window": 7}


def _build(out: Path, key: Path, raw: Path | None = None) -> dict:
    run_study(REPO / "specs", out, raw=raw)
    tr, rs, adsl = (pyreadstat.read_xport(out / f"{name}.xpt", disable_datetime_conversion=True)[0]
                    for name in ("sdtm/tr", "sdtm/rs", "adam/adsl"))
    tr["ADT"] = sas_date(tr["TRDTC"])
    derived = derive_recist_response(tr, tr["VISITNUM"].eq(0))
    derived = derived[derived["TRGRESP"].notna()]
    rs = rs[rs["RSCAT"] == "RECIST 1.1"]  # the investigator's responses (not the baseline ECOG)
    inv = rs.pivot_table(index=["USUBJID", "VISITNUM"], columns="RSTESTCD", values="RSSTRESC", aggfunc="first").reset_index()
    subjects = pd.read_csv(key / "subjects.csv", dtype=str, keep_default_na=False)
    subjects = subjects.merge(adsl[["SUBJID", "USUBJID"]], on="SUBJID", how="outer", validate="one_to_one", indicator=True)
    assert subjects["_merge"].eq("both").all(), "ADSL and the answer key hold different subjects"
    ovr = derived[["USUBJID", "ADT"]].assign(AVALC=derived["OVRLRESP"].to_numpy())
    return {"derived": derived, "investigator": inv, "adsl": adsl, "key": subjects, "ovr": ovr}


@pytest.fixture(scope="module", params=["default", "1000 subjects"])
def study(request, tmp_path_factory):
    if request.param == "default":
        return _build(tmp_path_factory.mktemp("efficacy-default"), REPO / "examples" / "bat8008" / "answer_key")
    folder = tmp_path_factory.mktemp("efficacy-1000")
    simulate_study(folder, subjects=1000)
    return _build(folder / "out", folder / "answer_key", raw=folder / "raw")


def _by_subject(frame: pd.DataFrame, column: str) -> dict:
    return dict(zip(frame["USUBJID"], frame[column]))


def test_derived_overall_responses_agree_with_the_investigator_at_every_visit(study):
    concordance = derive_concordance(study["derived"], study["investigator"])
    assert len(study["derived"]) == len(study["investigator"]) > 0
    assert concordance.empty, concordance.head(20).to_string()


def test_confirmed_and_unconfirmed_bor_equal_the_answer_key_for_every_subject(study):
    adsl, key = study["adsl"], study["key"]
    ovr = filter_pd(study["ovr"], adsl, end_dates=["NACTDT"])
    confirmed = derive_param_confirmed_bor(ovr, adsl, **BOR_ARGS, **CONFIRM_ARGS)
    unconfirmed = derive_param_bor(ovr, adsl, **BOR_ARGS)
    assert _by_subject(confirmed, "AVALC") == _by_subject(key, "BOR")
    assert _by_subject(unconfirmed, "AVALC") == _by_subject(key, "BOR_UNCONFIRMED")
    assert confirmed["AVALC"].isin(["PR", "CR"]).any() and confirmed["AVALC"].eq("SD").any()


def test_orr_and_dcr_follow_the_answer_keys_bor(study):
    adsl, key = study["adsl"], study["key"]
    ovr = filter_pd(study["ovr"], adsl, end_dates=["NACTDT"])
    rsp = derive_param_response(ovr, adsl, **CONFIRM_ARGS)
    cb = derive_param_clinical_benefit(ovr, adsl, ref_start_window=35, **CONFIRM_ARGS)
    assert _by_subject(rsp, "AVALC") == {s: "Y" if b in ("CR", "PR") else "N" for s, b in zip(key["USUBJID"], key["BOR"])}
    assert _by_subject(cb, "AVALC") == {s: "Y" if b in ("CR", "PR", "SD") else "N" for s, b in zip(key["USUBJID"], key["BOR"])}


def test_km_medians_per_dose_level_match_a_hand_greenwood_computation(study):
    adsl = study["adsl"]
    rsp = derive_param_response(filter_pd(study["ovr"], adsl, end_dates=["NACTDT"]), adsl, **CONFIRM_ARGS)
    level = dict(zip(adsl["USUBJID"], adsl["DOSELVL"]))
    for tte in (derive_param_pfs(adsl, study["ovr"], **PFS_ARGS), derive_param_os(adsl),
                derive_param_dor(adsl, study["ovr"], rsp, **PFS_ARGS)):
        tte = tte.assign(DOSELVL=tte["USUBJID"].map(level), MONTHS=derive_var_aval_months(tte["AVAL"]))
        summary = summarise_km(tte, group_var="DOSELVL", time=tte["MONTHS"]).set_index("GROUP")
        for group, part in [*tte.groupby("DOSELVL"), ("Overall", tte)]:
            by_hand = hand_median(greenwood_loglog(part["MONTHS"].tolist(), part["CNSR"].eq(0).astype(int).tolist()))
            np.testing.assert_allclose(summary.loc[str(group), ["MEDIAN", "LCL", "UCL"]].to_numpy(float), by_hand, rtol=1e-12)


def test_pfs_event_status_and_date_equal_the_answer_key_for_every_subject(study):
    adsl, key = study["adsl"], study["key"]
    pfs = derive_param_pfs(adsl, study["ovr"], **PFS_ARGS)
    assert _by_subject(pfs, "CNSR") == {s: int(c) for s, c in zip(key["USUBJID"], key["PFS_CNSR"])}
    assert _by_subject(pfs, "ADT") == _by_subject(key.assign(D=sas_date(key["PFS_DATE"])), "D")
    events = pfs["CNSR"].eq(0)
    assert _by_subject(pfs[events], "EVNTDESC") == _by_subject(key[key["PFS_CNSR"].eq("0")], "PFS_EVENT")


def test_os_event_status_and_death_dates_equal_the_answer_key_for_every_subject(study):
    adsl, key = study["adsl"], study["key"]
    os_ = derive_param_os(adsl)
    assert _by_subject(os_, "CNSR") == {s: int(c) for s, c in zip(key["USUBJID"], key["OS_CNSR"])}
    dead = os_[os_["CNSR"].eq(0)]
    key_dates = _by_subject(key.assign(D=sas_date(key["OS_DATE"])), "D")
    assert _by_subject(dead, "ADT") == {s: key_dates[s] for s in dead["USUBJID"]}


def test_os_censoring_dates_equal_the_answer_key_last_known_alive_dates(study):
    adsl, key = study["adsl"], study["key"]
    os_ = derive_param_os(adsl)
    censored = os_[os_["CNSR"].eq(1)]
    key_dates = _by_subject(key.assign(D=sas_date(key["OS_DATE"])), "D")
    assert _by_subject(censored, "ADT") == {s: key_dates[s] for s in censored["USUBJID"]}
