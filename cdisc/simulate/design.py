"""The study design of the example trial, loaded from ``specs/simulation.yaml`` into checked models.

The YAML holds the study's facts (dose levels, schedule, analytes, lab tests, sites) and the
latent model's parameters; the rest of :mod:`cdisc.simulate` holds only machinery.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator
from ruamel.yaml import YAML

# specs/simulation.yaml, shipped as package data (cdisc/simulate/data/simulation.yaml links to it)
DEFAULT_DESIGN = Path(__file__).parent / "data" / "simulation.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProtocolVersion(_Model):
    version: str
    effective: dt.date


class StudyInfo(_Model):
    id: str
    title: str
    sponsor: str
    first_consent: dt.date
    protocol_versions: list[ProtocolVersion]
    expansion_accrual_days: int = Field(gt=0)
    cutoff_after_last_enrolment_days: int = Field(gt=0)


class Site(_Model):
    id: str
    name: str
    weight: float = Field(gt=0)
    lead: bool
    units: str = Field(pattern="^(SI|conventional)$")
    partial_birth_date: bool


class Drug(_Model):
    description: str
    unit: str
    route: str
    infusion_min: int = Field(gt=0)
    start_after_min: int = Field(ge=0)
    flat_dose: float | None = None


class DoseLevel(_Model):
    level: int
    bat8008: float = Field(gt=0, description="BAT8008 dose in mg/kg")
    p_dlt: float = Field(ge=0, le=1)


class Escalation(_Model):
    dlt_window_days: int
    target_dlt_rate: float
    p_dlt_evaluable: float
    stagger_days: int
    review_days: int
    dose_levels: list[DoseLevel]
    dlt_terms: list[str]

    @model_validator(mode="after")
    def _ordered(self) -> Escalation:
        levels = [d.level for d in self.dose_levels]
        if levels != list(range(1, len(levels) + 1)):
            raise ValueError("dose levels must be numbered 1, 2, ... in order")
        return self

    @property
    def true_mtd(self) -> int | None:
        """Highest level whose latent DLT probability is at most the target rate (None if none is)."""
        ok = [d.level for d in self.dose_levels if d.p_dlt <= self.target_dlt_rate]
        return max(ok) if ok else None


class ExpansionCohort(_Model):
    code: str
    tumour: str
    level_offset: int = Field(le=0)
    weight: float = Field(gt=0)


class Expansion(_Model):
    cohorts: list[ExpansionCohort]


class Tumour(_Model):
    name: str
    weight: float
    sensitivity: float
    sites: list[str]


class PkTimepoint(_Model):
    cycle: int
    day: int
    tpt: str
    hours: float


class PkRepeat(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    start: int = Field(alias="from")
    every: int
    until: int
    tpts: list[str]


class Schedule(_Model):
    cycle_days: int
    screening_days: tuple[int, int]
    tumour_every_days: int
    tumour_window_days: int
    eot_after_decision_days: tuple[int, int]
    safety_followup_days: int
    survival_every_days: int
    cycle_visits: list[int]
    cycle1_visits: list[int]
    pk: list[PkTimepoint]
    pk_every_cycles: PkRepeat
    ada_cycles: list[int]

    def pk_timepoints(self) -> list[PkTimepoint]:
        """Every PK sampling timepoint: the fixed ones, then the repeated pre-dose/end-of-infusion pairs."""
        hours = {p.tpt: p.hours for p in self.pk}
        rep = self.pk_every_cycles
        extra = [PkTimepoint(cycle=c, day=1, tpt=t, hours=hours[t]) for c in range(rep.start, rep.until + 1, rep.every) for t in rep.tpts]
        return [*self.pk, *extra]


class Bsv(_Model):
    cl: float
    v1: float
    q: float
    v2: float


class Analyte(_Model):
    code: str
    name: str
    drug: str
    unit: str
    scale: float
    fraction: float
    lloq: float
    decimals: int
    cl: float
    v1: float
    q: float
    v2: float
    bsv: Bsv
    prop_error: float


class Pk(_Model):
    weight_exponent_cl: float
    weight_exponent_v: float
    analytes: list[Analyte]
    p_sample_missed: float


class Ada(_Model):
    drug: str
    analyte: str
    p_baseline: float
    p_emergent: float
    p_nab: float


class TumourModel(_Model):
    growth_median: float
    growth_sd: float
    kill_median: float
    kill_sd: float
    kill_dose_power: float
    lesion_sd: float
    measurement_cv: float
    measurement_sd_mm: float
    target_counts: dict[int, float]
    nontarget_counts: dict[int, float]
    new_lesion_mean_days: float
    p_nontarget_progression: float
    p_not_assessed: float
    confirm_min_days: int
    sd_min_days: int
    methods: list[str]


class Course(_Model):
    ae_discontinuation: float
    withdrawal: float
    death_before_progression: float
    survival_after_progression_median: float
    p_new_therapy_after_pd: float
    p_new_therapy_after_other: float
    p_lost_to_followup: float
    p_dlt_discontinues: float
    p_delay: float
    delay_days: tuple[int, int]
    p_reduction: float
    reduction_factors: list[float]
    new_therapies: list[str]


class AeTerm(_Model):
    term: str = Field(description="MedDRA preferred term (coded under coding.meddra)")
    weight: float
    grades: tuple[float, float, float, float]
    rel8008: float
    rel1308: float


class AdverseEvents(_Model):
    rate: float
    dose_power: float
    duration_median_days: float
    terms: list[AeTerm]

    def term(self, name: str) -> AeTerm:
        return next(t for t in self.terms if t.term == name)


class VitalSign(_Model):
    code: str
    column: str
    unit: str
    mean: float
    between_sd: float
    within_sd: float
    decimals: int


class LabTest(_Model):
    code: str
    name: str
    category: str
    si: str
    conv: str
    to_conv: float
    low: float
    high: float
    median: float
    cv: float
    effect: str = Field(pattern="^(none|myelo|anaemia|liver|thyroid)$")
    decimals_si: int
    decimals_conv: int
    detection_limit: float | None = None


class Medication(_Model):
    name: str
    indication: str


class Medications(_Model):
    mean_per_subject: float
    list: builtins.list[Medication]  # the field is named 'list' in simulation.yaml, which shadows the builtin in this class
    prior_anticancer: builtins.list[str]


class MeddraTerm(_Model):
    """A preferred term and its primary path (HLT, HLGT, SOC), each with its 8-digit code."""

    pt: str
    pt_code: int
    hlt: str
    hlt_code: int
    hlgt: str
    hlgt_code: int
    soc: str
    soc_code: int


class Meddra(_Model):
    version: str
    terms: builtins.list[MeddraTerm]

    @model_validator(mode="after")
    def _one_name_per_code(self) -> Meddra:
        pairs = {(getattr(t, level + "_code"), getattr(t, level)) for t in self.terms for level in ("pt", "hlt", "hlgt", "soc")}
        codes, names = Counter(code for code, _ in pairs), Counter(name for _, name in pairs)
        clashes = sorted([str(c) for c, n in codes.items() if n > 1] + [name for name, n in names.items() if n > 1])
        if clashes:
            raise ValueError(f"MedDRA codes or names used for more than one term: {clashes}")
        return self


class WhodrugDrug(_Model):
    """A verbatim medication name and its WHODrug coding: preferred name, drug code, ATC level 4."""

    verbatim: str
    name: str
    code: str = Field(pattern=r"^\d{11}$")
    atc: str = Field(pattern=r"^[A-Z]\d\d[A-Z][A-Z]$")
    atc_text: str


class Whodrug(_Model):
    version: str
    drugs: builtins.list[WhodrugDrug]


class Coding(_Model):
    """The coding team's dictionaries: MedDRA for the AE log, WHODrug for the CM log."""

    meddra: Meddra
    whodrug: Whodrug


