"""``derive_param_ada``: subject-level anti-drug antibody parameters (admiral's ADAB template), one record each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam.ada import derive_param_ada as ada_parameters
from cdisc.adam.ada import derive_params_ada_long, derive_var_nabstat
from cdisc.rules import STEPS, Reference, model_references, rule
from cdisc.rules.steps.group_records import group_records
from cdisc.rules.steps.values import SetValues, callables, describe, value_references
from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name
from cdisc.spec.words import condition_words


class DeriveParamAda(SpecModel):
    """The ADA parameters of each ``by_vars`` group (subject and drug) from its binding-antibody samples (the records
    meeting ``filter``): ``result`` is POSITIVE or NEGATIVE, ``titre`` the titre as a number, ``baseline`` the
    baseline flag (Y) and ``time`` the days after the first dose. Baseline status (BFLAG), treatment-induced ADA
    (INDUCD: positive after a negative or missing baseline), treatment-boosted ADA (ENHANC: titre at least ``fold``
    times the baseline titre), treatment-emergent (EMERPOS: induced or boosted; ADASTAT POSITIVE), unaffected
    (TRUNAFF), EMERNEG, NOTRREL, persistent (PERSADA: induced and positive at the last sample, or positive samples at
    least ``persistent_weeks`` apart) or transient (TRANADA), onset (TIMADA) and duration (ADADUR) in weeks and, with
    ``nab_filter``, the NAb status (NABSTAT) from the records meeting it. The records become one per group and
    parameter (PARAMCD, PARAM, AVALC, AVAL 1/0 or weeks, AVALU), then ``set_values_to``."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by_vars", "titre", "baseline", "time")
    expression_fields: ClassVar[tuple[str, ...]] = ("filter", "result", "nab_filter")
    by_vars: list[Name] = Field(min_length=1)
    filter: Expr = Field(alias="filter_add", description="The binding-antibody samples")
    result: Expr = Field(description="The interpreted result of a sample: POSITIVE or NEGATIVE")
    titre: Name = Field(description="The titre as a number (160 for 1:160)")
    baseline: Name = Field(description="Baseline flag (Y on the baseline sample)")
    time: Name = Field(description="Days after the first dose")
    nab_filter: Expr | None = Field(None, description="The neutralising-antibody samples (their result from 'result')")
    fold: float = Field(4.0, gt=1, description="Titre ratio to baseline at or above which ADA is treatment-boosted")
    persistent_weeks: float = Field(16.0, gt=0, description="Weeks between the first and last positive sample of persistent ADA")
    set_values_to: SetValues = Field(default_factory=dict, description="Values of the new records (expressions over them)")

    @property
    def new_columns(self) -> list[str]:
        """Columns the step makes (besides ``set_values_to``)."""
        return ["PARAMCD", "PARAM", "AVALC", "AVAL", "AVALU"]


def _references(params: DeriveParamAda) -> Iterator[Reference]:
    yield from model_references(params)
    yield from value_references(params.set_values_to)


def _method(params: DeriveParamAda, dataset: str, spec) -> str:
    nab = f"; NABSTAT from the samples where {condition_words(params.nab_filter)}" if params.nab_filter else ""
    values = f"; {describe(params.set_values_to)}" if params.set_values_to else ""
    return (
        f"ADA parameters per {', '.join(params.by_vars)} from the samples where {condition_words(params.filter)} (result {params.result}, "
        f"titre {params.titre}, baseline where {condition_words(params.baseline)} = Y, {params.time} days after the first dose): BFLAG the "
        "baseline result; a post-baseline sample is treatment-induced when positive after a negative or missing baseline "
        f"and treatment-boosted when its titre is at least {params.fold:g} times a positive baseline's; EMERPOS (ADASTAT "
        "POSITIVE) when any sample is induced or boosted, EMERNEG/ADASTAT NEGATIVE when none is and a post-baseline "
        "result exists, else ADASTAT MISSING; induced ADA is persistent (PERSADA) when positive at the last sample or "
        f"when its first and last positive samples are at least {params.persistent_weeks:g} weeks apart, else transient "
        f"(TRANADA); TIMADA the weeks from the first dose to the first emergent positive sample, ADADUR (days from the "
        f"first to the last + 1) / 7{nab}. AVALC Y/N (POSITIVE/NEGATIVE), AVAL 1/0 (weeks for TIMADA, ADADUR){values}."
    )


@rule(
    "derive_param_ada", engines=STEPS, params=DeriveParamAda, references=_references, method=_method,
    example="""
- derive_param_ada:
    by_vars: [STUDYID, USUBJID, ISBDAGNT]
    filter: 'ISTESTCD == "ADA_BAB" and is_missing(ISTSTDTL)'
    nab_filter: 'ISTESTCD == "ADA_NAB"'
    result: ISSTRESC
    titre: ATITER
    baseline: ISLOBXFL
    time: ADY
    fold: 4
    persistent_weeks: 16
    set_values_to: {PARCAT1: {expr: ISBDAGNT}}
""",
)
def derive_param_ada(params: DeriveParamAda, records) -> pd.DataFrame:
    """One record per subject, drug and ADA parameter (BFLAG, INDUCD, ENHANC, EMERPOS, ADASTAT, TIMADA, PERSADA, ...)."""
    frame = records.frame.assign(**{"@result": records.evaluate(params.result)})
    samples = frame.loc[records.condition(params.filter).to_numpy(dtype=bool)]
    wide = ada_parameters(samples, params.by_vars, "@result", params.titre, params.baseline, params.time,
                          params.fold, params.persistent_weeks)
    if params.nab_filter:
        nab = frame.loc[records.condition(params.nab_filter).to_numpy(dtype=bool)]
        wide["NABSTAT"] = derive_var_nabstat(wide, nab, params.by_vars, "@result", params.baseline, params.time)
    long = derive_params_ada_long(wide, params.by_vars)
    return group_records(samples.drop(columns="@result"), params.by_vars, long, callables(params.set_values_to, records))
