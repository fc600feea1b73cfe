"""``test``: a field of the record's test in a findings dataset's ``tests:`` pivot."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from cdisc.rules import SDTM, Reference, rule

TestField = Literal[
    "testcd", "test", "detail", "category", "subcategory", "orres", "orresu", "stresc", "stresn", "stresu",
    "stat", "reasnd", "ornrlo", "ornrhi", "stnrlo", "stnrhi", "nrind", "lloq",
]

_WORDS = {
    "testcd": "the test's short name", "test": "the test's name", "detail": "the test detail",
    "category": "the test's category", "subcategory": "the test's subcategory",
    "orres": "the result as collected", "orresu": "the unit as collected",
    "stresc": "the result in the standard unit (or its standard term), as text",
    "stresn": "the numeric result in the standard unit, converted from the collected unit with the test's conversion",
    "stresu": "the standard unit", "stat": "NOT DONE when the test was not done", "reasnd": "the reason the test was not done",
    "ornrlo": "the normal range lower limit as collected", "ornrhi": "the normal range upper limit as collected",
    "stnrlo": "the normal range lower limit in the standard unit", "stnrhi": "the normal range upper limit in the standard unit",
    "nrind": "LOW, HIGH or NORMAL: the standard result against the standard normal range",
    "lloq": "the lower limit of quantitation in the standard unit",
}


def _no_references(field) -> list[Reference]:
    return []


@rule(
    "test", engines=SDTM, params=TestField, references=_no_references,
    method=lambda field, variable, spec: f"{variable} is {_WORDS[field]} (per test, see the value-level metadata).",
    example="""
- {name: VSTESTCD, label: Vital Signs Test Short Name, type: text, codelist: VSTESTCD, origin: Assigned, test: testcd}
- {name: VSSTRESN, label: Numeric Result/Finding in Standard Units, type: float, origin: Derived, test: stresn}
""",
)
def test_field(field: str, records) -> pd.Series:
    """A field of the record's test (``test: orres``), from the dataset's ``tests:`` pivot."""
    if records.tests is None:
        raise records.fail(f"'test: {field}' needs a 'tests:' block in the dataset spec")
    return records.tests[field].set_axis(records.index)
