"""The reports of a dataset's ``reports:`` list, rendered from the built dataset (file name -> bytes)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from cdisc.arrowtext import plain_columns
from cdisc.errors import DataError
from cdisc.reports.efficacy import efficacy_report
from cdisc.reports.efficacy_listings import concordance_listing
from cdisc.reports.pk import format_pk_summary, mean_concentration_pngs, summarise_concentrations, summarise_pk_parameters
from cdisc.reports.spec import ConcordanceListing, DatasetReport, KmSummary, MeanConcentrationPlot, PkParameterSummary, ResponseRates
from cdisc.spec.base import parsed
from cdisc.spec.expr import ExpressionDataError

ReportParams = MeanConcentrationPlot | PkParameterSummary | KmSummary | ResponseRates | ConcordanceListing


def dataset_reports(frame: pd.DataFrame, dataset: str, reports: list[DatasetReport], constants: dict) -> Iterator[tuple[str, bytes]]:
    """Each report's files as (file name, content): ``<dataset>_<group>.png`` per plot group,
    ``<dataset>_pk_summary.txt`` per parameter summary (numbered when a spec lists several)."""
    for index, report in enumerate(reports):
        kind, params = report.kind
        rows = _selected(frame, dataset, params.filter, constants, _columns(params))
        if isinstance(params, MeanConcentrationPlot):
            yield from _plots(rows, dataset, params)
        elif isinstance(params, PkParameterSummary):
            suffix = "" if sum(r.kind[0] == kind for r in reports) == 1 else f"_{index + 1}"
            yield f"{dataset.lower()}_pk_summary{suffix}.txt", _summary(rows, dataset, params).encode("utf-8")
        elif isinstance(params, KmSummary):
            text, plots = efficacy_report(rows, rows.iloc[:0], group_var=params.group_var, tte_params=params.params,
                                          rate_params=(), group_label=params.group_label)
            yield f"{dataset.lower()}_km_summary.txt", f"{dataset}: Kaplan-Meier summary\n\n{text}".encode()
            for code, png in plots.items():
                yield f"{dataset.lower()}_km_{_slug((code,))}.png", png
        elif isinstance(params, ResponseRates):
            text, _ = efficacy_report(rows.iloc[:0], rows, group_var=params.group_var, tte_params=(),
                                      rate_params=params.params, group_label=params.group_label)
            yield f"{dataset.lower()}_response_rates.txt", f"{dataset}: response rates\n\n{text}".encode()
        elif isinstance(params, ConcordanceListing):
            yield f"{dataset.lower()}_concordance.txt", concordance_listing(rows, dataset, params).encode("utf-8")


def _columns(params: ReportParams) -> list[str]:
    """The variables a report reads: only these are copied with the records its filter keeps."""
    if isinstance(params, MeanConcentrationPlot):
        return [*params.by_vars, params.group_var, params.time, params.value, *([params.unit] if params.unit else [])]
    if isinstance(params, PkParameterSummary):
        return [*params.by_vars, params.param, params.value, *([params.unit] if params.unit else [])]
    if isinstance(params, KmSummary):
        return ["PARAMCD", "PARAM", "AVAL", "CNSR", *([params.group_var] if params.group_var else [])]
    if isinstance(params, ResponseRates):
        return ["PARAMCD", "PARAM", "AVALC", *([params.group_var] if params.group_var else [])]
    return ["PARAMCD", "AVALC", *params.keys, *params.components]


def _selected(frame: pd.DataFrame, dataset: str, text: str | None, constants: dict, columns: list[str]) -> pd.DataFrame:
    """The records meeting the report's filter, with those of ``columns`` that the dataset has; text held once per
    distinct value (:func:`~cdisc.arrowtext.text_per_record`) as text, of these columns alone."""
    kept = list(dict.fromkeys(c for c in columns if c in frame.columns))
    if not text:
        return plain_columns(frame[kept])
    try:
        return plain_columns(frame.loc[parsed(text).mask(frame, constants).to_numpy(dtype=bool), kept])
    except ExpressionDataError as exc:
        raise DataError(f"{dataset}: report filter {text!r}: {exc}") from None


def _slug(values: tuple) -> str:
    return re.sub(r"[^a-z0-9]+", "_", "_".join(str(v) for v in values).lower()).strip("_")


def _plots(rows: pd.DataFrame, dataset: str, params: MeanConcentrationPlot) -> Iterator[tuple[str, bytes]]:
    """One plot per ``by_vars`` group (a group without values gets an empty one) from one summary of all groups,
    with the first unit given in the group."""
    by_vars = list(params.by_vars)
    summary = summarise_concentrations(rows, [*by_vars, params.group_var], params.time, params.value)
    summaries = dict(iter(summary.groupby(by_vars)))
    grouped = rows.groupby(by_vars, sort=True)
    units = grouped[params.unit].first() if params.unit else pd.Series(None, index=grouped.size().index, dtype=object)
    groups = [(key if isinstance(key, tuple) else (key,), None if pd.isna(unit) else unit) for key, unit in units.items()]
    plots = ((", ".join(str(v) for v in values), summaries.get(values, summary.iloc[:0]), unit) for values, unit in groups)
    pngs = mean_concentration_pngs(plots, time=params.time, group_var=params.group_var, time_unit=params.time_unit)
    for (values, _), png in zip(groups, pngs):
        yield f"{dataset.lower()}_{_slug(values)}.png", png


def _summary(rows: pd.DataFrame, dataset: str, params: PkParameterSummary) -> str:
    summary = summarise_pk_parameters(rows, params.by_vars, param=params.param, value=params.value, unit=params.unit)
    return format_pk_summary(summary, params.by_vars, title=f"{dataset}: {params.title}", param=params.param) + "\n"
