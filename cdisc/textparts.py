"""The named groups of a regular expression over text, matched in C (pyarrow's RE2), not per value in Python.

``Series.str.extract`` on pandas' Arrow-backed strings matches value by value in Python; on the columns
of a large extract that dominates date handling. :func:`extract_groups` gives the same frame for the
patterns this package uses: every group named and none able to match empty text (RE2 reports a group
that took no part in the match as empty text, which is read here as missing). RE2's classes are ASCII
(``\\d`` is 0-9), Python's are not, so values holding anything but printable ASCII are matched by Python's
``re`` as before. :func:`extract_arrays` does the same on a pyarrow array and gives pyarrow arrays, for
callers that stay in pyarrow (a pandas call costs more than a pyarrow one on the few distinct values of a column).

Example::

    >>> import pandas as pd
    >>> extract_groups(pd.Series(["2024-03", "x", None]), r"^(?P<y>\\d{4})(?:-(?P<m>\\d{2}))?$").values.tolist()
    [['2024', '03'], [nan, nan], [nan, nan]]
    >>> extract_groups(pd.Series(["\u0662\u0660\u0662\u0664"]), r"^(?P<y>\\d{4})$").values.tolist()  # Arabic-Indic digits, as re reads them
    [['\u0662\u0660\u0662\u0664']]
    >>> extract_arrays(pa.array(["2024-03", None]), r"^(?P<y>\\d{4})(?:-(?P<m>\\d{2}))?$")["m"].to_pylist()
    ['03', None]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def extract_groups(text: pd.Series, regex: str) -> pd.DataFrame:
    """One text column per named group of ``regex`` (missing where the value does not match or the group is
    not part of the match), on ``text``'s index."""
    values = pa.array(text.astype("str"), type=pa.large_string())
    columns = {name: pd.Series(group, index=text.index, dtype="str") for name, group in extract_arrays(values, regex).items()}
    return pd.DataFrame(columns, index=text.index)


def extract_arrays(values: pa.Array, regex: str) -> dict[str, pa.Array]:
    """:func:`extract_groups` of a pyarrow string array: one string array per named group, null where missing."""
    found = pc.extract_regex(values, regex)
    columns = {}
    for position in range(found.type.num_fields):
        group = pc.struct_field(found, [position])
        columns[found.type.field(position).name] = pc.if_else(pc.equal(group, ""), None, group)
    other = pc.fill_null(pc.match_substring_regex(values, r"[^\x20-\x7E]"), False).to_numpy(zero_copy_only=False)
    if other.any():
        rows = np.flatnonzero(other)
        matched = pd.Series(values.take(pa.array(rows)).to_pylist(), dtype="str").str.extract(regex)
        for name, column in columns.items():
            merged = column.to_numpy(zero_copy_only=False).astype(object)
            merged[rows] = matched[name].astype(object).where(matched[name].notna(), None).to_numpy()
            columns[name] = pa.array(merged, type=column.type)
    return columns


def part_numbers(part: pa.Array) -> np.ndarray:
    """A matched group's numbers (float), NaN where it is missing or ``-`` (ISO 8601's unknown part), digits other than
    0-9 (which Python's ``re`` matches as digits) read as Python reads them.

    >>> part_numbers(pa.array(["09", "-", None, "\u0662"])).tolist()
    [9.0, nan, nan, 2.0]
    """
    known = pc.if_else(pc.fill_null(pc.equal(part, "-"), False), pa.scalar(None, part.type), part)
    try:
        return pc.cast(known, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return pd.Series(known, dtype="str").astype(float).to_numpy()
