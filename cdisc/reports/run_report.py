"""``run-report.html``: what a data manager reads after a run, as one self-contained file.

Datasets with their record and variable counts, reconciliation per raw table (rows and columns),
validation findings, warnings, the readable listings the specs ask for (``listing: true``: the
dose-escalation table among them) and every plot the run wrote into ``reports/`` (PNG files,
base64-embedded). No script, no external link: the file opens the same anywhere.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["RunReport", "columns_per_table", "run_report_html"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:80em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.n{text-align:right}
pre{background:#f8f8f8;padding:.6em;overflow-x:auto;font-size:.85em}
figure{display:inline-block;margin:.5em}figcaption{font-size:.8em;color:#555}
img{max-width:36em;border:1px solid #ddd}.ok{color:#1a7f37}.bad{color:#b42318}
"""


@dataclass(frozen=True)
class RunReport:
    """Everything the report shows; each part may be empty."""

    title: str
    created: str
    datasets: pd.DataFrame  # dataset, standard, records, variables
    reconciliation: pd.DataFrame | None = None  # per raw table: rows and what became of them
    columns: pd.DataFrame | None = None  # per raw table: columns mapped, used, not submitted
    findings: pd.DataFrame | None = None  # validation: rule, severity, dataset, row, variable, value, message
    warnings: Sequence[str] = ()
    listings: Mapping[str, str] = field(default_factory=dict)  # dataset -> its readable listing text
    images: Mapping[str, bytes] = field(default_factory=dict)  # file name -> PNG bytes


def columns_per_table(columns: pd.DataFrame) -> pd.DataFrame:
    """Raw columns per table and status (``reports/columns.csv`` counted).

    >>> frame = pd.DataFrame({"table": ["ae", "ae", "dm"], "column": ["A", "B", "C"],
    ...                       "status": ["mapped", "used", "mapped"]})
    >>> columns_per_table(frame).to_dict(orient="records")
    [{'table': 'ae', 'columns': 2, 'mapped': 1, 'used': 1}, {'table': 'dm', 'columns': 1, 'mapped': 1, 'used': 0}]
    """
    counts = pd.crosstab(columns["table"], columns["status"])
    counts.columns = counts.columns.astype(str)
    counts.insert(0, "columns", counts.sum(axis=1))
    counts.columns.name = None
    return counts.reset_index().astype({c: int for c in counts.columns})


def _table(frame: pd.DataFrame | None, empty: str) -> str:
    if frame is None or frame.empty:
        return f"<p>{html.escape(empty)}</p>"
    return frame.to_html(index=False, escape=True, na_rep="", border=0)


def _findings(findings: pd.DataFrame | None) -> str:
    if findings is None:
        return "<p>Validation did not run.</p>"
    if findings.empty:
        return '<p class="ok">No findings.</p>'
    counts = findings.groupby(["severity", "rule", "dataset"], dropna=False).size().rename("findings").reset_index()
    first = findings.drop_duplicates(["severity", "rule", "dataset"])[["severity", "rule", "dataset", "message"]]
    summary = counts.merge(first, on=["severity", "rule", "dataset"], how="left").rename(columns={"message": "first message"})
    return _table(summary.sort_values(["severity", "rule", "dataset"], kind="stable"), "")


def _images(images: Mapping[str, bytes]) -> str:
    if not images:
        return "<p>No plots in reports/.</p>"
    return "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'
        f"<figcaption>{html.escape(name)}</figcaption></figure>"
        for name, png in sorted(images.items())
    )


def run_report_html(report: RunReport) -> str:
    """The report as one HTML page (images inline as ``data:`` URIs).

    >>> page = run_report_html(RunReport("Study S1", "2026-01-20T09:00:00",
    ...     pd.DataFrame({"dataset": ["DM"], "standard": ["sdtm"], "records": [3], "variables": [20]})))
    >>> "<td>DM</td>" in page and "<script" not in page
    True
    """
    errors = 0 if report.findings is None else int((report.findings["severity"] == "error").sum())
    verdict = "" if report.findings is None else (
        f'<p class="{"bad" if errors else "ok"}">{errors} validation error(s), {len(report.findings)} finding(s) in all.</p>'
    )
    listings = "".join(
        f"<h3>{html.escape(name)}</h3><pre>{html.escape(text)}</pre>" for name, text in report.listings.items()
    ) or "<p>No dataset asks for a listing.</p>"
    warnings = (
        "<ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in report.warnings) + "</ul>" if report.warnings else '<p class="ok">None.</p>'
    )
    columns = None if report.columns is None else columns_per_table(report.columns)
    reconciliation = report.reconciliation
    if reconciliation is not None and columns is not None:
        reconciliation = reconciliation.merge(columns, on="table", how="left")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(report.title)}: run report</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1><p>Converted {html.escape(report.created)}</p>",
        f'<h2 id="datasets">Datasets ({len(report.datasets)})</h2>', _table(report.datasets, "No dataset was built."),
        '<h2 id="reconciliation">Reconciliation per raw table (rows and columns)</h2>',
        _table(reconciliation, "The study reads no raw tables."),
        '<h2 id="validation">Validation findings</h2>', verdict, _findings(report.findings),
        f'<h2 id="warnings">Warnings ({len(report.warnings)})</h2>', warnings,
        '<h2 id="listings">Listings</h2>', listings,
        f'<h2 id="plots">Plots ({len(report.images)})</h2>', _images(report.images),
        "</body></html>",
        "",
    ])
