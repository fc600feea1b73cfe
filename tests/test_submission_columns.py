"""Column reconciliation (issue 12): every raw column is mapped, used, or declared not submitted with a reason."""

from __future__ import annotations

import pytest
from conftest import REPO

from cdisc.sdtm.columns import column_usage, columns_summary
from cdisc.spec.load import load_study

SPECS = REPO / "specs"


@pytest.fixture
def study():
    return load_study(SPECS)


def test_every_raw_column_of_the_example_is_accounted_for(study):
    usage = column_usage(study)
    columns = {(t, c) for t, table in study.raw_tables.items() for c in usage.loc[usage["table"] == t, "column"]}
    assert len(columns) == len(usage) and set(usage["status"]) <= {"mapped", "used", "not_submitted"}
    assert "0 not accounted for" in columns_summary(usage)


def test_collected_columns_the_review_found_dropped_are_now_mapped_or_explained(study):
    usage = column_usage(study).set_index(["table", "column"])
    assert usage.loc[("ex", "EXWT"), "target"] == "SUPPEX.QVAL where QNAM = DOSEWT"
    assert usage.loc[("ae", "AETERM"), "status"] == "mapped" and "AE.AETERM" in usage.loc[("ae", "AETERM"), "target"]
    for column in ("ECOG", "ELIGYN", "ENRDAT"):
        assert usage.loc[("enrol", column), "status"] in ("mapped", "used", "not_submitted")
        assert usage.loc[("enrol", column), "target"]  # a variable, or the reason


def test_a_column_neither_mapped_nor_declared_is_unaccounted_and_named(study):
    study.spec.not_submitted["enrol"].pop("FOLDERNAME")
    usage = column_usage(study)
    assert usage.loc[usage["status"] == "unaccounted", ["table", "column"]].values.tolist() == [["enrol", "FOLDERNAME"]]
    assert columns_summary(usage).endswith("1 not accounted for: enrol.FOLDERNAME; see reports/columns.csv")


def test_columns_read_by_filters_and_reference_dates_count_as_used(study):
    usage = column_usage(study).set_index(["table", "column"])
    assert usage.loc[("ae", "AEYN"), "status"] == "used"  # the 'no adverse event' page filter
    assert "DM.RFICDTC" in usage.loc[("ic", "ICDAT"), "target"]


def test_a_study_codelist_gives_terms_or_an_external_dictionary_with_its_version():
    from pydantic import ValidationError

    from cdisc.spec.models import Codelist

    assert Codelist.model_validate({"name": "MEDDRA", "label": "MedDRA", "dictionary": "MedDRA", "version": "26.1"}).terms == []
    for wrong in ({"dictionary": "MedDRA"}, {}, {"dictionary": "MedDRA", "version": "26.1", "terms": [{"value": "X"}]}):
        with pytest.raises(ValidationError, match="external dictionary with its version"):
            Codelist.model_validate({"name": "X", "label": "X", **wrong})
