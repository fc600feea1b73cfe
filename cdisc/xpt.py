"""SAS XPORT version 5 (TS-140) writing and reading, vectorised, with every FDA limit enforced.

The code lives in :mod:`cdisc.io` (``ibm``, ``xpt_model``, ``xpt_writer``, ``xpt_reader``); this is the public API.

Writing (:func:`write_xpt`) checks everything before a byte is written, then streams the
observations in row blocks into a temporary file beside the target and renames it into place,
so a failure never leaves a partial file. The same inputs always give byte-identical files:
header timestamps come from ``created``, else ``SOURCE_DATE_EPOCH``, else 1960-01-01T00:00:00.

Conventions (both directions):

- Character values are blank-padded to the variable length. Missing (None, NaN, pd.NA) and ""
  are written as all blanks; trailing blanks are not significant (SAS semantics), so the reader
  strips them and returns missing character values as ``""``, never NaN. Leading blanks are kept.
  Columns come back with pandas' default ``str`` dtype.
- Numbers are IBM System/360 hex floats. Every finite double whose magnitude lies in the IBM range
  (16**-65 to about 7.2e75) converts exactly at length 8; shorter lengths (3-7) truncate the
  fraction as SAS does. Magnitudes below 16**-65 are written as 0 with an :class:`XptWarning`;
  larger magnitudes and infinities are refused. -0.0 is written as 0 (as other readers expect).
- Numeric missing: NaN is written as ``.``. The special missing values ``.A``-``.Z`` and ``._`` are
  carried in the float64 column itself as *tagged NaNs* (NaNs whose payload holds the letter, as R's
  haven does), so they are vectorised, survive copying, sorting, slicing, concat and merge, and count
  as missing for ``isna()``. Make one with :func:`special_missing` (``special_missing("A")``) and
  decode a column with :func:`missing_codes`, which returns ``".A"``, ``"._"``, ``"."`` or ``""``.
  Arithmetic on a tagged NaN gives a NaN that may or may not keep the tag.
- Lengths: ``length=None`` means the longest value in bytes after trailing blanks are dropped (at
  least 1) for char, 8 for num. The frame must hold exactly the dataset's variables (extra columns are
  refused). Only the first member of a multi-member file is read.
- Row numbers in error messages are 0-based positions in the frame (not index labels).
- A file holding only character variables whose last rows are entirely blank cannot keep those
  rows: SAS and other readers take trailing blank observations for record padding. The writer warns.
"""

from cdisc.io.ibm import missing_codes, special_missing
from cdisc.io.xpt_model import (
    XptDataset,
    XptEncodingError,
    XptError,
    XptFileError,
    XptFormatError,
    XptLabelError,
    XptLengthError,
    XptNameError,
    XptRangeError,
    XptTypeError,
    XptVariable,
    XptWarning,
)
from cdisc.io.xpt_reader import read_xpt
from cdisc.io.xpt_writer import write_xpt

__all__ = [
    "XptDataset",
    "XptEncodingError",
    "XptError",
    "XptFileError",
    "XptFormatError",
    "XptLabelError",
    "XptLengthError",
    "XptNameError",
    "XptRangeError",
    "XptTypeError",
    "XptVariable",
    "XptWarning",
    "missing_codes",
    "read_xpt",
    "special_missing",
    "write_xpt",
]
