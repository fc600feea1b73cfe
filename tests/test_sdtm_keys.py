"""The order of an SDTM dataset's records by its keys and the records sharing their keys: what pandas'
sort_values(kind="mergesort", na_position="first") and DataFrame.duplicated(keep=False) give, from one sort."""

import numpy as np
import pandas as pd
import pytest

from cdisc.sdtm.keys import first_in_group, group_order, key_order

NA = None


def test_text_and_numbers_sorted_missing_first_and_ties_in_record_order():
    frame = pd.DataFrame({
        "USUBJID": pd.Series(["S2", "S1", "S1", NA, "S1"], dtype="str"),
        "VISITNUM": [1.0, 2.0, np.nan, 1.0, 2.0],
        "--DTC": pd.Series(["2024-01-02", "2024-01-01", "2024-01-01", "2024-01-05", "2024-01-01"], dtype="str"),
    })
    order, repeated = key_order(frame, ["USUBJID", "VISITNUM", "--DTC"])
    #                     (NA,1) (S1,NaN) (S1,2,01-01) x2 (S2,1)
    assert order.tolist() == [3, 2, 1, 4, 0]
    assert repeated.tolist() == [False, True, False, False, True]


def test_missing_keys_equal_each_other_and_a_single_record_repeats_nothing():
    frame = pd.DataFrame({"A": pd.Series([NA, NA], dtype="str"), "B": [np.nan, np.nan]})
    assert key_order(frame, ["A", "B"])[1].tolist() == [True, True]
    assert key_order(frame.head(1), ["A", "B"])[1].tolist() == [False]
    empty = key_order(frame.head(0), ["A", "B"])
    assert empty[0].tolist() == [] and empty[1].tolist() == []


@pytest.mark.parametrize("seed", range(20))
def test_same_order_and_repeats_as_pandas(seed):
    rng = np.random.default_rng(seed)
    words = np.array(["a", "B", "b", "\u00e9", "Z", "", "ab", "a b", "10", "9", "zz"], dtype=object)
    size = int(rng.integers(0, 80))
    columns = {}
    for j in range(int(rng.integers(1, 5))):
        if rng.random() < 0.5:
            text = words[rng.integers(0, len(words), size)]
            text[rng.random(size) < 0.2] = None
            columns[f"T{j}"] = pd.Series(text, dtype="str")
        else:  # -0.0 ties 0.0; -inf beside missing values is sorted as pandas does (missing as -inf)
            columns[f"N{j}"] = rng.choice([0.0, -0.0, 1.5, -2.0, np.nan, 3.0, np.inf, -np.inf], size)
    frame = pd.DataFrame(columns)
    keys = list(frame.columns)
    order, repeated = key_order(frame, keys)
    assert order.tolist() == frame.sort_values(keys, kind="mergesort", na_position="first").index.tolist()
    assert repeated.tolist() == frame.duplicated(keys, keep=False).tolist()


def test_many_keys_with_many_values_each_sort_as_pandas_does():
    rng = np.random.default_rng(7)  # five keys of ~10,000 distinct values: too many combinations for one integer
    frame = pd.DataFrame({f"N{j}": rng.integers(0, 10_000, 12_000).astype(float) for j in range(5)})
    frame.loc[::50, "N2"] = np.nan
    frame = pd.concat([frame, frame.head(30)], ignore_index=True)
    keys = list(frame.columns)
    order, repeated = key_order(frame, keys)
    assert order.tolist() == frame.sort_values(keys, kind="mergesort", na_position="first").index.tolist()
    assert repeated.tolist() == frame.duplicated(keys, keep=False).tolist() and repeated.sum() == 60


@pytest.mark.parametrize("seed", range(10))
def test_groups_in_key_order_number_and_end_as_pandas_groupby_does(seed):
    rng = np.random.default_rng(100 + seed)
    size = int(rng.integers(0, 60))
    frame = pd.DataFrame({
        "USUBJID": pd.Series(rng.choice(["S1", "S2", "S10", None], size), dtype="str"),
        "--TESTCD": pd.Series(rng.choice(["HGB", "ALT"], size), dtype="str"),
        "--DTC": pd.Series(rng.choice(["2024-01-02", "2024-01-01T10:00", "2024-01", None], size), dtype="str"),
        "VISITNUM": rng.choice([1.0, 2.0, np.nan], size),
    })
    by, order = ["USUBJID", "--TESTCD"], ["--DTC", "VISITNUM"]
    positions, starts = group_order(frame, by, order)
    ordered = frame.sort_values([*by, *order], kind="mergesort", na_position="first")
    assert positions.tolist() == ordered.index.tolist()
    numbers = np.arange(size) - np.maximum.accumulate(np.where(starts, np.arange(size), 0))
    assert numbers.tolist() == ordered.groupby(by, sort=False, dropna=False).cumcount().tolist()
    last = positions[np.append(starts[1:], True)] if size else positions
    assert sorted(last.tolist()) == sorted(ordered.groupby(by, sort=False, dropna=False).tail(1).index.tolist())


@pytest.mark.parametrize("seed", range(10))
def test_first_record_of_each_group_as_duplicated_and_groupby_first(seed):
    rng = np.random.default_rng(200 + seed)
    size = int(rng.integers(0, 80))
    frame = pd.DataFrame({
        "SUBJID": pd.Series(rng.choice(["001", "002", None], size), dtype="str"),
        "LBORRES": pd.Series(rng.choice(["1.0", "1", " 1", None], size), dtype="str"),
        "N": rng.choice([0.0, -0.0, np.nan, 2.5], size),
        "@row": np.arange(2, size + 2),
    })
    by = ["SUBJID", "LBORRES", "N"]
    first = first_in_group(frame, by)
    assert (first != np.arange(size)).tolist() == frame.duplicated(by, keep="first").tolist()
    assert frame["@row"].to_numpy()[first].tolist() == frame.groupby(by, dropna=False, sort=False)["@row"].transform("first").tolist()


def test_many_columns_with_many_values_are_renumbered_before_they_overflow():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({f"C{j}": rng.integers(0, 5000, 3000).astype(float) for j in range(8)})
    frame = pd.concat([frame, frame.iloc[[5, 7]]], ignore_index=True)
    first = first_in_group(frame, list(frame.columns))
    assert np.flatnonzero(first != np.arange(len(frame))).tolist() == [3000, 3001] and first[3000:].tolist() == [5, 7]
