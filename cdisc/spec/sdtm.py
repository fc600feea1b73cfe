"""Pydantic models of SDTM dataset specs: metadata, the source rows, and one registered rule per variable.

The rule fields of a variable (``assign``, ``iso8601``, ``seq``, ...) come from the rule registry
(:mod:`cdisc.rules`), so a new rule needs no edit here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from cdisc.spec.adam import RecordStep
from cdisc.spec.models import (
    DatasetMeta,
    FindingsTest,
    Origin,
    RuleSet,
    Source,
    ValueLevel,
    VariableMeta,
    rule_set,
    with_step_methods,
)
from cdisc.spec.names import Label, Name

if TYPE_CHECKING:  # built from the rule registry when imported; to a type checker it is a RuleSet
    SdtmRules = RuleSet
else:
    SdtmRules = rule_set("sdtm", "SdtmRules")


class SdtmSource(Source):
    """The source rows; ``steps`` then make records from them (e.g. PK parameters from concentrations) before the
    variables are built: the ADaM record steps, run in order, each on the records the one before left."""

    steps: list[RecordStep] = Field(
        default_factory=list,
        description="Record steps run on the source rows before the variables are built (as in ADaM; no 'derive')",
    )

    @model_validator(mode="after")
    def _no_derive(self) -> SdtmSource:
        if any(step.rule[0] == "derive" for step in self.steps):
            raise PydanticCustomError(
                "cdisc_sdtm_derive", "an SDTM source's steps run before any variable is built, so 'derive' has "
                "nothing to build; read source columns in the steps instead", {},
            )
        if self.steps and self.table is not None:
            raise PydanticCustomError(
                "cdisc_sdtm_steps", "steps make records from a built dataset or spec records; every raw row of a table "
                "is mapped or excluded as it is (build from the dataset the table gives instead)", {},
            )
        return self


class SdtmVariable(VariableMeta, SdtmRules):
    """An SDTM variable: define.xml metadata plus the one rule that builds it."""

    temporary: bool = Field(False, description="Built for later variables to read (e.g. a cleaned date); not written or defined")


class SuppQualifier(SdtmRules):
    """A supplemental qualifier (SUPP-- record) built from the same source rows as its parent."""

    qnam: Name
    qlabel: Label
    codelist: Name | None = None
    origin: Origin = Origin(type="Collected")
    evaluator: str | None = Field(None, description="QEVAL, e.g. INVESTIGATOR")


RESULT_FIELDS = ("orres", "stresc", "stresn")


def _test_value_level(variables: list, tests: list[FindingsTest]) -> list:
    """Result variables get one value-level entry per test (type, codelist, label), unless the spec gives its own.

    --STRESN has entries only for numeric tests, typed integer or float as the test says.
    """
    testcd = next((v.name for v in variables if v.test == "testcd"), None)
    if testcd is None or not tests:
        return variables
    first_of_each = [t for i, t in enumerate(tests) if t.testcd not in {u.testcd for u in tests[:i]}]
    out = []
    for var in variables:
        if var.test in RESULT_FIELDS and not var.value_level:
            numeric = var.test == "stresn"
            levels = [
                ValueLevel(
                    where={testcd: [t.testcd]}, label=t.test, origin=var.origin, method=var.method,
                    type=t.type if numeric else var.type, codelist=None if numeric else t.codelist,
                )
                for t in first_of_each
                if not (numeric and t.type == "text") and not t.all_not_done
            ]
            var = var.model_copy(update={"value_level": levels})
        out.append(var)
    return out


class SdtmDataset(DatasetMeta):
    """One SDTM domain: its define.xml metadata, its raw source and its variables in output order."""

    source: SdtmSource
    depends_on: list[Name] = Field(default_factory=list, description="Datasets that must be built first")
    tests: list[FindingsTest] = Field(
        default_factory=list, description="Findings: one record per raw row and test with a result (the pivot)"
    )
    variables: list[SdtmVariable] = Field(min_length=1)
    supp: list[SuppQualifier] = Field(default_factory=list)

    @model_validator(mode="after")
    def _tests_value_level(self) -> SdtmDataset:
        variables = with_step_methods(self.variables, self.source.steps, self.dataset)
        object.__setattr__(self, "variables", _test_value_level(variables, self.tests))
        return self

    @property
    def standard(self) -> str:
        return "SDTM"
