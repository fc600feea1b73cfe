"""The choices of a non-compartmental analysis, as a spec-validated settings model.

The defaults follow PKNCA: linear-up/log-down AUC, concentrations below the LLOQ taken as 0 before the
first and after the last quantifiable concentration and dropped between them, and lambda-z from the best
adjusted R-squared fit of the last 3..n points strictly after Tmax.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BlqRule = Literal["zero", "drop"]


class BlqSettings(BaseModel):
    """What a concentration below the LLOQ becomes, by where it lies in the profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    before_first: BlqRule = Field(default="zero", description="Before the first quantifiable concentration")
    between: BlqRule = Field(default="drop", description="Between the first and the last quantifiable concentrations")
    after_last: BlqRule = Field(default="zero", description="After the last quantifiable concentration")


class NcaSettings(BaseModel):
    """Method, BLQ rule and acceptance limits of the NCA (one set per analysis)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    auc_method: Literal["lin_up_log_down", "linear"] = Field(
        default="lin_up_log_down", description="Trapezoid rule: linear up and log down, or linear throughout"
    )
    blq: BlqSettings = Field(default_factory=BlqSettings)
    predose_at_zero: bool = Field(default=True, description="Samples taken before the dose count as taken at the dose time")
    zero_at_dose: bool = Field(
        default=True,
        description="With no sample at the dose time, an infusion profile starts at concentration 0 (a first dose) "
        "and an IV bolus at C0 back-extrapolated from the first two concentrations",
    )
    lambda_z_points: Literal["best_fit", "all_from_tmax"] = Field(
        default="best_fit",
        description="best_fit: the last 3..n positive points strictly after Tmax with the best adjusted R-squared "
        "(within the tolerance, the most points); all_from_tmax: one fit over every positive point at or after Tmax",
    )
    min_points: int = Field(default=3, ge=3, description="Fewest points for a lambda-z fit")
    adj_r2_tolerance: float = Field(default=1e-4, ge=0, description="Fits this close to the best adjusted R-squared are equal")
    min_r2adj: float | None = Field(default=0.8, ge=0, le=1, description="Lambda-z fits with a lower adjusted R-squared are rejected")
    max_extrapolation_pct: float | None = Field(
        default=20.0, gt=0, description="AUCinf (and CL, Vz from it) missing when more than this % of it is extrapolated"
    )
    ln2: float = Field(default=0.6931471805599453, gt=0, description="ln 2 used for the half-life (some scripts use 0.693)")
    parameters: list[str] | None = Field(default=None, description="PPTESTCDs to report (default: every registered one)")
