"""Run every registered rule on an output folder and collect the findings.

The datasets take turns (:meth:`~cdisc.checks.loading.Loader.turns`): on each, every rule that is not ``across``
runs on the submission's view of that dataset, and the dataset's kept summaries are computed; its records are then
let go. The rules that run ``across`` run once after the last turn. Findings come in rule order, then (for rules
run per dataset) in dataset order, as if every rule had run once on the whole submission. A dataset's turn is
:func:`check_turn`, also where a worker process runs it (:mod:`cdisc.checks.ahead`) for ``checked``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cdisc.checks import (  # noqa: F401  (registers the rules)
    rules_consistency,
    rules_define,
    rules_metadata,
    rules_submission,
    rules_terms,
    rules_values,
)
from cdisc.checks.loading import open_submission
from cdisc.checks.package import Dataset, Submission
from cdisc.checks.registry import COLUMNS, KEPT, RULES, SEVERITIES, Rule, empty_findings
from cdisc.checks.standards import load_standards, locate_standards
from cdisc.compare.tables import Table, read_table

if TYPE_CHECKING:
    from cdisc.checks.ahead import CheckedFile


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


def validate(root: Path, standards: Path | None = None, read: Callable[[Path], Table] = read_table,
             checked: Mapping[Path, CheckedFile] | None = None) -> Validation:
    """Validate every ``.xpt`` under ``root`` with every rule; IG/CT metadata from ``standards``, else the shipped copy.
    ``read`` reads a dataset file (as :func:`~cdisc.compare.tables.read_table`, or a copy of what it read before);
    ``checked``: the per-dataset findings worker processes made on dataset files, by path (:mod:`cdisc.checks.ahead`)."""
    loader = open_submission(root, load_standards(locate_standards(standards)), read, checked)
    submission = loader.submission
    per_dataset: dict[Path, dict[str, list[pd.DataFrame]]] = {}  # dataset file -> rule -> findings
    for dataset, view in loader.turns():
        per_dataset[dataset.table.path] = check_turn(dataset, view)
    per_dataset |= loader.findings()
    frames: list[pd.DataFrame] = []
    for rule in RULES.values():
        if rule.across:
            frames += list(rule.check(submission))
        else:
            frames += [f for dataset in submission.datasets for f in per_dataset[dataset.table.path].get(rule.id, [])]
    for dataset in submission.datasets:
        dataset.release()
    frames = [f for f in frames if not f.empty]
    skipped: dict[str, str] = {}
    found = pd.concat(frames, ignore_index=True)[COLUMNS] if frames else empty_findings()
    for problem in submission.unreadable:
        skipped.setdefault("(read)", "")
        skipped["(read)"] += problem + "; "
    return Validation(submission, found, skipped)


def check_turn(dataset: Dataset, view: Submission) -> dict[str, list[pd.DataFrame]]:
    """A dataset's turn: the findings of every rule that is not ``across`` on ``view`` (the submission as the rules see
    it then), by rule; and the dataset's kept summaries, computed."""
    found = {rule.id: [f for f in rule.check(view) if not f.empty] for rule in RULES.values() if not rule.across}
    for name, summary in KEPT.items():
        dataset.kept[name] = summary(dataset)
    return found
