"""Column reconciliation: every raw column is mapped to a variable, used to select, join or date records, or
declared not submitted with a reason (``not_submitted`` in study.yaml); a column that is none of these is
collected data silently dropped. A run lists them in ``reports/columns.csv`` and its summary; ``cdisc validate``
reports them as errors (rule RAW-COLUMNS).

The same table drives the annotated CRF (:mod:`cdisc.definexml.acrf`): each raw field with the SDTM
variables it maps to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
from pydantic import BaseModel

from cdisc.raw import read_columns
from cdisc.spec.load import Study
from cdisc.spec.sdtm import SdtmDataset

STATUSES = ("mapped", "used", "not_submitted", "unaccounted")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_VARIABLE = re.compile(r"[A-Z][A-Z0-9]*\.[A-Z][A-Z0-9_]*")


def _strings(value: Any) -> Iterator[str]:
    """Every string in a spec value (models, dicts, lists), keys included."""
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True, exclude_none=True)
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _strings(item)


def _named(value: Any, columns: set[str]) -> set[str]:
    """The columns a spec value names: a whole string, or a name inside an expression (``AEYN == "N"``)."""
    found = set()
    for text in _strings(value):
        found |= {token for token in _TOKEN.findall(text) if token in columns} | ({text} & columns)
    return found


def _read(rules: Any) -> Any:
    """The parameters of a variable's rule that may name raw columns: none for a fixed value (``hardcode: ECOG`` is
    a value, not the column ECOG)."""
    if rules is None or rules.rule[0] == "hardcode":
        return None
    return rules.rule[1]


def _test_targets(prefix: str, test) -> Iterator[tuple[Any, str]]:
    """(spec value, target variable) for the columns a findings test maps."""
    selected = f" where {prefix}TESTCD = {test.testcd}"
    yield test.result, f"{prefix}ORRES{selected}"
    yield test.unit, f"{prefix}ORRESU{selected}"
    if test.range is not None:
        yield test.range.low, f"{prefix}ORNRLO{selected}"
        yield test.range.high, f"{prefix}ORNRHI{selected}"
    if test.lloq is not None:
        yield test.lloq, f"{prefix}LLOQ{selected}"
    if test.not_done is not None:
        yield test.not_done.reason, f"{prefix}REASND{selected}"


def column_usage(study: Study) -> pd.DataFrame:
    """One row per raw column and what it became: ``table, column, status, target`` (``target`` names the
    variables, or the reason it is not submitted), in the raw tables' column order."""
    columns = {name: read_columns(table) for name, table in study.raw_tables.items()}
    mapped: dict[tuple[str, str], set[str]] = {}
    used: dict[tuple[str, str], set[str]] = {}

    def mark(into: dict, tables: list[str], value: Any, target: str) -> None:
        for table in tables:
            for column in _named(value, set(columns.get(table, ()))):
                into.setdefault((table, column), set()).add(target)

    for file in study.datasets.values():
        spec = file.spec
        if not isinstance(spec, SdtmDataset):
            continue
        name = spec.dataset
        for part in spec.parts:  # each part's raw table (and its merges) with the part's own rules
            if part.source.table is not None:
                tables = [part.source.table, *[m.table for m in part.source.merge]]
                for variable, rules in part.variables.items():
                    mark(mapped, tables, _read(rules), f"{name}.{variable}")
                mark(used, tables, part.source, f"{name} (selects or joins records)")
        source = spec.source
        if source.table is None:  # SDTM from a raw table (not records or another dataset)
            continue
        tables = [source.table, *[m.table for m in source.merge]]
        for var in spec.variables:
            mark(mapped, tables, _read(var), f"{name}.{var.name}")
        for test in spec.tests:
            for value, target in _test_targets(name[:2], test):
                mark(mapped, tables, value, f"{name}.{target}")
            mark(used, tables, [test.when, test.not_done.when if test.not_done else None, test.summary], f"{name} (selects {test.testcd})")
        for qualifier in spec.supp:
            mark(mapped, tables, qualifier.rule[1], f"SUPP{name}.QVAL where QNAM = {qualifier.qnam}")
        mark(used, tables, source, f"{name} (selects or joins records)")
    for rule_name, rule in study.spec.reference_dates.items():
        for ref in rule.sources:
            mark(used, [ref.table], ref, f"DM.{rule_name}")
    if study.spec.subjects is not None:
        mark(used, list(columns), study.spec.subjects.usubjid, "USUBJID")
    rows = []
    for table, names in columns.items():
        declared = study.spec.not_submitted.get(table, {})
        for column in names:
            key = (table, column)
            if key in mapped:
                dated = {t for t in used.get(key, ()) if _VARIABLE.fullmatch(t)}  # also a reference date (DM.RFICDTC)
                rows.append((table, column, "mapped", "; ".join(sorted(mapped[key] | dated))))
            elif key in used:
                rows.append((table, column, "used", "; ".join(sorted(used[key]))))
            elif column in declared:
                rows.append((table, column, "not_submitted", declared[column]))
            elif table in study.spec.not_converted:
                rows.append((table, column, "not_submitted", study.spec.not_converted[table]))
            else:
                rows.append((table, column, "unaccounted", ""))
    return pd.DataFrame(rows, columns=["table", "column", "status", "target"])


def columns_summary(usage: pd.DataFrame) -> str:
    """One line for a run's summary: how many raw columns are submitted, used, declared not submitted, unaccounted."""
    counts = usage["status"].value_counts().reindex(list(STATUSES), fill_value=0)
    missing = usage[usage["status"] == "unaccounted"]
    named = ", ".join((missing["table"] + "." + missing["column"]).head(8)) + (" ..." if len(missing) > 8 else "")
    return (f"Columns: {len(usage)} raw column(s): {counts['mapped']} mapped, {counts['used']} used, {counts['not_submitted']} "
            f"declared not submitted, {counts['unaccounted']} not accounted for{': ' + named if named else ''}; see reports/columns.csv")
