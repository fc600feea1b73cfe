"""Pydantic models of ADaM dataset specs: rows from an SDTM/ADaM input, variables built by admiral-style rules.

An ADaM spec names its base rows (``source``: one record per record of an input
dataset, optionally filtered) and builds each variable with exactly one rule.
The derivation rules carry admiral's names and parameters, so a programmer who
knows ``derive_vars_merged`` or ``derive_var_trtemfl`` can read a spec at once.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cdisc.spec.models import (
    ConditionRule,
    DatasetMeta,
    Expr,
    RuleSet,
    Scalar,
    ShorthandModel,
    SpecModel,
    VariableMeta,
)
from cdisc.spec.names import Name

AdamClass = Literal[
    "SUBJECT LEVEL ANALYSIS DATASET",
    "BASIC DATA STRUCTURE",
    "OCCURRENCE DATA STRUCTURE",
    "ADAM OTHER",
]


class AdamMerge(SpecModel):
    """Another dataset joined onto each base record (many to one), e.g. ADSL onto AE by subject."""

    dataset: Name
    by: list[Name] = Field(default_factory=lambda: ["STUDYID", "USUBJID"])


class AdamSource(ShorthandModel):
    """The base rows: one per record of ``dataset`` (SDTM or ADaM built earlier), optionally with its
    SUPP-- qualifiers and the variables of ``merge`` datasets joined on, filtered by ``where``, and
    reduced to one row per ``distinct`` combination."""

    shorthand_field: ClassVar[str] = "dataset"
    dataset: Name
    supp: bool = Field(False, description="Join the SUPP-- qualifiers of an SDTM dataset on as columns (admiral combine_supp)")
    merge: list[AdamMerge] = Field(default_factory=list)
    where: Expr | None = Field(None, description="Keep only the records meeting this condition")
    distinct: list[Name] = Field(
        default_factory=list, description="One row per distinct combination of these variables (e.g. per cohort)"
    )

    @property
    def name(self) -> str:
        """How messages name the source."""
        return self.dataset


class DeriveVarsMerged(SpecModel):
    """A value from another dataset, merged by ``by``: admiral ``derive_vars_merged``.

    Records of ``dataset`` meeting ``where`` are ordered by ``order`` and the first or last per
    ``by`` group gives ``value`` (a variable or an expression over that dataset's variables).
    With ``supp: true`` the dataset's SUPP-- qualifiers are columns too (e.g. SUPPAE.AEDLT on AE).
    """

    dataset: Name
    supp: bool = Field(False, description="Join the dataset's SUPP-- qualifiers on as columns first (admiral combine_supp)")
    by: list[Name] = Field(default_factory=lambda: ["USUBJID"])
    where: Expr | None = None
    order: list[Name] = Field(default_factory=list)
    mode: Literal["first", "last"] = "first"
    value: Expr = Field(description="Variable or expression over the merged dataset")
    missing_value: Scalar | None = Field(None, description="Value for base records with no matching record (e.g. N)")


class DeriveVarMergedSummary(SpecModel):
    """A summary (max, min, sum, mean, count) of ``value`` over the records of another dataset per ``by`` group:
    admiral ``derive_var_merged_summary``."""

    dataset: Name
    supp: bool = Field(False, description="Join the dataset's SUPP-- qualifiers on as columns first (admiral combine_supp)")
    by: list[Name] = Field(default_factory=lambda: ["USUBJID"])
    where: Expr | None = None
    value: Expr
    summary: Literal["max", "min", "sum", "mean", "count"]
    missing_value: Scalar | None = None


class DeriveVarsJoined(SpecModel):
    """A value from the first/last record of another dataset that meets a condition on both records:
    admiral ``derive_vars_joined`` (e.g. the last dose on or before the event start).

    ``where`` filters the other dataset alone; ``join_where`` and ``value`` are evaluated on each
    pair of a base record and an other record of the same ``by`` group, and may use both's variables.
    """

    dataset: Name
    supp: bool = Field(False, description="Join the dataset's SUPP-- qualifiers on as columns first (admiral combine_supp)")
    by: list[Name] = Field(default_factory=lambda: ["USUBJID"])
    where: Expr | None = None
    join_where: Expr
    order: list[Name] = Field(default_factory=list, description="Variables of the other dataset")
    mode: Literal["first", "last"] = "last"
    value: Expr = Field(description="Variable or expression over the joined record (both datasets)")


class DeriveVarsDt(ShorthandModel):
    """A numeric SAS date from an ISO 8601 --DTC variable, imputing missing parts: admiral ``derive_vars_dt``.

    ``highest_imputation``: ``n`` none, ``D`` day, ``M`` month and day, ``Y`` also year (needs
    min/max dates). ``date_imputation``: ``first``, ``mid``, ``last`` or ``MM-DD``. An imputed date
    is moved to the latest of ``min_dates`` (or earliest of ``max_dates``) that could be the true date.
    """

    shorthand_field: ClassVar[str] = "dtc"
    variable_fields: ClassVar[tuple[str, ...]] = ("dtc", "min_dates", "max_dates")
    dtc: Name
    highest_imputation: Literal["n", "D", "M", "Y"] = "n"
    date_imputation: str = Field("first", pattern=r"^(first|mid|last|\d{2}-\d{2})$")
    min_dates: list[Name] = Field(default_factory=list)
    max_dates: list[Name] = Field(default_factory=list)


class DeriveVarsDtm(DeriveVarsDt):
    """A numeric SAS datetime from an ISO 8601 --DTC variable: admiral ``derive_vars_dtm``.

    ``highest_imputation`` adds ``h``/``m``/``s`` (time parts); ``time_imputation``: ``first``,
    ``last`` or ``HH:MM:SS``.
    """

    highest_imputation: Literal["n", "s", "m", "h", "D", "M", "Y"] = "h"
    time_imputation: str = Field("first", pattern=r"^(first|last|\d{2}:\d{2}:\d{2})$")


class ImputationFlag(ShorthandModel):
    """The --DTF (date) or --TMF (time) imputation flag of a date/datetime variable built by the dt/dtm rules."""

    shorthand_field: ClassVar[str] = "of"
    variable_fields: ClassVar[tuple[str, ...]] = ("of",)
    of: Name
    part: Literal["date", "time"] = "date"


class DeriveVarsDy(SpecModel):
    """Analysis relative day: ``date`` - ``reference`` (+1 on or after it; no day 0): admiral ``derive_vars_dy``."""

    variable_fields: ClassVar[tuple[str, ...]] = ("date", "reference")
    date: Name
    reference: Name = "TRTSDT"


class DeriveVarExtremeFlag(SpecModel):
    """``Y`` on the first or last record of each ``by`` group in ``order``: admiral ``derive_var_extreme_flag``."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by", "order", "descending")
    by: list[Name] = Field(default_factory=lambda: ["USUBJID"])
    order: list[Name] = Field(min_length=1)
    descending: list[Name] = Field(default_factory=list, description="Order variables sorted from high to low")
    mode: Literal["first", "last"] = "first"
    where: Expr | None = Field(None, description="Only records meeting this condition compete")


