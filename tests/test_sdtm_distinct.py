"""Values looked up per distinct value: a subject's DM value for each record (as Series.map with DM's values by
USUBJID) and a function of each distinct text applied once."""

import numpy as np
import pandas as pd
import pytest

from cdisc.sdtm.distinct import lookup, on_distinct


def test_each_record_gets_its_subjects_value_missing_for_unknown_or_missing_subjects():
    dm = pd.DataFrame({"USUBJID": ["S1", "S2"], "RFSTDTC": ["2024-01-05T10:00", None]}).astype("str")
    records = pd.Series(["S2", "S1", "S9", None, "S1"], index=[10, 11, 12, 13, 14], dtype="str")
    found = lookup(records, dm["USUBJID"], dm["RFSTDTC"])
    assert found.index.tolist() == [10, 11, 12, 13, 14]
    assert found.fillna("").tolist() == ["", "2024-01-05T10:00", "", "", "2024-01-05T10:00"]


@pytest.mark.parametrize("seed", range(10))
def test_same_values_and_types_as_series_map(seed):
    rng = np.random.default_rng(seed)
    names = [f"S{i}" for i in range(12)]
    for _ in range(20):
        count, size = int(rng.integers(0, 10)), int(rng.integers(0, 30))
        index = pd.Series(rng.permutation(names)[:count], dtype="str")
        keys = pd.Series(rng.choice([*names, "S99", None], size), index=rng.permutation(size) + 7, dtype="str")
        for values in (pd.Series(rng.normal(size=count)), pd.Series(rng.integers(0, 5, count)),
                       pd.Series(rng.choice(["a", None], count), dtype="str"), pd.Series(rng.choice([True, False], count))):
            expected = keys.map(values.set_axis(pd.Index(index)))
            pd.testing.assert_series_equal(lookup(keys, index, values), expected)


def test_a_subject_listed_twice_is_refused_as_series_map_refuses_it():
    with pytest.raises(Exception, match="unique"):
        lookup(pd.Series(["S1"], dtype="str"), pd.Series(["S1", "S1"], dtype="str"), pd.Series([1.0, 2.0]))


def test_a_function_of_each_distinct_value_spread_to_every_record():
    values = pd.Series([" screening", "WEEK 2", None, " screening"], index=[3, 1, 2, 0], dtype="str")
    calls = []

    def position(names):
        calls.append(len(names))
        return names.str.strip().str.upper().map({"SCREENING": 0, "WEEK 2": 2})

    found = on_distinct(values, position)
    assert calls == [2] and found.index.tolist() == [3, 1, 2, 0]
    assert found.tolist()[:2] == [0.0, 2.0] and np.isnan(found.iloc[2]) and found.iloc[3] == 0.0
