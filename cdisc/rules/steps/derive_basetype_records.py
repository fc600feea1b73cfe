"""``derive_basetype_records``: records belonging to several baseline types, duplicated per BASETYPE."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from cdisc.adam import bds
from cdisc.rules import STEPS, Reference, rule
from cdisc.spec.base import Expr


def _references(basetypes: dict[str, str]) -> Iterator[Reference]:
    yield from (Reference("expression", (label,), text) for label, text in basetypes.items())


@rule(
    "derive_basetype_records", engines=STEPS, params=dict[str, Expr], references=_references,
    method=lambda basetypes, dataset, spec: "BASETYPE: each record once per baseline type whose condition it meets: " + "; ".join(
        f"{label} where {text}" for label, text in basetypes.items()
    ) + ".",
    example="""
- derive_basetype_records:
    LAST: 'AVISITN > 0 or ABLFL == "Y"'
    WORST: 'AVISITN > 0 or ABLFL == "Y"'
""",
)
def derive_basetype_records(basetypes: dict[str, str], records) -> pd.DataFrame:
    """Each record once per BASETYPE whose condition it meets (duplicated when several); others kept once."""
    return bds.derive_basetype_records(records.frame, {label: records.condition(text) for label, text in basetypes.items()})