class MessRate(_Model):
    rate: float
    min: int


class Mess(_Model):
    free_text: MessRate
    partial_dates: MessRate
    missing_pages: MessRate
    duplicates: MessRate
    out_of_window: MessRate


class Design(_Model):
    """The whole design file."""

    study: StudyInfo
    sites: list[Site]
    drugs: dict[str, Drug]
    escalation: Escalation
    expansion: Expansion
    tumours: list[Tumour]
    schedule: Schedule
    pk: Pk
    ada: list[Ada]
    tumour_model: TumourModel
    course: Course
    adverse_events: AdverseEvents
    vital_signs: list[VitalSign]
    labs: list[LabTest]
    medications: Medications
    coding: Coding
    mess: Mess

    @model_validator(mode="after")
    def _consistent(self) -> Design:
        names = {t.name for t in self.tumours}
        missing = [c.tumour for c in self.expansion.cohorts if c.tumour not in names]
        if missing:
            raise ValueError(f"expansion tumour types not in tumours: {missing}")
        unknown = [t for t in self.escalation.dlt_terms if t not in {a.term for a in self.adverse_events.terms}]
        if unknown:
            raise ValueError(f"DLT terms not in adverse_events.terms: {unknown}")
        uncoded = [t.term for t in self.adverse_events.terms if t.term not in {m.pt for m in self.coding.meddra.terms}]
        if uncoded:
            raise ValueError(f"adverse_events.terms not coded in coding.meddra: {uncoded}")
        medications = [m.name for m in self.medications.list] + self.medications.prior_anticancer + self.course.new_therapies
        uncoded = sorted({m.upper() for m in medications} - {d.verbatim.upper() for d in self.coding.whodrug.drugs})
        if uncoded:
            raise ValueError(f"medications not coded in coding.whodrug: {uncoded}")
        return self

    @property
    def mgkg(self) -> dict[int, float]:
        """BAT8008 dose (mg/kg) by dose level."""
        return {d.level: d.bat8008 for d in self.escalation.dose_levels}


def load_design(path: Path = DEFAULT_DESIGN) -> Design:
    """Read and check the design file."""
    with path.open(encoding="ascii") as handle:
        return Design.model_validate(YAML(typ="safe").load(handle))
