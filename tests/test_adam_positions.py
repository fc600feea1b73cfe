"""Which records a merge, an extreme flag or an extreme record step takes: positions found by sort codes
(``extreme_positions``, ``tied_extremes``) and by matching by groups (``matched_positions``, ``merged_records``),
against what pandas' stable sort, drop_duplicates and left merge give."""

import numpy as np
import pandas as pd
import pytest

from cdisc.adam.derivations import (
    extreme_positions,
    matched_positions,
    merged_records,
    sort_codes,
    sorted_keys,
    taken,
    tied_extremes,
)

TEXT = ["a", "b", "B", "é", "", None]


def _column(kind: str, n: int, rng) -> pd.Series:
    if kind == "text":
        return pd.Series(rng.choice(np.array(TEXT, dtype=object), n), dtype="str")
    if kind == "object":
        return pd.Series(rng.choice(np.array(["x", "y", None], dtype=object), n), dtype=object)
    if kind == "float":
        return pd.Series(rng.choice([1.0, 2.0, -0.0, 0.0, np.nan, 3.5], n))
    return pd.Series(rng.integers(0, 3, n))


def _pandas_extremes(frame, by, order, mode, descending):
    """The records a stable sort (missing last) keeping each group's first/last keeps: what the rules did before."""
    ascending = [c not in descending for c in [*by, *order]]
    ordered = frame.sort_values([*by, *order], ascending=ascending, kind="mergesort", na_position="last")
    if not by:
        return (ordered.head(1) if mode == "first" else ordered.tail(1)).index.to_numpy()
    return ordered.drop_duplicates(by, keep=mode).index.to_numpy()


def test_extreme_positions_are_what_a_stable_sort_keeps():
    """Random small frames: text, object, float (-0.0, missing) and integer by and order variables, some of them
    high to low, first and last, ties, missing values and empty frames."""
    rng = np.random.default_rng(7)
    for _ in range(600):
        n = int(rng.integers(0, 10))
        by = [f"B{i}" for i in range(int(rng.integers(0, 3)))]
        order = [f"O{i}" for i in range(int(rng.integers(1, 3)))]
        frame = pd.DataFrame({name: _column(rng.choice(["text", "object", "float", "int"]), n, rng) for name in [*by, *order]},
                             index=range(n))
        descending = [c for c in order if rng.random() < 0.4]
        mode = str(rng.choice(["first", "last"]))
        expected = _pandas_extremes(frame, by, order, mode, descending)
        assert extreme_positions(frame, by, order, mode, descending).tolist() == expected.tolist()


def test_extreme_positions_among_some_rows():
    frame = pd.DataFrame({"USUBJID": ["1", "1", "2", "2", None],
                          "ADT":     [5.0, 3.0, np.nan, 1.0, 2.0]})
    rows = np.array([0, 2, 4])  # subject 1's day 3 and subject 2's day 1 left out
    assert extreme_positions(frame, ["USUBJID"], ["ADT"], "first", rows=rows).tolist() == [0, 2, 4]  # missing subject: last
    assert extreme_positions(frame, ["USUBJID"], ["ADT"], "first", rows=np.array([], dtype=int)).tolist() == []
    assert extreme_positions(frame, [], ["ADT"], "last").tolist() == [2]  # missing ADT sorts last


def test_sort_codes_keep_order_and_put_missing_last():
    values = pd.Series(["b", None, "a", "b"], dtype="str")
    assert sort_codes(values).tolist() == [1, 2, 0, 1]
    assert sort_codes(values, descending=True).tolist() == [0, 2, 1, 0]  # missing still last


def test_tied_extremes_count_only_the_rows_given():
    frame = pd.DataFrame({"USUBJID": ["1", "1", "1", None, None],
                          "ADT":     [4.0, 4.0, 5.0, np.nan, np.nan]})
    picked, tied = tied_extremes(frame, ["USUBJID"], ["ADT"], "first")
    assert (picked.tolist(), tied) == ([0, 3], True)  # subject 1's day 4 twice; the missing subject's missing day twice
    assert tied_extremes(frame, ["USUBJID"], ["ADT"], "last", rows=np.array([0, 2, 3])) == (pytest.approx([2, 3]), False)
    assert tied_extremes(frame, ["USUBJID"], ["ADT"], "first", rows=np.array([0, 2, 3, 4]))[1]  # missing equals missing
    assert not tied_extremes(frame, ["USUBJID"], ["ADT"], "first", rows=np.array([0, 2]))[1]
    assert tied_extremes(frame, ["USUBJID"], ["ADT"], "first", rows=np.array([], dtype=int))[1] is False


