"""CSV files exactly as ``DataFrame.to_csv(path, index=False, lineterminator="\\n")`` writes them, written by Arrow.

pandas formats every value in Python and writes the rows through the ``csv`` module; for the lineage files
of a large study (millions of rows) that dominates. Arrow's CSV writer is vectorised; it gives the same
bytes when no value needs quoting, numbers are written as pandas writes them (floats in numpy's shortest
round-trip form, ``3.0``, missing as nothing) and the header is written as pandas writes it. Frames with
other columns (objects, booleans, dates ...), with a value holding a comma, quote or line break, or with a
single column (where an empty value is quoted) are written by pandas.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

__all__ = ["write_csv"]

_QUOTED = r'[,"\r\n]'  # characters that make the csv module quote a value


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` as ``frame.to_csv(path, index=False, lineterminator="\\n")`` does.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "lineage.csv"
    >>> write_csv(pd.DataFrame({"USUBJID": ["S-1", None], "@row": [2, 14], "record": [1.0, np.nan]}), path)
    >>> path.read_text()
    'USUBJID,@row,record\\nS-1,2,1.0\\n,14,\\n'
    """
    table = _arrow_table(frame)
    if table is None:
        frame.to_csv(path, index=False, lineterminator="\n")
        return
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(frame.columns)
    with open(path, "wb") as handle:
        handle.write(header.getvalue().encode("utf-8"))
        pacsv.write_csv(table, handle, pacsv.WriteOptions(include_header=False, quoting_style="none"))


def _arrow_table(frame: pd.DataFrame) -> pa.Table | None:
    """The frame's values as Arrow writes them like pandas, or None when only pandas writes them so."""
    if frame.shape[1] < 2 or not all(isinstance(name, str) for name in frame.columns):
        return None
    arrays = []
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        dtype = column.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "iu":
            arrays.append(pa.array(column.to_numpy()))
        elif isinstance(dtype, np.dtype) and dtype.kind == "f":
            numbers = column.to_numpy()
            arrays.append(pa.array(numbers.astype(str), mask=np.isnan(numbers)))  # numpy's repr, as pandas writes
        elif isinstance(dtype, pd.StringDtype):
            text = pa.array(column)
            if isinstance(text, pa.ChunkedArray):  # Arrow's writer writes memory garbage for a text column whose first chunk is empty
                text = text.combine_chunks()
            if pc.any(pc.match_substring_regex(text, _QUOTED)).as_py():
                return None
            arrays.append(text)
        else:
            return None
    return pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])
