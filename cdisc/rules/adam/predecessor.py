"""``predecessor``: a variable of the source record, copied as is."""

from __future__ import annotations

import pandas as pd

from cdisc.rules import ADAM, Reference, rule
from cdisc.spec.names import Name


def _references(name) -> list[Reference]:
    return [Reference("source", (), name)]


@rule(
    "predecessor", engines=ADAM, params=Name, references=_references,
    method=lambda name, variable, spec: f"{variable} is copied from {name} of the source record.",
    example="- {name: AGE, label: Age, type: integer, origin: {type: Predecessor, predecessor: DM.AGE}, predecessor: AGE}",
)
def predecessor(name: str, records) -> pd.Series:
    """This variable of the source record, copied as is (even if a variable of the same name is built)."""
    return records.frame[name]
