"""Validated name and label types shared by every spec model (SAS XPORT v5 / FDA limits)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

NAME_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{0,7}")
MAX_LABEL = 40


def check_name(value: str) -> str:
    """A dataset or variable name: 1-8 characters, upper-case letter first, then A-Z, 0-9, _."""
    if NAME_PATTERN.fullmatch(value):
        return value
    if len(value) > 8:
        reason = f"is {len(value)} characters long; XPT v5 allows at most 8"
    elif value and NAME_PATTERN.fullmatch(value.upper()):
        reason = f"must be upper case ('{value.upper()}')"
    else:
        reason = "must start with a letter A-Z and use only A-Z, 0-9 and _"
    raise PydanticCustomError("cdisc_name", "name '{value}' {reason}", {"value": value, "reason": reason})


def check_label(value: str) -> str:
    """A label: at most 40 printable ASCII characters."""
    bad = [c for c in value if not (" " <= c <= "~")]
    if bad:
        raise PydanticCustomError(
            "cdisc_label_ascii",
            "label '{value}' contains the non-ASCII or control character {char}; labels must be plain ASCII",
            {"value": value, "char": repr(bad[0])},
        )
    if len(value) > MAX_LABEL:
        raise PydanticCustomError(
            "cdisc_label_length",
            "label is {length} characters long; XPT v5 allows at most 40: '{value}'",
            {"value": value, "length": len(value)},
        )
    if not value.strip():
        raise PydanticCustomError("cdisc_label_empty", "label is empty", {})
    return value


Name = Annotated[
    str, AfterValidator(check_name),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,7}$", "description": "1-8 characters: A-Z first, then A-Z, 0-9, _"}),
]
Label = Annotated[
    str, AfterValidator(check_label),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_LABEL, "pattern": "^[ -~]*$", "description": "At most 40 plain ASCII characters"}),
]
