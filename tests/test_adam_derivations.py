"""ADaM derivations: aligned input/expected tables, boundary cases included."""

import numpy as np
import pandas as pd
import pytest

from cdisc.adam.derivations import (
    derive_var_base,
    derive_var_chg,
    derive_var_extreme_flag,
    derive_var_merged_summary,
    derive_var_obs_number,
    derive_var_trtemfl,
    derive_vars_dy,
    derive_vars_joined,
    derive_vars_merged,
)
from cdisc.sasdates import impute_date, impute_datetime, sas_date, to_iso


def day(text):
    return sas_date(pd.Series([text], dtype="str")).iloc[0]


def dates(*texts):
    return pd.Series([day(t) if t else np.nan for t in texts], dtype=float)


def iso(series):
    return [to_iso(v) for v in series]


def flags(series):
    return [None if pd.isna(v) else v for v in series]


def plain(values):
    """Expected values from a table column, where pandas turned None into NaN."""
    return [None if pd.isna(v) else v for v in values]


# ---- derive_vars_dt: imputation ---------------------------------------------------------------

IMPUTATION = pd.DataFrame(
    [
        # dtc,         highest, imputation, min date,     expected,     flag
        ("2024-03-20", "M", "first", None, "2024-03-20", None),
        ("2024-03", "M", "first", "2024-03-15", "2024-03-15", "D"),  # first dose in March: not before it
        ("2024-03", "M", "first", "2024-04-02", "2024-03-01", "D"),  # min date outside March: ignored
        ("2024-03", "M", "first", "2024-02-10", "2024-03-01", "D"),
        ("2024", "M", "first", "2024-03-15", "2024-03-15", "M"),  # year only, first dose that year
        ("2024", "M", "first", None, "2024-01-01", "M"),
        ("2024", "D", "first", None, None, None),  # month missing but only days may be imputed
        ("2024-03", "n", "first", None, None, None),
        ("2024-02", "M", "last", None, "2024-02-29", "D"),  # leap year
        ("2023-02", "M", "last", None, "2023-02-28", "D"),
        ("2024", "M", "last", None, "2024-12-31", "M"),
        ("2024-03", "M", "mid", None, "2024-03-15", "D"),
        ("2024", "M", "mid", None, "2024-06-30", "M"),
        ("2024---15", "M", "first", None, "2024-01-01", "M"),  # day without month: imputed too
        ("2024", "M", "06-15", None, "2024-06-15", "M"),
        (None, "M", "first", "2024-03-15", None, None),
        ("2024-03-15T10:30", "n", "first", None, "2024-03-15", None),
    ],
    columns=["dtc", "highest", "imputation", "min_date", "expected", "flag"],
)


@pytest.mark.parametrize("row", list(IMPUTATION.itertuples(index=False)), ids=lambda r: f"{r.dtc}-{r.highest}-{r.imputation}-{r.min_date}")
def test_impute_date(row):
    bounds = [dates(row.min_date)] if row.min_date else []
    value, flag = impute_date(pd.Series([row.dtc], dtype="str"), row.highest, row.imputation, bounds)
    assert iso(value) == plain([row.expected])
    assert flags(flag) == plain([row.flag])


def test_impute_date_is_vectorised_over_the_whole_table():
    bounds = [dates(*(m or "" for m in IMPUTATION["min_date"]))]
    for (highest, imputation), group in IMPUTATION.groupby(["highest", "imputation"]):
        value, flag = impute_date(group["dtc"].astype("str"), highest, imputation, [b.loc[group.index] for b in bounds])
        assert iso(value) == plain(group["expected"])


def test_missing_year_takes_the_min_date_only_at_highest_level_y():
    value, flag = impute_date(pd.Series(["--03-15", "2024-05"], dtype="str"), "Y", "first", [dates("2024-02-01", "2024-02-01")])
    assert iso(value) == ["2024-02-01", "2024-05-01"]
    assert flags(flag) == ["Y", "D"]


def test_impute_datetime_flags_date_and_time_parts():
    dtm, dtf, tmf = impute_datetime(pd.Series(["2024-03-15T10:30:05", "2024-03-15T10:30", "2024-03-15T10", "2024-03-15", "2024-03"], dtype="str"), "M")
    stamps = pd.Timestamp("1960-01-01") + pd.to_timedelta(dtm, unit="s")
    assert stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").tolist() == [
        "2024-03-15T10:30:05", "2024-03-15T10:30:00", "2024-03-15T10:00:00", "2024-03-15T00:00:00", "2024-03-01T00:00:00",
    ]
    assert flags(dtf) == [None, None, None, None, "D"]
    assert flags(tmf) == [None, "S", "M", "H", "H"]


def test_impute_datetime_last_and_max_dates():
    deaths = pd.Series([day("2024-03-10") * 86400 + 43200, np.nan])
    dtm, dtf, _ = impute_datetime(pd.Series(["2024-03", "2024-03"], dtype="str"), "M", "last", "last", max_dates=[deaths])
    stamps = pd.Timestamp("1960-01-01") + pd.to_timedelta(dtm, unit="s")
    assert stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").tolist() == ["2024-03-10T12:00:00", "2024-03-31T23:59:59"]


