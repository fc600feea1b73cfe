"""``hardcode``: the same value on every record."""

from __future__ import annotations

import pandas as pd

from cdisc.rules import BOTH, Reference, rule
from cdisc.spec.base import Scalar


def _no_references(value) -> list[Reference]:
    return []


def _value(value) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


@rule(
    "hardcode", engines=BOTH, params=Scalar, references=_no_references,
    method=lambda value, variable, spec: f"{variable} is {_value(value)} on every record.",
    example='- {name: DOMAIN, label: Domain Abbreviation, type: text, origin: Assigned, hardcode: AE}',
)
def hardcode(value, records) -> pd.Series:
    """The same value on every record."""
    return pd.Series(value, index=records.index)