def test_tied_extremes_say_whether_a_record_taken_has_a_twin():
    """Random small frames: a tie is a record taken with the same by and order values as another of the rows given
    (as counting duplicates with pandas says), the records taken those of extreme_positions."""
    rng = np.random.default_rng(11)
    for _ in range(600):
        n = int(rng.integers(0, 10))
        by = [f"B{i}" for i in range(int(rng.integers(0, 3)))]
        order = [f"O{i}" for i in range(int(rng.integers(1, 3)))]
        frame = pd.DataFrame({name: _column(rng.choice(["text", "object", "float", "int"]), n, rng) for name in [*by, *order]})
        rows = np.flatnonzero(rng.random(n) < 0.7)
        descending = [c for c in order if rng.random() < 0.4]
        mode = str(rng.choice(["first", "last"]))
        picked, tied = tied_extremes(frame, by, order, mode, descending, rows)
        twins = frame.iloc[rows].astype(object).fillna("<missing>").duplicated([*by, *order], keep=False)
        assert picked.tolist() == extreme_positions(frame, by, order, mode, descending, rows).tolist()
        assert tied == bool(twins[frame.index[picked]].any())


@pytest.mark.parametrize("other_dtype", ["str", object])
def test_matched_positions_as_a_left_merge(other_dtype):
    """Missing by values match each other; no match is -1; by variables of another dtype are matched by a merge."""
    base = pd.DataFrame({"USUBJID": pd.Series(["1", "2", None, "1", "9"], dtype="str"), "N": [1.0, 1.0, np.nan, 1.0, 1.0]})
    table = pd.DataFrame({"USUBJID": pd.Series(["2", None, "1"], dtype=other_dtype), "N": [1.0, np.nan, 1.0]})
    expected = [2, 0, 1, 2, -1]
    assert matched_positions(base, table, ["USUBJID", "N"]).tolist() == expected
    merged = base.merge(table.assign(at=range(3)), on=["USUBJID", "N"], how="left")["at"].fillna(-1)
    assert merged.astype(int).tolist() == expected


def test_matched_positions_with_an_empty_table_or_base():
    base = pd.DataFrame({"USUBJID": pd.Series(["1", "2"], dtype="str")})
    empty = pd.DataFrame({"USUBJID": pd.Series([], dtype="str")})
    assert matched_positions(base, empty, ["USUBJID"]).tolist() == [-1, -1]
    assert matched_positions(empty, base, ["USUBJID"]).tolist() == []


def test_merged_records_first_last_and_no_match():
    adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"]})
    ex = pd.DataFrame({"USUBJID": ["1", "1", "1", "2"],
                       "EXSTDTC": ["2024-01-08", "2024-01-01", "2024-01-08", "2024-02-01"],
                       "EXDOSE":  [1.0, 0.0, 2.0, 0.0]})
    dosed = ex["EXDOSE"] > 0
    assert merged_records(adsl, ex, where=dosed, order=["EXSTDTC"]).tolist() == [0, -1, -1]  # tie: first in input
    assert merged_records(adsl, ex, where=dosed, order=["EXSTDTC"], mode="last").tolist() == [2, -1, -1]
    assert merged_records(adsl, ex, where=ex["EXDOSE"] > 5).tolist() == [-1, -1, -1]


def test_taken_gives_the_types_a_left_merge_gives():
    at = np.array([1, -1])
    assert taken(pd.Series([3, 4]), at).dtype == float
    assert taken(pd.Series([True, False]), at).tolist()[0] is False
    assert pd.isna(taken(pd.Series([1, 2], dtype="Int64"), at)[1])
    text = taken(pd.Series(["a", None], dtype="str"), np.array([0, 1, -1]))
    assert text[0] == "a" and pd.isna(text[1]) and pd.isna(text[2])


