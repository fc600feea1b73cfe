"""Pydantic models of ADaM dataset specs: rows from an SDTM/ADaM input, variables built by admiral-style rules.

An ADaM spec names its base rows (``source``: one record per record of an input
dataset, optionally filtered) and builds each variable with exactly one rule.
The derivation rules carry admiral's names and parameters, so a programmer who
knows ``derive_vars_merged`` or ``derive_var_trtemfl`` can read a spec at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from cdisc.reports.spec import DatasetReport
from cdisc.rules import get
from cdisc.spec.base import Expr, Scalar, ShorthandModel, SpecModel
from cdisc.spec.models import DatasetMeta, RuleSet, VariableMeta, rule_set, with_step_methods
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


class AdamSourcePart(SpecModel):
    """One of several sources appended into the base records (e.g. VS, then records of another dataset),
    each with its own filter, renamed and kept variables, and values set on its records."""

    dataset: Name
    supp: bool = Field(False, description="Join the dataset's SUPP-- qualifiers on as columns (admiral combine_supp)")
    where: Expr | None = Field(None, alias="filter", description="Keep only the records meeting this condition")
    rename: dict[str, Name] = Field(default_factory=dict, description="Variables renamed, old name -> new name")
    keep: list[str] | None = Field(None, description="Only these variables (after renaming); default all")
    set_values_to: dict[Name, Scalar | None] = Field(default_factory=dict, description="Constant values on this source's records")


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
    rename: dict[str, Name] = Field(default_factory=dict, description="Variables renamed, old name -> new name")
    keep: list[str] | None = Field(None, description="Only these variables (after renaming); default all")
    set_values_to: dict[Name, Scalar | None] = Field(default_factory=dict, description="Constant values on these records")
    append: list[AdamSourcePart] = Field(
        default_factory=list, description="Records of further datasets appended to the base records, each with its own filter"
    )

    @property
    def name(self) -> str:
        """How messages name the source."""
        return self.dataset


if TYPE_CHECKING:  # built from the rule registry when imported; to a type checker they are RuleSets
    AdamRules = RuleSet
    RecordStep = RuleSet
else:
    AdamRules = rule_set("adam", "AdamRules")
    RecordStep = rule_set("steps", "RecordStep")


class AdamVariable(VariableMeta, AdamRules):
    """An ADaM variable: define.xml metadata plus the one rule that builds it."""

    temporary: bool = Field(False, description="Built for later variables to read; not written or defined")


class AdamDataset(DatasetMeta):
    """One ADaM dataset: metadata, its base rows, and its variables in output order."""

    dataset_class: AdamClass = Field(alias="class")  # type: ignore[assignment]  # ADaMIG's classes where DatasetMeta (validated alone for SUPP--) has SDTMIG's
    source: AdamSource
    depends_on: list[Name] = Field(default_factory=list, description="Datasets that must be built first")
    steps: list[RecordStep] = Field(
        default_factory=list,
        description="Record steps run in order (derive, derive_param_computed, derive_summary_records, "
        "derive_extreme_records, derive_basetype_records); variables no 'derive' step lists are built after the last step",
    )
    variables: list[AdamVariable] = Field(min_length=1)
    lookups: dict[Name, list[dict[str, Scalar | None]]] = Field(
        default_factory=dict, description="Lookup tables the 'lookup' rule reads (parameters, reference ranges, visit windows), each a list of rows"
    )
    listing: bool = Field(False, description="Also write a readable table of the dataset to reports/<name>.txt")
    reports: list[DatasetReport] = Field(
        default_factory=list, description="Plots and summaries of the dataset written to reports/ (e.g. PK plots)"
    )

    @model_validator(mode="before")
    @classmethod
    def _sources(cls, data: Any) -> Any:
        """``sources: [A, B]`` is ``source: A`` with ``append: [B]`` (records of B after those of A)."""
        if isinstance(data, dict) and "sources" in data:
            if "source" in data:
                raise PydanticCustomError("cdisc_sources", "give 'source' or 'sources', not both", {})
            parts = data["sources"]
            if not isinstance(parts, list) or not parts:
                raise PydanticCustomError("cdisc_sources", "'sources' is a list of at least one dataset", {})
            first = {"dataset": parts[0]} if isinstance(parts[0], str) else dict(parts[0])
            if "filter" in first:
                first["where"] = first.pop("filter")
            rest = [{"dataset": part} if isinstance(part, str) else part for part in parts[1:]]
            data = {k: v for k, v in data.items() if k != "sources"} | {"source": {**first, "append": rest}}
        return data

    @model_validator(mode="after")
    def _step_methods(self) -> AdamDataset:
        object.__setattr__(self, "variables", with_step_methods(self.variables, self.steps, self.dataset))
        return self

    def inputs(self) -> dict[str, tuple[Any, ...]]:
        """Datasets this one reads, each with the spec path that says so."""
        needs: dict[str, tuple[Any, ...]] = {d: ("depends_on",) for d in self.depends_on}
        needs.setdefault(self.source.dataset, ("source", "dataset"))
        for i, part in enumerate(self.source.append):
            needs.setdefault(part.dataset, ("source", "append", i, "dataset"))
        for i, merge in enumerate(self.source.merge):
            needs.setdefault(merge.dataset, ("source", "merge", i, "dataset"))
        for i, var in enumerate(self.variables):
            name, params = var.rule
            for path, dataset in get(name).datasets(params):
                needs.setdefault(dataset, ("variables", i, name, *path))
        for i, step in enumerate(self.steps):
            name, params = step.rule
            for path, dataset in get(name).datasets(params):
                needs.setdefault(dataset, ("steps", i, name, *path))
        return needs
