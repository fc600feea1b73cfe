"""The named groups of a regular expression over text, matched in C (pyarrow's RE2), not per value in Python.

``Series.str.extract`` on pandas' Arrow-backed strings matches value by value in Python; on the columns
of a large extract that dominates date handling. :func:`extract_groups` gives the same frame for the
patterns this package uses: every group named and none able to match empty text (RE2 reports a group
that took no part in the match as empty text, which is read here as missing). Classes are ASCII, as
RE2's: ``\\d`` is 0-9 and ``\\s`` blank, tab and line breaks.

Example::

    >>> import pandas as pd
    >>> extract_groups(pd.Series(["2024-03", "x", None]), r"^(?P<y>\\d{4})(?:-(?P<m>\\d{2}))?$").values.tolist()
    [['2024', '03'], [nan, nan], [nan, nan]]
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def extract_groups(text: pd.Series, regex: str) -> pd.DataFrame:
    """One text column per named group of ``regex`` (missing where the value does not match or the group is
    not part of the match), on ``text``'s index."""
    found = pc.extract_regex(pa.array(text.astype("str"), type=pa.large_string()), regex)
    columns = {}
    for position in range(found.type.num_fields):
        group = pc.struct_field(found, [position])
        columns[found.type.field(position).name] = pd.Series(pc.if_else(pc.equal(group, ""), None, group), index=text.index, dtype="str")
    return pd.DataFrame(columns, index=text.index)
