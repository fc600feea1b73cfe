"""Run a study: load and check its specs, build every dataset in dependency order, write outputs
(XPT, define.xml and its HTML view per standard, lineage, exclusions and reconciliation reports).

Outputs are all-or-nothing: every dataset is built and every file written into
a staging folder first; only when all succeeded are the files moved into the
output folder. A failure leaves the previous outputs as they were.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rich.console import Console

from cdisc.adam.engine import build_adam_dataset
from cdisc.built import BuiltDataset
from cdisc.definexml import DefineDataset, write_define
from cdisc.listing import render_listing
from cdisc.raw import FILE, ROW
from cdisc.sdtm.engine import build_dataset
from cdisc.sdtm.reconcile import reconcile
from cdisc.spec.adam import AdamDataset
from cdisc.spec.load import Study, display_path, load_study
from cdisc.spec.models import NUMERIC_TYPES, SUPP_COLUMNS, SdtmDataset
from cdisc.xpt import XptDataset, XptError, XptVariable, write_xpt



@dataclass
class RunResult:
    """What a run built and wrote, for the summary users read."""

    study: Study
    out_dir: Path
    built: list[BuiltDataset] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    reconciliation: pd.DataFrame | None = None

    def summary_lines(self) -> list[str]:
        lines = [f"Study {self.study.spec.study.id}: {len(self.built)} dataset(s) written to {display_path(self.out_dir)}"]
        for result in self.built:
            excluded = f", {len(result.excluded)} source row(s) excluded with a reason" if len(result.excluded) else ""
            supp = f", SUPP{result.spec.dataset} {len(result.supp)} record(s)" if result.supp is not None else ""
            lines.append(f"  {result.spec.dataset:<8} {len(result.frame):>7} record(s){supp}{excluded}")
        if self.reconciliation is not None:
            totals = self.reconciliation[["rows", "excluded", "not_converted"]].sum()
            lines.append(
                f"Reconciliation: {totals['rows']} raw row(s) in {len(self.reconciliation)} table(s), all accounted for "
                f"({totals['excluded']} excluded with a reason, {totals['not_converted']} in tables not converted); "
                "see reports/reconciliation.csv"
            )
        warnings = [w for result in self.built for w in result.warnings]
        if warnings:
            lines.append(f"{len(warnings)} warning(s):")
            lines += [f"  {w}" for w in warnings]
        return lines


def xpt_metadata(spec: SdtmDataset | AdamDataset) -> XptDataset:
    """XPT attributes of a dataset, straight from its spec."""
    variables = tuple(
        XptVariable(v.name, v.label, "num" if v.type in NUMERIC_TYPES else "char", v.length, v.format or "")
        for v in spec.variables
        if not getattr(v, "temporary", False)
    )
    return XptDataset(spec.dataset, spec.label, variables)


def supp_metadata(spec: SdtmDataset) -> XptDataset:
    """XPT attributes of the SUPP-- dataset of a domain."""
    variables = tuple(XptVariable(name, label, "char") for name, label, _ in SUPP_COLUMNS)
    return XptDataset(f"SUPP{spec.dataset}", f"Supplemental Qualifiers for {spec.dataset}", variables)


def run_study(folder: Path, out_dir: Path | None = None, progress: Console | None = None, raw: Path | None = None) -> RunResult:
    """Build every dataset of the study in ``folder`` and write its outputs to ``out_dir``.

    ``raw`` converts the raw extract in that folder instead of the one study.yaml names.
    """
    study = load_study(folder, raw)
    target = out_dir if out_dir is not None else study.resolve(study.spec.output.folder)
    result = RunResult(study, target)
    frames = {name: study.input_frame(name) for name in study.input_files}
    for name, dataset in study.datasets.items():
        if progress is not None:
            progress.print(f"building {name} from {dataset.spec.source.name}", markup=False)
        build = build_adam_dataset if isinstance(dataset.spec, AdamDataset) else build_dataset
        built = build(study, dataset.spec, frames)
        frames[name] = built.frame
        if built.supp is not None:
            frames[f"SUPP{name}"] = built.supp
        result.built.append(built)
    result.reconciliation = reconcile(study, result.built)
    result.files = _write_outputs(study, result.built, result.reconciliation, target)
    return result


def _write_outputs(study: Study, built: list[BuiltDataset], reconciliation: pd.DataFrame, target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    created = study.spec.output.created
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target))
    try:
        for result in built:
            folder = staging / result.standard
            folder.mkdir(exist_ok=True)
            _write_dataset(result, folder, created)
            if result.supp is not None:
                write_xpt(result.supp, supp_metadata(result.spec), folder, created=created)
            _write_csv(result.lineage, folder / "lineage" / f"{result.spec.dataset.lower()}.csv")
            if getattr(result.spec, "listing", False):
                listing = staging / "reports" / f"{result.spec.dataset.lower()}.txt"
                listing.parent.mkdir(exist_ok=True)
                listing.write_text(render_listing(result.frame, result.spec), encoding="utf-8")
        for standard in ("sdtm", "adam"):
            described = [DefineDataset(r.spec, r.frame, r.supp) for r in built if r.standard == standard]
            if described:
                write_define(study, described, staging / standard)
        excluded = pd.concat([r.excluded for r in built], ignore_index=True) if built else pd.DataFrame()
        _write_csv(excluded, staging / "reports" / "excluded.csv")
        _write_csv(reconciliation, staging / "reports" / "reconciliation.csv")
        return _move_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_dataset(result: BuiltDataset, folder: Path, created) -> None:
    """The dataset's XPT file; an XPT rule broken by some values names the source rows behind them."""
    try:
        write_xpt(result.frame, xpt_metadata(result.spec), folder, created=created)
    except XptError as exc:
        if exc.rows is None or not {FILE, ROW} <= set(result.lineage.columns):
            raise
        source = result.lineage.iloc[exc.rows[:5]]
        where = ", ".join(f"{f} row {r}" for f, r in zip(source[FILE], source[ROW]))
        raise type(exc)(f"{exc}; source: {where}", rows=exc.rows) from None


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")


def _move_into_place(staging: Path, target: Path) -> list[Path]:
    moved = []
    for source in sorted(p for p in staging.rglob("*") if p.is_file()):
        destination = target / source.relative_to(staging)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, destination)
        moved.append(destination)
    return moved
