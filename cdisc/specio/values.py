"""Template and define.xml values as the YAML spec writes them: data types, origins, formats, typed values, codelist names."""

from __future__ import annotations

import re
from typing import Any, get_args

from cdisc.spec.adam import AdamClass
from cdisc.spec.models import DataType, SdtmClass, VariableMeta
from cdisc.spec.names import NAME_PATTERN

ADAM_CLASSES = get_args(AdamClass)
SDTM_CLASSES = get_args(SdtmClass)
DATA_TYPES = get_args(DataType)
ROLES = get_args(get_args(VariableMeta.model_fields["role"].annotation)[0])
#: Origin types of Define-XML 2.1, and the Define-XML 2.0 spellings that mean one of them.
ORIGINS = {"collected": "Collected", "derived": "Derived", "assigned": "Assigned", "protocol": "Protocol",
           "predecessor": "Predecessor", "notavailable": "Not Available", "crf": "Collected", "edt": "Collected"}
FORMAT = re.compile(r"\$?[A-Z_][A-Z0-9_]{0,31}\.\d*")


def origin_value(kind: str | None, source: str | None = None, page: str | None = None,
                 predecessor: str | None = None) -> str | dict[str, Any] | None:
    """The YAML ``origin:`` of a template origin (``CRF`` and ``eDT`` are Define-XML 2.0 for Collected)."""
    if kind is None:
        return None
    key = re.sub(r"[^a-z]", "", kind.lower())
    value = ORIGINS.get(key, kind)
    if key == "edt" and source is None:
        source = "Vendor"
    extra = {k: v for k, v in (("source", source), ("page", page), ("predecessor", predecessor)) if v is not None}
    return {"type": value, **extra} if extra else value


def origin_type(origin: str | dict[str, Any] | None) -> str | None:
    return origin.get("type") if isinstance(origin, dict) else origin


def display_format(text: str | None) -> str | None:
    """A SAS format as the spec writes it (``DATE9.``): upper case, with its dot."""
    if text is None:
        return None
    text = text.strip().upper()
    return text if "." in text else f"{text}."


def data_type(text: str | None) -> str | None:
    """The spec's data type for a template one, matched without regard to case."""
    if text is None:
        return None
    return next((t for t in DATA_TYPES if t.lower() == text.strip().lower()), text.strip())


def typed(value: Any, kind: str | None) -> Any:
    """A term, assigned value or where-clause value as the type of its variable or codelist says."""
    if value is None or kind not in ("integer", "float"):
        return None if value is None else str(value)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and (kind == "integer" or "." not in text) else number


def codelist_name(identifier: str, taken: set[str]) -> str:
    """A spec codelist name (at most 8 characters, A-Z 0-9 _) for a template or define.xml codelist ID.

    ``CL.`` prefixes go; an ID that is not a valid name is upper-cased, other characters become ``_``,
    and it is cut to 8 characters, numbered when that name is taken.
    """
    text = identifier.removeprefix("CL.")
    if NAME_PATTERN.fullmatch(text) and text not in taken:
        return text
    base = re.sub(r"[^A-Z0-9_]", "_", text.upper())
    base = base if base[:1].isalpha() else f"C{base}"
    name = base[:8]
    number = 1
    while name in taken:
        number += 1
        name = f"{base[:8 - len(str(number))]}{number}"
    return name
