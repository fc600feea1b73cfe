"""``derive_param_nca``: PK parameters by non-compartmental analysis, one record per profile and parameter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam.nca import NcaSettings
from cdisc.adam.nca import derive_param_nca as nca
from cdisc.adam.nca.derive import OUTPUT_COLUMNS
from cdisc.rules import STEPS, Reference, model_references, rule
from cdisc.rules.steps.group_records import group_records
from cdisc.rules.steps.values import SetValues, callables, describe, value_references
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveParamNca(SpecModel):
    """Non-compartmental analysis of each ``by_vars`` group (a profile: subject, analyte, dose): concentrations
    ``conc`` at ``time`` hours after the dose, of the records meeting ``filter``. A sample is below the LLOQ where
    ``blq`` holds or ``conc`` < ``lloq``; the ``settings`` say what it becomes, the AUC method and the lambda-z rules.
    ``dose``, ``duration`` (infusion hours, 0 for a bolus) and ``tau`` (dosing interval, for AUCTAU) are read from
    the first record of a profile, ``conc_unit``/``dose_unit`` are variables holding the units. The records become
    one per profile and PK parameter with the profile's ``by_vars`` and the columns PPTESTCD, PPTEST (CDISC
    PKPARMCD/PKPARM), PPSTRESN, PPSTRESU (PKUNIT), PPSTAT (NOT DONE when a parameter cannot be computed) and
    PPREASND (why), then ``set_values_to``; with ``keep_source`` they are added after the source records instead."""

    variable_fields: ClassVar[tuple[str, ...]] = (
        "by_vars", "time", "conc", "lloq", "dose", "duration", "tau", "conc_unit", "dose_unit",
    )
    expression_fields: ClassVar[tuple[str, ...]] = ("filter", "blq")
    by_vars: list[Name] = Field(min_length=1)
    time: Name = Field(description="Hours after the profile's dose (actual or nominal)")
    conc: Name = Field(description="The concentration")
    blq: Expr | None = Field(None, description="Condition: the sample is below the lower limit of quantitation")
    lloq: Name | None = Field(None, description="The lower limit of quantitation (a concentration below it is BLQ)")
    dose: Name | None = Field(None, description="The dose amount (for CL, Vz and dose-normalised parameters)")
    duration: Name | None = Field(None, description="Infusion hours (0 for an IV bolus; missing: not IV, no CL or Vz)")
    tau: Name | None = Field(None, description="The dosing interval in hours (for AUCTAU)")
    conc_unit: Name | None = None
    dose_unit: Name | None = None
    time_unit: str = Field("h", description="Unit of time")
    filter: Expr | None = Field(None, alias="filter_add", description="Only records meeting this condition are analysed")
    settings: NcaSettings = Field(default_factory=NcaSettings, description="Method, BLQ rule, lambda-z rules and parameters")
    set_values_to: SetValues = Field(default_factory=dict, description="Values of the new records (expressions over them)")
    keep_source: bool = Field(False, description="Keep the source records and add the parameter records after them")

    @property
    def new_columns(self) -> list[str]:
        """Columns the step makes (besides ``set_values_to``)."""
        return [c for c in OUTPUT_COLUMNS if c != "NSAMPLES"]


def _references(params: DeriveParamNca) -> Iterator[Reference]:
    yield from model_references(params)
    yield from value_references(params.set_values_to)


def _method(params: DeriveParamNca, dataset: str, spec) -> str:
    s = params.settings
    auc = "linear-up/log-down trapezoidal rule" if s.auc_method == "lin_up_log_down" else "linear trapezoidal rule"
    fit = (
        f"the log-linear fit of the last {s.min_points} or more positive concentrations strictly after Tmax with the best "
        f"adjusted R-squared (fits within {s.adj_r2_tolerance:g} of the best: the one with the most points)"
        if s.lambda_z_points == "best_fit" else "one log-linear fit over every positive concentration at or after Tmax"
    )
    limits = []
    if s.min_r2adj is not None:
        limits.append(f"lambda-z is not reported when its adjusted R-squared is below {s.min_r2adj:g}")
    if s.max_extrapolation_pct is not None:
        limits.append(f"AUCinf, CL and Vz are not reported when more than {s.max_extrapolation_pct:g}% of AUCinf is extrapolated")
    below = " or ".join([*([f"where {condition_words(params.blq)}"] if params.blq else []), *([f"below {params.lloq}"] if params.lloq else [])])
    blq = (f"below the LLOQ ({below}) taken as {s.blq.before_first} before the first quantifiable concentration, "
           f"{s.blq.between} between quantifiable ones and {s.blq.after_last} after the last" if below
           else "as given (none is flagged below the LLOQ here)")
    where = f" of the records where {condition_words(params.filter)}" if params.filter else ""
    values = f"; {describe(params.set_values_to)}" if params.set_values_to else ""
    parameters = ", ".join(s.parameters) if s.parameters else "every registered parameter"
    return (
        f"Non-compartmental analysis per {', '.join(params.by_vars)}{where}: {params.conc} at {params.time} "
        f"{params.time_unit} after the dose; samples {blq}. AUCs by the {auc}; lambda-z from {fit}; "
        f"{'; '.join(limits) or 'no acceptance limits'}. CL = dose / AUCinf and Vz = dose / (lambda-z * AUCinf) for an "
        f"IV dose ({params.dose or 'no dose'}, infusion hours {params.duration or 'not given'})"
        f"{f'; AUCTAU over the dosing interval {params.tau}, extrapolated with lambda-z past the last sample' if params.tau else ''}. "
        f"Parameters: {parameters}; "
        f"one that cannot be computed is missing with PPSTAT NOT DONE and the reason in PPREASND{values}."
    )


@rule(
    "derive_param_nca", engines=STEPS, params=DeriveParamNca, references=_references, method=_method,
    example="""
- derive_param_nca:
    by_vars: [STUDYID, USUBJID, PARAMCD, AVISITN]
    filter: 'NCAXFL != "Y"'
    time: ARRLT
    conc: AVAL
    dose: DOSEA
    duration: INFDUR
    tau: TAU
    conc_unit: AVALU
    dose_unit: DOSEU
    settings: {auc_method: lin_up_log_down, min_r2adj: 0.8, parameters: [CMAX, TMAX, AUCLST, LAMZHL, CLO]}
    set_values_to: {PPCAT: {expr: PARAMCD}}
""",
)
def derive_param_nca(params: DeriveParamNca, records) -> pd.DataFrame:
    """One record per profile and PK parameter (PPTESTCD, PPSTRESN, PPSTRESU, PPSTAT, PPREASND)."""
    frame = records.frame
    used = frame if params.filter is None else frame.loc[records.condition(params.filter).to_numpy(dtype=bool)]
    blq = None
    if params.blq is not None:
        used = used.assign(**{"@blq": records.condition(params.blq).loc[used.index].to_numpy(dtype=bool)})
        blq = "@blq"
    try:
        out = nca(
            used, params.by_vars, params.time, params.conc, params.settings, blq=blq, lloq=params.lloq, dose=params.dose,
            duration=params.duration, tau=params.tau, conc_unit=params.conc_unit, dose_unit=params.dose_unit,
            time_unit=params.time_unit,
        ).drop(columns="NSAMPLES")
    except KeyError as exc:
        raise ValueError(f"NCA: {exc.args[0]}") from None
    new = group_records(used.drop(columns=["@blq"], errors="ignore"), params.by_vars, out, callables(params.set_values_to, records))
    return pd.concat([frame, new], ignore_index=True) if params.keep_source else new
