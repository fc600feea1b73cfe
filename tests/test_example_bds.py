"""The example study's BDS datasets (specs/adam/adlb.yaml, advs.yaml, adlbg3.yaml): every lab result's CTCAE v5.0
grade, low, high and overall, equals the simulator's answer key (answer_key/lab_grades.csv, graded independently of
the package), as does the baseline; the worst-grade records, the shifts and the grade >= 3 listing follow from it."""

from pathlib import Path

import pandas as pd
import pytest

from cdisc.sasdates import to_iso
from cdisc.study import RunOptions, run_study

ROOT = Path(__file__).resolve().parent.parent
KEY = ROOT / "examples" / "bat8008" / "answer_key"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("example-bds")
    result = run_study(ROOT / "specs", out)
    return out, {b.spec.dataset: b.frame for b in result.built}


@pytest.fixture(scope="module")
def graded(run) -> pd.DataFrame:
    """The answer key's graded results paired with their ADLB records (by subject, test and sample date)."""
    adlb = run[1]["ADLB"]
    records = adlb[adlb["DTYPE"].isna()].assign(LBDAT=lambda f: f["LBDTC"].str[:10])
    key = pd.read_csv(KEY / "lab_grades.csv", dtype=str, keep_default_na=False)
    paired = key.merge(records.drop(columns="VISIT"), on=["SUBJID", "LBTESTCD", "LBDAT"], how="left", validate="one_to_one", indicator=True)
    assert paired["_merge"].eq("both").all(), "every graded result of the key is an ADLB record"
    return paired


def test_every_lab_results_ctcae_grade_equals_the_answer_key(graded):
    assert len(graded) == 6220
    for key, ours in (("GRADE_LOW", "ATOXGRL"), ("GRADE_HIGH", "ATOXGRH"), ("GRADE", "ATOXGR")):
        assert graded[key].tolist() == graded[ours].fillna("").tolist(), ours
    assert graded["TERM_LOW"].tolist() == graded["ATOXDSCL"].fillna("").tolist()
    assert graded["TERM_HIGH"].tolist() == graded["ATOXDSCH"].fillna("").tolist()


def test_baseline_and_si_values_equal_the_answer_key_up_to_the_sdtm_conversions_rounding(graded):
    """The SI values come from SDTM LBSTRESN. For 14 results of sites 102 and 104 (conventional units) SDTM's
    conversion rounds to one unit less precision than the key's SI decimals (bilirubin 15.0 against 15.1, creatinine
    72 against 73, glucose 6.0 against 6.1: the findings engine's rounding, reported to its owner), so those
    differ by one unit of the last SI decimal; no grade changes (the test above)."""
    for key, ours in (("SI_RESULT", "AVAL"), ("SI_BASELINE", "BASE")):
        differs = graded[key].astype(float).ne(graded[ours])
        decimals = graded[key].str.split(".").str[1].str.rstrip("0").str.len().fillna(0)
        assert graded.loc[differs, "SITEID"].isin(["102", "104"]).all()
        assert ((graded[key].astype(float) - graded[ours]).abs()[differs] <= 1.0001 * 10.0 ** -decimals[differs]).all()
    assert graded["SI_HIGH"].astype(float).tolist() == graded["ANRHI"].tolist()
    assert graded["SI_LOW"].astype(float).tolist() == graded["ANRLO"].tolist()


def on_treatment(graded: pd.DataFrame) -> pd.Series:
    """The protocol's window from the key's dates: after the first dose (cycle 1 day 1 samples are pre-dose) to 28
    days after the last."""
    subjects = pd.read_csv(KEY / "subjects.csv", dtype=str, keep_default_na=False).set_index("SUBJID")
    first = pd.to_datetime(graded["SUBJID"].map(subjects["FIRST_DOSE_DATE"]))
    last = pd.to_datetime(graded["SUBJID"].map(subjects["LAST_DOSE_DATE"]))
    day = pd.to_datetime(graded["LBDAT"])
    return (day >= first) & (graded["VISIT"] != "C1D1") & (day <= last + pd.Timedelta(days=28))


def test_worst_grade_records_and_shifts_follow_the_key(run, graded):
    adlb = run[1]["ADLB"]
    assert graded["ONTRTFL"].eq("Y").tolist() == on_treatment(graded).tolist()
    treated = graded[on_treatment(graded)]
    for direction, visit, shift in (("LOW", 9998, "SHIFT1"), ("HIGH", 9999, "SHIFT2")):
        with_term = treated[treated[f"TERM_{direction}"] != ""]
        worst = with_term.assign(g=with_term[f"GRADE_{direction}"].astype(int)).groupby(["SUBJID", "LBTESTCD"])["g"].max()
        baseline = with_term.groupby(["SUBJID", "LBTESTCD"])["BTOXGRL" if direction == "LOW" else "BTOXGRH"].first()
        records = adlb[adlb["AVISITN"] == visit].set_index(["SUBJID", "PARAMCD"]).sort_index()
        assert records["DTYPE"].eq("WOC").all()
        assert records[f"ATOXGR{direction[0]}"].astype(int).tolist() == worst.sort_index().tolist()
        expected = baseline.sort_index().fillna("NULL") + " to " + worst.sort_index().astype(str)
        assert records[shift].tolist() == expected.tolist()


