"""ADaM derivations named and shaped after admiral's, vectorised over whole datasets.

Each function takes Series/DataFrames and returns a Series aligned to its input; none prints,
writes files or reads globals. Flags are ``"Y"`` or missing, as ADaM expects.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.extensions import ExtensionArray
from pandas.arrays import ArrowStringArray, NumpyExtensionArray

from cdisc.arrowtext import TEXT, arrow_text

__all__ = [
    "derive_var_cumulative",
    "derive_var_escalation_decision",
    "derive_var_mtd",
    "derive_var_merged_summary",
    "derive_vars_joined",
    "derive_var_base",
    "derive_var_chg",
    "derive_var_extreme_flag",
    "derive_var_obs_number",
    "derive_var_trtemfl",
    "derive_vars_dy",
    "derive_vars_merged",
    "baseline_records",
    "extreme_positions",
    "matched_positions",
    "ordered_positions",
    "sort_codes",
    "sorted_keys",
    "tied_extremes",
    "stacked_codes",
    "taken_array",
    "rows_of",
    "merged_records",
    "taken",
]


_Y = pd.array(["Y"], dtype="str")


def _flag(mask: pd.Series) -> pd.Series:
    return pd.Series(_Y.take(np.where(mask.to_numpy(dtype=bool), 0, -1), allow_fill=True), index=mask.index)  # (no object per record)


def by_groups(frame: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each record's ``by`` group, numbered in order of first appearance, and the position of each group's first record.

    A merge onto many records is made once per group (its first record) and its rows taken by group number:
    the same rows as merging every record, a missing value matching a missing value as in a merge.

    Example::

        >>> codes, first = by_groups(pd.DataFrame({"USUBJID": ["1", "2", "1", None], "N": [1, 1, 1, 1]}), ["USUBJID", "N"])
        >>> codes.tolist(), first.tolist()
        ([0, 1, 0, 2], [0, 1, 3])
    """
    codes = _group_codes([frame[name] for name in by], len(frame))
    seen = np.maximum.accumulate(codes) if len(codes) else codes  # numbered in order of appearance: a new group is one more
    return codes, np.flatnonzero(np.diff(seen, prepend=-1) > 0)


def _group_codes(columns: Sequence[pd.Series], length: int) -> np.ndarray:
    """Each position's combination of the ``columns``' values, numbered in order of first appearance (missing equal to missing)."""
    codes = np.zeros(length, dtype=np.int64)
    for i, column in enumerate(columns):
        values, uniques = pd.factorize(column, use_na_sentinel=False)
        # groups so far x this column's values, renumbered (the first column's codes are numbered so already)
        codes = values.astype(np.int64, copy=False) if i == 0 else pd.factorize(codes * len(uniques) + values)[0]
    return codes


def sort_codes(values: pd.Series, descending: bool = False, missing_first: bool = False) -> np.ndarray:
    """Integers from 0 that sort as ``values`` sort (low to high, or high to low), missing values last (or first) and
    equal to each other.

    Example::

        >>> sort_codes(pd.Series(["b", None, "a", "b"])).tolist(), sort_codes(pd.Series([2.0, np.nan, 5.0]), True).tolist()
        ([1, 2, 0, 1], [1, 2, 0])
        >>> sort_codes(pd.Series(["b", None, "a"]), missing_first=True).tolist()
        [2, 0, 1]
    """
    codes, uniques = pd.factorize(values, sort=True)
    if descending:
        codes = np.where(codes < 0, codes, len(uniques) - 1 - codes)
    return codes + 1 if missing_first else np.where(codes < 0, len(uniques), codes)


