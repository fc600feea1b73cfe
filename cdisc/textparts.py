"""The named groups of a regular expression over text, matched in C (pyarrow's RE2), not per value in Python.

``Series.str.extract`` on pandas' Arrow-backed strings matches value by value in Python; on the columns
of a large extract that dominates date handling. :func:`extract_groups` gives the same frame for the
patterns this package uses: every group named and none able to match empty text (RE2 reports a group
that took no part in the match as empty text, which is read here as missing). RE2's classes are ASCII
(``\\d`` is 0-9), Python's are not, so values holding anything but printable ASCII are matched by Python's
``re`` as before.

Example::

    >>> import pandas as pd
    >>> extract_groups(pd.Series(["2024-03", "x", None]), r"^(?P<y>\\d{4})(?:-(?P<m>\\d{2}))?$").values.tolist()
    [['2024', '03'], [nan, nan], [nan, nan]]
    >>> extract_groups(pd.Series(["\u0662\u0660\u0662\u0664"]), r"^(?P<y>\\d{4})$").values.tolist()  # Arabic-Indic digits, as re reads them
    [['\u0662\u0660\u0662\u0664']]
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def extract_groups(text: pd.Series, regex: str) -> pd.DataFrame:
    """One text column per named group of ``regex`` (missing where the value does not match or the group is
    not part of the match), on ``text``'s index."""
    values = pa.array(text.astype("str"), type=pa.large_string())
    found = pc.extract_regex(values, regex)
    columns = {}
    for position in range(found.type.num_fields):
        group = pc.struct_field(found, [position])
        columns[found.type.field(position).name] = pd.Series(pc.if_else(pc.equal(group, ""), None, group), index=text.index, dtype="str")
    parts = pd.DataFrame(columns, index=text.index)
    other = pc.fill_null(pc.match_substring_regex(values, r"[^\x20-\x7E]"), False).to_numpy(zero_copy_only=False)
    if other.any():
        parts.loc[other] = text[other].astype("str").str.extract(regex).to_numpy()
    return parts
