"""EPOCH: the epoch of the subject's element (SE) that holds the record's date, found by one sorted search over all
subjects: latest element start on or before the moment, then the date within the element's end."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cdisc.rules.sdtm.epoch import epoch

SE = pd.DataFrame(
    [  # USUBJID  SESTDTC             SEENDTC             EPOCH
        ["S1", "2024-01-01", "2024-01-05T10:00", "SCREENING"],
        ["S1", "2024-01-05T10:00", "2024-01-20", "TREATMENT"],
        ["S1", "2024-01-20", None, "FOLLOW-UP"],  # open: no end
        ["S2", "2024-02-01", "2024-02-03", "SCREENING"],
        ["S2", "2024-02-10", "2024-02-20", "TREATMENT"],  # a gap before it
        ["S3", "2024-03", "2024-03-31", "SCREENING"],  # a partial start: not an element to fall in
    ],
    columns=["USUBJID", "SESTDTC", "SEENDTC", "EPOCH"],
).astype("str")

RECORDS = [  # USUBJID, --DTC, expected EPOCH
    ("S1", "2024-01-05T09:00", "SCREENING"),  # before the dose time on the first dose day
    ("S1", "2024-01-05T10:00", "TREATMENT"),  # at the dose
    ("S1", "2024-01-05", "TREATMENT"),  # a date alone is the end of that day
    ("S1", "2023-12-31", None),  # before the first element
    ("S1", "2025-06-01", "FOLLOW-UP"),  # in the open last element
    ("S2", "2024-02-05", None),  # in the gap between two elements
    ("S2", "2024-02-03", "SCREENING"),  # the end day is inside
    ("S1", "2024-01", None),  # a partial date
    ("S3", "2024-03-15", None),  # the subject's only element has a partial start
    ("S9", "2024-01-10", None),  # a subject with no elements
    (None, "2024-01-10", None),  # no subject
    ("S2", None, None),  # no date
]


def _records(subjects, dates, index=None):
    index = pd.RangeIndex(len(subjects)) if index is None else index
    out = {"USUBJID": pd.Series(subjects, index=index, dtype="str"), "XXDTC": pd.Series(dates, index=index, dtype="str")}
    return SimpleNamespace(built={"SE": SE}, out=out, index=index)


def test_epoch_of_the_element_holding_the_date():
    subjects, dates, expected = zip(*RECORDS)
    index = pd.Index(np.arange(len(RECORDS)) * 10 + 3)  # records of a part: not numbered from 0
    found = epoch(SimpleNamespace(of="XXDTC"), _records(subjects, dates, index))
    assert found.index.equals(index)
    assert found.fillna("").tolist() == [e or "" for e in expected]


def _merge_asof_epoch(records, se):
    """EPOCH as pandas' merge_asof finds it (the rule's first implementation)."""
    from cdisc.rules.sdtm.epoch import _moments
    from cdisc.sdtm.dates import date_part

    date, instant = _moments(records.out["XXDTC"], day_end=True)
    dated = pd.DataFrame({"USUBJID": records.out["USUBJID"], "date": date, "instant": instant, "at": np.arange(len(date))})
    dated = dated.dropna(subset=["date", "USUBJID"]).sort_values("instant", kind="mergesort")
    elements = pd.DataFrame({"USUBJID": se["USUBJID"], "start": _moments(se["SESTDTC"], day_end=False)[1],
                             "end": date_part(se["SEENDTC"]), "EPOCH": se["EPOCH"]}).dropna(subset=["start"])
    found = pd.merge_asof(dated, elements.sort_values("start", kind="mergesort"), left_on="instant", right_on="start",
                          by="USUBJID", direction="backward")
    inside = found["end"].isna() | (found["date"] <= found["end"])
    result = pd.Series(np.nan, index=range(len(date)), dtype="str")
    result[found.loc[inside, "at"].to_numpy()] = found.loc[inside, "EPOCH"].to_numpy()
    return result.tolist()


@pytest.mark.parametrize("seed", range(10))
def test_same_epochs_as_merge_asof_on_random_elements_with_ties(seed):
    rng = np.random.default_rng(seed)
    days = [f"2024-01-0{d}" for d in range(1, 8)]

    def dtcs(size):
        pick = rng.random(size)
        day = rng.choice(days, size)
        times = [f"T{h:02d}:{m:02d}" for h, m in zip(rng.integers(0, 24, size), rng.integers(0, 60, size))]
        return [None if p < 0.1 else d[:7] if p < 0.15 else d + t if p < 0.6 else d for p, d, t in zip(pick, day, times)]

    size = int(rng.integers(0, 15))
    se = pd.DataFrame({"USUBJID": rng.choice(["S1", "S2", None], size), "SESTDTC": dtcs(size), "SEENDTC": dtcs(size),
                       "EPOCH": rng.choice(["SCREENING", "TREATMENT", None], size)}).astype("str")
    count = int(rng.integers(0, 60))
    records = _records(rng.choice(["S1", "S2", "S3", None], count), dtcs(count))
    records.built = {"SE": se}
    found = epoch(SimpleNamespace(of="XXDTC"), records)
    assert found.where(found.notna(), "").tolist() == pd.Series(_merge_asof_epoch(records, se), dtype="str").fillna("").tolist()
