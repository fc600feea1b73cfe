"""XPT v5 shared pieces: metadata classes, typed errors, record layouts and message phrases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cdisc.errors import DataError


class XptError(DataError):
    """A dataset that cannot be written as (or a file that is not) SAS XPORT v5.

    ``rows`` holds the 0-based frame positions of the offending values, when there are some.
    """

    def __init__(self, message: str, rows: np.ndarray | None = None):
        super().__init__(message)
        self.rows = rows


class XptNameError(XptError):
    """A dataset or variable name breaks the v5 naming rule, or names clash with the frame."""


class XptLabelError(XptError):
    """A dataset or variable label is longer than 40 bytes or not encodable."""


class XptLengthError(XptError):
    """A declared length is invalid, or character data is longer than allowed."""


class XptEncodingError(XptError):
    """Text that is not ASCII (or not encodable/decodable in the given encoding)."""


class XptRangeError(XptError):
    """A number that IBM hex floating point cannot hold (too large or infinite)."""


class XptTypeError(XptError):
    """A column whose pandas type does not fit the declared SAS type."""


class XptFormatError(XptError):
    """A SAS format or informat that cannot be stored in a NAMESTR."""


class XptFileError(XptError):
    """A file that is not a readable SAS XPORT v5 file."""


class XptWarning(UserWarning):
    """Data changed or at risk on the way to XPT (tiny numbers set to 0, trailing blank rows)."""


@dataclass(frozen=True)
class XptVariable:
    """One variable: name, label, SAS type, length in bytes (None = derive), format, informat."""

    name: str
    label: str
    type: Literal["char", "num"]
    length: int | None = None
    format: str = ""
    informat: str = ""


@dataclass(frozen=True)
class XptDataset:
    """A dataset's name, label and variables in file order."""

    name: str
    label: str
    variables: tuple[XptVariable, ...]


# ---------------------------------------------------------------- record layouts (TS-140)

HEADER = "HEADER RECORD*******{kind:<8}HEADER RECORD!!!!!!!{digits:<30}  "
LIBRARY_HEADER = HEADER.format(kind="LIBRARY", digits="0" * 30).encode()
MEMBER_HEADER = HEADER.format(kind="MEMBER", digits="000000000000000001600000000140").encode()
DSCRPTR_HEADER = HEADER.format(kind="DSCRPTR", digits="0" * 30).encode()
OBS_HEADER = HEADER.format(kind="OBS", digits="0" * 30).encode()
NAMESTR = np.dtype(
    [("ntype", ">i2"), ("nhfun", ">i2"), ("nlng", ">i2"), ("nvar0", ">i2"), ("nname", "S8"),
     ("nlabel", "S40"), ("nform", "S8"), ("nfl", ">i2"), ("nfd", ">i2"), ("nfj", ">i2"),
     ("nfill", "S2"), ("niform", "S8"), ("nifl", ">i2"), ("nifd", ">i2"), ("npos", ">i4"),
     ("rest", "S52")]
)  # fmt: skip
CHUNK_BYTES = 8 << 20  # observations are streamed in blocks of about this size
BLANK = 0x20


def rows_phrase(positions: np.ndarray, limit: int = 3) -> str:
    """``first rows 12, 40, 41 (0-based frame positions)``: where offending values are."""
    shown = ", ".join(str(int(p)) for p in positions[:limit])
    return (
        f"first rows {shown} (0-based frame positions)"
        if len(positions) > 1
        else f"row {shown} (0-based frame position)"
    )


def count_phrase(n: int, noun: str) -> str:
    """``1 value`` / ``3 values``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def clip(value: object, width: int = 40) -> str:
    """A value quoted for a message, shortened with `` ...`` past ``width`` characters."""
    text = str(value)
    return repr(text if len(text) <= width else text[: width - 4] + " ...")
