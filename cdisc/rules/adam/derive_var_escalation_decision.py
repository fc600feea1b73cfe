"""``derive_var_escalation_decision`` and ``derive_var_mtd``: the 3+3 dose-escalation rules."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.adam import derivations
from cdisc.rules import ADAM, rule
from cdisc.spec.base import SpecModel
from cdisc.spec.names import Name


class ThreePlusThree(SpecModel):
    """The 3+3 thresholds (defaults: a full cohort is 6, at most 1 DLT tolerated, exceeded at 2 DLTs)."""

    full_cohort: int = Field(6, ge=1, description="Evaluable subjects of an expanded dose level")
    max_tolerated: int = Field(1, ge=0, description="Most DLTs at a tolerated dose level")
    exceeded_at: int = Field(2, ge=1, description="DLTs at which a dose level exceeds the MTD")

    @property
    def thresholds(self) -> dict[str, int]:
        return {"full_cohort": self.full_cohort, "max_tolerated": self.max_tolerated, "exceeded_at": self.exceeded_at}


class DeriveVarEscalationDecision(ThreePlusThree):
    """The 3+3 decision after each cohort (ESCALATE, EXPAND, STOP: MTD EXCEEDED) from the cumulative
    evaluable subjects and DLTs at its dose level."""

    variable_fields: ClassVar[tuple[str, ...]] = ("evaluable", "dlt")
    evaluable: Name
    dlt: Name


class DeriveVarMtd(ThreePlusThree):
    """The 3+3 maximum tolerated dose level: the highest level below the first exceeded one with at
    least ``full_cohort`` evaluable subjects and at most ``max_tolerated`` DLTs (same value on every record)."""

    variable_fields: ClassVar[tuple[str, ...]] = ("level", "evaluable", "dlt")
    level: Name
    evaluable: Name
    dlt: Name


@rule(
    "derive_var_escalation_decision", engines=ADAM, params=DeriveVarEscalationDecision,
    method=lambda p, variable, spec: (
        f"3+3 decision from {p.evaluable} evaluable subjects and {p.dlt} DLTs so far at the dose level: STOP: MTD EXCEEDED "
        f"at {p.exceeded_at} or more DLTs; EXPAND when there are 1 to {p.max_tolerated} DLTs among fewer than {p.full_cohort} "
        f"evaluable subjects; ESCALATE at {p.max_tolerated} DLTs or fewer otherwise."
    ),
    example="- {name: DECISION, label: Escalation Decision, type: text, origin: Derived, derive_var_escalation_decision: {evaluable: CUMEVAL, dlt: CUMDLT}}",
)
def derive_var_escalation_decision(params: DeriveVarEscalationDecision, records) -> pd.Series:
    """The 3+3 decision after each cohort."""
    return derivations.derive_var_escalation_decision(records.column(params.evaluable), records.column(params.dlt), **params.thresholds)


@rule(
    "derive_var_mtd", engines=ADAM, params=DeriveVarMtd,
    method=lambda p, variable, spec: (
        f"The highest {p.level} below the lowest level with {p.exceeded_at} or more DLTs that had at least {p.full_cohort} "
        f"evaluable subjects and at most {p.max_tolerated} DLT(s); the same on every record."
    ),
    example="- {name: MTDLVL, label: Maximum Tolerated Dose Level, type: integer, origin: Derived, "
    "derive_var_mtd: {level: DOSELVL, evaluable: CUMEVAL, dlt: CUMDLT}}",
)
def derive_var_mtd(params: DeriveVarMtd, records) -> pd.Series:
    """The 3+3 maximum tolerated dose level."""
    return derivations.derive_var_mtd(
        records.column(params.level), records.column(params.evaluable), records.column(params.dlt), **params.thresholds
    )
