"""Pydantic models of SDTM dataset specs: metadata, the source rows, and one registered rule per variable.

The rule fields of a variable (``assign``, ``iso8601``, ``seq``, ...) come from the rule registry
(:mod:`cdisc.rules`), so a new rule needs no edit here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from cdisc.spec.adam import RecordStep
from cdisc.spec.base import Expr, Scalar, SpecModel
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
    where: Expr | None = Field(
        None,
        description="Only the records meeting this condition, after the steps (e.g. the records the steps made): a "
        "dataset's or the spec's records, never raw rows, which are mapped or excluded with a reason",
    )

    @model_validator(mode="after")
    def _no_derive(self) -> SdtmSource:
        if any(step.rule[0] == "derive" for step in self.steps):
            raise PydanticCustomError(
                "cdisc_sdtm_derive", "an SDTM source's steps run before any variable is built, so 'derive' has "
                "nothing to build; read source columns in the steps instead", {},
            )
        if self.where is not None and self.table is not None:
            raise PydanticCustomError(
                "cdisc_sdtm_where", "every raw row of a table is mapped or excluded with a reason: use 'exclude' with "
                "'when' and 'reason' instead of 'where'", {},
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


class PartRule(SdtmRules):
    """How one variable is built on the records of a part: exactly one rule, as in ``variables:``, and what define.xml
    says about the variable on those records when it differs from the variable's own metadata."""

    origin: Origin | None = Field(None, description="Origin on this part's records (default: the variable's origin)")
    method: str | None = Field(None, description="How the value is derived on this part's records, for define.xml")
    codelist: Name | None = Field(None, description="Codelist of the value on this part's records (default: the variable's)")


class SdtmPart(SpecModel):
    """More records of the domain from another source (as sdtm.oak maps each raw form to the domain and binds them).

    The part's source rows (a raw table with its own merges and exclusions, a dataset, or records) become records of
    the domain next to the main source's. ``variables`` gives, by name, the rule of each variable on these records;
    variables keep the one set of metadata the dataset's ``variables:`` gives them. A variable the part does not
    list is built on its records by the dataset's own rule when that rule reads nothing of the source row
    (``hardcode``, ``study``, ``seq``, ``study_day``, ``epoch``, an expression of the record's variables: --SEQ is
    then numbered over the whole domain), and is missing otherwise; ``VARIABLE: null`` makes it missing on the part's
    records whatever its rule. The dataset's ``supp:`` qualifiers are built from the main source's records. Each raw
    table's rows and columns are reconciled as mapped or excluded by the part that reads them.
    """

    part: str = Field(min_length=1, description="What the part holds, in messages and define.xml methods, e.g. informed consent")
    source: SdtmSource
    where: dict[Name, list[Scalar]] | None = Field(
        None, min_length=1,
        description="Values of the dataset's variables that select this part's records, e.g. {DSCAT: [PROTOCOL "
        "MILESTONE]}: the variables the part builds get value-level metadata in define.xml with the part's origin and "
        "method (without it, a Derived variable's method names each source)",
    )
    variables: dict[Name, PartRule | None] = Field(
        min_length=1, description="Variable name -> its rule on this part's records (null: missing on them)"
    )

    @property
    def label(self) -> str:
        """The part in messages: its name and source, e.g. part 'informed consent' (raw table ic)."""
        return f"part '{self.part}' ({source_label(self.source)})"


def source_label(source: Source) -> str:
    """A source in words: raw table ic, dataset DM, spec records."""
    return f"raw table {source.table}" if source.table else f"dataset {source.dataset}" if source.dataset else "spec records"


#: The language guide's example of a domain with a part (``cdisc guide``).
PARTS_EXAMPLE = """
dataset: DS
source: {table: ds}                        # end of treatment and end of study pages
parts:
  - part: informed consent                 # one record per consent on the ic form
    source: {table: ic}
    where: {DSCAT: [PROTOCOL MILESTONE]}   # the part's records, for define.xml value-level metadata
    variables:
      DSTERM: {origin: Derived, method: Consent and protocol version, expr: 'concat("INFORMED CONSENT, VERSION ", ICVER)'}
      DSDECOD: {hardcode: INFORMED CONSENT OBTAINED}
      DSCAT: {hardcode: PROTOCOL MILESTONE}
      DSSCAT: null                         # missing on consents, whatever the dataset's rule
      DSSTDTC: {origin: {type: Collected, page: IC}, iso8601: {date: ICDAT, time: ICTIM}}
      EPOCH: {epoch: DSSTDTC}
variables:                                 # STUDYID, USUBJID, DSSEQ, DSSTDY: the dataset's rules, on every record
  - {name: DSSEQ, origin: Derived, seq: {order_by: [DSSTDTC]}}
  - {name: DSTERM, origin: Collected, assign: {from: DSTERM, clean: [upper]}}
  ...
"""