def test_obs_number_is_what_a_stable_sort_and_cumcount_give():
    """Random frames as above: numbering within by groups in order, ties in input order, missing values last."""
    from cdisc.adam.derivations import derive_var_obs_number

    rng = np.random.default_rng(11)
    for _ in range(300):
        n = int(rng.integers(0, 10))
        by = [f"B{i}" for i in range(int(rng.integers(1, 3)))]
        order = [f"O{i}" for i in range(int(rng.integers(0, 3)))]
        frame = pd.DataFrame({name: _column(rng.choice(["text", "object", "float", "int"]), n, rng) for name in [*by, *order]},
                             index=range(n))
        ordered = frame.sort_values([*by, *order], kind="mergesort", na_position="last")
        expected = (ordered.groupby(by, sort=False, dropna=False).cumcount() + 1).reindex(frame.index).astype(float)
        assert derive_var_obs_number(frame, by, order).tolist() == expected.tolist()


def test_obs_number_without_by_numbers_all_records():
    from cdisc.adam.derivations import derive_var_obs_number

    frame = pd.DataFrame({"ADT": [3.0, np.nan, 1.0, 3.0]})
    assert derive_var_obs_number(frame, [], ["ADT"]).tolist() == [2.0, 4.0, 1.0, 3.0]
    assert derive_var_obs_number(frame.iloc[:0], ["ADT"]).tolist() == []


def test_baseline_records_missing_by_values_no_baseline_and_two_baselines():
    from cdisc.adam.derivations import baseline_records

    vs = pd.DataFrame({"USUBJID": pd.Series(["1", "1", None, None, "2"], dtype="str"),
                       "ABLFL":   pd.Series([None, "Y", "Y", None, None], dtype="str")})
    assert baseline_records(vs, ["USUBJID"]).tolist() == [1, 1, 2, 2, -1]  # a missing subject is a group too
    assert baseline_records(vs.iloc[[0, 4]], ["USUBJID"]).tolist() == [-1, -1]
    two = pd.concat([vs, vs.iloc[[1]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"more than one baseline record \(ABLFL = Y\) for \{'USUBJID': '1'\}"):
        baseline_records(two, ["USUBJID"])


def test_merged_summary_per_group_with_missing_by_values_and_nothing_kept():
    from cdisc.adam.derivations import derive_var_merged_summary

    adsl = pd.DataFrame({"USUBJID": pd.Series(["1", "2", None, "3"], dtype="str")})
    ae = pd.DataFrame({"USUBJID": pd.Series(["1", "1", None, "2", "1"], dtype="str"),
                       "ADT":     [5.0,  9.0,   4.0, np.nan, 7.0]})
    got = derive_var_merged_summary(adsl, ae, ae["ADT"], "max")
    assert got.iloc[0] == 9.0 and np.isnan(got.iloc[1]) and got.iloc[2] == 4.0 and np.isnan(got.iloc[3])  # missing subject: a group
    counted = derive_var_merged_summary(adsl, ae, ae["ADT"], "count")
    assert counted.tolist()[:3] == [3, 0, 1] and np.isnan(counted.iloc[3])  # subject 2's only date is missing: 0
    nothing = derive_var_merged_summary(adsl, ae, ae["ADT"], "max", where=pd.Series([False] * 5))
    assert nothing.isna().all() and len(nothing) == 4


def test_sorted_keys_are_a_stable_sort_with_missing_first_and_duplicated_records():
    """Random small frames of text, object, float (-0.0, missing) and integer keys: the order a stable sort_values
    (missing first) gives, and the records duplicated(keep=False) marks."""
    rng = np.random.default_rng(5)
    for _ in range(600):
        n = int(rng.integers(0, 10))
        names = [f"K{i}" for i in range(int(rng.integers(1, 4)))]
        frame = pd.DataFrame({name: _column(rng.choice(["text", "object", "float", "int"]), n, rng) for name in names})
        order, shared = sorted_keys([frame[name] for name in names])
        expected = frame.sort_values(names, kind="mergesort", na_position="first").index.to_numpy()
        assert order.tolist() == expected.tolist()
        assert shared.tolist() == frame.duplicated(keep=False).tolist()
