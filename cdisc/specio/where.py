"""Where clauses as the P21 template writes them: ``VSTESTCD EQ SYSBP and VSPOS IN (SITTING, STANDING)``.

The spec holds a where clause as ``{variable: [values]}`` (define.xml comparator EQ for one value,
IN for several), so only EQ and IN conditions on variables of the same dataset can be read.
"""

from __future__ import annotations

import re
from typing import Any

from cdisc.specio.values import typed

COMPARATORS = ("EQ", "NE", "IN", "NOTIN", "LT", "LE", "GT", "GE")
_CONDITION = re.compile(r"\s*(?:(\w+)\.)?(\w+)\s+(NOT\s*IN|EQ|NE|IN|LT|LE|GT|GE)\s+", re.IGNORECASE)
_VALUE = re.compile(r'\s*(?:"((?:[^"]|"")*)"|\'([^\']*)\'|([^,()]*?))\s*(?:,|\)|$)')


class WhereError(ValueError):
    """A where clause the spec cannot hold, or cannot be read."""


def parse_where(text: str, types: dict[str, str | None]) -> dict[str, list[Any]]:
    """``{variable: [values]}`` of a where clause; values typed as their variable in ``types``.

    >>> parse_where('VSTESTCD EQ SYSBP and VSPOS IN ("SITTING", STANDING)', {})
    {'VSTESTCD': ['SYSBP'], 'VSPOS': ['SITTING', 'STANDING']}
    >>> parse_where("VISITNUM EQ 2", {"VISITNUM": "float"})
    {'VISITNUM': [2]}
    """
    where: dict[str, list[Any]] = {}
    rest = text.strip()
    if not rest:
        raise WhereError("the where clause is empty")
    while rest:
        match = _CONDITION.match(rest)
        if match is None:
            raise WhereError(f"cannot read where clause {text!r}: expected VARIABLE EQ|IN value(s)")
        dataset, variable, comparator = match.group(1), match.group(2).upper(), re.sub(r"\s", "", match.group(3).upper())
        if dataset:
            raise WhereError(f"where clause {text!r} tests {dataset}.{variable}, a variable of another dataset")
        if comparator not in ("EQ", "IN"):
            raise WhereError(f"where clause {text!r} uses {comparator}; the spec holds EQ and IN conditions only")
        rest = rest[match.end():]
        values, rest = _values(rest, comparator == "IN")
        if variable in where:
            raise WhereError(f"where clause {text!r} tests {variable} twice")
        where[variable] = [typed(v, types.get(variable)) for v in values]
        rest = re.sub(r"^\s*and\s+", "", rest, flags=re.IGNORECASE) if rest.strip() else ""
    return where


def _values(text: str, many: bool) -> tuple[list[str], str]:
    """The values at the start of ``text`` and what follows them."""
    text = text.lstrip()
    if text.startswith("("):
        values, position = [], 1
        while True:
            match = _VALUE.match(text, position)
            if match is None:
                raise WhereError(f"cannot read the values at {text[position:]!r}")
            value = match.group(1).replace('""', '"') if match.group(1) is not None else match.group(2) if match.group(2) is not None else match.group(3)
            values.append(value)
            position = match.end()
            if text[match.end() - 1:match.end()] in (")", "") or position >= len(text):
                return values, text[position:]
    quoted = re.match(r'"((?:[^"]|"")*)"|\'([^\']*)\'', text)
    if quoted:
        value = quoted.group(1).replace('""', '"') if quoted.group(1) is not None else quoted.group(2)
        return [value], text[quoted.end():]
    match = re.match(r"(.*?)(?=\s+and\s+(?:\w+\.)?\w+\s+(?:NOT\s*IN|EQ|NE|IN|LT|LE|GT|GE)\s|$)", text, re.IGNORECASE)
    assert match is not None  # the lazy (.*?) followed by ...|$ matches any text
    value = match.group(1).strip()
    values = [v.strip() for v in value.split(",")] if many else [value]
    return values, text[match.end():]


def format_where(where: dict[str, list[Any]]) -> str:
    """The template text of a spec where clause.

    >>> format_where({"PARAMCD": ["SYSBP"], "AVISITN": [1, 2]})
    'PARAMCD EQ SYSBP and AVISITN IN (1, 2)'
    """
    parts = []
    for variable, values in where.items():
        shown = [_quoted(v) for v in values]
        parts.append(f"{variable} EQ {shown[0]}" if len(shown) == 1 else f"{variable} IN ({', '.join(shown)})")
    return " and ".join(parts)


def _quoted(value: Any) -> str:
    text = str(value)
    if text != text.strip() or not text or re.search(r'[,()"\']|\s(?:and|AND)\s', text):
        return '"' + text.replace('"', '""') + '"'
    return text
