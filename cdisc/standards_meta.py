"""What SDTMIG 3.4 and ADaMIG 1.3 say about each variable, as defaults for what a spec leaves out.

A dataset spec states what is study-specific. A variable's ``label``, ``type``, ``role`` (SDTM) and
``core`` default to the IG's, and SDTM variables are written in the IG's order (a variable the IG does
not define stays after the one it is listed after). A spec that states one of them differently
keeps its value and gets a warning naming the IG's. The IG tables are the compact copies in
``cdisc/data`` (see its NOTICE.md).

The IG says ``Char`` or ``Num``; the spec type is finer, so the default is ``datetime`` for a
``--DTC``, ``durationDatetime`` for a ``--DUR``/``--ELTM``, ``integer`` for counts, codes, study
days and SAS dates, ``float`` for other numbers, ``text`` otherwise.

Example::

    >>> ig_variable("AE", "EVENTS", "AESEV")
    IgVariable(name='AESEV', label='Severity/Intensity', type='text', role='Record Qualifier', core='Perm', order=27)
    >>> ig_variable("ADSL", "SUBJECT LEVEL ANALYSIS DATASET", "TRT01PN").label
    'Planned Treatment for Period 01 (N)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from cdisc.errors import SpecIssue
from cdisc.spec.yamlsource import YamlDocument

DATA = Path(__file__).parent / "data"
SDTMIG, ADAMIG = "SDTMIG 3.4", "ADaMIG 1.3"
_ADAM_CLASSES = {"SUBJECT LEVEL ANALYSIS DATASET": ("ADSL",), "BASIC DATA STRUCTURE": ("BDS", "ADSL")}
_PLACEHOLDER = re.compile(r"xx|zz|y|w")
_SDTM_INTEGER = re.compile(r"(SEQ|ETORD|DY|REPNUM|ORDER|NUMRPT|BEATNO|CD|^AGE)$")
_ADAM_INTEGER = re.compile(r"(DT|DTM|TM|DY|SEQ|N|DURD|^AGE)$")


@dataclass(frozen=True)
class IgVariable:
    """A variable as the IG defines it, in the spec's terms (``type`` is a spec data type)."""

    name: str
    label: str
    type: str
    role: str | None
    core: str
    order: int | None


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype="str", keep_default_na=False)


@lru_cache(maxsize=1)
def _sdtm() -> dict[tuple[str, str], IgVariable]:
    table = _read("sdtmig-3.4-variables.csv.gz")
    return {
        (dataset, name): IgVariable(name, label, _spec_type(kind, name, _SDTM_INTEGER), role or None, core, int(order))
        for dataset, name, label, kind, role, core, order in zip(
            table["dataset"], table["variable"], table["label"], table["type"], table["role"], table["core"], table["order"]
        )
    }


@lru_cache(maxsize=1)
def _adam() -> dict[str, list[tuple[re.Pattern, str, str, str]]]:
    """Per structure (ADSL, BDS): each variable's name as a pattern (``TRTxxP``: ``TRT(?P<xx>\\d\\d)P``), label, type, core."""
    table = _read("adamig-1.3-variables.csv.gz")
    table = table[~table["variable"].str.startswith("*")]  # *DT, *TM, ...: a family with a placeholder label, no default
    patterns = table["variable"].map(lambda n: re.compile(_PLACEHOLDER.sub(lambda m: f"(?P<{m.group()}>\\d{{{len(m.group())}}})", n) + "$"))
    return {
        structure: list(zip(patterns[rows], table.loc[rows, "label"], table.loc[rows, "type"], table.loc[rows, "core"]))
        for structure, rows in table.groupby("structure").groups.items()
    }


@lru_cache(maxsize=1)
def sdtm_datasets() -> pd.DataFrame:
    """SDTMIG 3.4 datasets: dataset, class, label, structure."""
    return _read("sdtmig-3.4-datasets.csv.gz")