# ---- derive_vars_dy ------------------------------------------------------------------------


def test_relative_day_has_no_day_zero():
    frame = pd.DataFrame({"ADT": dates("2024-03-14", "2024-03-15", "2024-03-16", None), "TRTSDT": dates(*["2024-03-15"] * 4)})
    assert derive_vars_dy(frame["ADT"], frame["TRTSDT"]).tolist()[:3] == [-1.0, 1.0, 2.0]
    assert np.isnan(derive_vars_dy(frame["ADT"], frame["TRTSDT"]).iloc[3])


# ---- derive_var_trtemfl -------------------------------------------------------------------

TRTEMFL = pd.DataFrame(
    [
        # start,       end,          first dose,   last dose,   new therapy,  expected
        ("2024-03-14", None, "2024-03-15", "2024-06-01", None, None),  # day before first dose
        ("2024-03-15", None, "2024-03-15", "2024-06-01", None, "Y"),  # first dose day
        ("2024-06-29", None, "2024-03-15", "2024-06-01", None, "Y"),  # last dose + 28
        ("2024-06-30", None, "2024-03-15", "2024-06-01", None, None),  # last dose + 29
        ("2024-05-01", None, "2024-03-15", "2024-06-01", "2024-05-02", "Y"),  # day before new therapy
        ("2024-05-02", None, "2024-03-15", "2024-06-01", "2024-05-02", None),  # on new therapy start
        (None, "2024-04-01", "2024-03-15", "2024-06-01", None, "Y"),  # start unknown, ends on treatment
        (None, "2024-03-01", "2024-03-15", "2024-06-01", None, None),  # start unknown, ended before
        (None, None, "2024-03-15", "2024-06-01", None, "Y"),  # nothing known: counted, as admiral
        ("2024-03-20", None, None, None, None, None),  # never treated
        ("2024-09-01", None, "2024-03-15", None, None, "Y"),  # no last dose yet: open window
    ],
    columns=["start", "end", "trt_start", "trt_end", "new_therapy", "expected"],
)


def test_treatment_emergent_flag_boundaries():
    got = derive_var_trtemfl(
        dates(*TRTEMFL["start"]), dates(*TRTEMFL["end"]), dates(*TRTEMFL["trt_start"]), dates(*TRTEMFL["trt_end"]),
        end_window=28, end_before=dates(*TRTEMFL["new_therapy"]),
    )
    assert flags(got) == plain(TRTEMFL["expected"])


# ---- flags and numbering ------------------------------------------------------------------


def test_extreme_flag_first_worst_then_earliest_among_eligible():
    ae = pd.DataFrame(
        {
            "USUBJID": ["1", "1", "1", "1", "2"],
            "ASEVN": [1.0, 3.0, 3.0, 2.0, 1.0],
            "ASTDT": [1.0, 9.0, 5.0, 2.0, 4.0],
            "TRTEMFL": ["Y", "Y", "Y", None, "Y"],
        }
    )
    got = derive_var_extreme_flag(ae, ["USUBJID"], ["ASEVN", "ASTDT"], where=ae["TRTEMFL"].eq("Y"), descending=["ASEVN"])
    assert flags(got) == [None, None, "Y", None, "Y"]


def test_extreme_flag_last_and_missing_order_values_sort_last():
    frame = pd.DataFrame({"USUBJID": ["1", "1", "1"], "ADT": [3.0, np.nan, 1.0]})
    assert flags(derive_var_extreme_flag(frame, ["USUBJID"], ["ADT"], mode="last")) == [None, "Y", None]
    assert flags(derive_var_extreme_flag(frame, ["USUBJID"], ["ADT"], mode="first")) == [None, None, "Y"]


def test_obs_number_is_stable_for_ties():
    frame = pd.DataFrame({"USUBJID": ["1", "1", "1", "2"], "ADT": [5.0, 5.0, 1.0, 7.0]})
    assert derive_var_obs_number(frame, ["USUBJID"], ["ADT"]).tolist() == [2.0, 3.0, 1.0, 1.0]


# ---- merges -------------------------------------------------------------------------------


def test_merged_first_last_where_and_no_match():
    adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"]})
    ex = pd.DataFrame({"USUBJID": ["1", "1", "1", "2"], "EXSTDTC": ["2024-01-08", "2024-01-01", "2024-01-15", "2024-02-01"], "EXDOSE": [1.0, 0.0, 2.0, 0.0]})
    first_dose = derive_vars_merged(adsl, ex, ex["EXSTDTC"], where=ex["EXDOSE"] > 0, order=["EXSTDTC"])
    assert plain(first_dose) == ["2024-01-08", None, None]  # subject 2 had no dose; 3 has no EX
    last = derive_vars_merged(adsl, ex, ex["EXSTDTC"], order=["EXSTDTC"], mode="last")
    assert last.tolist()[:2] == ["2024-01-15", "2024-02-01"] and pd.isna(last.iloc[2])


