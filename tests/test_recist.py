"""RECIST 1.1 per assessment and best overall response: aligned input/expected tables, edge cases included.

Days are counted from first dose (TRTSDT = 0). BOR parameters as the brief: ref_confirm 28,
ref_start_window 42, max_nr_ne 1, accept_sd False unless a row says otherwise.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

from cdisc.adam.recist import (
    derive_concordance,
    derive_param_bor,
    derive_param_clinical_benefit,
    derive_param_confirmed_bor,
    derive_param_response,
    derive_param_sumdiam,
    derive_recist_response,
    derive_var_new_lesion,
    derive_var_nontarget_response,
    derive_var_overall_response,
    derive_var_target_response,
    derive_vars_sumdiam_change,
    filter_pd,
)
from cdisc.errors import DataError


def plain(values):
    return [None if pd.isna(v) else v for v in values]


# ---- target response from the sums ----------------------------------------------------------------

TARGET = pd.DataFrame(
    [
        # AVAL,  BASE,  NADIR, TRCRFL, expected
        (np.nan, 50.0, 50.0, None, "NE"),  # a target lesion not measured
        (8.0, 50.0, 50.0, "Y", "CR"),  # every node < 10 mm, non-nodal lesions gone
        (70.0, 100.0, 100.0, None, "PR"),  # exactly 30% below baseline
        (71.0, 100.0, 100.0, None, "SD"),
        (30.0, 40.0, 25.0, None, "PD"),  # +20% and +5 mm from the nadir
        (24.0, 30.0, 20.0, None, "SD"),  # +20% but only +4 mm
        (25.0, 40.0, 20.0, None, "PD"),  # PD beats PR (25 <= 70% of 40)
        (42.0, 60.0, 35.0, None, "PD"),  # 1.2 * 35 is 42.000000000000007 in binary: still PD
        (41.0, 50.0, 35.0, None, "SD"),
        (5.0, 50.0, 0.0, None, "PD"),  # regrowth from 0 mm: infinite %, +5 mm
    ],
    columns=["AVAL", "BASE", "NADIR", "TRCRFL", "expected"],
)


def test_target_response_follows_recist_thresholds():
    assert derive_var_target_response(TARGET).tolist() == TARGET["expected"].tolist()


# ---- sum of diameters per visit -----------------------------------------------------------------

LESIONS = pd.DataFrame(
    [
        # USUBJID, VISITNUM, ADT, TRLNKID, TRSTRESN, nodal
        ("1", 0, -5, "T01", 30.0, False),
        ("1", 0, -5, "T02", 15.0, True),
        ("1", 1, 42, "T01", 0.0, False),
        ("1", 1, 43, "T02", 9.0, True),  # all gone, node < 10: CR criterion; visit date = earliest
        ("1", 2, 84, "T01", 0.0, False),
        ("1", 2, 84, "T02", 10.0, True),  # node at 10 mm is not normal
        ("1", 3, 126, "T01", np.nan, False),  # NOT DONE
        ("1", 3, 126, "T02", 9.0, True),
        ("1", 4, 168, "T02", 9.0, True),  # T01 has no record at all
    ],
    columns=["USUBJID", "VISITNUM", "ADT", "TRLNKID", "TRSTRESN", "nodal"],
)
SUMS = pd.DataFrame(
    [
        # VISITNUM, ADT, AVAL,  LSEXP, LSASS, TRCRFL
        (0, -5, 45.0, 2, 2, None),
        (1, 42, 9.0, 2, 2, "Y"),
        (2, 84, 10.0, 2, 2, None),
        (3, 126, np.nan, 2, 1, None),
        (4, 168, np.nan, 2, 1, None),
    ],
    columns=["VISITNUM", "ADT", "AVAL", "LSEXP", "LSASS", "TRCRFL"],
)


def test_sum_of_diameters_is_missing_when_a_target_lesion_is_not_measured():
    out = derive_param_sumdiam(LESIONS, nodal=LESIONS["nodal"])
    for column in SUMS:
        assert plain(out[column]) == plain(SUMS[column]), column


def test_duplicate_lesion_measurements_are_an_error_naming_the_subject():
    with pytest.raises(DataError, match="'1'"):
        derive_param_sumdiam(pd.concat([LESIONS, LESIONS.iloc[[0]]]), nodal=None)


def test_sum_of_diameters_of_no_lesions_is_empty():
    assert derive_param_sumdiam(LESIONS.iloc[:0]).empty


CHANGE = pd.DataFrame(
    [
        # ADT, AVAL,  baseline, BASE,  CHG,    PCHG,   NADIR, CHGNAD, PCHGNAD
        (-30, 55.0, False, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan),  # before the baseline: nothing
        (-5, 50.0, True, 50.0, np.nan, np.nan, np.nan, np.nan, np.nan),
        (42, 40.0, False, 50.0, -10.0, -20.0, 50.0, -10.0, -20.0),
        (84, np.nan, False, 50.0, np.nan, np.nan, 40.0, np.nan, np.nan),  # NE sum: not a nadir
        (126, 30.0, False, 50.0, -20.0, -40.0, 40.0, -10.0, -25.0),
        (168, 36.0, False, 50.0, -14.0, -28.0, 30.0, 6.0, 20.0),
        (210, 0.0, False, 50.0, -50.0, -100.0, 30.0, -30.0, -100.0),
        (252, 5.0, False, 50.0, -45.0, -90.0, 0.0, 5.0, np.nan),  # from a 0 mm nadir: no percent change
    ],
    columns=["ADT", "AVAL", "baseline", "BASE", "CHG", "PCHG", "NADIR", "CHGNAD", "PCHGNAD"],
)


def test_change_from_baseline_and_from_the_nadir_of_earlier_sums():
    sums = CHANGE[["ADT", "AVAL"]].assign(USUBJID="1").iloc[::-1]  # order of input rows does not matter
    out = derive_vars_sumdiam_change(sums, CHANGE["baseline"].iloc[::-1]).iloc[::-1]
    for column in ["BASE", "CHG", "PCHG", "NADIR", "CHGNAD", "PCHGNAD"]:
        np.testing.assert_allclose(out[column].to_numpy(float), CHANGE[column].to_numpy(float), err_msg=column)
    assert plain(out["ABLFL"]) == [None, "Y", None, None, None, None, None, None]


def test_two_baselines_for_a_subject_are_an_error():
    sums = CHANGE[["ADT", "AVAL"]].assign(USUBJID="1")
    with pytest.raises(DataError, match="more than one baseline"):
        derive_vars_sumdiam_change(sums, pd.Series(True, index=sums.index))


# ---- non-target, new lesions, overall response -------------------------------------------------------

NONTARGET = pd.DataFrame(
    [
        # USUBJID, VISITNUM, TRLNKID, TRSTRESC
        ("1", 1, "NT01", "PRESENT"),
        ("1", 1, "NT02", "ABSENT"),
        ("1", 2, "NT01", "ABSENT"),
        ("1", 2, "NT02", "ABSENT"),
        ("1", 3, "NT01", "PRESENT"),  # NT02 not assessed
        ("1", 4, "NT01", "UNEQUIVOCAL PROGRESSION"),  # PD even with NT02 not assessed
        ("1", 5, "NT01", "NOT DONE"),
        ("1", 5, "NT02", "ABSENT"),
    ],
    columns=["USUBJID", "VISITNUM", "TRLNKID", "TRSTRESC"],
)
NT_EXPECTED = pd.DataFrame(
    [("1", 1, "NON-CR/NON-PD"), ("1", 2, "CR"), ("1", 3, "NE"), ("1", 4, "PD"), ("1", 5, "NE"), ("2", 1, "NA")],
    columns=["USUBJID", "VISITNUM", "expected"],
)


def test_nontarget_response_per_visit():
    out = derive_var_nontarget_response(NT_EXPECTED, NONTARGET)
    assert out.tolist() == NT_EXPECTED["expected"].tolist()


def test_new_lesion_indicator_per_visit():
    visits = pd.DataFrame({"USUBJID": ["1", "1", "2"], "VISITNUM": [1, 2, 1]})
    new = pd.DataFrame({"USUBJID": ["1", "1"], "VISITNUM": [2, 2]})  # two new lesions at one visit
    assert derive_var_new_lesion(visits, new).tolist() == ["N", "Y", "N"]
    assert derive_var_new_lesion(visits, new.iloc[:0]).tolist() == ["N", "N", "N"]


# RECIST 1.1 Table 1 (target lesions) and Table 2 (non-target only, target NA)
OVERALL = pd.DataFrame(
    [
        # target, non-target,      new, expected
        ("CR", "CR", "N", "CR"),
        ("CR", "NA", "N", "CR"),
        ("CR", "NON-CR/NON-PD", "N", "PR"),
        ("CR", "NE", "N", "PR"),
        ("PR", "NON-CR/NON-PD", "N", "PR"),
        ("PR", "NE", "N", "PR"),
        ("PR", "CR", "N", "PR"),
        ("SD", "NON-CR/NON-PD", "N", "SD"),
        ("SD", "NE", "N", "SD"),
        ("NE", "NON-CR/NON-PD", "N", "NE"),
        ("NE", "PD", "N", "PD"),
        ("PD", "CR", "N", "PD"),
        ("CR", "PD", "N", "PD"),
        ("CR", "CR", "Y", "PD"),
        ("NA", "CR", "N", "CR"),
        ("NA", "NON-CR/NON-PD", "N", "NON-CR/NON-PD"),
        ("NA", "NE", "N", "NE"),
        ("NA", "NA", "Y", "PD"),
    ],
    columns=["target", "nontarget", "new", "expected"],
)


def test_overall_response_follows_recist_tables_1_and_2():
    out = derive_var_overall_response(OVERALL["target"], OVERALL["nontarget"], OVERALL["new"])
    assert out.tolist() == OVERALL["expected"].tolist()


def _tr(rows):
    return pd.DataFrame(rows, columns=["USUBJID", "VISITNUM", "ADT", "TRGRPID", "TRLNKID", "TRTESTCD", "TRSTRESN", "TRSTRESC"])


TR = _tr([
    # subject 1: baseline 50 mm, then PR, SD with NT present, PD by a new lesion
    ("1", 0, -3, "TARGET", "T01", "LDIAM", 30.0, "30"),
    ("1", 0, -3, "TARGET", "T02", "LPERP", 20.0, "20"),
    ("1", 0, -3, "NON-TARGET", "NT01", "TUMSTATE", np.nan, "PRESENT"),
    ("1", 0, -3, "NON-TARGET", "NT02", "TUMSTATE", np.nan, "PRESENT"),  # never assessed again: non-target NE
    ("1", 1, 41, "TARGET", "T01", "LDIAM", 20.0, "20"),
    ("1", 1, 41, "TARGET", "T02", "LPERP", 12.0, "12"),
    ("1", 1, 41, "NON-TARGET", "NT01", "TUMSTATE", np.nan, "PRESENT"),
    ("1", 2, 85, "TARGET", "T01", "LDIAM", 28.0, "28"),
    ("1", 2, 85, "TARGET", "T02", "LPERP", 14.0, "14"),
    ("1", 2, 85, "NON-TARGET", "NT01", "TUMSTATE", np.nan, "PRESENT"),
    ("1", 3, 126, "TARGET", "T01", "LDIAM", 28.0, "28"),
    ("1", 3, 126, "TARGET", "T02", "LPERP", 14.0, "14"),
    ("1", 3, 126, "NON-TARGET", "NT01", "TUMSTATE", np.nan, "PRESENT"),
    ("1", 3, 126, "NEW", "NEW01", "TUMSTATE", np.nan, "PRESENT"),
    # subject 2: no non-target lesions; CR with a node at 8 mm, then a target not done
    ("2", 0, -7, "TARGET", "T01", "LDIAM", 25.0, "25"),
    ("2", 0, -7, "TARGET", "T02", "LPERP", 16.0, "16"),
    ("2", 1, 42, "TARGET", "T01", "LDIAM", 0.0, "0"),
    ("2", 1, 42, "TARGET", "T02", "LPERP", 8.0, "8"),
    ("2", 2, 84, "TARGET", "T01", "LDIAM", np.nan, ""),
    ("2", 2, 84, "TARGET", "T02", "LPERP", 8.0, "8"),
])
RESPONSES = pd.DataFrame(
    [
        # USUBJID, VISITNUM, AVAL, PCHG,   PCHGNAD, TRGRESP, NTRGRESP,        NEWLIND, OVRLRESP
        ("1", 1, 32.0, -36.0, -36.0, "PR", "NE", "N", "PR"),
        ("1", 2, 42.0, -16.0, 31.25, "PD", "NE", "N", "PD"),
        ("1", 3, 42.0, -16.0, 31.25, "PD", "NE", "Y", "PD"),
        ("2", 1, 8.0, -80.4878, -80.4878, "CR", "NA", "N", "CR"),
        ("2", 2, np.nan, np.nan, np.nan, "NE", "NA", "N", "NE"),
    ],
    columns=["USUBJID", "VISITNUM", "AVAL", "PCHG", "PCHGNAD", "TRGRESP", "NTRGRESP", "NEWLIND", "OVRLRESP"],
)


def test_recist_response_from_tr_records():
    out = derive_recist_response(TR, TR["VISITNUM"].eq(0))
    post = out[out["ABLFL"].isna()].reset_index(drop=True)
    for column in ["USUBJID", "VISITNUM", "TRGRESP", "NTRGRESP", "NEWLIND", "OVRLRESP"]:
        assert post[column].tolist() == RESPONSES[column].tolist(), column
    for column in ["AVAL", "PCHG", "PCHGNAD"]:
        np.testing.assert_allclose(post[column].to_numpy(float), RESPONSES[column].to_numpy(float), rtol=1e-4, err_msg=column)
    assert out.loc[out["ABLFL"].eq("Y"), "AVAL"].tolist() == [50.0, 41.0]


def test_concordance_lists_visits_where_derived_and_investigator_differ_and_why():
    derived = RESPONSES[["USUBJID", "VISITNUM", "TRGRESP", "NTRGRESP", "NEWLIND", "OVRLRESP"]]
    inv = derived.copy()
    inv.loc[1, ["TRGRESP", "OVRLRESP"]] = ["SD", "SD"]  # the investigator missed the PD from the nadir
    inv.loc[3, ["NEWLIND", "OVRLRESP"]] = ["Y", "PD"]
    inv = inv.drop(index=4)  # no RS page for the NE visit
    out = derive_concordance(derived, inv)
    assert [plain(row) for row in out[["USUBJID", "VISITNUM", "DERIVED", "INVESTIGATOR"]].values.tolist()] == [
        ["1", 2, "PD", "SD"], ["2", 1, "CR", "PD"], ["2", 2, "NE", None]]
    assert out["REASON"].tolist() == [
        "target response: derived PD, investigator SD",
        "new lesions: derived N, investigator Y",
        "no investigator assessment",
    ]
    assert derive_concordance(derived, derived).empty


# ---- best overall response -------------------------------------------------------------------------

BOR_CASES = pd.DataFrame(
    [
        # case,                 assessments (day:response),        confirmed BOR, day, unconfirmed, day
        ("confirmed PR", "42:PR 84:PR", "PR", 42, "PR", 42),
        ("NE between two PRs", "42:PR 84:NE 126:PR", "PR", 42, "PR", 42),
        ("two NE between PRs", "42:PR 63:NE 84:NE 126:PR", "SD", 42, "PR", 42),
        ("SD between PRs", "42:PR 84:SD 126:PR", "SD", 42, "PR", 42),
        ("PR too soon", "42:PR 63:PR", "SD", 42, "PR", 42),
        ("PR then PD before SD window", "21:PR 35:PD", "PD", 35, "PR", 21),
        ("SD too early, then PD", "35:SD 84:PD", "PD", 84, "PD", 84),
        ("SD too early only", "35:SD", "NE", 35, "NE", 35),
        ("confirmed CR", "42:CR 56:NE 84:CR", "CR", 42, "CR", 42),
        ("CR too soon", "42:CR 63:CR", "SD", 42, "CR", 42),
        ("PR confirmed by CR", "42:PR 84:CR", "PR", 42, "CR", 84),
        ("PR after CR in the window", "42:PR 56:CR 84:PR", "SD", 42, "CR", 56),
        ("ties to the earliest", "42:SD 84:SD 126:SD", "SD", 42, "SD", 42),
        ("PD only", "42:PD", "PD", 42, "PD", 42),
        ("NE only", "42:NE 84:NE", "NE", 42, "NE", 42),
        ("non-target disease only", "35:NON-CR/NON-PD 84:NON-CR/NON-PD", "NON-CR/NON-PD", 84, "NON-CR/NON-PD", 84),
        ("not done", "42:ND", "ND", 42, "ND", 42),
        ("no post-baseline assessment", "", "NE", None, "NE", None),
    ],
    columns=["case", "assessments", "cbor", "cbor_day", "bor", "bor_day"],
)


def _ovr(cases):
    rows = [(case, int(a.split(":")[0]), a.split(":")[1]) for case, text in zip(cases["case"], cases["assessments"])
            for a in text.split()]
    return pd.DataFrame(rows, columns=["USUBJID", "ADT", "AVALC"])


ADSL = pd.DataFrame({"USUBJID": BOR_CASES["case"], "TRTSDT": 0.0})
WINDOWS = {"ref_start_window": 42}


def test_confirmed_bor_with_its_assessment_date():
    out = derive_param_confirmed_bor(_ovr(BOR_CASES), ADSL, ref_confirm=28, max_nr_ne=1, accept_sd=False, **WINDOWS)
    assert out["USUBJID"].tolist() == BOR_CASES["case"].tolist()
    assert dict(zip(out["USUBJID"], out["AVALC"])) == dict(zip(BOR_CASES["case"], BOR_CASES["cbor"]))
    assert plain(out["ADT"]) == plain(BOR_CASES["cbor_day"])


def test_unconfirmed_bor_with_its_assessment_date():
    out = derive_param_bor(_ovr(BOR_CASES), ADSL, **WINDOWS)
    assert dict(zip(out["USUBJID"], out["AVALC"])) == dict(zip(BOR_CASES["case"], BOR_CASES["bor"]))
    assert plain(out["ADT"]) == plain(BOR_CASES["bor_day"])


def test_bor_parameters_max_nr_ne_and_accept_sd():
    cases = BOR_CASES.set_index("case").loc[["two NE between PRs", "SD between PRs"]].reset_index()
    adsl = ADSL[ADSL["USUBJID"].isin(cases["case"])]
    out = derive_param_confirmed_bor(_ovr(cases), adsl, max_nr_ne=2, accept_sd=True, **WINDOWS)
    assert out["AVALC"].tolist() == ["PR", "PR"]


def test_subject_without_assessments_is_ne_or_missing_and_others_outside_adsl_are_dropped():
    ovr = pd.DataFrame({"USUBJID": ["not in ADSL"], "ADT": [42.0], "AVALC": ["PR"]})
    adsl = pd.DataFrame({"USUBJID": ["a"], "TRTSDT": [0.0]})
    assert derive_param_confirmed_bor(ovr, adsl, **WINDOWS)[["USUBJID", "AVALC"]].values.tolist() == [["a", "NE"]]
    assert derive_param_bor(ovr.iloc[:0], adsl, missing_as_ne=False, **WINDOWS)["AVALC"].tolist() == ["MISSING"]
    assert derive_param_confirmed_bor(ovr, adsl.iloc[:0], **WINDOWS).empty


def test_a_response_outside_the_allowed_set_is_an_error_naming_value_and_subject():
    ovr = pd.DataFrame({"USUBJID": ["7", "7"], "ADT": [42.0, 84.0], "AVALC": ["PR", "UNK"]})
    with pytest.raises(DataError, match=r"\['UNK'\].*\['7'\]"):
        derive_param_confirmed_bor(ovr, ADSL, **WINDOWS)


def test_two_responses_on_one_date_are_an_error():
    ovr = pd.DataFrame({"USUBJID": ["7", "7"], "ADT": [42.0, 42.0], "AVALC": ["PR", "SD"]})
    with pytest.raises(DataError, match="same date"):
        derive_param_bor(ovr, pd.DataFrame({"USUBJID": ["7"], "TRTSDT": [0.0]}), **WINDOWS)


FILTER = pd.DataFrame(
    [
        # USUBJID, ADT, AVALC, NACTDT, kept
        ("after PD", 42, "PR", np.nan, True),
        ("after PD", 84, "PD", np.nan, True),
        ("after PD", 126, "PR", np.nan, False),  # assessments after the first PD are not used
        ("after PD", 168, "PR", np.nan, False),
        ("new therapy", 42, "PR", 60, True),
        ("new therapy", 60, "PR", 60, True),  # on the day therapy starts: still used
        ("new therapy", 84, "PR", 60, False),  # after new anticancer therapy: not used
        ("new therapy", 126, "PD", 60, False),  # a PD after new therapy is not the first PD
    ],
    columns=["USUBJID", "ADT", "AVALC", "NACTDT", "kept"],
)


def test_assessments_after_pd_or_after_new_anticancer_therapy_are_not_used():
    adsl = FILTER.drop_duplicates("USUBJID")[["USUBJID", "NACTDT"]].assign(TRTSDT=0.0)
    ovr = FILTER[["USUBJID", "ADT", "AVALC"]]
    kept = filter_pd(ovr, adsl, end_dates=["NACTDT"])
    assert kept.index.tolist() == FILTER.index[FILTER["kept"]].tolist()
    assert derive_param_confirmed_bor(kept, adsl, **WINDOWS)["AVALC"].tolist() == ["SD", "SD"]
    assert derive_param_confirmed_bor(ovr, adsl, **WINDOWS)["AVALC"].tolist() == ["PR", "PR"]  # unfiltered: wrong
    assert filter_pd(ovr.iloc[:0]).empty


def test_response_and_clinical_benefit_carry_the_first_qualifying_date():
    ovr = _ovr(BOR_CASES)
    rsp = derive_param_response(ovr, ADSL).set_index("USUBJID")
    cb = derive_param_clinical_benefit(ovr, ADSL, **WINDOWS).set_index("USUBJID")
    expected = BOR_CASES.set_index("case")
    responders = expected.index[expected["cbor"].isin(["CR", "PR"])]
    assert set(rsp.index[rsp["AVALC"].eq("Y")]) == set(responders)
    assert rsp.loc["PR confirmed by CR", "ADT"] == 42
    assert set(cb.index[cb["AVALC"].eq("Y")]) == set(expected.index[expected["cbor"].isin(["CR", "PR", "SD"])])
    assert cb.loc["two NE between PRs", "ADT"] == 42 and pd.isna(cb.loc["PD only", "ADT"])
    unconfirmed = derive_param_response(ovr, ADSL, confirmed=False).set_index("USUBJID")
    assert unconfirmed.loc["PR too soon", "AVALC"] == "Y" and unconfirmed.loc["PR too soon", "ADT"] == 42


# ---- against admiralonco: pharmaverseadam ADRS --------------------------------------------------------

PHARMAVERSE = SHARED / "reference" / "pharmaverseadam"


def _sas_days(text: pd.Series) -> pd.Series:
    return (pd.to_datetime(text) - pd.Timestamp("1960-01-01")).dt.days.astype(float)


@pytest.mark.skipif(not (PHARMAVERSE / "adrs_onco.csv").is_file(), reason="needs ../shared/reference/pharmaverseadam")
def test_bor_response_and_clinical_benefit_equal_admiralonco_in_pharmaverseadam():
    """adrs_onco was derived by admiralonco (ref_confirm 28, SD window 28 days after TRTSDT, max_nr_ne 1, no SD
    accepted, subjects without assessments MISSING; clinical benefit counts NON-CR/NON-PD): every subject's
    AVALC, AVAL and ADT of each parameter agree."""
    adrs = pd.read_csv(PHARMAVERSE / "adrs_onco.csv")
    adsl = pd.read_csv(PHARMAVERSE / "adsl.csv")
    adsl = adsl[adsl["USUBJID"].isin(adrs["USUBJID"])].assign(TRTSDT=lambda f: _sas_days(f["TRTSDT"]))
    ovr = adrs[adrs["PARAMCD"].eq("OVR") & adrs["ANL01FL"].eq("Y")].assign(ADT=lambda f: _sas_days(f["ADT"]))
    used = filter_pd(ovr[["USUBJID", "ADT", "AVALC"]])
    benefit = {"ref_start_window": 28, "values": ("CR", "PR", "SD", "NON-CR/NON-PD")}
    derived = {
        "CBOR": derive_param_confirmed_bor(used, adsl, ref_start_window=28, missing_as_ne=False),
        "BOR": derive_param_bor(used, adsl, ref_start_window=28, missing_as_ne=False),
        "CRSP": derive_param_response(used, adsl),
        "RSP": derive_param_response(used, adsl, confirmed=False),
        "CCB": derive_param_clinical_benefit(used, adsl, **benefit),
        "CB": derive_param_clinical_benefit(used, adsl, confirmed=False, **benefit),
    }
    for paramcd, ours in derived.items():
        ref = adrs[adrs["PARAMCD"].eq(paramcd)].assign(ADT=lambda f: _sas_days(f["ADT"]))
        both = ref.merge(ours, on="USUBJID", suffixes=("_REF", ""), validate="one_to_one")
        assert len(both) == len(ref) == len(adsl) == 306, paramcd
        assert both["AVALC"].tolist() == both["AVALC_REF"].tolist(), paramcd
        assert plain(both["ADT"]) == plain(both["ADT_REF"]), paramcd
        if paramcd.endswith("BOR"):
            assert both["AVAL"].tolist() == both["AVAL_REF"].tolist(), paramcd
    assert set(derived["CBOR"]["AVALC"]) >= {"PR", "SD", "PD", "NON-CR/NON-PD", "NE", "MISSING"}
