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

_QUOTED = (b",", b'"', b"\r", b"\n")  # characters that make the csv module quote a value
_WHOLE = 1e16  # whole numbers below this are written in full with ".0" (from 1e16 on, numpy writes 1e+16)


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
            arrays.append(_float_text(column.to_numpy()))
        elif isinstance(dtype, pd.StringDtype):
            text = pa.array(column)
            if isinstance(text, pa.ChunkedArray):  # Arrow's writer writes memory garbage for a text column whose first chunk is empty
                text = text.combine_chunks()
            if _needs_quotes(text):
                return None
            arrays.append(text)
        else:
            return None
    return pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])


def _needs_quotes(text: pa.Array) -> bool:
    """Whether a value of an Arrow string array holds a character the csv module quotes (looked for in the
    bytes of all its values at once; a missing value's bytes, if it has any, count too)."""
    offsets = np.frombuffer(text.buffers()[1], np.int64 if pa.types.is_large_string(text.type) else np.int32)
    first, last = offsets[text.offset], offsets[text.offset + len(text)]
    data = text.buffers()[2]
    values = b"" if data is None else data.slice(first, last - first).to_pybytes()
    return any(character in values for character in _QUOTED)


def _float_text(numbers: np.ndarray) -> pa.Array:
    """Floats as pandas writes them (numpy's shortest repr: ``3.0``, ``0.1``, ``1e+16``), missing as null;
    whole numbers are formatted by Arrow as integers and given ``.0``, the others by numpy.

    >>> _float_text(np.array([3.0, -0.0, np.nan, 0.1, 1e16, -7.0])).to_pylist()
    ['3.0', '-0.0', None, '0.1', '1e+16', '-7.0']
    """
    missing = np.isnan(numbers)
    whole = (numbers == np.trunc(numbers)) & (np.abs(numbers) < _WHOLE) & ~((numbers == 0) & np.signbit(numbers))
    integers = pa.array(np.where(whole, numbers, 0).astype(np.int64), mask=missing)
    text = pc.binary_join_element_wise(integers.cast(pa.string()), ".0", "")
    other = ~whole & ~missing  # fractions, -0.0, infinities, 1e16 and over
    if other.any():
        text = pc.replace_with_mask(text, pa.array(other), pa.array(numbers[other].astype(str)))
    return text
