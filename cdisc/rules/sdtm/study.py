"""``study``: a study fact from study.yaml: the study identifier or the USUBJID rule."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from cdisc.rules import SDTM, Reference, rule
from cdisc.spec.words import condition_words


def _no_references(fact) -> list[Reference]:
    return []


def _method(fact: str, variable: str, spec) -> str:
    if fact == "usubjid":
        return f"{variable} is {condition_words(spec.subjects.usubjid)}."
    return f'{variable} is "{spec.study.id}", the study identifier.'


@rule(
    "study", engines=SDTM, params=Literal["id", "usubjid"], references=_no_references, method=_method,
    example="- {name: USUBJID, label: Unique Subject Identifier, type: text, origin: Derived, study: usubjid}",
)
def study(fact: str, records) -> pd.Series:
    """``study: id`` is STUDYID; ``study: usubjid`` applies the study's USUBJID expression (study.yaml ``subjects``)."""
    if fact == "id":
        return pd.Series(records.study.spec.study.id, index=records.index, dtype="str")
    return records.evaluate(records.study.spec.subjects.usubjid)
