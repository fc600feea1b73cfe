"""Render a :class:`Validation`: a rich terminal summary, JSON, and one self-contained HTML page."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, select_autoescape
from rich.console import Console
from rich.table import Table

from cdisc.checks.html import TEMPLATE
from cdisc.checks.run import Validation

_STYLE = {"error": "bold red", "warning": "yellow", "notice": "cyan"}


def print_summary(validation: Validation, console: Console, limit: int = 200) -> None:
    """Findings grouped by rule, dataset and variable (errors first), then totals and skipped rules."""
    summary = validation.summary()
    if len(summary):
        table = Table(title=f"Validation of {validation.submission.root}", show_lines=False)
        for column in ("severity", "rule", "dataset", "variable", "count", "message (first)"):
            table.add_column(column, overflow="fold")
        for row in summary.head(limit).itertuples(index=False):
            table.add_row(f"[{_STYLE[row.severity]}]{row.severity}[/]", row.rule, row.dataset, row.variable,
                          str(row.count), row.message)
        console.print(table)
        if len(summary) > limit:
            console.print(f"... {len(summary) - limit} more groups; see the JSON or HTML report")
    datasets = len(validation.submission.datasets)
    console.print(
        f"{datasets} dataset(s) checked with {len(validation.rules) - len(validation.skipped)} rule(s): "
        f"[bold red]{validation.count('error')} error(s)[/], [yellow]{validation.count('warning')} warning(s)[/], "
        f"{validation.count('notice')} notice(s)"
    )
    for rule_id, reason in validation.skipped.items():
        console.print(f"not run: {rule_id}: {reason}", markup=False)


def to_dict(validation: Validation) -> dict[str, Any]:
    findings = validation.findings.astype(object).where(validation.findings.notna(), None)
    return {
        "root": str(validation.submission.root),
        "counts": {s: validation.count(s) for s in ("error", "warning", "notice")},
        "datasets": [
            {"name": d.name, "model": d.model, "path": str(d.table.path), "records": d.records, "keys": d.keys}
            for d in validation.submission.datasets
        ],
        "rules": [
            {"id": r.id, "title": r.title, "citation": r.citation, "severity": r.severity, "run": r.id not in validation.skipped}
            for r in validation.rules
        ],
        "skipped": validation.skipped,
        "findings": findings.to_dict(orient="records"),
    }


def to_json(validation: Validation) -> str:
    """Every finding, the rule catalogue and the counts, as JSON."""
    return json.dumps(to_dict(validation), indent=2, default=str) + "\n"


def to_html(validation: Validation, per_group: int = 50) -> str:
    """A self-contained page: counts, grouped summary, the first records of each group, the rule catalogue."""
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    findings = validation.findings.assign(row=validation.findings["row"].astype("str").replace("<NA>", ""))
    groups = [
        (key, frame.head(per_group), len(frame))
        for key, frame in findings.groupby(["rule", "dataset", "variable"], sort=False, dropna=False)
    ]
    return environment.from_string(TEMPLATE).render(
        validation=validation, summary=validation.summary(), groups=groups, per_group=per_group,
        counts={s: validation.count(s) for s in ("error", "warning", "notice")},
    )
