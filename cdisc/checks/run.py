"""Run every registered rule on an output folder and collect the findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdisc.checks import (  # noqa: F401  (registers the rules)
    rules_consistency,
    rules_define,
    rules_metadata,
    rules_submission,
    rules_terms,
    rules_values,
)
from cdisc.checks.package import Submission, load_submission
from cdisc.checks.registry import COLUMNS, RULES, SEVERITIES, Rule, empty_findings
from cdisc.checks.standards import load_standards, locate_standards


@dataclass
class Validation:
    """Findings of one validation run, and the rules that could not run (with why)."""

    submission: Submission
    findings: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)

    def count(self, severity: str) -> int:
        return int((self.findings["severity"] == severity).sum())

    @property
    def rules(self) -> list[Rule]:
        return list(RULES.values())

    def summary(self) -> pd.DataFrame:
        """Findings grouped by rule, dataset and variable, errors first."""
        if self.findings.empty:
            return pd.DataFrame(columns=["rule", "severity", "dataset", "variable", "count", "message"])
        grouped = (
            self.findings.groupby(["rule", "severity", "dataset", "variable"], sort=False, dropna=False)
            .agg(count=("message", "size"), message=("message", "first"))
            .reset_index()
        )
        rank = grouped["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
        return grouped.assign(_rank=rank).sort_values(["_rank", "rule", "dataset", "variable"]).drop(columns="_rank").reset_index(drop=True)


def validate(root: Path, standards: Path | None = None) -> Validation:
    """Validate every ``.xpt`` under ``root`` with every rule; IG/CT metadata from ``standards``, else the shipped copy."""
    submission = load_submission(root, load_standards(locate_standards(standards)))
    frames: list[pd.DataFrame] = []
    skipped: dict[str, str] = {}
    for rule in RULES.values():
        frames += list(rule.check(submission))
    frames = [f for f in frames if not f.empty]
    found = pd.concat(frames, ignore_index=True)[COLUMNS] if frames else empty_findings()
    for problem in submission.unreadable:
        skipped.setdefault("(read)", "")
        skipped["(read)"] += problem + "; "
    return Validation(submission, found, skipped)
