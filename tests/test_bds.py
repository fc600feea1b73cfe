"""BDS record steps and variable derivations: aligned input/expected tables, empty groups, ties and missing
values; computed parameters, averages and last values against pharmaverseadam ADVS."""

import numpy as np
import pandas as pd
import pytest

from cdisc.adam.bds import (
    Summary,
    compute_bmi,
    compute_bsa,
    compute_map,
    derive_basetype_records,
    derive_extreme_records,
    derive_param_computed,
    derive_summary_records,
    derive_var_analysis_ratio,
    derive_var_anrind,
    derive_var_ontrtfl,
    derive_var_pchg,
    derive_var_shift,
    signif,
)
from cdisc.adam.derivations import derive_var_base, derive_var_obs_number
from cdisc.errors import DataError
from conftest import SHARED

NA = np.nan


def table(rows, columns):
    return pd.DataFrame(rows, columns=columns)


def plain(values):
    return [None if pd.isna(v) else v for v in values]


# ---- derive_param_computed -------------------------------------------------------------------------

VS = table([
    # USUBJID, AVISIT, PARAMCD, AVAL
    ("1", "W1", "SYSBP", 120.0),
    ("1", "W1", "DIABP", 90.0),
    ("1", "W2", "SYSBP", 130.0),   # no DIABP at W2: no MAP
    ("1", "W3", "SYSBP", 141.0),
    ("1", "W3", "DIABP", NA),      # DIABP missing: no MAP unless keep_nas
    ("2", "W1", "DIABP", 60.0),
    ("2", "W1", "SYSBP", 90.0),
], ["USUBJID", "AVISIT", "PARAMCD", "AVAL"])


def map_of(wide):
    return compute_map(wide["AVAL.DIABP"], wide["AVAL.SYSBP"])


def test_param_computed_adds_one_record_per_complete_group():
    out = derive_param_computed(VS, ["USUBJID", "AVISIT"], ["SYSBP", "DIABP"], {"PARAMCD": "MAP", "PARAM": "Mean Arterial Pressure"}, map_of)
    expected = table([
        # USUBJID, AVISIT, PARAMCD, PARAM, AVAL
        ("1", "W1", "MAP", "Mean Arterial Pressure", 100.0),
        ("2", "W1", "MAP", "Mean Arterial Pressure", 70.0),
    ], ["USUBJID", "AVISIT", "PARAMCD", "PARAM", "AVAL"])
    assert out.iloc[: len(VS)].drop(columns="PARAM").equals(VS)  # input records first, unchanged
    new = out.iloc[len(VS):].reset_index(drop=True)
    assert new[expected.columns].astype(object).equals(expected.astype(object))


def test_param_computed_keep_nas_keeps_groups_with_a_missing_value():
    out = derive_param_computed(VS, ["USUBJID", "AVISIT"], ["SYSBP", "DIABP"], {"PARAMCD": "MAP"}, map_of, keep_nas=True)
    new = out.iloc[len(VS):]
    assert new["AVISIT"].tolist() == ["W1", "W2", "W3", "W1"]
    assert plain(new["AVAL"]) == [100.0, None, None, 70.0]


def test_param_computed_constant_parameter_carried_per_subject():
    vs = table([
        # USUBJID, AVISIT, PARAMCD, AVAL
        ("1", "SCREENING", "HEIGHT", 200.0),
        ("1", "SCREENING", "WEIGHT", 80.0),
        ("1", "W4", "WEIGHT", 100.0),
        ("2", "W4", "WEIGHT", 70.0),       # no height: no BMI
    ], ["USUBJID", "AVISIT", "PARAMCD", "AVAL"])
    out = derive_param_computed(vs, ["USUBJID", "AVISIT"], ["WEIGHT"], {"PARAMCD": "BMI"},
                                lambda w: compute_bmi(w["AVAL.HEIGHT"], w["AVAL.WEIGHT"]),
                                constant_by_vars=["USUBJID"], constant_parameters=["HEIGHT"])
    new = out.iloc[len(vs):]
    assert new[["USUBJID", "AVISIT", "AVAL"]].values.tolist() == [["1", "SCREENING", 20.0], ["1", "W4", 25.0]]


