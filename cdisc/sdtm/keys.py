"""A dataset's records in the order of its keys, and the records that share their keys, from one sort.

Each key column becomes the rank of its values among the column's distinct values (missing first, as pandas'
``sort_values(keys, kind="mergesort", na_position="first")`` puts them), text ranked by Arrow instead of through
a pandas Categorical; the ranks of all keys are one integer per record (or, should that overflow, several keys of
``np.lexsort``), sorted stably once; the records sharing their keys are the neighbours in that order with the same
ranks (as ``DataFrame.duplicated``: missing equals missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.arrowtext import TEXT, arrow_codes, arrow_text, is_text_per_record, text_ranks

__all__ = ["first_in_group", "group_order", "key_order"]



def key_order(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(the positions of ``frame``'s records sorted by ``keys``, whether each record shares its keys with another).

    >>> frame = pd.DataFrame({"K": ["b", "a", None, "a"], "N": [1.0, 2.0, 3.0, 2.0]})
    >>> order, repeated = key_order(frame, ["K", "N"])
    >>> order.tolist(), repeated.tolist()
    ([2, 1, 3, 0], [False, True, False, True])
    """
    columns = [frame[k] for k in keys]
    if len(keys) < 2 or not all(_simple(c) for c in columns):  # as pandas sorts and compares them
        order = np.asarray(frame.reset_index(drop=True).sort_values(keys, kind="mergesort", na_position="first").index)
        return order, frame.duplicated(keys, keep=False).to_numpy(bool)
    ranks = [_ranks(c) for c in columns]
    combined = _combined(ranks)
    if combined is not None:  # one stable sort of one integer per record
        order = np.argsort(combined, kind="stable")
        ordered = combined[order]
        same = ordered[1:] == ordered[:-1]
    else:
        order = np.lexsort(ranks[::-1])
        same = np.ones(max(len(frame) - 1, 0), bool)
        for rank in ranks:
            ordered = rank[order]
            same &= ordered[1:] == ordered[:-1]
    repeated = np.zeros(len(frame), bool)
    repeated[order[1:][same]] = True
    repeated[order[:-1][same]] = True
    return order, repeated


def group_order(frame: pd.DataFrame, by: list[str], order: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(the positions of ``frame``'s records sorted by ``by`` then ``order``, as :func:`key_order` sorts; for each
    record in that order, whether it starts a ``by`` group (missing equals missing)).

    >>> frame = pd.DataFrame({"USUBJID": ["B", "A", "B", "A"], "--DTC": ["2024-02", "2024-03", "2024-01", None]})
    >>> positions, starts = group_order(frame, ["USUBJID"], ["--DTC"])
    >>> positions.tolist(), starts.tolist()
    ([3, 1, 2, 0], [True, False, True, False])
    """
    keys = [*by, *order]
    columns = [frame[k] for k in keys]
    starts = np.ones(len(frame), bool)
    if len(keys) < 2 or not all(_simple(c) for c in columns):  # as pandas sorts and groups them
        positions = np.asarray(frame.reset_index(drop=True).sort_values(keys, kind="mergesort", na_position="first").index)
        groups = frame.groupby(by, sort=False, dropna=False).ngroup().to_numpy()[positions]
        starts[1:] = groups[1:] != groups[:-1]
        return positions, starts
    ranks = [_ranks(c) for c in columns]
    combined = _combined(ranks)
    positions = np.argsort(combined, kind="stable") if combined is not None else np.lexsort(ranks[::-1])
    same = np.ones(max(len(frame) - 1, 0), bool)
    for rank in ranks[: len(by)]:
        ordered = rank[positions]
        same &= ordered[1:] == ordered[:-1]
    starts[1:] = ~same
    return positions, starts


def first_in_group(frame: pd.DataFrame, by: list[str]) -> np.ndarray:
    """For each record, the position of the first record with the same values of ``by`` (missing equals missing,
    as ``DataFrame.duplicated``); a record first of its group has its own position.

    >>> first_in_group(pd.DataFrame({"A": ["x", "y", "x", None, None], "B": [1.0, 1.0, 1.0, 2.0, 2.0]}), ["A", "B"]).tolist()
    [0, 1, 0, 3, 3]
    """
    group = np.zeros(len(frame), np.int64)
    for name in by:
        column = frame[name]
        if column.dtype == TEXT:
            codes = arrow_codes(arrow_text(column.array))[0].astype(np.int64)
        elif is_text_per_record(column.dtype):  # (each distinct value one category: its code)
            codes = column.cat.codes.to_numpy().astype(np.int64)
        else:
            codes = pd.factorize(column.to_numpy())[0].astype(np.int64)
        size = int(codes.max()) + 2 if len(codes) else 1
        if int(group.max(initial=0)) >= 2**62 // size:  # renumber before the product could overflow
            group = np.unique(group, return_inverse=True)[1].reshape(-1).astype(np.int64)
        group = group * size + codes + 1
    _, first, inverse = np.unique(group, return_index=True, return_inverse=True)
    return first[inverse.reshape(-1)]


def _combined(ranks: list[np.ndarray]) -> np.ndarray | None:
    """The ranks of several keys as one integer sorting as they do together (None if it could overflow)."""
    combined = np.zeros(len(ranks[0]), np.int64)
    scale = 1
    for rank in reversed(ranks):
        size = int(rank.max()) + 2 if len(rank) else 1  # -1 (missing) .. max
        if scale * size >= 2**62:
            return None
        combined += (rank + 1) * scale
        scale *= size
    return combined


def _simple(column: pd.Series) -> bool:
    """Text, or numbers whose ranks sort as pandas sorts them (it sorts missing numbers as -inf: not beside -inf)."""
    if column.dtype == TEXT:
        return True
    if column.dtype.kind in "iub":
        return True
    if column.dtype == np.float64:
        values = column.to_numpy()
        return not (np.isneginf(values).any() and np.isnan(values).any())
    return False


def _ranks(column: pd.Series) -> np.ndarray:
    """Each value's rank among the column's distinct values, missing -1 (first): equal ranks are equal values."""
    if column.dtype == TEXT:
        return text_ranks(column)[0]
    return pd.factorize(column.to_numpy(), sort=True)[0].astype(np.int64, copy=False)
