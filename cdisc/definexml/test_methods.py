"""Value-level methods of findings results in words: how each test's collected result becomes its standard
result, with the factor (or formula) of every unit conversion, for a reviewer reading define.xml."""

from __future__ import annotations

from cdisc.spec.models import FindingsTest


def _number(value: float | str) -> str:
    """A factor as written: ``10``, ``0.05847``."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe_standard_result(test: FindingsTest, prefix: str, kind: str) -> str:
    """Words for --STRESC (``kind`` "stresc") or --STRESN ("stresn") of one test.

    >>> from cdisc.spec.models import FindingsTest
    >>> t = FindingsTest.model_validate({"testcd": "HGB", "result": "LBORRES", "unit": {"from": "LBORRESU"},
    ...                                  "standard": {"unit": "g/L", "convert": {"g/dL": 10}, "digits": 0}})
    >>> describe_standard_result(t, "LB", "stresn")
    'HGB in g/L: LBORRES as a number; a result in g/dL multiplied by 10; rounded to 0 decimals.'
    """
    target = f"{prefix}STRESN" if kind == "stresn" else f"{prefix}STRESC"
    if test.summary is not None:
        text = f"{test.testcd}: the sum of the standard results of {', '.join(test.summary.sum)} per {', '.join(test.summary.by)}"
        if test.summary.each:
            text += f"; NOT DONE (no result) when any {test.summary.each} lacks a result"
        return text + "."
    if test.codelist is not None and kind == "stresc":
        return f"{test.testcd}: {prefix}ORRES as its submission value in codelist {test.codelist} (collected spellings and synonyms mapped)."
    standard = test.standard
    if standard is None:
        base = f"{test.testcd}: {prefix}ORRES as collected"
        return base + (" (numeric results as numbers), unit unchanged." if kind == "stresn" else ", unit unchanged.")
    steps = [f"{prefix}ORRES as a number" if kind == "stresn" else f"{prefix}ORRES"]
    for unit, conversion in standard.convert.items():
        if isinstance(conversion, (int, float)):
            steps.append(f"a result in {unit} multiplied by {_number(conversion)}")
        else:
            steps.append(f"a result in {unit} converted as {conversion} with x the collected value")
    if standard.digits is not None:
        steps.append(f"rounded to {standard.digits} decimals")
    if kind == "stresc":
        steps.append(f"as text ({target}); a result that is not a number (e.g. '<1.0') is kept with its number converted the same way")
    return f"{test.testcd} in {standard.unit}: " + "; ".join(steps) + "."
