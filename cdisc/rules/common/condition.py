"""``condition``: if-then-else cases; the first case whose condition holds gives the value."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from cdisc.rules import BOTH, Reference, rule
from cdisc.spec.base import Expr, Scalar, SpecModel
from cdisc.spec.words import condition_words


class Case(SpecModel):
    """One branch of a condition: when ``when`` holds, the value (or the column ``from``)."""

    when: Expr
    value: Scalar | None = None
    source: str | None = Field(None, alias="from")

    @model_validator(mode="after")
    def _one_result(self) -> Case:
        if (self.value is None) == (self.source is None):
            raise PydanticCustomError("cdisc_case", "give exactly one of 'value' or 'from'", {})
        return self


class ConditionRule(SpecModel):
    """If-then-else: the first case whose condition holds gives the value; otherwise ``else``."""

    cases: list[Case] = Field(min_length=1)
    otherwise: Scalar | None = Field(None, alias="else", description="Value when no case holds (default missing)")


def _references(params: ConditionRule) -> Iterator[Reference]:
    for i, case in enumerate(params.cases):
        yield Reference("expression", ("cases", i, "when"), case.when)
        if case.source:
            yield Reference("raw", ("cases", i, "from"), case.source)


def _value(value) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def _method(params: ConditionRule, variable: str, spec) -> str:
    cases = [
        f"{variable} is {_value(c.value) if c.source is None else 'the value of ' + c.source} when {condition_words(c.when)}"  # a case has one of the two
        for c in params.cases
    ]
    otherwise = f"otherwise {_value(params.otherwise)}" if params.otherwise is not None else "otherwise missing"
    return "; ".join([*cases, otherwise]) + " (the first condition that holds applies)."


@rule(
    "condition", engines=BOTH, params=ConditionRule, references=_references, method=_method,
    example="""
- name: AESER
  label: Serious Event
  type: text
  origin: Collected
  condition:
    cases:
      - {when: 'AESERYN == "Yes"', value: Y}
      - {when: 'AESERYN == "No"', value: N}
    else: null
""",
)
def condition(params: ConditionRule, records) -> pd.Series:
    """The first case whose condition holds gives the value (or a column's value); ``else`` otherwise.

    ``from`` names a raw column in SDTM (or a temporary variable when there is no such column) and a
    variable of the record in ADaM.

    Each ``when`` must be true or false on every record: a condition that gives text or a missing value
    is an error, in SDTM and ADaM alike.
    """
    result = pd.Series(params.otherwise, index=records.index, dtype=object)
    decided = pd.Series(False, index=records.index)
    for case in params.cases:
        hit = records.condition(case.when) & ~decided
        value = records.collected(case.source) if case.source else case.value
        result = result.mask(hit, value)
        decided |= hit
    return result.infer_objects()