def reads_source_row(var: Any, variables: set[str]) -> bool:
    """Whether a variable's rule reads its source row: a raw column (a name that is not a variable of the dataset, a
    ``raw()`` column) or the findings pivot (``test``). Rules that do not (``hardcode``, ``seq``, ``study_day``,
    ``epoch``, ``study``) build a variable on the records of every part.

    >>> from types import SimpleNamespace as Var
    >>> from cdisc.rules import get
    >>> assign = Var(rule=("assign", get("assign").params(source="DSTERM")))
    >>> reads_source_row(Var(rule=("study_day", "DSSTDTC")), {"DSSTDTC"}), reads_source_row(assign, {"DSTERM"})
    (False, True)
    """
    from cdisc.rules import get
    from cdisc.spec.base import parsed

    name, params = var.rule
    if name == "test":
        return True
    rule = get(name)
    for ref in rule.references(params):
        if ref.kind in ("raw", "source"):
            return True
        if ref.kind in ("expression", "joined_expression") and parsed(ref.text).raw_only:
            return True
    return bool(rule.reads(params) - variables)


def _part_metadata(variables: list, parts: list[SdtmPart], source: SdtmSource, dataset: str) -> list:
    """Variables a part builds with other metadata than the variable's (origin, codelist, or a derivation other than
    the dataset's rule) described for define.xml: value-level metadata for the part's records (``where``), or, for a
    Derived variable, a method naming each source's rule."""
    from cdisc.rules import get

    def described(rules: Any, name: str) -> str | None:
        rule_name, params = rules.rule
        try:
            return get(rule_name).method(params, name, None)
        except AttributeError:  # a rule whose words need study.yaml (study: usubjid) is described by the define builder
            return None

    out = []
    for var in variables:
        own = var.method or (described(var, var.name) if var.origin.type == "Derived" else None)
        levels, texts = list(var.value_level), []
        for part in parts:
            rules = part.variables.get(var.name)
            if rules is None:
                continue
            origin, codelist = rules.origin or var.origin, rules.codelist or var.codelist
            method = rules.method or (described(rules, var.name) if origin.type == "Derived" else None)
            if origin == var.origin and codelist == var.codelist and method == own:
                continue  # the variable's own metadata says it
            if part.where is not None and var.name not in part.where:
                if not any(level.where == part.where for level in levels):
                    levels.append(ValueLevel(where=part.where, label=f"{var.label} ({part.part})", type=var.type,
                                             codelist=codelist, origin=origin, method=method))
            elif method:
                texts.append(f"On the records of {part.label}: {method}")
        update: dict[str, Any] = {"value_level": levels}
        if texts and var.origin.type == "Derived":
            update["method"] = " ".join(([f"On the records of {source_label(source)}: {own}"] if own else []) + texts)
        out.append(var.model_copy(update=update) if update["value_level"] != var.value_level or "method" in update else var)
    return out


class SdtmDataset(DatasetMeta):
    """One SDTM domain: its define.xml metadata, its raw source and its variables in output order."""

    source: SdtmSource
    parts: list[SdtmPart] = Field(
        default_factory=list,
        description="More records of the domain, each from its own source with its own rules for the variables it fills",
    )
    depends_on: list[Name] = Field(default_factory=list, description="Datasets that must be built first")
    tests: list[FindingsTest] = Field(
        default_factory=list, description="Findings: one record per raw row and test with a result (the pivot)"
    )
    variables: list[SdtmVariable] = Field(min_length=1)
    supp: list[SuppQualifier] = Field(default_factory=list)

    @model_validator(mode="after")
    def _tests_value_level(self) -> SdtmDataset:
        variables = with_step_methods(self.variables, self.source.steps, self.dataset)
        variables = _test_value_level(variables, self.tests)
        object.__setattr__(self, "variables", _part_metadata(variables, self.parts, self.source, self.dataset))
        return self

    def part_reads(self) -> dict[str, set[str]]:
        """Per variable, the names its rules in the parts read (for the build order); a part's --SEQ with no
        ``order_by`` reads the dataset keys, as the dataset's does."""
        from cdisc.rules import get

        reads: dict[str, set[str]] = {}
        for part in self.parts:
            for name, rules in part.variables.items():
                if rules is not None:
                    rule_name, params = rules.rule
                    found = get(rule_name).reads(params) | (set(self.keys) if getattr(params, "order_by", "") is None else set())
                    reads.setdefault(name, set()).update(found)
        return reads

    @property
    def standard(self) -> str:
        return "SDTM"