class DeriveVarObsNumber(SpecModel):
    """1, 2, ... within each ``by`` group in ``order``: admiral ``derive_var_obs_number``."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by", "order")
    by: list[Name] = Field(default_factory=lambda: ["USUBJID"])
    order: list[Name] = Field(default_factory=list)


class DeriveVarTrtemfl(SpecModel):
    """Treatment-emergent flag: admiral ``derive_var_trtemfl``.

    ``Y`` when the event starts on or after ``trt_start`` and no later than ``trt_end`` +
    ``end_window`` days and, if ``end_before`` is given, before that date (e.g. new anticancer
    therapy: the window ends the day before it). Events with a missing start but an end on or
    after ``trt_start`` count as emergent, as in admiral.
    """

    variable_fields: ClassVar[tuple[str, ...]] = ("start_date", "end_date", "trt_start", "trt_end", "end_before")
    start_date: Name = "ASTDT"
    end_date: Name | None = "AENDT"
    trt_start: Name = "TRTSDT"
    trt_end: Name | None = "TRTEDT"
    end_window: int = Field(0, ge=0, description="Days after the last dose still counted")
    end_before: Name | None = Field(None, description="A date from which events no longer count")


class DeriveVarBase(SpecModel):
    """BASE: the value on the baseline record (``flag`` = Y) of each ``by`` group: admiral ``derive_var_base``."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by", "source", "flag")
    by: list[Name] = Field(default_factory=lambda: ["USUBJID", "PARAMCD"])
    source: Name = "AVAL"
    flag: Name = "ABLFL"


class DeriveVarChg(SpecModel):
    """CHG = AVAL - BASE: admiral ``derive_var_chg``."""

    variable_fields: ClassVar[tuple[str, ...]] = ("value", "base")
    value: Name = "AVAL"
    base: Name = "BASE"


