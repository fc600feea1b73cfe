"""Whether a record's date/time is on or before the subject's reference date: dates by day, the time deciding only
when both have one; each distinct date/time parsed once."""

import pandas as pd

from cdisc.rules.sdtm.last_obs_before_exposure import on_or_before

CASES = [  # --DTC              RFXSTDTC            on or before
    ("2024-01-04T23:59", "2024-01-05T10:00", True),
    ("2024-01-05T09:59", "2024-01-05T10:00", True),
    ("2024-01-05T10:00", "2024-01-05T10:00", True),
    ("2024-01-05T10:00:30", "2024-01-05T10:00", False),  # seconds count
    ("2024-01-05T10:01", "2024-01-05T10:00", False),
    ("2024-01-05", "2024-01-05T10:00", True),  # a date alone on the reference day counts as before
    ("2024-01-05T11:00", "2024-01-05", True),  # so does any time when the reference has none
    ("2024-01-06", "2024-01-05", False),
    ("2024-01", "2024-01-05", False),  # a partial date is never on or before
    (None, "2024-01-05", False),
    ("2024-01-04", None, False),  # no reference date
]


def test_dates_by_day_and_the_time_only_when_both_have_one():
    dtc, reference, expected = zip(*CASES)
    index = pd.Index(range(100, 100 + len(CASES)))
    found = on_or_before(pd.Series(dtc, index=index, dtype="str"), pd.Series(reference, index=index, dtype="str"))
    assert found.index.equals(index) and found.tolist() == list(expected)
