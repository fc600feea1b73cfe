"""Pydantic models of ADaM dataset specs: rows from an SDTM/ADaM input, variables built by admiral-style rules.

An ADaM spec names its base rows (``source``: one record per record of an input
dataset, optionally filtered) and builds each variable with exactly one rule.
The derivation rules carry admiral's names and parameters, so a programmer who
knows ``derive_vars_merged`` or ``derive_var_trtemfl`` can read a spec at once.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from cdisc.rules import get
from cdisc.spec.base import Expr, ShorthandModel, SpecModel
from cdisc.spec.models import DatasetMeta, VariableMeta, rule_set
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


AdamRules = rule_set("adam", "AdamRules")


class AdamVariable(VariableMeta, AdamRules):  # type: ignore[misc, valid-type]
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
            name, params = var.rule
            for path, dataset in get(name).datasets(params):
                needs.setdefault(dataset, ("variables", i, name, *path))
        return needs