def test_param_computed_missing_parameter_and_filter():
    assert derive_param_computed(VS, ["USUBJID"], ["SYSBP", "PULSE"], {"PARAMCD": "X"}, map_of) is VS
    # the filter removes subject 1's W1 DIABP: only subject 2 keeps a MAP
    keep = ~((VS["USUBJID"] == "1") & (VS["PARAMCD"] == "DIABP") & (VS["AVISIT"] == "W1"))
    out = derive_param_computed(VS, ["USUBJID", "AVISIT"], ["SYSBP", "DIABP"], {"PARAMCD": "MAP"}, map_of, filter=keep)
    assert out.iloc[len(VS):]["USUBJID"].tolist() == ["2"]


def test_param_computed_errors():
    with pytest.raises(DataError, match="PARAMCD SYSBP already exists"):
        derive_param_computed(VS, ["USUBJID", "AVISIT"], ["SYSBP", "DIABP"], {"PARAMCD": "SYSBP"}, map_of)
    twice = pd.concat([VS, VS.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match="more than one record per USUBJID, AVISIT, PARAMCD.*USUBJID = 1, AVISIT = W1, PARAMCD = SYSBP"):
        derive_param_computed(twice, ["USUBJID", "AVISIT"], ["SYSBP", "DIABP"], {"PARAMCD": "MAP"}, map_of)


def test_param_computed_missing_by_value_is_a_group():
    vs = table([("1", None, "SYSBP", 120.0), ("1", None, "DIABP", 90.0)], ["USUBJID", "ATPT", "PARAMCD", "AVAL"])
    new = derive_param_computed(vs, ["USUBJID", "ATPT"], ["SYSBP", "DIABP"], {"PARAMCD": "MAP"}, map_of).iloc[2:]
    assert plain(new["ATPT"]) == [None] and new["AVAL"].tolist() == [100.0]


# ---- the formulas --------------------------------------------------------------------------------

FORMULAS = table([
    # height, weight, Mosteller, DuBois-DuBois, Haycock
    (180.0, 80.0, 2.0, 0.007184 * 180**0.725 * 80**0.425, 0.024265 * 180**0.3964 * 80**0.5378),
    (150.0, 54.0, 1.5, 0.007184 * 150**0.725 * 54**0.425, 0.024265 * 150**0.3964 * 54**0.5378),
], ["height", "weight", "Mosteller", "DuBois-DuBois", "Haycock"])


@pytest.mark.parametrize("method", ["Mosteller", "DuBois-DuBois", "Haycock"])
def test_bsa_formulas(method):
    assert np.allclose(compute_bsa(FORMULAS["height"], FORMULAS["weight"], method), FORMULAS[method], rtol=1e-12)


def test_bsa_known_values_and_errors():
    # the textbook adult of 170 cm and 70 kg: DuBois 1.81 m2, Mosteller 1.82 m2
    assert compute_bsa(pd.Series([170.0]), pd.Series([70.0]), "DuBois-DuBois").round(2).tolist() == [1.81]
    assert compute_bsa(pd.Series([170.0]), pd.Series([70.0]), "Mosteller").round(2).tolist() == [1.82]
    with pytest.raises(ValueError, match="unknown BSA method 'Dubois'"):
        compute_bsa(pd.Series([1.0]), pd.Series([1.0]), "Dubois")


def test_map_with_heart_rate_and_bmi_of_zero_height():
    assert compute_map(pd.Series([80.0]), pd.Series([120.0]), pd.Series([60.0])).round(4).tolist() == [
        round(80 + 0.01 * np.exp(4.14 - 40.74 / 60) * 40, 4)]
    assert plain(compute_bmi(pd.Series([0.0, 160.0]), pd.Series([70.0, 64.0]))) == [None, 25.0]


# ---- derive_summary_records ------------------------------------------------------------------------

TPTS = table([
    # USUBJID, AVISIT, ATPT, AVAL
    ("1", "W1", "T1", 120.0),
    ("1", "W1", "T2", 124.0),
    ("1", "W1", "T3", NA),     # a missing value is ignored by the mean
    ("1", "W2", "T1", NA),     # only missing values: excluded by the filter, no record
    ("2", "W1", "T1", 131.0),
], ["USUBJID", "AVISIT", "ATPT", "AVAL"])


def test_summary_records_average_per_visit():
    out = derive_summary_records(TPTS, ["USUBJID", "AVISIT"],
                                 {"AVAL": Summary("AVAL", "mean"), "NREC": Summary("AVAL", "size"), "DTYPE": "AVERAGE"},
                                 filter=TPTS["AVAL"].notna())
    expected = table([
        # USUBJID, AVISIT, AVAL, NREC, DTYPE
        ("1", "W1", 122.0, 2, "AVERAGE"),
        ("2", "W1", 131.0, 1, "AVERAGE"),
    ], ["USUBJID", "AVISIT", "AVAL", "NREC", "DTYPE"])
    new = out.iloc[len(TPTS):].reset_index(drop=True)
    assert new[expected.columns].values.tolist() == expected.values.tolist()
    assert plain(new["ATPT"]) == [None, None]


def test_summary_records_without_filter_and_callable_values():
    out = derive_summary_records(TPTS, ["USUBJID"], {"AVAL": Summary("AVAL", "max"), "AVALC": lambda f: "max " + f["AVAL"].astype(str)})
    assert out.iloc[len(TPTS):][["AVAL", "AVALC"]].values.tolist() == [[124.0, "max 124.0"], [131.0, "max 131.0"]]


def test_summary_records_nothing_to_summarise():
    assert derive_summary_records(TPTS, ["USUBJID"], {"AVAL": Summary("AVAL", "mean")}, filter=TPTS["AVAL"] > 1000) is TPTS
    with pytest.raises(ValueError, match="unknown summary function 'average'"):
        Summary("AVAL", "average")


# ---- derive_extreme_records ------------------------------------------------------------------------

LAB = table([
    # USUBJID, ADT, AVAL, ONTRTFL
    ("1", 1.0, 5.0, None),
    ("1", 3.0, 9.0, "Y"),
    ("1", 7.0, 6.0, "Y"),
    ("1", 7.0, 4.0, "Y"),   # tie on ADT with the record above
    ("2", 2.0, 8.0, None),  # no on-treatment record: empty group
    ("3", NA, 3.0, "Y"),    # missing date sorts last
    ("3", 5.0, 2.0, "Y"),
], ["USUBJID", "ADT", "AVAL", "ONTRTFL"])


@pytest.mark.parametrize("mode, order, descending, expected", [
    # last by date: the tie on day 7 goes to the later input record; a missing date is last
    ("last", ["ADT"], [], [["1", 4.0], ["3", 3.0]]),
    # first by date
    ("first", ["ADT"], [], [["1", 9.0], ["3", 2.0]]),
    # worst = highest value first
    ("first", ["AVAL"], ["AVAL"], [["1", 9.0], ["3", 3.0]]),
    # no order: every record meeting the filter
    ("first", None, [], [["1", 9.0], ["1", 6.0], ["1", 4.0], ["3", 3.0], ["3", 2.0]]),
])
def test_extreme_records(mode, order, descending, expected):
    out = derive_extreme_records(LAB, ["USUBJID"], order, mode, {"DTYPE": "LOV"}, filter=LAB["ONTRTFL"].eq("Y"),
                                 descending=descending, check_type="none")
    new = out.iloc[len(LAB):]
    assert new[["USUBJID", "AVAL"]].values.tolist() == expected
    assert set(new["DTYPE"]) == {"LOV"}


def test_extreme_records_ties_warn_or_fail():
    with pytest.warns(UserWarning, match="records tied on USUBJID, ADT: the last in input order was taken"):
        derive_extreme_records(LAB, ["USUBJID"], ["ADT"], "last", {"DTYPE": "LOV"}, filter=LAB["ONTRTFL"].eq("Y"))
    with pytest.raises(DataError, match="tied"):
        derive_extreme_records(LAB, ["USUBJID"], ["ADT"], "last", {"DTYPE": "LOV"}, filter=LAB["ONTRTFL"].eq("Y"), check_type="error")


def test_extreme_records_reference_dataset_and_exist_flag():
    adsl = table([("1", "A"), ("2", "B"), ("4", "C")], ["USUBJID", "ARM"])
    out = derive_extreme_records(LAB, ["USUBJID"], ["ADT"], "last", {"PARAMCD": "LAST"}, filter=LAB["ONTRTFL"].eq("Y"),
                                 dataset_ref=adsl, exist_flag="AVALFL", false_value="N", missing_values={"AVAL": -1.0},
                                 keep_source_vars=["AVAL"], check_type="none")
    expected = table([
        # USUBJID, PARAMCD, AVAL, AVALFL
        ("1", "LAST", 4.0, "Y"),
        ("3", "LAST", 3.0, "Y"),
        ("2", "LAST", -1.0, "N"),   # in ADSL without an on-treatment record
        ("4", "LAST", -1.0, "N"),
    ], ["USUBJID", "PARAMCD", "AVAL", "AVALFL"])
    new = out.iloc[len(LAB):].reset_index(drop=True)
    assert new[expected.columns].values.tolist() == expected.values.tolist()
    assert plain(new["ADT"]) == [None] * 4  # keep_source_vars: the date is not copied


def test_extreme_records_nothing_found_adds_no_record_but_the_variables_it_sets():
    """As admiral's bind_rows: a later step may read DTYPE whether or not a record was found."""
    out = derive_extreme_records(LAB, ["USUBJID"], ["ADT"], "last", {"DTYPE": "LOV"}, filter=LAB["AVAL"] > 100)
    assert out[list(LAB.columns)].equals(LAB)
    assert list(out.columns) == [*LAB.columns, "DTYPE"] and out["DTYPE"].isna().all()


# ---- derive_basetype_records and ASEQ over the final records ----------------------------------------

def test_basetype_records_duplicates_records_in_several_basetypes():
    vs = table([
        # AVISIT, ATPT, AVAL
        ("BASELINE", "LYING", 1.0),
        ("W2", "LYING", 2.0),
        ("W2", "STANDING", 3.0),    # in no basetype: kept once, BASETYPE missing
        ("W2", None, 4.0),
    ], ["AVISIT", "ATPT", "AVAL"])
    out = derive_basetype_records(vs, {"LAST": vs["AVISIT"].eq("BASELINE") | vs["ATPT"].isna(),
                                       "LAST: LYING": vs["ATPT"].eq("LYING")})
    expected = table([
        # AVAL, BASETYPE
        (3.0, None),
        (1.0, "LAST"),
        (4.0, "LAST"),
        (1.0, "LAST: LYING"),
        (2.0, "LAST: LYING"),
    ], ["AVAL", "BASETYPE"])
    assert out["AVAL"].tolist() == expected["AVAL"].tolist()
    assert plain(out["BASETYPE"]) == plain(expected["BASETYPE"])


def test_aseq_over_derived_records():
    out = derive_extreme_records(LAB, ["USUBJID"], ["ADT"], "last", {"DTYPE": "LOV", "ADT": 99.0},
                                 filter=LAB["ONTRTFL"].eq("Y"), check_type="none")
    aseq = derive_var_obs_number(out, ["USUBJID"], ["ADT", "AVAL"])
    assert aseq.tolist() == [1.0, 2.0, 4.0, 3.0, 1.0, 3.0, 1.0, 5.0, 2.0]


# ---- variable derivations --------------------------------------------------------------------------

ANRIND = table([
    # AVAL, ANRLO, ANRHI, A1LO, A1HI, plain, with A1LO/A1HI
    (5.0, 2.0, 9.0, 1.0, 12.0, "NORMAL", "NORMAL"),
    (2.0, 2.0, 9.0, 1.0, 12.0, "NORMAL", "NORMAL"),       # on the limit: normal
    (9.0, 2.0, 9.0, 1.0, 12.0, "NORMAL", "NORMAL"),
    (1.5, 2.0, 9.0, 1.0, 12.0, "LOW", "LOW"),
    (0.5, 2.0, 9.0, 1.0, 12.0, "LOW", "LOW LOW"),
    (10.0, 2.0, 9.0, 1.0, 12.0, "HIGH", "HIGH"),
    (13.0, 2.0, 9.0, NA, 12.0, "HIGH", "HIGH HIGH"),
    (13.0, NA, 9.0, NA, NA, "HIGH", "HIGH"),             # no lower limit
    (1.0, 2.0, NA, NA, NA, "LOW", "LOW"),                # no upper limit
    (3.0, 2.0, NA, NA, NA, "NORMAL", "NORMAL"),
    (3.0, NA, NA, NA, NA, None, None),                   # no range
    (NA, 2.0, 9.0, NA, NA, None, None),                  # no value
    (0.1 + 0.2, 0.3, 1.0, NA, NA, "NORMAL", "NORMAL"),   # 0.30000000000000004 equals 0.3 to 15 digits
], ["AVAL", "ANRLO", "ANRHI", "A1LO", "A1HI", "plain", "a1"])


def test_anrind():
    t = ANRIND
    assert plain(derive_var_anrind(t["AVAL"], t["ANRLO"], t["ANRHI"])) == plain(t["plain"])
    assert plain(derive_var_anrind(t["AVAL"], t["ANRLO"], t["ANRHI"], t["A1LO"], t["A1HI"], use_a1hia1lo=True)) == plain(t["a1"])


ONTRT = table([
    # ADT, TRTSDT, TRTEDT, pre-dose, no end, window 5, pre-dose filter
    (9.0, 10.0, 20.0, False, None, None, None),     # before treatment
    (10.0, 10.0, 20.0, False, "Y", "Y", "Y"),       # on the first day
    (10.0, 10.0, 20.0, True, "Y", "Y", None),       # first day, pre-dose time point
    (20.0, 10.0, 20.0, False, "Y", "Y", "Y"),
    (25.0, 10.0, 20.0, False, "Y", "Y", "Y"),       # within the 5-day window
    (26.0, 10.0, 20.0, False, "Y", None, None),
    (26.0, 10.0, NA, False, "Y", "Y", "Y"),         # no treatment end: on treatment
    (NA, 10.0, 20.0, False, "Y", "Y", "Y"),         # no date
    (NA, NA, NA, False, None, None, None),          # untreated
], ["ADT", "TRTSDT", "TRTEDT", "PRE", "no_end", "window", "pre_filter"])


def test_ontrtfl():
    t = ONTRT
    assert plain(derive_var_ontrtfl(t["ADT"], t["TRTSDT"])) == plain(t["no_end"])
    assert plain(derive_var_ontrtfl(t["ADT"], t["TRTSDT"], t["TRTEDT"], 5)) == plain(t["window"])
    assert plain(derive_var_ontrtfl(t["ADT"], t["TRTSDT"], t["TRTEDT"], 5, filter_pre_timepoint=t["PRE"])) == plain(t["pre_filter"])


def test_ontrtfl_end_dates_and_span_period():
    events = table([
        # ASTDT, AENDT, TRTSDT, TRTEDT, default, span_period
        (5.0, 8.0, 10.0, 20.0, None, None),    # ended before treatment
        (5.0, 12.0, 10.0, 20.0, None, "Y"),    # started before, still going at the first dose
        (5.0, NA, 10.0, 20.0, None, "Y"),      # started before, no end
        (12.0, 8.0, 10.0, 20.0, None, None),   # an end before the reference start unflags
    ], ["ASTDT", "AENDT", "TRTSDT", "TRTEDT", "default", "span"])
    e = events
    assert plain(derive_var_ontrtfl(e["ASTDT"], e["TRTSDT"], e["TRTEDT"], end_date=e["AENDT"])) == plain(e["default"])
    assert plain(derive_var_ontrtfl(e["ASTDT"], e["TRTSDT"], e["TRTEDT"], end_date=e["AENDT"], span_period=True)) == plain(e["span"])


def test_pchg_ratio_shift():
    values = table([
        # AVAL, BASE, PCHG, R2BASE
        (150.0, 100.0, 50.0, 1.5),
        (-50.0, -100.0, 50.0, 0.5),   # |BASE| in the denominator
        (3.0, 0.0, None, None),      # BASE 0
        (3.0, NA, None, None),
        (NA, 2.0, None, None),
    ], ["AVAL", "BASE", "PCHG", "R2BASE"])
    assert plain(derive_var_pchg(values["AVAL"], values["BASE"])) == plain(values["PCHG"])
    assert plain(derive_var_analysis_ratio(values["AVAL"], values["BASE"])) == plain(values["R2BASE"])
    shifts = table([
        # BNRIND, ANRIND, SHIFT1
        ("NORMAL", "HIGH", "NORMAL to HIGH"),
        (None, "LOW", "NULL to LOW"),
        ("LOW", None, "LOW to NULL"),
    ], ["BNRIND", "ANRIND", "SHIFT1"])
    assert derive_var_shift(shifts["BNRIND"], shifts["ANRIND"]).tolist() == shifts["SHIFT1"].tolist()
    grades = derive_var_shift(pd.Series([0.0, NA, 1.0]), pd.Series([-2.0, 3.0, NA]), missing_value="MISSING", sep_val=" -> ")
    assert grades.tolist() == ["0 -> -2", "MISSING -> 3", "1 -> MISSING"]


def test_base_restricted_by_a_condition():
    lb = table([
        # USUBJID, PARAMCD, BASETYPE, AVAL, ABLFL, in scope, BASE
        ("1", "ALT", "LAST", 10.0, "Y", True, 10.0),
        ("1", "ALT", "LAST", 30.0, None, True, 10.0),
        ("1", "ALT", "LAST", 50.0, None, False, None),     # outside the restriction: missing
        ("2", "ALT", "LAST", 20.0, "Y", False, None),      # baseline outside: no baseline for the group
        ("2", "ALT", "LAST", 25.0, None, True, None),
    ], ["USUBJID", "PARAMCD", "BASETYPE", "AVAL", "ABLFL", "scope", "BASE"])
    base = derive_var_base(lb, ["USUBJID", "PARAMCD", "BASETYPE"], where=lb["scope"])
    assert plain(base) == plain(lb["BASE"])


def test_signif():
    assert signif(np.array([123456.0, 0.000123456, -2.5e-7, 0.0]), 2).tolist() == [120000.0, 0.00012, -2.5e-7, 0.0]
    assert signif(np.array([3 * 0.1]), 15)[0] == 0.3


# ---- pharmaverseadam ADVS at function level -------------------------------------------------------------

ADVS = SHARED / "reference" / "pharmaverseadam" / "advs.csv.gz"
BY = ["USUBJID", "VISIT", "VISITNUM", "ADT", "VSTPT", "VSTPTNUM"]


@pytest.fixture(scope="module")
def advs():
    if not ADVS.exists():
        pytest.skip(f"{ADVS} is not available (the shared reference folder sits beside the repository)")
    return pd.read_csv(ADVS, low_memory=False)


def test_computed_parameters_match_pharmaverseadam(advs):
    """MAP, BMI and BSA (Mosteller) on every collected record of ADVS: all 12,305 agree to 1e-12."""
    collected = advs[advs["DTYPE"].isna() & advs["PARAMCD"].isin(["SYSBP", "DIABP", "WEIGHT", "HEIGHT"])][[*BY, "PARAMCD", "AVAL"]]
    height = {"constant_by_vars": ["USUBJID"], "constant_parameters": ["HEIGHT"]}
    out = derive_param_computed(collected, BY, ["SYSBP", "DIABP"], {"PARAMCD": "MAP"}, map_of)
    out = derive_param_computed(out, BY, ["WEIGHT"], {"PARAMCD": "BMI"}, lambda w: compute_bmi(w["AVAL.HEIGHT"], w["AVAL.WEIGHT"]), **height)
    out = derive_param_computed(out, BY, ["WEIGHT"], {"PARAMCD": "BSA"},
                                lambda w: compute_bsa(w["AVAL.HEIGHT"], w["AVAL.WEIGHT"], "Mosteller"), **height)
    reference = advs[advs["DTYPE"].isna() & advs["PARAMCD"].isin(["MAP", "BMI", "BSA"])][[*BY, "PARAMCD", "AVAL"]]
    ours = out.iloc[len(collected):]
    both = reference.merge(ours, on=[*BY, "PARAMCD"], how="outer", suffixes=("_ref", ""), indicator=True)
    assert both["_merge"].eq("both").all() and len(both) == len(reference) > 12000
    assert np.allclose(both["AVAL"], both["AVAL_ref"], rtol=1e-12, atol=0, equal_nan=True)


def test_average_and_last_value_records_match_pharmaverseadam(advs):
    """DTYPE = AVERAGE (mean of a visit's time points) and LOV (last on-treatment value per time point), as the
    admiral ADVS template builds them, from ADVS's own collected and computed records: every record agrees."""
    records = advs[advs["DTYPE"].isna()]
    average = derive_summary_records(records.iloc[:0], ["USUBJID", "PARAMCD", "AVISITN", "AVISIT", "ADT"],
                                     {"AVAL": Summary("AVAL", "mean"), "DTYPE": "AVERAGE"}, filter=records["AVAL"].notna(),
                                     dataset_add=records)
    lov_filter = (records["AVISITN"] > 4) & (records["AVISITN"] <= 13) & records["ANL01FL"].eq("Y")
    lov = derive_extreme_records(records.iloc[:0], ["USUBJID", "PARAMCD", "ATPTN"], ["ADT", "AVISITN", "AVAL"], "last",
                                 {"AVISIT": "End of Treatment", "AVISITN": 99.0, "DTYPE": "LOV"}, filter=lov_filter,
                                 dataset_add=records, check_type="none")
    for ours, keys in ((average, ["USUBJID", "PARAMCD", "AVISITN", "ADT"]), (lov, ["USUBJID", "PARAMCD", "ATPTN"])):
        dtype = ours["DTYPE"].iloc[0]
        reference = advs[advs["DTYPE"].eq(dtype)]
        both = reference[[*keys, "AVAL"]].merge(ours[[*keys, "AVAL"]], on=keys, how="outer", suffixes=("_ref", ""), indicator=True)
        assert both["_merge"].eq("both").all() and len(both) == len(reference), dtype
        assert np.allclose(both["AVAL"], both["AVAL_ref"], rtol=1e-12, atol=0, equal_nan=True), dtype


def test_shift_of_repeated_pairs_keeps_each_record_its_own():
    """Each distinct pair is joined once: records repeating a pair, in any order, and no records."""
    shifts = table([
        # BNRIND, ANRIND, SHIFT1
        ("NORMAL", "HIGH", "NORMAL to HIGH"),
        ("HIGH", "NORMAL", "HIGH to NORMAL"),
        (None, None, "NULL to NULL"),
        ("NORMAL", "HIGH", "NORMAL to HIGH"),
        ("HIGH", None, "HIGH to NULL"),
    ], ["BNRIND", "ANRIND", "SHIFT1"]).set_axis([10, 11, 12, 13, 14])
    got = derive_var_shift(shifts["BNRIND"], shifts["ANRIND"])
    assert got.tolist() == shifts["SHIFT1"].tolist() and got.index.tolist() == [10, 11, 12, 13, 14]
    empty = pd.Series([], dtype="str")
    assert derive_var_shift(empty, empty).tolist() == []
