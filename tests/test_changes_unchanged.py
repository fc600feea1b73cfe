"""A dataset whose records are all as they were (most of a weekly transfer) is reported unchanged without pairing
its records one by one; the report is what the pairing gives."""

from __future__ import annotations

import pandas as pd
import pytest

from cdisc import changes
from cdisc.changes import Identity, Snapshot, derive_dataset_changes, unchanged_dataset

AE = pd.DataFrame({
    "STUDYID": ["S"] * 3, "USUBJID": ["A", "A", "B"], "AESEQ": [1.0, 2.0, 1.0],
    "AETERM": ["Headache", "Nausea  ", None], "AESTDTC": ["2024-01-02", "2024-01-05", "2024-02-01"],
    "AESEV": ["MILD", "MILD", "SEVERE"],
})
IDENTITY = Identity(["STUDYID", "USUBJID", "AESEQ"], "AESEQ", ["STUDYID", "USUBJID", "AESTDTC", "AETERM"])


def _as_read_back(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the previous run's XPT file gives it: text padded and missing as blank."""
    return frame.assign(AETERM=frame["AETERM"].fillna("").str.ljust(10))


@pytest.mark.parametrize("identity", [IDENTITY, Identity(["USUBJID", "AESEQ"], "AESEQ", ["USUBJID", "AESTDTC"]), Identity(["USUBJID"], None, ["USUBJID"])])
def test_an_unchanged_dataset_gives_the_report_of_the_record_by_record_comparison(identity, monkeypatch):
    fast = derive_dataset_changes("AE", Snapshot(_as_read_back(AE)), Snapshot(AE), identity)
    monkeypatch.setattr(changes, "_same_records", lambda old, new: False)
    paired = derive_dataset_changes("AE", Snapshot(_as_read_back(AE)), Snapshot(AE), identity)
    assert not fast.any and (fast.before, fast.after, fast.by_lineage) == (paired.before, paired.after, paired.by_lineage) == (3, 3, 0)
    for name in ("added", "removed", "changed", "renumbered"):
        assert list(getattr(fast, name).columns) == list(getattr(paired, name).columns) and len(getattr(paired, name)) == 0


def test_one_changed_value_is_still_found():
    after = AE.assign(AESEV=["MILD", "MODERATE", "SEVERE"])
    found = derive_dataset_changes("AE", Snapshot(AE), Snapshot(after), IDENTITY)
    assert found.changed[["AESEQ", "variable", "before", "after"]].values.tolist() == [[2.0, "AESEV", "MILD", "MODERATE"]]


@pytest.mark.parametrize("identity", [IDENTITY, Identity(["USUBJID", "AESEQ"], "AESEQ", ["USUBJID", "AESTDTC"]), Identity(["USUBJID"], None, ["USUBJID"])])
def test_a_dataset_known_unchanged_is_reported_from_its_columns_as_the_comparison_reports_it(identity):
    """A dataset taken from the previous run's cache needs only its columns and record count for its report."""
    compared = derive_dataset_changes("AE", Snapshot(_as_read_back(AE)), Snapshot(AE), identity)
    known = unchanged_dataset("AE", identity, AE.iloc[:0], len(AE))
    assert known is not None and not known.any and (known.before, known.after, known.by_lineage) == (3, 3, 0)
    for name in ("added", "removed", "changed", "renumbered"):
        assert list(getattr(known, name).columns) == list(getattr(compared, name).columns) and len(getattr(known, name)) == 0


def test_without_a_natural_key_the_records_are_compared():
    assert unchanged_dataset("AE", Identity([], None, []), AE.iloc[:0], len(AE)) is None
