"""``expr``: a value computed by an expression of the spec language."""

from __future__ import annotations

import pandas as pd

from cdisc.rules import BOTH, Reference, rule
from cdisc.spec.base import Expr


def _references(text) -> list[Reference]:
    return [Reference("expression", (), text)]


@rule(
    "expr", engines=BOTH, params=Expr, references=_references,
    method=lambda text, variable, spec: f"{variable} is computed as {text}.",
    example="- {name: AGE, label: Age, type: integer, origin: Collected, expr: number(AGE)}",
)
def expr(text, records) -> pd.Series:
    """A value computed by an expression over the record's columns and the variables built so far."""
    return records.evaluate(text)
