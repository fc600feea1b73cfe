"""``set_values_to``: the values a record step gives the records it adds, written once for every step.

A value is a literal (``PARAMCD: MAP``), an expression over the new records (``{expr: ...}``), or, in
``derive_summary_records``, a summary of a variable over the group (``{summary: mean, of: AVAL}``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import Discriminator, Tag

from cdisc.adam.bds import Summary
from cdisc.rules import Reference
from cdisc.spec.base import Expr, Scalar, SpecModel
from cdisc.spec.names import Name


class ComputedValue(SpecModel):
    """A value computed by an expression over the new records (and, for computed parameters, ``AVAL.<PARAMCD>``)."""

    expr: Expr


class SummaryValue(SpecModel):
    """A summary of a variable over a group's records (missing values ignored; ``count``: values, ``size``: records)."""

    summary: Literal["mean", "median", "min", "max", "sum", "std", "var", "count", "size", "first", "last"]
    of: Name


def _value_kind(value: Any) -> str:
    """Which kind a ``set_values_to`` value is, so that a mistake is reported against that kind only."""
    if isinstance(value, dict):
        return "summary" if "summary" in value else "computed"
    return "literal"


SetValue = Annotated[
    Annotated[Scalar | None, Tag("literal")] | Annotated[ComputedValue, Tag("computed")],
    Discriminator(_value_kind),
]
SummaryOrValue = Annotated[
    Annotated[Scalar | None, Tag("literal")] | Annotated[ComputedValue, Tag("computed")] | Annotated[SummaryValue, Tag("summary")],
    Discriminator(_value_kind),
]
SetValues = dict[Name, SetValue]


def callables(values: Mapping[str, SetValue | SummaryValue], records) -> dict:
    """``set_values_to`` as the BDS functions take it: constants, callables of the new records, Summary."""
    out: dict = {}
    for name, value in values.items():
        if isinstance(value, ComputedValue):
            out[name] = lambda frame, text=value.expr: records.evaluate(text, frame, records.constants)
        elif isinstance(value, SummaryValue):
            out[name] = Summary(value.of, value.summary)
        else:
            out[name] = value
    return out


def value_references(values: Mapping[str, SetValue | SummaryValue], field: str = "set_values_to") -> Iterator[Reference]:
    """The expressions and variables ``set_values_to`` reads (as references over the dataset's records)."""
    for name, value in values.items():
        if isinstance(value, ComputedValue):
            yield Reference("step_expression", (field, name), value.expr)
        elif isinstance(value, SummaryValue):
            yield Reference("variable", (field, name, "of"), value.of)


def describe(values: Mapping[str, SetValue | SummaryValue]) -> str:
    """``PARAMCD = "MAP", AVAL = (2 * AVAL.DIABP + AVAL.SYSBP) / 3`` in words for define.xml."""
    parts = []
    for name, value in values.items():
        if isinstance(value, ComputedValue):
            parts.append(f"{name} = {value.expr}")
        elif isinstance(value, SummaryValue):
            parts.append(f"{name} = the {value.summary} of {value.of}")
        else:
            parts.append(f"{name} = {value!r}" if value is not None else f"{name} missing")
    return ", ".join(parts)


def mask(records, text: str | None) -> pd.Series | None:
    """A step's filter evaluated over the dataset's records (None when there is none)."""
    return records.condition(text) if text else None
