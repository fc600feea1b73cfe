"""Time-to-event parameters: derive_param_tte's source rules and the PFS/DOR/OS censoring rules, as aligned tables.

Days are counted from first dose (TRTSDT = 0). PFS: assessments every 42 days with a 7-day window, so an
event more than 2 x 42 + 7 = 91 days after the last adequate assessment follows two missed assessments.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

from cdisc.adam.tte import (
    censor_source,
    derive_param_dor,
    derive_param_os,
    derive_param_pfs,
    derive_param_tte,
    derive_var_aval_months,
    event_source,
)


def plain(values):
    return [None if pd.isna(v) else v for v in values]


# ---- derive_param_tte: how sources combine ---------------------------------------------------------

SOURCES = pd.DataFrame(
    [
        # USUBJID, A (event), B (event), C (censor), D (censor), END, expected ADT, CNSR, from
        ("earliest event", 50, 40, 90, np.nan, np.nan, 40, 0, "B"),
        ("tie to first listed", 40, 40, 90, np.nan, np.nan, 40, 0, "A"),
        ("event beats later censor", np.nan, 60, 90, 95, np.nan, 60, 0, "B"),
        ("latest censor", np.nan, np.nan, 90, 95, np.nan, 95, 1, "D"),
        ("censor tie to last listed", np.nan, np.nan, 90, 90, np.nan, 90, 1, "D"),  # admiral: mode "last"
        ("event after end date", 50, np.nan, 30, np.nan, 45, 30, 1, "C"),
        ("event on end date", 45, np.nan, 30, np.nan, 45, 45, 0, "A"),
        ("date before start", np.nan, np.nan, -5, np.nan, np.nan, 0, 1, "C"),  # ADT = max(ADT, STARTDT)
        ("nothing", np.nan, np.nan, np.nan, np.nan, np.nan, None, None, None),  # no record
    ],
    columns=["USUBJID", "A", "B", "C", "D", "END", "ADT", "CNSR", "from"],
)


def test_earliest_event_wins_ties_to_first_source_and_events_beat_censorings():
    data = SOURCES.assign(TRTSDT=0.0)
    tte = derive_param_tte(
        data, start_date="TRTSDT", end_dates=["END"], set_values_to={"PARAMCD": "X"},
        event_conditions=[event_source(data, c, set_values_to={"EVNTDESC": c, "SRCVAR": c}) for c in "AB"],
        censor_conditions=[censor_source(data, c, set_values_to={"CNSDTDSC": c, "SRCVAR": c}) for c in "CD"])
    expected = SOURCES[SOURCES["ADT"].notna()]
    assert tte["USUBJID"].tolist() == expected["USUBJID"].tolist()
    assert tte["ADT"].tolist() == expected["ADT"].tolist()
    assert tte["CNSR"].tolist() == expected["CNSR"].tolist()
    assert tte["SRCVAR"].tolist() == expected["from"].tolist()
    assert tte["AVAL"].tolist() == (expected["ADT"] + 1).tolist()
    assert list(tte.columns) == ["USUBJID", "PARAMCD", "STARTDT", "ADT", "AVAL", "CNSR", "EVNTDESC", "CNSDTDSC",
                                 "SRCDOM", "SRCVAR", "SRCSEQ"]


def test_per_source_first_event_and_last_censoring_with_srcseq_filter_and_adsl_subjects_only():
    adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRTSDT": [0.0, 0.0]})
    records = pd.DataFrame({
        "USUBJID": ["1", "1", "1", "2", "2", "3"],
        "ADT": [80, 40, 60, 20, 70, 10],
        "AVALC": ["PD", "PD", "SD", "SD", "SD", "PD"],
        "ASEQ": [3, 1, 2, 1, 2, 1],
    })
    tte = derive_param_tte(
        adsl, start_date="TRTSDT",
        event_conditions=[event_source(records, "ADT", filter=records["AVALC"].eq("PD"), srcseq="ASEQ")],
        censor_conditions=[censor_source(records, "ADT", filter=records["AVALC"].eq("SD"), srcseq="ASEQ", censor=2)])
    assert tte[["USUBJID", "ADT", "CNSR", "SRCSEQ"]].values.tolist() == [["1", 40, 0, 1], ["2", 70, 2, 2]]


def test_empty_sources_give_no_records():
    adsl = pd.DataFrame({"USUBJID": ["1"], "TRTSDT": [0.0], "DTHDT": [np.nan]})
    tte = derive_param_tte(adsl, start_date="TRTSDT", event_conditions=[event_source(adsl, "DTHDT")], censor_conditions=[])
    assert tte.empty and "CNSR" in tte.columns


def test_a_censoring_source_needs_a_positive_censor_value():
    with pytest.raises(ValueError):
        censor_source(pd.DataFrame(), "ADT", censor=0)


def test_months():
    assert derive_var_aval_months(pd.Series([0.0, 30.4375, 182.625])).tolist() == [0.0, 1.0, 6.0]


# ---- PFS: FDA guidance censoring rules --------------------------------------------------------------

PFS = pd.DataFrame(
    [
        # USUBJID,                          assessments,                DTHDT,  NACTDT, ADT, CNSR, EVNTDESC / CNSDTDSC
        ("PD", "42:SD 84:PD", np.nan, np.nan, 84, 0, "DISEASE PROGRESSION"),
        ("death before PD", "42:SD", 60, np.nan, 60, 0, "DEATH"),
        ("no event", "42:SD 84:PR", np.nan, np.nan, 84, 1, "LAST ADEQUATE TUMOR ASSESSMENT"),
        ("no post-baseline assessment", "", np.nan, np.nan, 0, 1, "START OF TREATMENT"),
        ("no adequate assessment", "42:NE", np.nan, np.nan, 0, 1, "START OF TREATMENT"),
        ("last adequate before NE", "42:SD 84:NE", np.nan, np.nan, 42, 1, "LAST ADEQUATE TUMOR ASSESSMENT"),
        ("early death, no assessment", "", 30, np.nan, 30, 0, "DEATH"),
        ("late death, no assessment", "", 120, np.nan, 0, 1, "START OF TREATMENT"),  # > 91 days after start
        ("PD after new therapy", "42:SD 84:PD", np.nan, 70, 42, 1, "LAST ADEQUATE TUMOR ASSESSMENT"),
        ("death after new therapy", "42:SD", 80, 70, 42, 1, "LAST ADEQUATE TUMOR ASSESSMENT"),
        ("assessment after new therapy", "42:SD 84:SD", np.nan, 70, 42, 1, "LAST ADEQUATE TUMOR ASSESSMENT"),
        ("PD after one missed", "42:SD 126:PD", np.nan, np.nan, 126, 0, "DISEASE PROGRESSION"),  # 84 days
        ("PD after two missed", "42:SD 140:PD", np.nan, np.nan, 42, 1, "LAST ADEQUATE TUMOR ASSESSMENT"),  # 98 days
        ("PD after two NE", "42:SD 84:NE 126:NE 168:PD", np.nan, np.nan, 42, 1, "LAST ADEQUATE TUMOR ASSESSMENT"),
        ("death after two missed", "42:SD", 140, np.nan, 42, 1, "LAST ADEQUATE TUMOR ASSESSMENT"),
        ("death on the gap limit", "42:SD", 133, np.nan, 133, 0, "DEATH"),  # exactly 91 days
        ("PD before death", "42:PD", 50, np.nan, 42, 0, "DISEASE PROGRESSION"),
        ("PD and death same day", "42:SD 84:PD", 84, np.nan, 84, 0, "DISEASE PROGRESSION"),
        ("after PD not used", "42:PD 84:SD", np.nan, np.nan, 42, 0, "DISEASE PROGRESSION"),
    ],
    columns=["USUBJID", "assessments", "DTHDT", "NACTDT", "ADT", "CNSR", "description"],
)


def _ovr(frame):
    rows = [(s, float(a.split(":")[0]), a.split(":")[1]) for s, text in zip(frame["USUBJID"], frame["assessments"])
            for a in text.split()]
    return pd.DataFrame(rows, columns=["USUBJID", "ADT", "AVALC"])


def test_pfs_events_and_censoring_follow_the_fda_guidance():
    adsl = PFS[["USUBJID", "DTHDT", "NACTDT"]].assign(TRTSDT=0.0)
    pfs = derive_param_pfs(adsl, _ovr(PFS), assessment_interval=42, assessment_window=7,
                           set_values_to={"PARAMCD": "PFS"})
    assert pfs["USUBJID"].tolist() == PFS["USUBJID"].tolist()  # every ADSL subject has a record
    assert dict(zip(pfs["USUBJID"], pfs["ADT"])) == dict(zip(PFS["USUBJID"], PFS["ADT"].astype(float)))
    assert dict(zip(pfs["USUBJID"], pfs["CNSR"])) == dict(zip(PFS["USUBJID"], PFS["CNSR"]))
    described = np.where(pfs["CNSR"].eq(0), pfs["EVNTDESC"], pfs["CNSDTDSC"])
    assert dict(zip(pfs["USUBJID"], described)) == dict(zip(PFS["USUBJID"], PFS["description"]))
    assert set(pfs.loc[pfs["EVNTDESC"].eq("DEATH"), "SRCDOM"]) == {"ADSL"}


def test_pfs_of_an_empty_study():
    adsl = pd.DataFrame({"USUBJID": pd.Series([], dtype="str"), "TRTSDT": [], "DTHDT": [], "NACTDT": []})
    assert derive_param_pfs(adsl, _ovr(PFS.iloc[:0]), assessment_interval=42).empty


# ---- DOR and OS ----------------------------------------------------------------------------------------

DOR = pd.DataFrame(
    [
        # USUBJID,         assessments,            RSP, RSPDT, DTHDT, STARTDT, ADT, AVAL, CNSR
        ("PR then PD", "42:PR 84:PR 126:PD", "Y", 42, np.nan, 42, 126, 85, 0),
        ("PR ongoing", "42:PR 84:PR 126:SD", "Y", 42, np.nan, 42, 126, 85, 1),
        ("PR, nothing after", "42:PR", "Y", 42, np.nan, 42, 42, 1, 1),  # censored at the response itself
        ("CR then death", "42:CR 84:CR", "Y", 42, 100, 42, 100, 59, 0),
        ("non-responder", "42:SD 84:PD", "N", np.nan, np.nan, None, None, None, None),
    ],
    columns=["USUBJID", "assessments", "RSP", "RSPDT", "DTHDT", "STARTDT", "ADT", "AVAL", "CNSR"],
)


def test_dor_for_responders_only_from_the_first_response():
    adsl = DOR[["USUBJID", "DTHDT"]].assign(TRTSDT=0.0, NACTDT=np.nan)
    rsp = DOR[["USUBJID", "RSP", "RSPDT"]].rename(columns={"RSP": "AVALC", "RSPDT": "ADT"})
    dor = derive_param_dor(adsl, _ovr(DOR), rsp, assessment_interval=42, assessment_window=7)
    expected = DOR[DOR["RSP"].eq("Y")]
    assert dor["USUBJID"].tolist() == expected["USUBJID"].tolist()
    for column in ["STARTDT", "ADT", "AVAL", "CNSR"]:
        assert dor[column].tolist() == expected[column].tolist(), column
    assert set(dor.loc[dor["CNSR"].eq(1), "CNSDTDSC"]) == {"LAST ADEQUATE TUMOR ASSESSMENT"}


def test_os_death_or_censored_at_last_known_alive():
    adsl = pd.DataFrame({"USUBJID": ["dead", "alive", "no date"], "TRTSDT": [10.0, 10.0, 10.0],
                         "DTHDT": [200, np.nan, np.nan], "LSTALVDT": [np.nan, 300, np.nan]})
    os_ = derive_param_os(adsl)
    assert os_[["USUBJID", "ADT", "AVAL", "CNSR"]].values.tolist() == [["dead", 200, 191, 0], ["alive", 300, 291, 1]]
    assert plain(os_["CNSDTDSC"]) == [None, "LAST KNOWN ALIVE DATE"]


# ---- against admiral: pharmaverseadam ADTTE ---------------------------------------------------------------

PHARMAVERSE = SHARED / "reference" / "pharmaverseadam"


def _sas_days(text: pd.Series) -> pd.Series:
    return (pd.to_datetime(text) - pd.Timestamp("1960-01-01")).dt.days.astype(float)


@pytest.mark.skipif(not (PHARMAVERSE / "adtte_onco.csv").is_file(), reason="needs ../shared/reference/pharmaverseadam")
@pytest.mark.parametrize("paramcd", ["PFS", "OS"])
def test_derive_param_tte_equals_admiral_in_pharmaverseadam(paramcd):
    """adtte_onco's PFS (PD or death from ADRS; censored at the last assessment, else randomization) and OS
    (death; censored at LSTALVDT, else randomization), built from the same sources: every record agrees."""
    adrs = pd.read_csv(PHARMAVERSE / "adrs_onco.csv").assign(ADT=lambda f: _sas_days(f["ADT"]))
    adsl = pd.read_csv(PHARMAVERSE / "adsl.csv")
    adsl = adsl[adsl["USUBJID"].isin(adrs["USUBJID"])]
    adsl = adsl.assign(**{c: _sas_days(adsl[c]) for c in ("RANDDT", "LSTALVDT")})
    ref = pd.read_csv(PHARMAVERSE / "adtte_onco.csv").query("PARAMCD == @paramcd")
    ref = ref.assign(ADT=_sas_days(ref["ADT"]), STARTDT=_sas_days(ref["STARTDT"]))
    param = adrs["PARAMCD"]
    death = event_source(adrs, "ADT", filter=param.eq("DEATH") & adrs["AVALC"].eq("Y"), srcseq="ASEQ",
                         set_values_to={"EVNTDESC": "Death", "SRCDOM": "ADRS", "SRCVAR": "ADT"})
    start = censor_source(adsl, "RANDDT", set_values_to={"EVNTDESC": "Randomization", "SRCDOM": "ADSL", "SRCVAR": "RANDDT"})
    if paramcd == "PFS":
        events = [event_source(adrs, "ADT", filter=param.eq("PD") & adrs["AVALC"].eq("Y"), srcseq="ASEQ",
                               set_values_to={"EVNTDESC": "Disease Progression", "SRCDOM": "ADRS", "SRCVAR": "ADT"}), death]
        censors = [censor_source(adrs, "ADT", filter=param.eq("LSTA"), srcseq="ASEQ",
                                 set_values_to={"EVNTDESC": "Last Tumor Assessment", "SRCDOM": "ADRS", "SRCVAR": "ADT"}), start]
    else:
        events = [death]
        censors = [censor_source(adsl, "LSTALVDT", set_values_to={"EVNTDESC": "Alive", "SRCDOM": "ADSL", "SRCVAR": "LSTALVDT"}), start]
    ours = derive_param_tte(adsl, start_date="RANDDT", event_conditions=events, censor_conditions=censors)
    both = ref.merge(ours, on="USUBJID", how="outer", suffixes=("_REF", ""), validate="one_to_one", indicator=True)
    assert both["_merge"].eq("both").all() and len(both) == 254
    for column in ["STARTDT", "ADT", "AVAL", "CNSR", "EVNTDESC", "SRCDOM", "SRCVAR", "SRCSEQ"]:
        assert plain(both[column]) == plain(both[f"{column}_REF"]), column
    assert both["CNSR"].eq(0).sum() == (6 if paramcd == "PFS" else 3)
    assert both["EVNTDESC"].eq("Randomization").sum() > 0  # censored at the later start date, or at a tie


def test_several_by_variables_keep_each_once():
    adsl = pd.DataFrame({"STUDYID": ["S", "S"], "USUBJID": ["1", "2"], "TRTSDT": [0, 0], "DTHDT": [50, np.nan], "LSTALVDT": [np.nan, 80]})
    tte = derive_param_tte(
        adsl, start_date="TRTSDT", by_vars=("STUDYID", "USUBJID"),
        event_conditions=[event_source(adsl, "DTHDT", set_values_to={"EVNTDESC": "DEATH"})],
        censor_conditions=[censor_source(adsl, "LSTALVDT", set_values_to={"CNSDTDSC": "LAST KNOWN ALIVE"})],
    )
    assert list(tte.columns).count("USUBJID") == 1
    assert tte[["STUDYID", "USUBJID", "ADT", "CNSR"]].values.tolist() == [["S", "1", 50.0, 0], ["S", "2", 80.0, 1]]