def test_merged_summary():
    adsl = pd.DataFrame({"USUBJID": ["1", "2"]})
    ae = pd.DataFrame({"USUBJID": ["1", "1", "1"], "ADT": [5.0, 9.0, np.nan], "SER": ["N", "Y", "Y"]})
    assert derive_var_merged_summary(adsl, ae, ae["ADT"], "max").tolist()[0] == 9.0
    assert derive_var_merged_summary(adsl, ae, ae["ADT"], "count").tolist()[0] == 2.0
    assert derive_var_merged_summary(adsl, ae, ae["ADT"], "min", where=ae["SER"].eq("Y")).tolist()[0] == 9.0


def test_joined_last_dose_on_or_before_each_event():
    ae = pd.DataFrame({"USUBJID": ["1", "1", "1", "2"], "ASTDT": [0.0, 5.0, 20.0, 3.0]})
    ex = pd.DataFrame({"USUBJID": ["1", "1"], "EXDT": [1.0, 15.0], "DOSE": [10.0, 8.0]})
    got = derive_vars_joined(ae, ex, lambda j: j["DOSE"], lambda j: j["EXDT"] <= j["ASTDT"], order=["EXDT"])
    assert [None if pd.isna(v) else v for v in got] == [None, 10.0, 8.0, None]


def test_joined_a_few_records_at_a_time_is_the_same_as_all_at_once():
    """Base records joined in parts (one pair at a time here) pick what the whole join picks: ties by input order,
    missing by values matching each other, records with no pair."""
    ae = pd.DataFrame({"USUBJID": pd.Series(["1", "1", None, "2", "1", "3"], dtype="str"), "ASTDT": [0.0, 5.0, 4.0, 3.0, 20.0, 1.0]})
    ex = pd.DataFrame({"USUBJID": pd.Series(["1", "1", "1", None, "2"], dtype="str"),
                       "EXDT": [1.0, 15.0, 15.0, 2.0, np.nan], "DOSE": [10.0, 8.0, 9.0, 7.0, 6.0]})
    expected = [None, 10.0, 7.0, None, 9.0, None]  # 15.0 tied: the last in input order; None pairs with None
    for at_once in (1, 2, 1_000):
        got = derive_vars_joined(ae, ex, lambda j: j["DOSE"], lambda j: j["EXDT"] <= j["ASTDT"], order=["EXDT"], pairs_at_once=at_once)
        assert plain(got) == expected


def test_merged_value_types_as_a_left_merge_gives_them():
    """Merged values keep their type when every record matches; a record without a match makes whole numbers
    floats and flags objects, as a left merge does (two by variables, missing ones matching each other)."""
    base = pd.DataFrame({"USUBJID": pd.Series(["1", "2", None, "1"], dtype="str"), "N": [1.0, 1.0, np.nan, 1.0]})
    other = pd.DataFrame({"USUBJID": pd.Series(["1", None, "2"], dtype="str"), "N": [1.0, np.nan, 1.0],
                          "COUNT": [3, 4, 5], "FLAG": [True, False, True], "TEXT": pd.Series(["a", None, "c"], dtype="str")})
    by = ["USUBJID", "N"]
    assert derive_vars_merged(base, other, other["COUNT"], by).tolist() == [3, 5, 4, 3]
    assert plain(derive_vars_merged(base, other, other["TEXT"], by)) == ["a", "c", None, "a"]
    unmatched = derive_vars_merged(base, other, other["COUNT"], by, where=other["FLAG"])
    assert unmatched.dtype == float and plain(unmatched) == [3.0, 5.0, None, 3.0]
    assert plain(derive_vars_merged(base, other, other["FLAG"], by, where=other["FLAG"])) == [True, True, None, True]


# ---- baseline and change -------------------------------------------------------------------


def test_base_and_change():
    vs = pd.DataFrame(
        {"USUBJID": ["1", "1", "1", "2"], "PARAMCD": ["SYSBP"] * 4, "AVAL": [120.0, 131.0, 118.0, 140.0], "ABLFL": ["Y", None, None, None]}
    )
    base = derive_var_base(vs, ["USUBJID", "PARAMCD"])
    assert base.tolist()[:3] == [120.0, 120.0, 120.0] and np.isnan(base.iloc[3])
    chg = derive_var_chg(vs["AVAL"], base)
    assert chg.tolist()[:3] == [0.0, 11.0, -2.0] and np.isnan(chg.iloc[3])


def test_two_baseline_records_are_an_error():
    vs = pd.DataFrame({"USUBJID": ["1", "1"], "PARAMCD": ["SYSBP"] * 2, "AVAL": [120.0, 131.0], "ABLFL": ["Y", "Y"]})
    with pytest.raises(ValueError, match="more than one baseline record"):
        derive_var_base(vs, ["USUBJID", "PARAMCD"])
