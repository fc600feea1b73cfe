"""``derive``: build the listed variables now, on the records so far (before the next record step)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from cdisc.rules import STEPS, Reference, rule
from cdisc.spec.names import Name


def _references(names: list[str]) -> Iterator[Reference]:
    yield from (Reference("variable", (i,), n) for i, n in enumerate(names))


@rule(
    "derive", engines=STEPS, params=list[Name], references=_references,
    method=lambda names, dataset, spec: f"{', '.join(names)} are derived on the records so far, as their own methods say.",
    example="""
steps:
  - derive: [PARAMCD, PARAM, AVAL, ADT, AVISIT]   # what the next step reads
  - derive_param_computed: {parameters: [SYSBP, DIABP], by_vars: [USUBJID, AVISIT, ADT], set_values_to: {PARAMCD: MAP, AVAL: {expr: "(2 * AVAL.DIABP + AVAL.SYSBP) / 3"}}}
""",  # noqa: E501  (a YAML example shown verbatim in docs/LANGUAGE.md: one step per line, as a user writes it)
)
def derive(names: list[str], records) -> pd.DataFrame:
    """Build these variables (by their own rules, in the order they need, with the variables they read that
    are not built yet) on every record so far.

    Variables no ``derive`` step lists are built after the last step, on every record, so a step
    only needs the variables it reads to be derived before it; everything else (BASE, CHG, ASEQ)
    is computed over the final records.
    """
    return records.build_variables(names)
