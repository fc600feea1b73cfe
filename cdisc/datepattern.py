"""Declared date and time patterns (``DD-MON-YY``, ``MM/DD/YYYY``, ``HH:MM AM/PM``) as regular expressions.

A pattern is written with these parts, in any order, joined by separators (``-``, ``/``, ``.``,
``:``, ``,``, a space) or by nothing (``DDMONYYYY``):

========== =====================================================================
part       matches
========== =====================================================================
``YYYY``   a four-digit year
``YY``     a two-digit year (the spec states the century rule: ``year_cutoff``)
``MON``    a month name, ``JAN`` ... ``DEC``, any case (also ``MMM``)
``MM``     a month number, 1 or 2 digits; after an hour part: the minutes (2 digits)
``DD``     a day, 1 or 2 digits
``HH``     an hour, 1 or 2 digits (``H`` is the same part)
``MI``     minutes (also ``MM`` after an hour part)
``SS``     seconds
``AM/PM``  AM or PM (also ``A.M.``); the hour is then 1 to 12
``T``      the letter T between a date and a time
========== =====================================================================

Every part except ``AM/PM`` may be collected unknown as ``UN``, ``UNK`` or ``UNKN``. In a pattern
with a month name the separators ``-``, ``/`` and a space stand for each other (a month name cannot
be misread). ``YYYY-MM-DD`` means ISO 8601 at any precision (``2024``, ``2024-03``,
``2024-03-05T10:30``), as before patterns could be declared; ``auto`` means ``DD-MON-YYYY`` or ISO.

Example::

    >>> compile_pattern("DD-MON-YY").groups
    ('d', 'mon', 'yy')
    >>> compile_pattern("HH:MM AM/PM", kind="time").groups
    ('H', 'M', 'p')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

UNKNOWN = ("UNKN", "UNK", "UN")
_UNK = "|".join(UNKNOWN)
#: Parts of a pattern, longest first (the order the pattern text is read in), with the group each fills.
_PARTS = (
    ("AM/PM", "p"), ("YYYY", "y"), ("MON", "mon"), ("MMM", "mon"), ("YY", "yy"), ("MM", "m"), ("MI", "M"), ("DD", "d"),
    ("HH", "H"), ("SS", "S"), ("AM", "p"), ("PM", "p"), ("H", "H"), ("T", None),
)
_REGEX = {
    "y": rf"(?P<y>\d{{4}}|{_UNK})",
    "yy": rf"(?P<yy>\d{{2}}|{_UNK})",
    "mon": rf"(?P<mon>{_UNK}|[A-Z]{{3}})",
    "m": rf"(?P<m>\d{{1,2}}|{_UNK})",
    "d": rf"(?P<d>\d{{1,2}}|{_UNK})",
    "H": rf"(?P<H>\d{{1,2}}|{_UNK})",
    "M": rf"(?P<M>\d{{2}}|{_UNK})",
    "S": rf"(?P<S>\d{{2}}|{_UNK})",
    "p": r"(?P<p>[AP]\.?M\.?)",
}
_SEPARATORS = "-/.:, "
_ISO = r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
DATE_GROUPS = frozenset({"y", "yy", "mon", "m", "d"})
TIME_GROUPS = frozenset({"H", "M", "S", "p"})
PART_NAMES = "YYYY, YY, MON (or MMM), MM, DD, HH (or H), MI (or MM after an hour), SS, AM/PM, T"


class PatternError(ValueError):
    """A pattern that cannot be read; the message says why in words."""


@dataclass(frozen=True)
class DatePattern:
    """A compiled pattern: the text as declared, its regular expression and the groups it fills."""

    text: str
    regex: str
    groups: tuple[str, ...]
    optional_time: bool = False  # ISO 8601: a time may follow the date, or not

    @property
    def has_time(self) -> bool:
        """Whether every value carries a time (so a separate time column would give it twice)."""
        return not self.optional_time and bool(TIME_GROUPS & set(self.groups))

    @property
    def two_digit_year(self) -> bool:
        return "yy" in self.groups


def compile_pattern(text: str, kind: Literal["date", "time"] = "date") -> DatePattern:
    """The pattern ``text`` compiled; raise :class:`PatternError` saying what is wrong with it."""
    if kind == "date" and text.strip().upper() == "YYYY-MM-DD":
        return DatePattern("YYYY-MM-DD", _ISO, ("y", "m", "d", "H", "M", "S"), optional_time=True)
    source = text.strip().upper()
    groups: list[str] = []
    pieces: list[str] = []
    at = 0
    while at < len(source):
        char = source[at]
        if char in _SEPARATORS:
            pieces.append(r"\s+" if char == " " else re.escape(char))
            at += 1
            continue
        part = next((p for p in _PARTS if source.startswith(p[0], at)), None)
        if part is None:
            raise PatternError(f"{text!r}: unknown part at {source[at:]!r}; a pattern is made of {PART_NAMES} and separators")
        token, group = part
        if group == "m" and "H" in groups:
            group = "M"  # MM after an hour is minutes
        if group is not None:
            if group in groups:
                raise PatternError(f"{text!r}: {token} (or another form of the same part) is given twice")
            groups.append(group)
            pieces.append(_REGEX[group])
        else:
            pieces.append("T")
        at += len(token)
    _check_parts(text, groups, kind)
    if "mon" in groups:
        pieces = [r"(?:[-/]|\s+)" if piece in (re.escape("-"), "/", r"\s+") else piece for piece in pieces]
    return DatePattern(text.strip(), "".join(pieces), tuple(groups))


def _check_parts(text: str, groups: list[str], kind: str) -> None:
    have = set(groups)
    if {"mon", "m"} <= have or {"y", "yy"} <= have:
        raise PatternError(f"{text!r}: the month or the year is given twice")
    if kind == "time" and have & DATE_GROUPS:
        raise PatternError(f"{text!r}: a time pattern holds only HH, MI (or MM), SS and AM/PM")
    if kind == "time" and "H" not in have:
        raise PatternError(f"{text!r}: a time pattern needs an hour (HH or H)")
    if kind == "date" and not have & {"y", "yy"}:
        raise PatternError(f"{text!r}: a date pattern needs a year (YYYY or YY)")
    if "d" in have and not have & {"m", "mon"}:
        raise PatternError(f"{text!r}: a day needs a month (MM or MON)")
    if have & {"M", "S", "p"} and "H" not in have:
        raise PatternError(f"{text!r}: minutes, seconds and AM/PM need an hour (HH or H) before them")
    if "S" in have and "M" not in have:
        raise PatternError(f"{text!r}: seconds need minutes (MI) before them")


def date_patterns(forms: str | Sequence[str]) -> tuple[DatePattern, ...]:
    """The patterns of declared date forms, in order; ``auto`` stands for ``DD-MON-YYYY`` then ISO 8601."""
    listed = (forms,) if isinstance(forms, str) else tuple(forms)
    expanded = [f for form in listed for f in (("DD-MON-YYYY", "YYYY-MM-DD") if form == "auto" else (form,))]
    return tuple(compile_pattern(f, "date") for f in expanded)


def time_patterns(forms: str | Sequence[str]) -> tuple[DatePattern, ...]:
    """The patterns of declared time forms, in order; ``auto`` stands for ``HH:MM:SS`` then ``HH:MM``."""
    listed = (forms,) if isinstance(forms, str) else tuple(forms)
    expanded = [f for form in listed for f in (("HH:MM:SS", "HH:MM") if form == "auto" else (form,))]
    return tuple(compile_pattern(f, "time") for f in expanded)


def four_digit_years(years: np.ndarray, cutoff: int) -> np.ndarray:
    """Two-digit ``years`` placed in the 100 years starting at ``cutoff`` (as SAS YEARCUTOFF does).

    >>> four_digit_years(np.array([20, 49, 50, 99]), 1950).tolist()
    [2020, 2049, 1950, 1999]
    """
    start = cutoff - cutoff % 100 + years
    return np.where(start < cutoff, start + 100, start)
