"""``derive_var_base``: BASE, the value on the baseline record (admiral ``derive_var_base``)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam import derivations
from cdisc.arrowtext import TEXT
from cdisc.rules import ADAM, rule
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveVarBase(SpecModel):
    """BASE: the value on the baseline record (``flag`` = Y) of each ``by`` group: admiral ``derive_var_base``.

    ``where`` restricts the derivation to some records (admiral ``restrict_derivation``): the others
    get a missing value, e.g. ``where: 'AVISITN > 0'`` for post-baseline records only.
    """

    variable_fields: ClassVar[tuple[str, ...]] = ("by", "source", "flag")
    expression_fields: ClassVar[tuple[str, ...]] = ("where",)
    by: list[Name] = Field(default_factory=lambda: ["USUBJID", "PARAMCD"], alias="by_vars")
    source: Name = Field("AVAL", alias="source_var")
    flag: Name = "ABLFL"
    where: Expr | None = Field(None, alias="filter", description="Only these records get a value (restrict_derivation)")


def _method(p: DeriveVarBase, variable: str, spec) -> str:
    where = f" Derived only where {condition_words(p.where)}." if p.where else ""
    return f'{variable} is {p.source} of the record with {p.flag} = "Y" with the same {", ".join(p.by)}.{where}'


@rule(
    "derive_var_base", engines=ADAM, params=DeriveVarBase, method=_method, stage=1, bare=True,
    example="""
- {name: BASE, label: Baseline Value, type: float, origin: Derived, derive_var_base: {by: [USUBJID, PARAMCD, BASETYPE]}}
- {name: BNRIND, label: Baseline Reference Range Indicator, type: text, origin: Derived, derive_var_base: {source: ANRIND}}
""",
)
def derive_var_base(params: DeriveVarBase, records) -> pd.Series:
    """The value on the baseline record of the record's group; more than one baseline record is an error."""
    names = [*params.by, params.flag]  # the baseline records are found once for every variable with these (BASE, BNRIND, ...)
    try:
        at = records.once(("derive_var_base", *names), tuple(records.identity(name) for name in names),
                          lambda: derivations.baseline_records(records.columns(names), params.by, params.flag))
    except ValueError as exc:
        raise records.fail(str(exc)) from None
    source = records.column(params.source)
    taken = derivations.taken_array if source.dtype == TEXT else derivations.taken  # text stays Arrow text
    base = pd.Series(taken(source, at), index=records.index)
    return base.where(records.condition(params.where)) if params.where else base