def sorted_keys(keys: Sequence[pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the records sorted on ``keys`` (the first key first; missing values first, ties in input
    order, as a stable ``sort_values``), and which records share their values of every key with another record
    (missing equal to missing, as ``duplicated(keep=False)``).

    Example::

        >>> order, shared = sorted_keys([pd.Series(["2", "1", "1", None]), pd.Series([5.0, 3.0, 3.0, 1.0])])
        >>> order.tolist(), shared.tolist()
        ([3, 1, 2, 0], [False, True, True, False])
    """
    codes = [sort_codes(key, missing_first=True) for key in keys]
    order = ordered_positions(codes) if codes else np.arange(0)
    same = np.ones(max(len(order) - 1, 0), dtype=bool)  # each record in order: the same keys as the next one
    for key in codes:
        in_order = key[order]
        same &= in_order[1:] == in_order[:-1]
    shared = np.zeros(len(order), dtype=bool)
    shared[order] = np.concatenate([[False], same]) | np.concatenate([same, [False]])
    return order, shared


def ordered_positions(keys: Sequence[np.ndarray]) -> np.ndarray:
    """The positions of the records sorted on ``keys`` (:func:`sort_codes`, the first key first), ties in input order.

    Example::

        >>> ordered_positions([np.array([1, 0, 1, 0]), np.array([0, 5, 0, 2])]).tolist()
        [3, 1, 0, 2]
    """
    if not keys:
        return np.arange(0)
    sizes = [int(key.max(initial=0)) + 1 for key in keys]
    if np.prod(np.array(sizes, dtype=float)) >= 2.0**62:
        return np.lexsort(list(keys)[::-1])  # np.lexsort: the last key first, stable
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    for key, size in zip(keys, sizes):  # (one key sorts faster than several: the codes side by side in one number)
        combined = combined * size + key
    return np.argsort(combined, kind="stable")


def extreme_positions(frame: pd.DataFrame, by: Sequence[str], order: Sequence[str], mode: str = "first",
                      descending: Sequence[str] = (), rows: np.ndarray | None = None) -> np.ndarray:
    """The position of the first (or last) record of each ``by`` group of ``frame`` (among the records at ``rows``) in
    ``order`` (missing values last, ``descending`` variables high to low, ties in input order), groups in the order
    of their ``by`` values: the records a stable sort on ``by`` and ``order`` keeping each group's first (last) keeps.

    Example::

        >>> frame = pd.DataFrame({"USUBJID": ["2", "1", "1", "1"], "ADT": [3.0, np.nan, 4.0, 4.0]})
        >>> extreme_positions(frame, ["USUBJID"], ["ADT"], "first").tolist(), extreme_positions(frame, ["USUBJID"], ["ADT"], "last").tolist()
        ([2, 0], [1, 0])
        >>> extreme_positions(frame, ["USUBJID"], ["ADT"], "first", rows=np.array([0, 1])).tolist()  # ADT missing: last, yet the only one
        [1, 0]
    """
    return tied_extremes(frame, by, order, mode, descending, rows)[0]


def tied_extremes(frame: pd.DataFrame, by: Sequence[str], order: Sequence[str], mode: str = "first",
                  descending: Sequence[str] = (), rows: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """The positions :func:`extreme_positions` gives, and whether one of those records has the same ``by`` and
    ``order`` values as another record among ``rows`` (missing values equal): a tie the input order decided.

    Example::

        >>> frame = pd.DataFrame({"USUBJID": ["1", "1", "2"], "ADT": [4.0, 4.0, np.nan]})
        >>> picked, tied = tied_extremes(frame, ["USUBJID"], ["ADT"])
        >>> picked.tolist(), tied, tied_extremes(frame, ["USUBJID"], ["ADT"], rows=np.array([0, 2]))[1]
        ([0, 2], True, False)
    """
    rows = np.arange(len(frame)) if rows is None else rows
    if not len(rows):
        return rows, False
    def codes(name: str, descending: bool = False) -> np.ndarray:  # most records: the whole column numbered, then cut
        if 4 * len(rows) > len(frame):  # (the codes keep their order among the rows: no copy of the rows' values)
            return sort_codes(frame[name], descending)[rows]
        return sort_codes(frame[name].take(rows), descending)

    groups = [codes(name) for name in by]
    keys = [*groups, *(codes(name, name in descending) for name in order)]
    ordered = ordered_positions(keys)
    if not by:
        at = np.array([0 if mode == "first" else len(ordered) - 1])
    else:
        starts = _group_starts(groups, ordered)
        at = starts if mode == "first" else np.append(starts[1:], len(ordered)) - 1
    same = np.ones(max(len(ordered) - 1, 0), dtype=bool)  # each record in order: the same keys as the next one
    for key in keys:
        in_order = key[ordered]
        same &= in_order[1:] == in_order[:-1]
    tied = np.concatenate([[False], same])[at] | np.concatenate([same, [False]])[at]  # the same as the one before or after
    return rows[ordered[at]], bool(tied.any())


def _group_starts(groups: Sequence[np.ndarray], ordered: np.ndarray) -> np.ndarray:
    """Where each group starts among the records in ``ordered`` sequence (sorted on the ``groups`` codes first)."""
    new_group = np.zeros(len(ordered), dtype=bool)
    new_group[:1] = True
    for codes in groups:  # a group's records are together: a new one starts where a by value changes
        sorted_codes = codes[ordered]
        new_group[1:] |= sorted_codes[1:] != sorted_codes[:-1]
    return np.flatnonzero(new_group)


def matched_positions(base: pd.DataFrame, table: pd.DataFrame, by: list[str], validate: str | None = None) -> np.ndarray:
    """For each ``base`` record, the position of the ``table`` record with its ``by`` values (``table``: one record per
    group), as a left merge matches them (a missing value matching a missing one); -1 where none does.

    Example::

        >>> base = pd.DataFrame({"USUBJID": ["1", "2", "1", None]})
        >>> matched_positions(base, pd.DataFrame({"USUBJID": [None, "1", "3"]}), ["USUBJID"]).tolist()
        [1, -1, 1, 0]
    """
    codes, first = by_groups(base, by)
    if all(base[c].dtype == table[c].dtype for c in by):  # the same dtypes: equal as a merge sees it
        groups = stacked_codes([base[c].take(first) for c in by], [table[c] for c in by])
        wanted, offered = groups[: len(first)], groups[len(first):]
        if not len(offered) or np.bincount(offered).max() == 1:  # else the merge says what is wrong
            at = np.full(len(groups) + 1, -1)
            at[offered] = np.arange(len(offered))
            return at[wanted][codes]
    keys = base[by].iloc[first]
    merged = keys.merge(table[by].assign(__at=np.arange(len(table))), on=by, how="left", validate=validate)
    return merged["__at"].fillna(-1).to_numpy(dtype=np.int64)[codes]


def stacked_codes(first: Sequence[pd.Series], second: Sequence[pd.Series]) -> np.ndarray:
    """The group codes (:func:`by_groups`) of the records of ``first`` followed by those of ``second``, the same columns
    of two frames: a record of one and a record of the other with equal values have the same code.

    Example::

        >>> stacked_codes([pd.Series(["DM", "DM"]), pd.Series([0, 1])], [pd.Series(["DM", None]), pd.Series([1.0, np.nan])]).tolist()
        [0, 1, 1, 2]
    """
    return _group_codes([_stacked(a, b) for a, b in zip(first, second)], len(first[0]) + len(second[0]) if first else 0)


def _stacked(first: pd.Series, second: pd.Series) -> ExtensionArray | np.ndarray | pd.Series:
    """Two columns one after the other (as arrays when their dtypes are the same)."""
    if first.dtype != second.dtype:
        return pd.concat([first, second], ignore_index=True)
    if isinstance(first.array, NumpyExtensionArray):
        return np.concatenate([first.to_numpy(), second.to_numpy()])
    return type(first.array)._concat_same_type([first.array, second.array])


def taken_array(values: pd.Series, at: np.ndarray) -> ExtensionArray | np.ndarray:
    """``values`` at positions ``at`` (-1: missing) keeping an extension type (text stays text), as reindexing gives them.

    Example::

        >>> taken_array(pd.Series(["a", "b"], dtype="str"), np.array([1, -1])).tolist()
        ['b', nan]
    """
    if isinstance(values.dtype, np.dtype):
        return pd.api.extensions.take(values.to_numpy(), at, allow_fill=True)
    if isinstance(values.array, ArrowStringArray) and _few(at, values.array):
        return ArrowStringArray(pa.chunked_array([_chunk_by_chunk(arrow_text(values.array), at)]), dtype=values.dtype)
    return values.array.take(at, allow_fill=True)


def rows_of(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """``frame.iloc[positions]``, a few records of text taken chunk by chunk (:func:`taken_array`).

    Example::

        >>> rows_of(pd.DataFrame({"A": ["x", "y"], "N": [1, 2]}), np.array([1])).values.tolist()
        [['y', 2]]
    """
    if not any(isinstance(frame[name].array, ArrowStringArray) and _few(positions, frame[name].array) for name in frame.columns):
        return frame.iloc[positions]
    columns = {i: pd.Series(taken_array(frame.iloc[:, i], positions)) for i in range(frame.shape[1])}
    return pd.DataFrame(columns, copy=False).set_axis(frame.columns, axis=1).set_axis(frame.index[positions])


def _few(positions: np.ndarray, text: ArrowStringArray) -> bool:
    """Whether taking ``positions`` of ``text`` chunk by chunk is cheaper: few positions of a text in several chunks
    (pyarrow joins the chunks into one array first, a copy of every value however few are taken)."""
    return 8 * len(positions) < len(text) and arrow_text(text).num_chunks > 1


def _chunk_by_chunk(data: pa.ChunkedArray, at: np.ndarray) -> pa.Array:
    """``data`` at positions ``at`` (-1: missing), taken from each chunk in turn.

    Example::

        >>> _chunk_by_chunk(pa.chunked_array([["a", "b"], ["c"]]), np.array([2, -1, 0])).to_pylist()
        ['c', None, 'a']
    """
    lengths = np.array([len(chunk) for chunk in data.chunks], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    missing = at < 0
    at = np.where(missing, 0, at)
    chunk = np.searchsorted(starts, at, side="right") - 1  # the chunk of each position
    by_chunk = np.argsort(chunk, kind="stable")
    bounds = np.searchsorted(chunk[by_chunk], np.arange(len(lengths) + 1))
    parts = [data.chunk(i).take(at[by_chunk[bounds[i]:bounds[i + 1]]] - starts[i]) for i in range(len(lengths)) if bounds[i + 1] > bounds[i]]
    taken = pa.concat_arrays(parts) if parts else pa.array([], type=data.type)
    back = np.empty_like(by_chunk)
    back[by_chunk] = np.arange(len(by_chunk))  # where each position's value is among those taken
    if missing.any():
        return taken.take(pa.array(back, mask=missing))
    return taken if np.array_equal(back, np.arange(len(back))) else taken.take(back)


def taken(values: pd.Series, at: np.ndarray) -> np.ndarray:
    """``values`` at positions ``at`` (-1: missing), as a left merge gives a column: whole numbers as floats and
    flags as objects when one is missing, an extension type's missing value in it.

    Example::

        >>> taken(pd.Series([3, 4]), np.array([1, -1])).tolist(), taken(pd.Series([3, 4]), np.array([1, 0])).tolist()
        ([4.0, nan], [4, 3])
    """
    if isinstance(values.dtype, np.dtype) or values.dtype == TEXT:
        return pd.api.extensions.take(values.to_numpy(), at, allow_fill=True)
    return pd.api.extensions.take(values.array, at, allow_fill=True).to_numpy()


def _ordered(frame: pd.DataFrame, columns: Sequence[str], descending: Sequence[str] = ()) -> pd.DataFrame:
    """Stable sort with missing values last, as dplyr's arrange; ``descending`` columns high to low."""
    if not columns:
        return frame
    ascending = [c not in descending for c in columns]
    return frame.sort_values(list(columns), ascending=ascending, kind="mergesort", na_position="last")


def derive_vars_merged(
    base: pd.DataFrame,
    other: pd.DataFrame,
    value: pd.Series,
    by: Sequence[str] = ("USUBJID",),
    where: pd.Series | None = None,
    order: Sequence[str] = (),
    mode: str = "first",
) -> pd.Series:
    """The ``value`` of the first/last record of ``other`` per ``by`` group, for each ``base`` record.

    Example: ``TRTSDT`` = the date of the first EX record with a dose::

        >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"]})
        >>> ex = pd.DataFrame({"USUBJID": ["1", "1", "2"], "EXSTDTC": ["2024-01-08", "2024-01-01", "2024-02-01"], "EXDOSE": [1, 0, 2]})
        >>> derive_vars_merged(adsl, ex, ex["EXSTDTC"], where=ex["EXDOSE"] > 0, order=["EXSTDTC"]).tolist()
        ['2024-01-08', '2024-02-01']
    """
    return pd.Series(taken(value, merged_records(base, other, by, where, order, mode)), index=base.index)


def merged_records(
    base: pd.DataFrame,
    other: pd.DataFrame,
    by: Sequence[str] = ("USUBJID",),
    where: pd.Series | None = None,
    order: Sequence[str] = (),
    mode: str = "first",
) -> np.ndarray:
    """For each ``base`` record, the position in ``other`` of the first/last record (in ``order``, missing values
    last, ties in input order) of its ``by`` group among the records meeting ``where``; -1 where there is none.

    The records :func:`derive_vars_merged` takes its value from: one pick serves every value merged alike.

    Example::

        >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"]})
        >>> ex = pd.DataFrame({"USUBJID": ["1", "1", "2", "1"], "EXDOSE": [1.0, 2.0, 0.0, 2.0]})
        >>> merged_records(adsl, ex, where=ex["EXDOSE"] > 0, order=["EXDOSE"], mode="last").tolist()
        [3, -1, -1]
    """
    by = list(by)
    rows = None if where is None else np.flatnonzero(where.to_numpy(dtype=bool))
    picked = extreme_positions(other, by, order, mode, rows=rows)
    keys = pd.DataFrame({name: other[name].take(picked) for name in by}, copy=False)
    return np.append(picked, -1)[matched_positions(base, keys, by, "many_to_one")]  # -1 stays -1


def derive_var_merged_summary(
    base: pd.DataFrame,
    other: pd.DataFrame,
    value: pd.Series,
    summary: str,
    by: Sequence[str] = ("USUBJID",),
    where: pd.Series | None = None,
) -> pd.Series:
    """``summary`` (max, min, sum, mean, count) of ``value`` over ``other``'s records per ``by`` group.

    Example: the last date a subject was seen in AE::

        >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"]})
        >>> ae = pd.DataFrame({"USUBJID": ["1", "1"], "ADT": [5.0, 9.0]})
        >>> derive_var_merged_summary(adsl, ae, ae["ADT"], "max").tolist()
        [9.0, nan]
    """
    by = list(by)
    value = value if value.index.equals(other.index) else value.reindex(other.index)
    groups, first = by_groups(other, by)  # summarised per group number, then matched by the group's first record
    kept = slice(None) if where is None else where.to_numpy(dtype=bool)
    summarised = value.iloc[kept].groupby(groups[kept]).agg(summary)
    keys = pd.DataFrame({name: other[name].take(first[summarised.index.to_numpy()]) for name in by}, copy=False)
    return pd.Series(taken(summarised, matched_positions(base, keys, by, "many_to_one")), index=base.index)


def derive_vars_joined(
    base: pd.DataFrame,
    other: pd.DataFrame,
    value,
    join_where,
    by: Sequence[str] = ("USUBJID",),
    order: Sequence[str] = (),
    mode: str = "last",
    pairs_at_once: int = 250_000,
    reads: tuple[Collection[str], Collection[str]] | None = None,
) -> pd.Series:
    """For each ``base`` record, ``value`` of the first/last ``other`` record of its ``by`` group meeting
    ``join_where``; both are functions of the joined frame (base and other variables side by side).

    The base records are joined a few at a time, about ``pairs_at_once`` base-other pairs (rows of the
    joined frame) each time, so that the joined frame of a large study never is in memory whole. ``reads``: the
    columns ``join_where`` and ``value`` read, when known; then a pair's other columns are not taken, and
    ``value``'s only for the pairs picked (``value`` is evaluated on those alone in any case).

    Example: the dose of the last administration on or before each event::

        >>> ae = pd.DataFrame({"USUBJID": ["1", "1"], "ASTDT": [5.0, 20.0]})
        >>> ex = pd.DataFrame({"USUBJID": ["1", "1"], "EXDT": [1.0, 15.0], "DOSE": [10.0, 8.0]})
        >>> derive_vars_joined(ae, ex, lambda j: j["DOSE"], lambda j: j["EXDT"] <= j["ASTDT"], order=["EXDT"]).tolist()
        [10.0, 8.0]
    """
    by = list(by)
    right = other.drop(columns=[c for c in other.columns if c in base.columns and c not in by])
    pairs = _Pairs(base, right, by)
    ranks = [(name, sort_codes(right[name]), True) if name in right.columns else (name, sort_codes(base[name]), False) for name in order]
    where_reads, value_reads = reads if reads is not None else (None, None)
    result = np.full(len(base), np.nan, dtype=object)
    for rows in _joined_parts(pairs.counts, pairs_at_once):
        at_left, at_right = pairs.positions(rows)
        kept = np.flatnonzero(join_where(pairs.joined(at_left, at_right, where_reads)).to_numpy(dtype=bool))
        left, right_at = at_left[kept], at_right[kept]
        keys = pd.DataFrame({"@base": left, **{name: codes[right_at if on_right else left] for name, codes, on_right in ranks}}, copy=False)
        picked = extreme_positions(keys, ["@base"], order, mode)  # (the order of the other records worked out once, above)
        chosen = pairs.joined(left[picked], right_at[picked], value_reads)
        result[left[picked]] = pd.Series(value(chosen), index=chosen.index).to_numpy()
    return pd.Series(result, index=base.index).infer_objects()


class _Pairs:
    """The records of ``left`` and ``right`` with the same ``by`` values, side by side, as an inner merge pairs them:
    each left record in turn with the right records of its group in their order (a missing value matching a missing one).

    Example::

        >>> pairs = _Pairs(pd.DataFrame({"ID": ["1", "2", None], "A": [1, 2, 3]}), pd.DataFrame({"ID": [None, "1", "1"], "B": [7, 8, 9]}), ["ID"])
        >>> pairs.counts.tolist(), pairs.joined(*pairs.positions(slice(0, 3)))[["A", "B"]].values.tolist()
        ([2, 0, 1], [[1, 8], [1, 9], [3, 7]])
    """

    def __init__(self, left: pd.DataFrame, right: pd.DataFrame, by: list[str]):
        self.left, self.right, self.by = left, right, by
        codes = stacked_codes([left[name] for name in by], [right[name] for name in by])
        self.codes, right_codes = codes[: len(left)], codes[len(left):]
        self.in_group = np.argsort(right_codes, kind="stable")  # right records by group, in their order within it
        sizes = np.bincount(right_codes, minlength=int(codes.max()) + 1 if len(codes) else 0)
        self.starts = np.cumsum(sizes) - sizes
        self.counts = sizes[self.codes]  # each left record's number of pairs

    def positions(self, rows: slice) -> tuple[np.ndarray, np.ndarray]:
        """The pairs of the left records at ``rows``: the position of each pair's left record and right record."""
        counts = self.counts[rows]
        total = int(counts.sum())
        first = np.cumsum(counts) - counts
        within = np.arange(total) - np.repeat(first, counts)
        at_left = np.repeat(np.arange(len(self.counts))[rows], counts)
        return at_left, self.in_group[np.repeat(self.starts[self.codes[rows]], counts) + within]

    def joined(self, at_left: np.ndarray, at_right: np.ndarray, columns: Collection[str] | None = None) -> pd.DataFrame:
        """The pairs at ``at_left`` and ``at_right``: left columns, then the right ones but ``by`` (those named by
        ``columns``, when given)."""
        left = [name for name in self.left.columns if columns is None or name in columns]
        right = [name for name in self.right.columns if name not in self.by and (columns is None or name in columns)]
        frame = {name: self.left[name].take(at_left).reset_index(drop=True) for name in left}
        frame |= {name: self.right[name].take(at_right).reset_index(drop=True) for name in right}
        return pd.DataFrame(frame, index=pd.RangeIndex(len(at_left)), copy=False)


def _joined_parts(pairs: np.ndarray, pairs_at_once: int) -> list[slice]:
    """Consecutive slices of the records with ``pairs`` pairs each, about ``pairs_at_once`` pairs a slice (at least one slice).

    Example::

        >>> _joined_parts(np.array([2, 1, 2, 0]), 3)
        [slice(0, 2, None), slice(2, 4, None)]
    """
    part = (np.cumsum(pairs) - pairs) // max(pairs_at_once, 1)  # the part each record's first pair falls in
    edges = [0, *(np.flatnonzero(np.diff(part)) + 1).tolist(), len(pairs)]
    return [slice(start, end) for start, end in zip(edges, edges[1:]) if end > start] or [slice(0, 0)]


def derive_vars_dy(date: pd.Series, reference: pd.Series) -> pd.Series:
    """Relative day (--DY) of a SAS date against a reference date: day 1 is the reference day, no day 0.

    Example::

        >>> derive_vars_dy(pd.Series([100.0, 99.0, 110.0]), pd.Series([100.0] * 3)).tolist()
        [1.0, -1.0, 11.0]
    """
    days = date - reference
    return days.where(days < 0, days + 1)


def derive_var_extreme_flag(
    frame: pd.DataFrame,
    by: Sequence[str],
    order: Sequence[str],
    mode: str = "first",
    where: pd.Series | None = None,
    descending: Sequence[str] = (),
) -> pd.Series:
    """``Y`` on the first (or last) record of each ``by`` group in ``order``, among records meeting ``where``.

    ``descending`` names the order variables sorted from high to low (admiral's ``desc()``).

    Example: first occurrence of each preferred term per subject::

        >>> ae = pd.DataFrame({"USUBJID": ["1", "1", "1"], "AEDECOD": ["RASH", "RASH", "COUGH"], "ASTDT": [5.0, 2.0, 9.0]})
        >>> derive_var_extreme_flag(ae, ["USUBJID", "AEDECOD"], ["ASTDT"]).tolist()
        [nan, 'Y', 'Y']
    """
    rows = None if where is None else np.flatnonzero(where.to_numpy(dtype=bool))
    picked = extreme_positions(frame, by, order, mode, descending, rows)
    return _flag(pd.Series(frame.index.isin(frame.index[picked]), index=frame.index))


def derive_var_obs_number(frame: pd.DataFrame, by: Sequence[str], order: Sequence[str] = ()) -> pd.Series:
    """1, 2, ... within each ``by`` group, in ``order`` (ASEQ and the like).

    Example::

        >>> derive_var_obs_number(pd.DataFrame({"USUBJID": ["1", "1", "2"], "ADT": [9.0, 3.0, 1.0]}), ["USUBJID"], ["ADT"]).tolist()
        [2.0, 1.0, 1.0]
    """
    groups = [sort_codes(frame[name]) for name in by]
    ordered = ordered_positions([*groups, *(sort_codes(frame[name]) for name in order)])
    if not len(ordered):
        return pd.Series(np.zeros(0), index=frame.index)
    starts = _group_starts(groups, ordered)
    within = np.arange(len(ordered)) - np.repeat(starts, np.diff(np.append(starts, len(ordered))))  # 0, 1, ... in each group
    numbers = np.empty(len(ordered))
    numbers[ordered] = within + 1
    return pd.Series(numbers, index=frame.index)


def derive_var_trtemfl(
    start: pd.Series,
    end: pd.Series | None,
    trt_start: pd.Series,
    trt_end: pd.Series | None = None,
    end_window: int = 0,
    end_before: pd.Series | None = None,
) -> pd.Series:
    """Treatment-emergent flag, as admiral ``derive_var_trtemfl`` (SAS dates in, ``Y``/missing out).

    ``Y`` when the event starts on or after the first dose and no later than the last dose +
    ``end_window`` days (and before ``end_before``, e.g. new anticancer therapy); an event with
    no start counts when it ends on or after the first dose or has no end. Untreated subjects: none.

    Example: 28-day window after a last dose on day 10::

        >>> derive_var_trtemfl(pd.Series([0.0, 1.0, 38.0, 39.0]), None, pd.Series([1.0] * 4), pd.Series([10.0] * 4), 28).tolist()
        [nan, 'Y', 'Y', nan]
    """
    in_window = start >= trt_start
    if trt_end is not None:
        in_window &= (start <= trt_end + end_window) | trt_end.isna()
    if end_before is not None:
        in_window &= (start < end_before) | end_before.isna()
    no_start = start.isna()
    if end is not None:
        no_start &= end.isna() | (end >= trt_start)
    return _flag((in_window | no_start) & trt_start.notna())


def derive_var_base(frame: pd.DataFrame, by: Sequence[str], source: str = "AVAL", flag: str = "ABLFL",
                    where: pd.Series | None = None) -> pd.Series:
    """BASE: the ``source`` value of the baseline record (``flag`` == Y) in each ``by`` group.

    ``where`` restricts the derivation (admiral's ``restrict_derivation``): only records meeting it
    get a value, and only from a baseline record meeting it; the others are missing.

    Example::

        >>> vs = pd.DataFrame({"USUBJID": ["1", "1"], "PARAMCD": ["SYSBP"] * 2, "AVAL": [120.0, 131.0], "ABLFL": ["Y", None]})
        >>> derive_var_base(vs, ["USUBJID", "PARAMCD"]).tolist()
        [120.0, 120.0]
        >>> derive_var_base(vs, ["USUBJID", "PARAMCD"], where=pd.Series([True, False])).tolist()
        [120.0, nan]
    """
    if where is not None:
        inside = where.fillna(False).to_numpy(dtype=bool)
        restricted = derive_var_base(frame.loc[inside], by, source, flag)
        return restricted.reindex(frame.index)
    return pd.Series(taken(frame[source], baseline_records(frame, by, flag)), index=frame.index)


def baseline_records(frame: pd.DataFrame, by: Sequence[str], flag: str = "ABLFL") -> np.ndarray:
    """For each record, the position of the baseline record (``flag`` == Y) of its ``by`` group, -1 for none: the
    record :func:`derive_var_base` takes each baseline value from. More than one baseline record in a group is an error.

    Example::

        >>> vs = pd.DataFrame({"USUBJID": ["1", "1", "2"], "ABLFL": [None, "Y", None]})
        >>> baseline_records(vs, ["USUBJID"]).tolist()
        [1, 1, -1]
    """
    by = list(by)
    rows = np.flatnonzero(frame[flag].eq("Y").to_numpy(dtype=bool, na_value=False))
    baseline = pd.DataFrame({name: frame[name].take(rows) for name in by}, index=rows, copy=False)
    codes = _group_codes([baseline[name] for name in by], len(rows))
    duplicated = np.bincount(codes, minlength=1)[codes] > 1 if len(rows) else np.zeros(0, dtype=bool)
    if duplicated.any():
        raise ValueError(f"more than one baseline record ({flag} = Y) for {dict(baseline.loc[duplicated].iloc[0])}")
    return np.append(rows, -1)[matched_positions(frame, baseline, by)]  # -1 stays -1


def derive_var_chg(value: pd.Series, base: pd.Series) -> pd.Series:
    """CHG = AVAL - BASE (missing when either is).

    Example::

        >>> derive_var_chg(pd.Series([131.0, 120.0]), pd.Series([120.0, None])).tolist()
        [11.0, nan]
    """
    return value - base


def derive_var_cumulative(frame: pd.DataFrame, value: str, by: Sequence[str], order: Sequence[str]) -> pd.Series:
    """Running total of ``value`` within each ``by`` group, in ``order`` (missing counts as 0).

    Example: DLTs so far at each dose level::

        >>> cohorts = pd.DataFrame({"DOSELVL": [3, 3, 4], "COHORTN": [3, 4, 5], "NDLT": [1.0, 0.0, 1.0]})
        >>> derive_var_cumulative(cohorts, "NDLT", ["DOSELVL"], ["COHORTN"]).tolist()
        [1.0, 1.0, 1.0]
    """
    ordered = _ordered(frame[[*by, *order, value]], [*by, *order])
    running = ordered[value].fillna(0).groupby([ordered[b] for b in by], sort=False).cumsum()
    return running.reindex(frame.index).astype(float)


#: The 3+3 decisions, after each cohort, from the evaluable subjects and DLTs so far at its dose level.
ESCALATE, EXPAND, EXCEEDED = "ESCALATE", "EXPAND", "STOP: MTD EXCEEDED"


def derive_var_escalation_decision(
    evaluable: pd.Series, dlt: pd.Series, full_cohort: int = 6, max_tolerated: int = 1, exceeded_at: int = 2
) -> pd.Series:
    """The 3+3 decision after a cohort, from the cumulative evaluable subjects and DLTs at its dose level.

    With the default thresholds: 0 of 3 -> ESCALATE; 1 of 3 -> EXPAND (to ``full_cohort`` = 6); at most
    ``max_tolerated`` = 1 of 6 -> ESCALATE; ``exceeded_at`` = 2 or more -> STOP: MTD EXCEEDED (the previous
    level is the MTD candidate).

    Example::

        >>> derive_var_escalation_decision(pd.Series([3.0, 3.0, 6.0, 3.0, 6.0]), pd.Series([0.0, 1.0, 1.0, 2.0, 2.0])).tolist()
        ['ESCALATE', 'EXPAND', 'ESCALATE', 'STOP: MTD EXCEEDED', 'STOP: MTD EXCEEDED']
    """
    decision = np.select(
        [dlt >= exceeded_at, (dlt >= 1) & (dlt <= max_tolerated) & (evaluable < full_cohort), dlt <= max_tolerated],
        [EXCEEDED, EXPAND, ESCALATE], default=None,
    )  # type: ignore[call-overload]  # numpy takes None (an object scalar) as a choice/default; its stubs do not
    return pd.Series(decision, index=evaluable.index, dtype="str").where(evaluable.notna())


def derive_var_mtd(
    level: pd.Series, evaluable: pd.Series, dlt: pd.Series, full_cohort: int = 6, max_tolerated: int = 1, exceeded_at: int = 2
) -> pd.Series:
    """The maximum tolerated dose level, the same on every record: the highest level below the lowest
    level whose DLTs reach ``exceeded_at`` (2), with ``full_cohort`` (6) or more evaluable subjects and at
    most ``max_tolerated`` (1) DLT there.

    Missing when no level qualifies (e.g. the level below was never expanded to 6). ``evaluable``
    and ``dlt`` are the cumulative counts at each record's level.

    Example::

        >>> derive_var_mtd(pd.Series([1, 2, 2, 3]), pd.Series([3.0, 3.0, 6.0, 3.0]), pd.Series([0.0, 1.0, 1.0, 2.0])).tolist()
        [2.0, 2.0, 2.0, 2.0]
    """
    exceeded = level[dlt >= exceeded_at]
    ceiling = exceeded.min() if len(exceeded) else np.inf
    tolerated = level[(evaluable >= full_cohort) & (dlt <= max_tolerated) & (level < ceiling)]
    mtd = float(tolerated.max()) if len(tolerated) else np.nan
    return pd.Series(mtd, index=level.index, dtype=float)