class DeriveVarCumulative(SpecModel):
    """Running total of ``value`` within each ``by`` group in ``order`` (e.g. DLTs so far at a dose level)."""

    variable_fields: ClassVar[tuple[str, ...]] = ("value", "by", "order")
    value: Name
    by: list[Name] = Field(min_length=1)
    order: list[Name] = Field(min_length=1)


class DeriveVarEscalationDecision(SpecModel):
    """The 3+3 decision after each cohort (ESCALATE, EXPAND, STOP: MTD EXCEEDED) from the cumulative
    evaluable subjects and DLTs at its dose level."""

    variable_fields: ClassVar[tuple[str, ...]] = ("evaluable", "dlt")
    evaluable: Name
    dlt: Name


class DeriveVarMtd(SpecModel):
    """The 3+3 maximum tolerated dose level: the highest level below the first exceeded one with at
    least 6 evaluable subjects and at most 1 DLT (same value on every record)."""

    variable_fields: ClassVar[tuple[str, ...]] = ("level", "evaluable", "dlt")
    level: Name
    evaluable: Name
    dlt: Name


ADAM_RULES = (
    "predecessor",
    "hardcode",
    "condition",
    "expr",
    "derive_vars_merged",
    "derive_var_merged_summary",
    "derive_vars_joined",
    "derive_vars_dt",
    "derive_vars_dtm",
    "imputation_flag",
    "derive_vars_dy",
    "derive_var_extreme_flag",
    "derive_var_obs_number",
    "derive_var_trtemfl",
    "derive_var_base",
    "derive_var_chg",
    "derive_var_cumulative",
    "derive_var_escalation_decision",
    "derive_var_mtd",
)


class AdamRules(RuleSet):
    """Exactly one of these says how an ADaM variable is built."""

    predecessor: Name | None = Field(None, description="This variable of the source record, copied as is")
    hardcode: Scalar | None = None
    condition: ConditionRule | None = None
    expr: Expr | None = None
    derive_vars_merged: DeriveVarsMerged | None = None
    derive_var_merged_summary: DeriveVarMergedSummary | None = None
    derive_vars_joined: DeriveVarsJoined | None = None
    derive_vars_dt: DeriveVarsDt | None = None
    derive_vars_dtm: DeriveVarsDtm | None = None
    imputation_flag: ImputationFlag | None = None
    derive_vars_dy: DeriveVarsDy | None = None
    derive_var_extreme_flag: DeriveVarExtremeFlag | None = None
    derive_var_obs_number: DeriveVarObsNumber | None = None
    derive_var_trtemfl: DeriveVarTrtemfl | None = None
    derive_var_base: DeriveVarBase | None = None
    derive_var_chg: DeriveVarChg | None = None
    derive_var_cumulative: DeriveVarCumulative | None = None
    derive_var_escalation_decision: DeriveVarEscalationDecision | None = None
    derive_var_mtd: DeriveVarMtd | None = None

    rule_fields: ClassVar[tuple[str, ...]] = ADAM_RULES
    bare_rules: ClassVar[tuple[str, ...]] = ("derive_var_trtemfl", "derive_var_base", "derive_var_chg", "derive_var_obs_number")


class AdamVariable(VariableMeta, AdamRules):
    """An ADaM variable: define.xml metadata plus the one rule that builds it."""

    temporary: bool = Field(False, description="Built for later variables to read; not written or defined")


class AdamDataset(DatasetMeta):
    """One ADaM dataset: metadata, its base rows, and its variables in output order."""

    dataset_class: AdamClass = Field(alias="class")
    source: AdamSource
    depends_on: list[Name] = Field(default_factory=list, description="Datasets that must be built first")
    variables: list[AdamVariable] = Field(min_length=1)
    listing: bool = Field(False, description="Also write a readable table of the dataset to reports/<name>.txt")

    def inputs(self) -> dict[str, tuple[Any, ...]]:
        """Datasets this one reads, each with the spec path that says so."""
        needs: dict[str, tuple[Any, ...]] = {d: ("depends_on",) for d in self.depends_on}
        needs.setdefault(self.source.dataset, ("source", "dataset"))
        for i, merge in enumerate(self.source.merge):
            needs.setdefault(merge.dataset, ("source", "merge", i, "dataset"))
        for i, var in enumerate(self.variables):
            name, rule = var.rule
            if name in ("derive_vars_merged", "derive_var_merged_summary", "derive_vars_joined"):
                needs.setdefault(rule.dataset, ("variables", i, name, "dataset"))
        return needs
