"""Generality check of the findings engine: pharmaverseraw vs_raw (wide) -> VS, compared with pharmaversesdtm.

The raw form has one row per visit and position with one column per test; the spec pivots it with
a `tests:` block. Every variable both sides have agrees on every paired record except the ones listed
in EXCEPTIONS, each with its measured agreement and the reason (see ../shared/reference/README.md).
"""

import pandas as pd
import pytest

from cdisc.sdtm.engine import build_dataset
from cdisc.spec.load import load_study

from conftest import REPO, SHARED
from test_pharmaverse_sdtm import REFERENCE, as_text

#: The example's raw tables, CT and the reference datasets are in the shared reference folder beside the repository.
pytestmark = pytest.mark.skipif(not (SHARED / "reference").is_dir() or not (SHARED / "standards").is_dir(),
                                reason="shared reference data not available (../shared beside the repository)")

STUDY = REPO / "examples" / "pharmaverse"
PAIRING = ["USUBJID", "VSTESTCD", "VISITNUM", "VSTPTNUM", "VSDTC"]
PAIRED = 29635  # every result value in vs_raw

#: Variables the raw does not determine: agreeing records out of PAIRED, and why.
EXCEPTIONS = {
    "VSSEQ": (29468, "the 8 NOT DONE records of the reference are not in the raw, so later records are numbered one lower"),
    "VSORRESU": (29618, "the raw has no unit columns: 9 heights in cm, 7 temperatures in C and 1 weight in kg of the "
                        "reference are read as the CRF's IN, F and LB (README)"),
    "VSSTRESC": (29618, "the same 17 records: converted from a unit they were not collected in"),
    "VSSTRESN": (29618, "the same 17 records"),
    "VSBLFL": (29370, "the reference flags the BASELINE visit record; ours is the last result on or before the first "
                      "dose (SDTMIG --LOBXFL rule): 254 screening heights and 11 records of subjects with no result at "
                      "the baseline visit (01-718-1150, 01-702-1082 temperature and weight) differ"),
}


@pytest.fixture(scope="module")
def built():
    study = load_study(STUDY)
    frames, results = {}, {}
    for name, dataset in study.datasets.items():
        results[name] = build_dataset(study, dataset.spec, frames)
        frames[name] = results[name].frame
    return results


@pytest.fixture(scope="module")
def paired(built):
    ours = as_text(built["VS"].frame)
    ref = pd.read_csv(REFERENCE / "vs.csv", dtype=str, keep_default_na=False)
    for side in (ours, ref):
        side["_n"] = side.groupby(PAIRING).cumcount()
    return ours.merge(ref, on=[*PAIRING, "_n"], how="outer", suffixes=("", "_ref"), indicator=True)


def test_every_raw_result_is_a_record(built, paired):
    assert len(built["VS"].frame) == PAIRED
    assert (paired["_merge"] == "both").sum() == PAIRED
    assert (paired["_merge"] == "left_only").sum() == 0
    unpaired = paired[paired["_merge"] == "right_only"]
    assert len(unpaired) == 8 and set(unpaired["VSSTAT_ref"]) == {"NOT DONE"}  # not in raw (README)
    assert len(built["VS"].excluded) == 3  # raw rows with no value in any test column, reported with a reason


def test_agreement_per_variable(built, paired):
    both = paired[paired["_merge"] == "both"]
    ref_columns = pd.read_csv(REFERENCE / "vs.csv", dtype=str, nrows=0).columns
    compared = [c for c in built["VS"].frame.columns if c in ref_columns and c not in PAIRING]
    assert set(ref_columns) - set(built["VS"].frame.columns) == set()
    for variable in compared:
        agreeing = int((both[variable] == both[f"{variable}_ref"]).sum())
        assert agreeing == EXCEPTIONS.get(variable, (PAIRED, ""))[0], f"VS.{variable}: {agreeing} of {PAIRED} agree"


def test_value_level_metadata_comes_from_the_tests(built):
    spec = built["VS"].spec
    orres = next(v for v in spec.variables if v.name == "VSORRES")
    stresn = next(v for v in spec.variables if v.name == "VSSTRESN")
    assert [level.where for level in orres.value_level][:2] == [{"VSTESTCD": ["SYSBP"]}, {"VSTESTCD": ["DIABP"]}]
    assert {level.type for level in stresn.value_level} == {"float"}
