"""Parse ``cdisc diff`` options: variable lists ``[DATASET:]VAR,VAR`` (``--keys``, ``--var``, ``--with``,
``--exclude``, ``--dates``, ``--datetimes``) and tolerances ``--abs/--rel [VAR=]VALUE``."""

from __future__ import annotations

import math
import re

from cdisc.compare.engine import Selection, Tolerance
from cdisc.errors import UsageError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_keys(values: list[str], option: str = "--keys") -> dict[str, list[str]]:
    """``["USUBJID", "adae:USUBJID,AESEQ"]`` -> ``{"*": ["USUBJID"], "adae": ["USUBJID", "AESEQ"]}``.

    Variable names are upper-cased (names are compared case-insensitively); a
    dataset given twice gets the variables of both.
    """
    lists: dict[str, list[str]] = {}
    for value in values:
        dataset, _, names = value.rpartition(":")
        variables = [v.upper() for v in re.split(r"[,\s]+", names.strip()) if v]
        bad = [v for v in variables if not _NAME.match(v)]
        if not variables or bad or (dataset and not _NAME.match(dataset)):
            raise UsageError(f"{option} {value!r}: expected VAR,VAR or DATASET:VAR,VAR (e.g. adae:USUBJID,AESEQ)")
        found = lists.setdefault(dataset.lower() or "*", [])
        found += [v for v in variables if v not in found]
    return lists


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


def parse_selections(
    var: list[str], with_: list[str], exclude: list[str], dates: list[str], datetimes: list[str]
) -> dict[str, Selection]:
    """What to compare per dataset (``"*"``: every dataset) from ``--var --with --exclude --dates --datetimes``.

    A dataset's own ``--var``/``--with`` replace those given for every dataset; its
    exclusions and date variables add to them.
    """
    given = {
        "var": parse_keys(var, "--var"), "with_": parse_keys(with_, "--with"), "exclude": parse_keys(exclude, "--exclude"),
        "dates": parse_keys(dates, "--dates"), "datetimes": parse_keys(datetimes, "--datetimes"),
    }
    if given["with_"] and not given["var"]:
        raise UsageError("--with pairs compare variables with the base variables of --var; give --var too")
    everywhere = {option: tuple(lists.get("*", [])) for option, lists in given.items()}
    datasets = {name for lists in given.values() for name in lists if name != "*"}
    selections = {"*": Selection(**everywhere)}
    for name in datasets:
        own = {option: tuple(lists.get(name, [])) for option, lists in given.items()}
        chosen = ("var", "with_") if own["var"] else ()
        selections[name] = Selection(**{
            option: own[option] if option in chosen else everywhere[option] + own[option] for option in given
        })
    return selections
