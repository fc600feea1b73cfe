"""Submission-level rules: FDA technical rejection criteria and subject traceability."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cdisc.checks.iso8601 import full_dates
from cdisc.checks.package import Submission, member
from cdisc.checks.registry import findings, rule


@rule("FDA-1734", "TS missing or without a valid SSTDTC",
      "FDA Technical Rejection Criteria for Study Data, 1734 (ts.xpt with study start date); P21 SD1115, SD2232, SD2247", "error", across=True)
def trial_summary(submission: Submission) -> Iterator[pd.DataFrame]:
    for package in submission.packages:
        if package.model != "SDTM":
            continue
        ts = next((d for d in submission.datasets if d.name == "TS" and d.table.path.parent == package.folder), None)
        if ts is None:
            yield findings("FDA-1734", "TS", f"{package.folder}: ts.xpt is missing; FDA rejects SDTM without it")
            continue
        if not {"TSPARMCD", "TSVAL"} <= set(ts.frame.columns):
            yield findings("FDA-1734", "TS", "TS has no TSPARMCD/TSVAL, so the study start date (SSTDTC) cannot be given")
            continue
        rows = ts.frame.index[ts.column("TSPARMCD").astype("str").str.strip() == "SSTDTC"]
        if len(rows) == 0:
            yield findings("FDA-1734", "TS", "TS has no TSPARMCD = 'SSTDTC' record (study start date)", variable="TSPARMCD")
            continue
        value = ts.frame.loc[rows, "TSVAL"]
        bad = full_dates(value).isna().to_numpy()
        if bad.any():
            yield findings("FDA-1734", "TS", "TSVAL for SSTDTC is not a complete ISO 8601 date (YYYY-MM-DD)",
                           rows=np.asarray(rows)[bad], variable="TSVAL", values=ts.column("TSVAL"))


def _package_files(submission: Submission, model: str, required: str, rule_id: str) -> Iterator[pd.DataFrame]:
    for package in submission.packages:
        if package.model != model:
            continue
        if required not in package.files:
            yield findings(rule_id, required.split(".")[0].upper(), f"{package.folder}: {required} is missing; FDA rejects {model} without it")
        if package.define is None:
            yield findings(rule_id, "", f"{package.folder}: define.xml is missing; FDA rejects {model} without it")


@rule("FDA-1735", "SDTM without dm.xpt or define.xml", "FDA Technical Rejection Criteria for Study Data, 1735 (DM and define.xml for SDTM)", "error",
      across=True)
def sdtm_package(submission: Submission) -> Iterator[pd.DataFrame]:
    yield from _package_files(submission, "SDTM", "dm.xpt", "FDA-1735")


@rule("FDA-1736", "ADaM without adsl.xpt or define.xml", "FDA Technical Rejection Criteria for Study Data, 1736 (ADSL and define.xml for ADaM)", "error",
      across=True)
def adam_package(submission: Submission) -> Iterator[pd.DataFrame]:
    yield from _package_files(submission, "ADaM", "adsl.xpt", "FDA-1736")


def _untraced(submission: Submission, parent: str, model: str | None, rule_id: str) -> Iterator[pd.DataFrame]:
    source = submission.find(parent)
    if source is None or "USUBJID" not in source.frame.columns:
        return
    subjects = pd.Index(source.text("USUBJID").values)  # (distinct already)
    for dataset in submission.datasets:
        if dataset is source or (model and dataset.model != model) or "USUBJID" not in dataset.frame.columns:
            continue
        text = dataset.text("USUBJID")
        bad = text.per_record((text.values != "").to_numpy(bool) & ~member(text.values, subjects))
        if bad.any():
            yield findings(rule_id, dataset.name, f"USUBJID is not in {parent}", rows=np.flatnonzero(bad),
                           variable="USUBJID", values=text.column(dataset.frame.index))


@rule("TRACE-DM", "Subject not in DM", "SDTMIG 3.4 §5.2 DM (one record per subject; every subject in DM); P21 SD0064", "error")
def subjects_in_dm(submission: Submission) -> Iterator[pd.DataFrame]:
    yield from _untraced(submission, "DM", None, "TRACE-DM")


@rule("TRACE-ADSL", "ADaM subject not in ADSL", "ADaMIG 1.3 ADSL (one record per subject; every ADaM subject comes from ADSL)", "error")
def subjects_in_adsl(submission: Submission) -> Iterator[pd.DataFrame]:
    yield from _untraced(submission, "ADSL", "ADaM", "TRACE-ADSL")


@rule("RAW-COLUMNS", "Collected raw column neither submitted nor declared not submitted",
      "FDA Study Data Technical Conformance Guide (collected data are submitted; data not submitted are explained in the "
      "reviewer's guide); cdisc run reports/columns.csv", "error", across=True)
def raw_columns(submission: Submission) -> Iterator[pd.DataFrame]:
    """The run's column reconciliation (``reports/columns.csv``: table, column, status, target) lists no column
    with status ``unaccounted``; outputs without the report are not checked."""
    path = submission.root / "reports" / "columns.csv"
    if not path.is_file():
        return
    usage = pd.read_csv(path, dtype="str", keep_default_na=False)
    missing = usage[usage["status"] == "unaccounted"].reset_index(drop=True)
    if len(missing):
        yield findings("RAW-COLUMNS", "", "raw column " + missing["table"] + "." + missing["column"] + " is neither mapped, used nor declared not submitted",
                       rows=np.arange(len(missing)), variable="", values=missing["table"] + "." + missing["column"])
