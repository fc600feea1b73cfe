"""``derive_vars_joined``: a value from the first/last record of another dataset meeting a joint condition."""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field

from cdisc.adam import derivations
from cdisc.errors import DataError
from cdisc.rules import ADAM, rule
from cdisc.rules.adam.derive_vars_merged import FromOtherDataset
from cdisc.spec.base import Expr, parsed
from cdisc.spec.expr import calls_as_columns, one_sided_calls
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveVarsJoined(FromOtherDataset):
    """A value from the first/last record of another dataset that meets a condition on both records:
    admiral ``derive_vars_joined`` (e.g. the last dose on or before the event start).

    ``where`` filters the other dataset alone; ``join_where`` and ``value`` are evaluated on each
    pair of a base record and an other record of the same ``by`` group, and may use both's variables.
    """

    other_fields: ClassVar[tuple[str, ...]] = ("by", "order")
    other_expression_fields: ClassVar[tuple[str, ...]] = ("where",)
    joined_expression_fields: ClassVar[tuple[str, ...]] = ("join_where", "value")
    join_where: Expr = Field(alias="filter_join")
    order: list[Name] = Field(default_factory=list, description="Variables of the other dataset")
    mode: Literal["first", "last"] = "last"
    value: Expr = Field(description="Variable or expression over the joined record (both datasets)")


def _method(params: DeriveVarsJoined, variable: str, spec) -> str:
    where = f" (records where {condition_words(params.where)})" if params.where else ""
    order = f" by {', '.join(params.order)}" if params.order else ""
    return (
        f"{variable} is {params.value} of the {params.mode} record{order} of {params.dataset}{where} with the same "
        f"{', '.join(params.by)} for which {condition_words(params.join_where)}."
    )


@rule(
    "derive_vars_joined", engines=ADAM, params=DeriveVarsJoined, method=_method,
    example="""
- name: LDOSEDT
  label: Date of Last Dose Before Event
  type: integer
  format: DATE9.
  origin: Derived
  derive_vars_joined: {dataset: EX, join_where: 'sas_date(EXSTDTC) <= ASTDT', order: [EXSTDTC], mode: last, value: sas_date(EXSTDTC)}
""",
)
def derive_vars_joined(params: DeriveVarsJoined, records) -> pd.Series:
    """The value over the first/last record of another dataset that meets ``join_where`` together with the record."""
    other = records.other(params)
    scope = records.constants
    if params.where:
        other = other[records.condition(params.where, other, scope)]
    join_where, value = params.join_where, params.value
    names = parsed(join_where).names | parsed(value).names
    reads = names - set(other.columns)
    here = records.columns([*params.by, *(n for n in reads if n in records.out or n in records.frame.columns)])
    known = None
    if names <= {*other.columns, *here.columns, *scope}:  # else keep every column for the unknown name's message
        here, other, computed = calls_once(records, [join_where, value], here, other, scope)
        join_where, value = calls_as_columns(join_where, computed), calls_as_columns(value, computed)
        names = parsed(join_where).names | parsed(value).names
        here = here[[c for c in here.columns if c in names or c in params.by]]
        other = other[[c for c in other.columns if c in names or c in params.by or c in params.order]]  # every pair is a row
        known = (parsed(join_where).names, parsed(value).names)
    return derivations.derive_vars_joined(
        here, other,
        lambda frame: records.evaluate(value, frame, scope),
        lambda frame: records.condition(join_where, frame, scope),
        params.by, params.order, params.mode, reads=known,
    )


def calls_once(records, texts: list[str], here: pd.DataFrame, other: pd.DataFrame, scope: dict) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """The function calls of ``texts`` that read the base records' columns only, or the other dataset's only, computed
    once per record of that side (``sas_datetime(EXSTDTC)`` once per EX record, not once per pair of records), each as
    a column named by its text; a call that fails there is left to each pair (whose error names the records).

    >>> from cdisc.rules.records import Records
    >>> records = Records(None, "ADPC", "X", pd.DataFrame(), {}, {})
    >>> here, ex = pd.DataFrame({"USUBJID": ["1"], "ADT": [3.0]}), pd.DataFrame({"USUBJID": ["1"], "EXSTDTC": ["2024-01-02"]})
    >>> here, ex, computed = calls_once(records, ["sas_date(EXSTDTC) <= ADT"], here, ex, {})
    >>> computed, ex.columns.tolist()
    ({'sas_date(EXSTDTC)'}, ['USUBJID', 'EXSTDTC', 'sas_date(EXSTDTC)'])
    """
    sides = [here, other]
    calls: dict[str, int] = {}
    for text in texts:
        calls |= one_sided_calls(text, [frozenset(here.columns), frozenset(other.columns)], frozenset(scope))
    computed = set()
    for call, side in calls.items():
        try:
            values = records.evaluate(call, sides[side], scope)
        except DataError:
            continue
        sides[side] = sides[side].assign(**{call: values})
        computed.add(call)
    return sides[0], sides[1], computed
