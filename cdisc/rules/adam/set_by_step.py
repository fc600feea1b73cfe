"""``set_by_step``: a variable whose values the record steps set (``set_values_to``), missing elsewhere."""

from __future__ import annotations

import pandas as pd

from cdisc.rules import ADAM, Reference, rule


def _no_references(value) -> list[Reference]:
    return []


@rule(
    "set_by_step", engines=ADAM, params=bool, references=_no_references, stage=4,
    method=lambda value, variable, spec: f"{variable} is set on the records the dataset's record steps add (see its steps); missing on the others.",
    example="- {name: DTYPE, label: Derivation Type, type: text, origin: Derived, set_by_step: true}",
)
def set_by_step(value: bool, records) -> pd.Series:
    """The values the record steps gave this variable on the records they added; missing on the others."""
    name = records.variable
    if name in records.frame.columns:
        return records.frame[name]
    return pd.Series(None, index=records.index, dtype="str")
