"""Generality check: ADSL and ADAE built from pharmaversesdtm agree with pharmaverseadam variable by variable.

pharmaverseadam was made by admiral's template programs; our specs express the same derivations
in YAML. Every variable both sides have is compared on every record (dates as ISO text, numbers
as the reference CSVs write them). Exceptions are listed with their measured agreement and reason.
"""

import pandas as pd
import pytest

from cdisc.study import run_study

from conftest import REPO, SHARED

REFERENCE = SHARED / "reference"

#: The example's raw tables, CT and the reference datasets are in the shared reference folder beside the repository.
pytestmark = pytest.mark.skipif(not (SHARED / "reference").is_dir() or not (SHARED / "standards").is_dir(),
                                reason="shared reference data not available (../shared beside the repository)")
STUDY = REPO / "examples" / "pharmaverse-adam"

#: (dataset, variable) -> (share of records that agree, why not all). Measured: every disagreeing
#: record starts on or after the subject's first 81 mg exposure, and pharmaverseadam's DOSEON is
#: never 81: its ADAE was made from an EX without the 81 mg records (the README warns the stored
#: ADaM is regenerated from time to time).
_HIGH_DOSE = "AE during or after an 81 mg exposure record, which the reference's EX lacked"
EXCEPTIONS: dict[tuple[str, str], tuple[float, str]] = {
    ("ADAE", "LDOSEDTM"): (892 / 1191, _HIGH_DOSE),
    ("ADAE", "DOSEON"): (901 / 1191, _HIGH_DOSE),
    ("ADAE", "DOSEU"): (901 / 1191, _HIGH_DOSE),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    result = run_study(STUDY, tmp_path_factory.mktemp("pharmaverse-adam"))
    return {b.spec.dataset: b for b in result.built}


def as_reference_text(frame: pd.DataFrame, formats: dict[str, str]) -> pd.DataFrame:
    """Our values written the way the reference CSVs write them."""
    out = frame.astype("str").fillna("")
    for column in frame.columns:
        values = frame[column]
        fmt = formats.get(column) or ""
        if fmt.startswith("DATETIME"):
            stamps = pd.Timestamp("1960-01-01") + pd.to_timedelta(values, unit="s")
            out[column] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("")
        elif fmt.startswith("DATE"):
            out[column] = (pd.Timestamp("1960-01-01") + pd.to_timedelta(values, unit="D")).dt.strftime("%Y-%m-%d").fillna("")
        elif values.dtype == float:
            present = values.dropna()
            text = present.map("{:.0f}".format).where(present % 1 == 0, present.map("{:.15g}".format))
            out[column] = text.astype("str").reindex(frame.index, fill_value="")
    return out


def agreement(built, name: str, reference: str, keys: list[str]) -> dict[str, float]:
    result = built[name]
    formats = {v.name: v.format for v in result.spec.variables}
    ours = as_reference_text(result.frame, formats)
    ref = pd.read_csv(REFERENCE / reference, dtype=str, keep_default_na=False)
    assert len(ours) == len(ref)
    paired = ours.merge(ref, on=keys, suffixes=("", "_ref"), validate="one_to_one")
    assert len(paired) == len(ref)
    return {c: float((paired[c] == paired[f"{c}_ref"]).mean()) for c in result.frame.columns if c in ref.columns and c not in keys}


@pytest.mark.parametrize(
    "name, reference, keys",
    [
        ("ADSL", "pharmaverseadam/adsl.csv", ["USUBJID"]),
        ("ADAE", "pharmaverseadam/adae.csv", ["USUBJID", "AESEQ"]),
    ],
)
def test_agreement_with_pharmaverseadam(built, name, reference, keys):
    scores = agreement(built, name, reference, keys)
    ref_columns = pd.read_csv(REFERENCE / reference, nrows=0).columns
    assert set(ref_columns) - set(built[name].frame.columns) == set(), "every reference variable is built"
    for variable, score in scores.items():
        assert score == EXCEPTIONS.get((name, variable), (1.0, ""))[0], f"{name}.{variable}: {score:.4f} agree"


def test_adsl_agrees_with_admiral_adsl_except_its_documented_differences(built):
    """admiral_adsl (what admiral's ADAE template reads) differs from pharmaverseadam ADSL in SAFFL and BRTHDTC only."""
    scores = agreement(built, "ADSL", "admiral/admiral_adsl.csv", ["USUBJID"])
    assert scores.pop("SAFFL") == pytest.approx(254 / 306)  # admiral_adsl leaves SAFFL blank for 52 screen failures
    assert all(score == 1.0 for score in scores.values()), {k: v for k, v in scores.items() if v < 1}