def sdtm_domain_variables(dataset: str) -> list[IgVariable]:
    """The IG variables of an SDTM domain, in IG order (none for a domain the IG does not define)."""
    return sorted((v for (d, _), v in _sdtm().items() if d == dataset), key=lambda v: v.order or 0)


def _spec_type(kind: str, name: str, integer: re.Pattern) -> str:
    if kind == "Num":
        return "integer" if integer.search(name) else "float"
    if name.endswith("DTC"):
        return "datetime"
    return "durationDatetime" if name.endswith(("DUR", "ELTM")) else "text"


def ig_variable(dataset: str, klass: str, name: str) -> IgVariable | None:
    """What the IG says about variable ``name`` of ``dataset`` (of class ``klass``); None when it defines none."""
    if klass in _ADAM_CLASSES or klass.endswith(("DATA STRUCTURE", "ANALYSIS DATASET")):
        return _adam_variable(_ADAM_CLASSES.get(klass, ("ADSL",)), name)
    return _sdtm().get((dataset, name))


def _adam_variable(structures: tuple[str, ...], name: str) -> IgVariable | None:
    for structure in structures:
        for pattern, label, kind, core in _adam().get(structure, []):
            match = pattern.match(name)
            if match:
                for placeholder, digits in match.groupdict().items():
                    label = re.sub(rf"\b{placeholder}\b", digits, label)
                return IgVariable(name, label, _spec_type(kind, name, _ADAM_INTEGER), None, core, None)
    return None


_NUMERIC = {"integer", "float"}


def with_ig_defaults(doc: YamlDocument) -> tuple[YamlDocument, list[SpecIssue]]:
    """``doc`` with the IG's label, type, role and core where a variable leaves them out, and a warning for
    each of them a variable states differently from the IG."""
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("variables"), list):
        return doc, []
    dataset, klass = str(data.get("dataset", "")), str(data.get("class", ""))
    adam = klass in _ADAM_CLASSES or klass.endswith(("DATA STRUCTURE", "ANALYSIS DATASET"))
    standard = ADAMIG if adam else SDTMIG
    variables: list[Any] = []
    warnings: list[SpecIssue] = []
    for i, var in enumerate(data["variables"]):
        ig = ig_variable(dataset, klass, var["name"]) if isinstance(var, dict) and isinstance(var.get("name"), str) else None
        if ig is None:
            variables.append(var)
            continue
        stated = {"label": ig.label, "type": ig.type, "core": ig.core, **({"role": ig.role} if ig.role else {})}
        for key, value in stated.items():
            if key in var and _differs(key, var[key], value):
                said = ("Num" if value in _NUMERIC else "Char") if key == "type" else value
                warnings.append(doc.issue(("variables", i, key), f"{dataset}.{var['name']}",
                                          f"{key} {var[key]!r} differs from {standard} ({said!r}); kept as stated"))
        variables.append({**{k: v for k, v in stated.items() if k not in var}, **var})
    return YamlDocument(doc.file, {**data, "variables": variables}, doc.value_positions, doc.key_positions), warnings


def _differs(key: str, stated: Any, ig: str) -> bool:
    if key == "type":
        return (stated in _NUMERIC) != (ig in _NUMERIC)
    return stated != ig


def ig_order(dataset: str, klass: str, names: list[str]) -> list[int]:
    """Positions of ``names`` in SDTMIG order (as listed for ADaM, whose IG sets none); a variable the IG
    does not define keeps its place after the one listed before it.

    >>> ig_order("AE", "EVENTS", ["STUDYID", "AETERM", "AESPONSOR", "AESEQ", "USUBJID"])
    [0, 4, 3, 1, 2]
    """
    keys: list[tuple[int, int]] = []
    previous = 0
    for position, name in enumerate(names):
        ig = ig_variable(dataset, klass, name)
        previous = ig.order if ig is not None and ig.order is not None else previous
        keys.append((previous, position))
    return sorted(range(len(names)), key=lambda i: keys[i])
