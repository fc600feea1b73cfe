"""Render a :class:`Comparison` as text (PROC COMPARE layout), JSON or one self-contained HTML page."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
from jinja2 import Environment, select_autoescape

from cdisc.compare.engine import DatasetDiff
from cdisc.compare.html import TEMPLATE
from cdisc.compare.paths import Comparison


def text_report(result: Comparison) -> str:
    """Summary of every dataset first, then attribute differences, unmatched records and differing values."""
    lines = [f"Comparison of {result.base} (base) with {result.compare} (compare)", ""]
    lines += ["Summary", _table(summary_frame(result)), ""]
    if result.only_base:
        lines.append(f"Datasets only in base: {', '.join(result.only_base)}")
    if result.only_compare:
        lines.append(f"Datasets only in compare: {', '.join(result.only_compare)}")
    for reason in result.not_compared:
        lines.append(f"Not compared: {reason}")
    for diff in result.datasets:
        lines += ["", _dataset_text(diff)]
    lines += ["", compared_line(result), f"Result: {result.verdict}"]
    return "\n".join(lines).rstrip() + "\n"


def compared_line(result: Comparison) -> str:
    """How much was compared: ``Compared 3 dataset(s), 1,204 record(s); 1 dataset(s) differ, ...``."""
    differing = sum(not d.equal for d in result.datasets)
    parts = [f"{differing} dataset(s) differ"]
    if result.only_base or result.only_compare:
        parts.append(f"{len(result.only_base)} only in base, {len(result.only_compare)} only in compare")
    if result.not_compared:
        parts.append(f"{len(result.not_compared)} pair(s) not compared")
    return f"Compared {len(result.datasets)} dataset(s), {result.records_compared:,} record(s); " + ", ".join(parts)


def summary_frame(result: Comparison) -> pd.DataFrame:
    """One row per compared dataset: observation and variable counts and how many differ."""
    rows = [
        {
            "dataset": d.name,
            "keys": ", ".join(d.keys) or "(record order)",
            "base obs": d.base_rows,
            "compare obs": d.compare_rows,
            "matched": d.matched,
            "only base": d.only_base_count,
            "only compare": d.only_compare_count,
            "vars compared": len(d.compared),
            "vars differing": len(d.values),
            "values differing": sum(v.count for v in d.values),
            "vars one side": len(d.only_base_variables) + len(d.only_compare_variables),
            "attribute diffs": len(d.attributes),
            "duplicate keys": d.duplicate_count,
            "result": "equal" if d.equal else "different",
        }
        for d in result.datasets
    ]
    return pd.DataFrame(rows)


def _dataset_text(diff: DatasetDiff) -> str:
    lines = [f"== {diff.name}: {diff.base} vs {diff.compare}"]
    lines.append(
        f"   {diff.matched} matched observations, {diff.only_base_count} only in base, "
        f"{diff.only_compare_count} only in compare; {len(diff.compared)} variables compared, "
        f"{len(diff.values)} with differences"
    )
    if diff.only_base_variables:
        lines.append(f"   Variables only in base: {', '.join(diff.only_base_variables)}")
    if diff.only_compare_variables:
        lines.append(f"   Variables only in compare: {', '.join(diff.only_compare_variables)}")
    if diff.attributes:
        frame = pd.DataFrame([vars(a) for a in diff.attributes]).replace({"variable": {"": "(dataset)"}})
        lines += ["", "   Attribute differences", _table(frame, indent=3)]
    for title, frame, count in (
        ("Records with duplicate keys (not matched)", diff.duplicates, diff.duplicate_count),
        ("Observations only in base", diff.only_base, diff.only_base_count),
        ("Observations only in compare", diff.only_compare, diff.only_compare_count),
    ):
        if count:
            shown = f" (first {len(frame)})" if len(frame) < count else ""
            lines += ["", f"   {title}: {count}{shown}", _table(frame, indent=3)]
    if diff.values:
        summary = pd.DataFrame(
            [{"variable": v.variable, "differences": v.count, "max abs diff": v.max_difference} for v in diff.values]
        )
        lines += ["", "   Value differences", _table(summary, indent=3)]
        for value in diff.values:
            shown = f" (first {len(value.records)})" if len(value.records) < value.count else ""
            lines += ["", f"   {value.variable}: {value.count} differing value(s){shown}", _table(value.records, indent=3)]
    for note in diff.notes:
        lines.append(f"   Note: {note}")
    return "\n".join(lines)


def _table(frame: pd.DataFrame, indent: int = 0) -> str:
    """Fixed-width table; BASE and COMPARE text is quoted so that blanks and trailing spaces show."""
    if frame.empty:
        return " " * indent + "(none)"
    cells = frame.astype(object).apply(
        lambda column: column.map(_quoted if column.name in ("BASE", "COMPARE") else _cell)
    )
    text = cells.to_string(index=False)
    return "\n".join(" " * indent + line for line in text.splitlines())


def _cell(value: Any) -> str:
    """A value as SAS shows it: ``.`` for a missing number, numbers without a trailing ``.0``."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "."
    if isinstance(value, float):
        return f"{value:.12g}"
    return str(value)


def _quoted(value: Any) -> str:
    return repr(value) if isinstance(value, str) else _cell(value)


def to_json(result: Comparison) -> str:
    """The full comparison as JSON (records as lists of objects; missing values as null)."""
    return json.dumps(to_dict(result), indent=2, default=str) + "\n"


def to_dict(result: Comparison) -> dict[str, Any]:
    return {
        "base": result.base,
        "compare": result.compare,
        "equal": result.equal,
        "result": result.verdict,
        "datasets_compared": len(result.datasets),
        "records_compared": result.records_compared,
        "datasets_only_in_base": result.only_base,
        "datasets_only_in_compare": result.only_compare,
        "not_compared": result.not_compared,
        "datasets": [_dataset_dict(d) for d in result.datasets],
    }


def _dataset_dict(diff: DatasetDiff) -> dict[str, Any]:
    return {
        "name": diff.name,
        "base": diff.base,
        "compare": diff.compare,
        "equal": diff.equal,
        "keys": diff.keys,
        "observations": {
            "base": diff.base_rows,
            "compare": diff.compare_rows,
            "matched": diff.matched,
            "only_in_base": diff.only_base_count,
            "only_in_compare": diff.only_compare_count,
            "only_in_base_first": _records(diff.only_base),
            "only_in_compare_first": _records(diff.only_compare),
            "duplicate_keys": diff.duplicate_count,
            "duplicate_keys_first": _records(diff.duplicates),
        },
        "variables_only_in_base": diff.only_base_variables,
        "variables_only_in_compare": diff.only_compare_variables,
        "attribute_differences": [vars(a) for a in diff.attributes],
        "variables_compared": diff.compared,
        "value_differences": [
            {"variable": v.variable, "count": v.count, "max_abs_difference": v.max_difference, "first": _records(v.records)}
            for v in diff.values
        ],
        "notes": diff.notes,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [{k: _plain(v) for k, v in row.items()} for row in clean.to_dict(orient="records")]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def to_html(result: Comparison) -> str:
    """A self-contained HTML page (inline CSS, no scripts or external links)."""
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    environment.filters["cell"] = _cell
    environment.filters["quoted"] = _quoted
    template = environment.from_string(TEMPLATE)
    return template.render(result=result, summary=summary_frame(result), datasets=result.datasets, compared=compared_line(result))