def test_grade_3_or_higher_listing_per_dose_level(run, graded):
    out, frames = run
    severe = graded[on_treatment(graded) & ((graded["GRADE_LOW"].isin(["3", "4"])) | graded["GRADE_HIGH"].isin(["3", "4"]))]
    expected = sorted(set(zip(severe["USUBJID"], severe["LBTESTCD"], strict=True)))
    listing = frames["ADLBG3"]
    assert sorted(zip(listing["USUBJID"], listing["PARAMCD"], strict=True)) == expected
    assert listing["DOSELVL"].tolist() == sorted(listing["DOSELVL"])  # listed per dose level
    text = (out / "reports" / "adlbg3.txt").read_text()
    assert all(subject in text for subject, _ in expected)
    assert [to_iso(v) for v in listing["ADT"]] == [
        severe.loc[(severe["USUBJID"] == s) & (severe["LBTESTCD"] == p), "LBDAT"].min()
        for s, p in zip(listing["USUBJID"], listing["PARAMCD"], strict=True)
    ]  # the first day the worst grade was reached


def test_vital_signs_baseline_is_the_last_value_on_or_before_the_first_dose_day(run):
    """By day, as the lab key: cycle 1 day 1 vital signs are pre-dose by protocol. (SDTM VSLOBXFL compares times and
    so takes screening for the two subjects whose cycle 1 day 1 times are recorded after the infusion start.)"""
    advs, vs, adsl = run[1]["ADVS"], run[1]["VS"], run[1]["ADSL"]
    first = vs["USUBJID"].map(adsl.set_index("USUBJID")["TRTSDT"].map(to_iso))
    before = vs[vs["VSSTRESN"].notna() & (vs["VSDTC"].str[:10] <= first)].sort_values(["USUBJID", "VSTESTCD", "VSDTC"])
    expected = before.drop_duplicates(["USUBJID", "VSTESTCD"], keep="last")
    baseline = advs[advs["ABLFL"].eq("Y") & advs["PARAMCD"].ne("BMI")]
    assert sorted(zip(baseline["USUBJID"], baseline["VSSEQ"], strict=True)) == sorted(zip(expected["USUBJID"], expected["VSSEQ"], strict=True))


def test_bmi_is_each_weight_over_the_screening_height_squared(run):
    advs, vs = run[1]["ADVS"], run[1]["VS"]
    height = vs[vs["VSTESTCD"].eq("HEIGHT")].set_index("USUBJID")["VSSTRESN"]
    weight = vs[vs["VSTESTCD"].eq("WEIGHT") & vs["VSSTRESN"].notna()]
    expected = (weight["VSSTRESN"] / (weight["USUBJID"].map(height) / 100) ** 2).sort_values().to_numpy()
    bmi = advs[advs["PARAMCD"].eq("BMI") & advs["DTYPE"].isna()]
    assert len(bmi) == len(weight)
    assert bmi["AVAL"].sort_values().to_numpy() == pytest.approx(expected)
    lov = advs[advs["DTYPE"].eq("LOV")]
    assert lov.groupby(["USUBJID", "PARAMCD"]).size().max() == 1 and lov["ONTRTFL"].eq("Y").all()


def test_a_lab_page_with_no_rows_converts_to_empty_lab_datasets(small_example, tmp_path):
    """A transfer whose lab page holds only its header (no sample taken yet): LB, ADLB and ADLBG3 are written with no
    records; ADLB's worst-grade steps find nothing, and the step after them still reads the DTYPE they set."""
    import shutil

    import pyreadstat

    raw = Path(shutil.copytree(small_example.parent / "extract" / "raw", tmp_path / "raw"))
    (raw / "lb.csv").write_text((raw / "lb.csv").read_text().splitlines()[0] + "\n")
    run_study(small_example, tmp_path / "out", raw=raw, options=RunOptions(scheduler="sync"))
    for path in ("sdtm/lb.xpt", "adam/adlb.xpt", "adam/adlbg3.xpt"):
        frame, meta = pyreadstat.read_xport(tmp_path / "out" / path)
        assert len(frame) == 0 and "USUBJID" in meta.column_names
    adsl, _ = pyreadstat.read_xport(tmp_path / "out" / "adam" / "adsl.xpt")
    assert len(adsl) == 8
