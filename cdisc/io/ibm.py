"""IBM System/360 hex floating point <-> IEEE-754 doubles, and SAS special missing values as tagged NaNs."""

from __future__ import annotations

import numpy as np
import pandas as pd

_SIGN = np.uint64(1 << 63)
_FRACTION = np.uint64((1 << 56) - 1)
_MANTISSA = np.uint64((1 << 52) - 1)
_HIDDEN = np.uint64(1 << 52)
IBM_MAX = 2.0**252  # every double below this fits IBM's largest exponent (about 7.2e75)
IBM_MIN = 16.0**-65  # smallest normalised IBM hex float (about 5.4e-79)
_MISSING_BYTES = np.frombuffer(b"._ABCDEFGHIJKLMNOPQRSTUVWXYZ", np.uint8)
_TAG_BASE = np.uint64(0x7FF8_0053_4153_0000)  # quiet NaN, payload "SAS" + code byte
_TAG_MASK = np.uint64(0x7FFF_FFFF_FFFF_FF00)
_SPECIAL_CODES = np.zeros(256, dtype=bool)
_SPECIAL_CODES[_MISSING_BYTES[1:]] = True
_MISSING_FIRST = np.isin(np.arange(256), _MISSING_BYTES)  # first bytes of a missing value
_FIRST = np.arange(256)
_SCALE = np.where(_FIRST & 0x80, -1.0, 1.0) * np.ldexp(1.0, 4 * ((_FIRST & 0x7F) - 64) - 56)  # per first byte of an IBM word
_CODE_TEXT = np.array([f".{chr(c)}" if _SPECIAL_CODES[c] else "" for c in range(256)], dtype=object)


# ---------------------------------------------------------------- special missing values


def special_missing(code: str) -> float:
    """The tagged NaN standing for SAS special missing ``.A``-``.Z`` or ``._`` (``"A"`` or ``".A"``)."""
    letter = code[1:] if code.startswith(".") else code
    if len(letter) != 1 or not _SPECIAL_CODES[ord(letter) if ord(letter) < 256 else 0]:
        raise ValueError(f"not a SAS special missing value: {code!r} (use .A-.Z or ._)")
    return float(np.array([_TAG_BASE | np.uint64(ord(letter))], dtype=np.uint64).view(np.float64)[0])


def missing_codes(values: pd.Series | np.ndarray) -> pd.Series:
    """Per value: ``".A"``..``".Z"``/``"._"`` for special missing, ``"."`` for other NaN, ``""`` otherwise."""
    index = values.index if isinstance(values, pd.Series) else None
    floats = np.asarray(values, dtype=np.float64)
    codes = _special_bytes(floats)
    text = _CODE_TEXT[codes]
    text[(codes == 0) & np.isnan(floats)] = "."
    return pd.Series(text, index=index, dtype="str")


def _special_bytes(floats: np.ndarray) -> np.ndarray:
    """The special-missing letter (as a byte) of every tagged NaN, 0 elsewhere."""
    bits = floats.view(np.uint64)
    code = (bits & np.uint64(0xFF)).astype(np.uint8)
    tagged = ((bits & _TAG_MASK) == _TAG_BASE) & _SPECIAL_CODES[code]
    return np.where(tagged, code, np.uint8(0))


# ---------------------------------------------------------------- IBM hex floating point


def to_ibm(values: np.ndarray) -> np.ndarray:
    """Big-endian IBM hex floats (``>u8``) for float64 values already checked to be in range."""
    bits = values.view(np.uint64)
    exponent = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1023
    shift = (exponent & 3).astype(np.uint64)
    ibm_exponent = ((exponent >> 2) + 65).astype(np.uint64) & np.uint64(0x7F)
    ibm = (ibm_exponent << np.uint64(56)) | (((bits & _MANTISSA) | _HIDDEN) << shift) | (bits & _SIGN)
    ibm = np.where(exponent < -260, np.uint64(0), ibm)  # zero (also -0.0), subnormal, below IBM minimum
    nan = np.isnan(values)
    if nan.any():
        codes = _special_bytes(values[nan])
        ibm[nan] = np.where(codes == 0, ord("."), codes).astype(np.uint64) << np.uint64(56)
    return ibm.astype(">u8")


def from_ibm(raw: np.ndarray) -> np.ndarray:
    """float64 values (tagged NaN for special missing) from native-order IBM words.

    The value is the 56-bit fraction times the power of two its first byte (sign and exponent) stands for,
    looked up in :data:`_SCALE`; the product is exact (the fraction rounds to a double first, as ``ldexp`` did).

    >>> from_ibm(np.array([0x4110_0000_0000_0000, 0xC220_0000_0000_0000, 0, 0x2E00_0000_0000_0000], np.uint64))[:3].tolist()
    [1.0, -32.0, 0.0]
    """
    first = (raw >> np.uint64(56)).astype(np.uint8)
    fraction = (raw & _FRACTION).view(np.int64)  # (below 2**56: int64 converts to float faster than uint64)
    values = fraction.astype(np.float64) * _SCALE[first]
    missing = (fraction == 0) & _MISSING_FIRST[first]
    if missing.any():
        codes = first[missing].astype(np.uint64)
        tags = np.where(codes == ord("."), np.uint64(0x7FF8_0000_0000_0000), _TAG_BASE | codes)
        values[missing] = tags.view(np.float64)
    return values
