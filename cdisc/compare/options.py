"""Parse ``cdisc diff`` options: ``--keys [DATASET:]VAR,VAR`` and ``--abs/--rel [VAR=]VALUE``."""

from __future__ import annotations

import math
import re

from cdisc.compare.engine import Tolerance
from cdisc.errors import UsageError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_keys(values: list[str]) -> dict[str, list[str]]:
    """``["USUBJID", "adae:USUBJID,AESEQ"]`` -> ``{"*": ["USUBJID"], "adae": ["USUBJID", "AESEQ"]}``."""
    keys: dict[str, list[str]] = {}
    for value in values:
        dataset, _, names = value.rpartition(":")
        variables = [v for v in re.split(r"[,\s]+", names.strip()) if v]
        bad = [v for v in variables if not _NAME.match(v)]
        if not variables or bad or (dataset and not _NAME.match(dataset)):
            raise UsageError(f"--keys {value!r}: expected VAR,VAR or DATASET:VAR,VAR (e.g. adae:USUBJID,AESEQ)")
        keys[dataset.lower() or "*"] = variables
    return keys


def parse_tolerances(absolute: list[str], relative: list[str]) -> dict[str, Tolerance]:
    """``--abs 1e-9 --abs AVAL=0.01 --rel AVAL=1e-6`` -> tolerances by variable (``"*"`` for every variable)."""
    found: dict[str, dict[str, float]] = {}
    for option, values in (("absolute", absolute), ("relative", relative)):
        for value in values:
            variable, _, number = value.rpartition("=")
            try:
                amount = float(number)
            except ValueError:
                amount = math.nan
            if not (amount >= 0 and math.isfinite(amount)) or (variable and not _NAME.match(variable)):
                flag = "--abs" if option == "absolute" else "--rel"
                raise UsageError(f"{flag} {value!r}: expected a non-negative number, or VAR=number (e.g. AVAL=0.001)")
            found.setdefault(variable.upper() or "*", {})[option] = amount
    default = found.get("*", {})
    return {name: Tolerance(**{**default, **given}) for name, given in found.items()}
