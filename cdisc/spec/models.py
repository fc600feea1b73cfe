"""Pydantic models of the study spec: ``study.yaml``, dataset specs and study codelists.

The models are the documentation of the spec language: every field has a type
and a description, and ``cdisc schema`` exports them as JSON Schema for editors.
Cross-file checks (raw columns, codelists, dependencies) live in
:mod:`cdisc.spec.check`; these models check each file on its own.
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from cdisc.datepattern import PatternError, date_patterns, time_patterns
from cdisc.spec.base import Expr, Scalar, ShorthandModel, SpecModel
from cdisc.spec.expr import parse_expression
from cdisc.spec.names import Label, Name

if TYPE_CHECKING:
    from cdisc.rules import Engine

RefDateName = Literal["RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC", "RFPENDTC", "DTHDTC"]


# ---------------------------------------------------------------------------
# study.yaml


class StudyInfo(SpecModel):
    """Facts about the study that appear in the data (STUDYID) and in define.xml."""

    id: str = Field(min_length=1, max_length=200, description="STUDYID value")
    title: str = Field(min_length=1, description="Protocol title")
    sponsor: str | None = None
    protocol: str | None = Field(None, description="Protocol number, if different from the study id")


def _check_encoding(name: str) -> str:
    try:
        codecs.lookup(name)
    except LookupError:
        raise PydanticCustomError(
            "cdisc_encoding", "unknown text encoding '{name}'; e.g. utf-8, cp1252, latin-1", {"name": name}
        ) from None
    return name


Encoding = Annotated[str, AfterValidator(_check_encoding), Field(description="Text encoding of .csv files, e.g. utf-8, cp1252, latin-1")]
NaValues = Annotated[list[str], Field(description='Cell values that mean missing, e.g. ["NA"] for R exports (a blank cell always is)')]


class RawTable(SpecModel):
    """One raw extract file, when its name or format differs from the defaults."""

    file: str | None = Field(
        None, description="File name inside the raw folder (.csv, .xlsx, .sas7bdat or .xpt); default: the file named "
        "like the table, e.g. ae.csv for ae"
    )
    sheet: str | None = Field(None, description="Worksheet of an .xlsx file")
    encoding: Encoding | None = Field(None, description="Text encoding of a .csv file (default: raw.encoding)")
    na_values: NaValues | None = Field(None, description="Values that mean missing in this table (default: raw.na_values)")


class RawData(SpecModel):
    """Where the raw EDC extract lives. Every file in ``folder`` is a table named by its stem."""

    folder: Path
    tables: dict[str, RawTable] = Field(
        default_factory=dict, description="Tables whose file name is not <table>.csv, or that read differently"
    )
    encoding: Encoding = "utf-8"
    na_values: NaValues = Field(default_factory=list)


class Terminology(SpecModel):
    """Controlled terminology: the NCI/CDISC release and where its files are."""

    version: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="CT release date, e.g. 2025-03-28")
    sdtm: Path | None = Field(None, description="NCI SDTM terminology file (tab-delimited text)")
    adam: Path | None = Field(None, description="ADaM terminology file (CDISC Library CSV)")


class Standards(SpecModel):
    """Versions of the implementation guides the outputs follow."""

    sdtmig: Literal["3.2", "3.3", "3.4"] = "3.4"
    adamig: Literal["1.1", "1.2", "1.3"] = "1.3"
    define: Literal["2.1"] = "2.1"


def _iso_datetime_schema(schema: dict[str, Any]) -> None:
    """An ISO 8601 date-time with or without a UTC offset (as xs:dateTime and the loader accept); JSON Schema's
    ``date-time`` format is RFC 3339, which requires the offset, so the format is replaced by a pattern."""
    schema.pop("format", None)
    schema["pattern"] = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$"


class Output(SpecModel):
    """Where outputs go, and the creation time stamped into every file (keeps outputs byte-identical)."""

    folder: Path
    created: dt.datetime = Field(
        description="Creation date-time written into XPT headers and define.xml",
        json_schema_extra=_iso_datetime_schema,
    )
    formats: list[Literal["xpt", "json", "ndjson"]] = Field(
        ["xpt"], description="Dataset files to write side by side: xpt (always written), json (Dataset-JSON v1.1), ndjson"
    )


class Subjects(SpecModel):
    """How subjects are identified across all raw tables."""

    usubjid: Expr = Field(description='Expression over raw columns, e.g. concat(STUDYID, "-", SUBJID)')


def _date_pattern(kind: Literal["date", "time"]):
    def check(text: str) -> str:
        try:
            (date_patterns if kind == "date" else time_patterns)(text)
        except PatternError as exc:
            raise PydanticCustomError("cdisc_date_pattern", "{message}", {"message": str(exc)}) from None
        return text

    return check


def _one_or_more(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


DateFormat = Annotated[
    str,
    AfterValidator(_date_pattern("date")),
    Field(
        description="A date (or date-time) pattern from YYYY, YY, MON, MM, DD, HH, MI, SS, AM/PM, T and separators, "
        "e.g. DD-MON-YY, MM/DD/YYYY, DDMONYYYY, DD-MON-YYYY HH:MM; YYYY-MM-DD is ISO 8601 at any precision; "
        "auto is DD-MON-YYYY or ISO 8601",
        examples=["DD-MON-YYYY", "DD-MON-YY", "MM/DD/YYYY", "DD/MM/YYYY", "DDMONYYYY", "YYYY-MM-DD", "DD-MON-YYYY HH:MM"],
    ),
]
TimeFormat = Annotated[
    str,
    AfterValidator(_date_pattern("time")),
    Field(description="A time pattern from HH (or H), MI (or MM), SS and AM/PM, e.g. HH:MM, HH:MM:SS, HH:MM AM/PM; "
          "auto is HH:MM:SS or HH:MM", examples=["HH:MM", "HH:MM:SS", "H:MM AM/PM"]),
]


class CollectedDate(SpecModel):
    """Raw date (and optional time) columns and the patterns they were collected in."""

    date: str = Field(description="Raw date (or date-time) column (UN/UNK for unknown parts)")
    time: str | None = Field(None, description="Raw time column")
    format: Annotated[list[DateFormat], BeforeValidator(_one_or_more, json_schema_input_type=DateFormat | list[DateFormat])] = Field(
        ["auto"],
        description="Pattern(s) of the date, tried in order; auto accepts DD-MON-YYYY and YYYY-MM-DD. "
        "Numeric day/month orders must be declared.",
    )
    time_format: Annotated[list[TimeFormat], BeforeValidator(_one_or_more, json_schema_input_type=TimeFormat | list[TimeFormat])] = Field(
        ["auto"], description="Pattern(s) of the time column, tried in order"
    )
    year_cutoff: int | None = Field(
        None, ge=1000, le=9900,
        description="Century rule for two-digit years (YY), as SAS YEARCUTOFF: the first year of the 100 years "
        "they fall in; 1950 reads 20 as 2020 and 60 as 1960",
    )

    @model_validator(mode="after")
    def _patterns_agree(self) -> CollectedDate:
        forms = date_patterns(self.format)
        if self.year_cutoff is None and any(f.two_digit_year for f in forms):
            raise PydanticCustomError(
                "cdisc_year_cutoff", "pattern {form} has a two-digit year: state the century rule with year_cutoff "
                "(e.g. year_cutoff: 1950 reads 20 as 2020 and 60 as 1960)",
                {"form": next(f.text for f in forms if f.two_digit_year)},
            )
        if self.time is not None and any(f.has_time for f in forms):
            raise PydanticCustomError(
                "cdisc_date_time", "pattern {form} holds a time, and the time column {time} gives it again; "
                "declare only the date part, or drop time", {"form": next(f.text for f in forms if f.has_time), "time": self.time},
            )
        return self

    @property
    def options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`cdisc.sdtm.dates.iso8601` this declaration stands for."""
        return {"form": self.format, "time_form": self.time_format, "year_cutoff": self.year_cutoff}


class RefDateSource(CollectedDate):
    """One raw table whose dates are candidates for a reference date."""

    table: str
    where: Expr | None = Field(None, description="Only rows meeting this condition count")


class Visit(SpecModel):
    """A planned visit (trial visits): its number, name and the spellings raw forms use for it."""

    visitnum: float
    visit: str = Field(min_length=1, max_length=200)
    collected: list[str] = Field(default_factory=list, description="Raw folder/visit names that mean this visit")
    visitdy: int | None = Field(None, description="Planned study day")
    window: tuple[int, int] | None = Field(
        None, description="Days before and after visitdy a visit may happen, e.g. [-3, 3]; a date outside is a warning"
    )
    start_rule: str | None = Field(
        None, min_length=1, max_length=200,
        description="When the visit starts, in the protocol's words (TV.TVSTRL), for a visit with no planned study day",
    )


class RefDateRule(SpecModel):
    """A DM reference date: the earliest or latest date over one or more raw sources, per subject."""

    pick: Literal["earliest", "latest"]
    sources: list[RefDateSource] = Field(min_length=1)


class InputDataset(SpecModel):
    """How to type the columns of an input dataset read from CSV (XPT and parquet carry their types)."""

    numeric: list[Name] = Field(default_factory=list, description="Columns holding numbers")
    file: str | None = Field(None, description="The file in the folder when it is not named <name>.xpt/.parquet/.csv")


class InputData(SpecModel):
    """Datasets read from files instead of built by a spec, e.g. SDTM made elsewhere, as inputs to ADaM."""

    folder: Path
    datasets: dict[Name, InputDataset] = Field(
        min_length=1, description="Dataset name -> typing; the file is <name>.xpt, .parquet or .csv in the folder"
    )


class StudySpec(SpecModel):
    """``study.yaml``: the study, its raw data, terminology, standards and outputs."""

    study: StudyInfo
    raw: RawData | None = Field(None, description="The raw EDC extract (needed for SDTM specs)")
    inputs: InputData | None = None
    terminology: Terminology
    standards: Standards = Standards()
    output: Output
    subjects: Subjects | None = Field(None, description="Needed where a spec uses `study: usubjid`")
    data_cutoff: dt.date | None = Field(
        None, description="Data cutoff of the raw extract (DCUTDTC in expressions and TS); `cdisc run --data-cutoff` overrides it"
    )
    reference_dates: dict[RefDateName, RefDateRule] = Field(default_factory=dict)
    visits: list[Visit] = Field(default_factory=list, description="Planned visits, for VISIT/VISITNUM")
    strict_ct: bool = Field(
        False, description="Values outside an extensible codelist are errors instead of listed extensions"
    )
    not_converted: dict[str, str] = Field(
        default_factory=dict, description="Raw tables deliberately not converted, each with the reason"
    )
    not_submitted: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Raw columns deliberately not submitted, per table, each with the reason (every other column is "
        "mapped to a variable or used to select, join or date records)",
    )
    codelists: Path | None = Field(Path("codelists.yaml"), description="Study codelists file (relative to study.yaml)")
    datasets: list[str] = Field(["sdtm/*.yaml", "adam/*.yaml"], description="Glob patterns of dataset spec files")


# ---------------------------------------------------------------------------
# Codelists (codelists.yaml)


class Term(SpecModel):
    """A permitted value, its decode, and the collected spellings that map to it."""

    value: Scalar = Field(description="Submission value")
    decode: str | None = None
    synonyms: list[str] = Field(default_factory=list, description="Collected values that map to this term")
    nci: str | None = Field(None, pattern=r"^C\d+$", description="NCI concept code of the term")


class Codelist(SpecModel):
    """A study codelist, an NCI codelist restated to add synonyms for collected values, or an external dictionary
    (``dictionary`` and ``version``, no terms: MedDRA, WHODrug), written to define.xml as an ExternalCodeList."""

    name: Name = Field(description="The name variables use in `codelist:`")
    label: str
    type: Literal["text", "integer", "float"] = "text"
    extensible: bool = False
    nci: str | None = Field(None, pattern=r"^C\d+$", description="NCI code of the CT codelist this one restates")
    terms: list[Term] = Field(default_factory=list)
    dictionary: str | None = Field(None, description="External dictionary, e.g. MedDRA (then give version, not terms)")
    version: str | None = Field(None, description="Version of the external dictionary, e.g. 26.1")

    @model_validator(mode="after")
    def _terms_or_dictionary(self) -> Codelist:
        if bool(self.terms) == bool(self.dictionary) or bool(self.dictionary) != bool(self.version):
            raise PydanticCustomError(
                "cdisc_codelist", "give terms, or an external dictionary with its version (dictionary: MedDRA, version: '26.1')", {}
            )
        return self


class CodelistFile(SpecModel):
    """``codelists.yaml``: the study's own codelists."""

    codelists: list[Codelist] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# Variable metadata

DataType = Literal[
    "text",
    "integer",
    "float",
    "date",
    "datetime",
    "time",
    "partialDate",
    "partialTime",
    "partialDatetime",
    "incompleteDatetime",
    "durationDatetime",
    "intervalDatetime",
]
NUMERIC_TYPES = frozenset({"integer", "float"})


class Origin(ShorthandModel):
    """Where a variable's values come from (define.xml ``def:Origin``)."""

    shorthand_field: ClassVar[str] = "type"
    type: Literal["Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available"]
    source: Literal["Investigator", "Sponsor", "Subject", "Vendor"] | None = None
    page: str | None = Field(None, description="CRF page or form the value was collected on")
    predecessor: str | None = Field(None, description="DATASET.VARIABLE a Predecessor value is copied from")


class VariableMeta(SpecModel):
    """What define.xml and the XPT file say about a variable."""

    name: Name
    # label and type: the None default only marks "not stated" (the IG's value is filled in before validation);
    # _label_and_type_known refuses a None left over, so a validated variable always has both.
    label: Label = Field(None, description="Variable label; default: the SDTMIG 3.4 / ADaMIG 1.3 label of the variable")  # type: ignore[assignment]
    type: DataType = Field(None, description="Data type; default from the IG: Char is text (datetime for --DTC), Num integer or float")  # type: ignore[arg-type]
    length: int | None = Field(None, ge=1, le=200, description="Omit to use the longest value in the data")
    format: str | None = Field(None, pattern=r"^\$?[A-Z_][A-Z0-9_]{0,31}\.\d*$", description="SAS display format, e.g. DATE9.")
    codelist: Name | None = None
    origin: Origin
    method: str | None = Field(None, description="How a Derived value is computed, for define.xml")
    comment: str | None = None
    role: (
        Literal[
            "Identifier",
            "Topic",
            "Timing",
            "Grouping Qualifier",
            "Result Qualifier",
            "Synonym Qualifier",
            "Record Qualifier",
            "Variable Qualifier",
            "Rule",
        ]
        | None
    ) = None
    core: Literal["Req", "Exp", "Perm", "Cond"] | None = None
    value_level: list[ValueLevel] = Field(
        default_factory=list, description="Metadata that differs by the value of another variable (define.xml VLM)"
    )

    @model_validator(mode="after")
    def _label_and_type_known(self) -> VariableMeta:
        if self.label is None and getattr(self, "temporary", False):  # never written, so a label would say nothing
            object.__setattr__(self, "label", self.name)
        missing = [key for key in ("label", "type") if getattr(self, key) is None]
        if missing:
            raise PydanticCustomError(
                "cdisc_ig_default", "give its {what}: SDTMIG 3.4 / ADaMIG 1.3 does not define this variable for this "
                "dataset, so there is no default", {"what": " and ".join(missing)},
            )
        return self


class ValueLevel(SpecModel):
    """Value-level metadata: this variable's attributes on the records where ``where`` holds.

    ``where`` maps a variable of the same dataset to the values it takes on those records,
    e.g. ``{VSTESTCD: [SYSBP, DIABP]}`` (define.xml WhereClauseDef, comparator IN/EQ).
    """

    where: dict[Name, list[Scalar]] = Field(min_length=1)
    label: str | None = Field(None, description="Description of the value, e.g. the test name")
    type: DataType
    length: int | None = Field(None, ge=1, le=200)
    significant_digits: int | None = Field(None, ge=0)
    format: str | None = None
    codelist: Name | None = None
    origin: Origin
    method: str | None = None
    comment: str | None = None
    mandatory: bool = False


VariableMeta.model_rebuild()


# ---------------------------------------------------------------------------
# Rule sets: how each variable is built (the rules themselves are in cdisc/rules/)


class RuleSet(SpecModel):
    """Base of the rule sets: exactly one rule field says how a variable is built."""

    rule_fields: ClassVar[tuple[str, ...]] = ()
    #: What one of the fields is called in messages: a rule (of a variable) or a step (of a dataset).
    noun: ClassVar[str] = "rule"
    #: Rules that may be written bare (``seq:``), meaning "with default parameters".
    bare_rules: ClassVar[tuple[str, ...]] = ()

    if TYPE_CHECKING:
        # One optional field per registered rule (``var.seq``, ``step.derive``, ...) is added by rule_set() when
        # the registry is loaded, so a type checker cannot list them: reading one gives Any.
        def __getattr__(self, name: str) -> Any: ...

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, data: Any) -> Any:
        if isinstance(data, dict):
            bare: dict[str, dict[str, Any]] = {k: {} for k in cls.bare_rules if k in data and data[k] is None}
            return {**data, **bare} if bare else data
        return data

    @model_validator(mode="after")
    def _exactly_one_rule(self) -> RuleSet:
        given = [name for name in self.rule_fields if getattr(self, name) is not None]
        if len(given) != 1:
            options = ", ".join(self.rule_fields)
            found = f"found {', '.join(given)}" if given else "found none"
            raise PydanticCustomError(
                "cdisc_rule", "give exactly one {what} ({found}); {noun}s: {options}",
                {"found": found, "options": options, "what": cls_what(self), "noun": self.noun},
            )
        return self

    @property
    def rule(self) -> tuple[str, Any]:
        """The rule's name and parameters."""
        name = next(n for n in self.rule_fields if getattr(self, n) is not None)
        return name, getattr(self, name)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        if cls.rule_fields:
            target["oneOf"] = [{"required": [name]} for name in cls.rule_fields]
        return schema


def cls_what(rules: RuleSet) -> str:
    return "rule saying how to build it" if rules.noun == "rule" else f"{rules.noun} per list item"


def rule_set(engine: Engine, name: str) -> type[RuleSet]:
    """The rule fields of one engine's variables, one optional field per registered rule (see ``cdisc/rules/``)."""
    from cdisc.rules import rules

    registered = rules(engine)
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__doc__": f"Exactly one of these says how an {engine.upper()} variable is built.",
        "__annotations__": {n: r.params | None for n, r in registered.items()},
        "rule_fields": tuple(registered),
        "bare_rules": tuple(n for n, r in registered.items() if r.bare),
        "noun": "step" if engine == "steps" else "rule",
        **{n: Field(None, description=r.summary.split("\n\n")[0]) for n, r in registered.items()},
    }
    return type(RuleSet)(name, (RuleSet,), namespace)  # type: ignore[misc]  # pydantic's metaclass makes the subclass; mypy cannot type a call of type(cls)


def with_step_methods(variables: list, steps: list, dataset: str) -> list:
    """Derived variables named like a column a record step always makes (``new_columns``: PPSTRESN of
    derive_param_nca) and with no ``method`` of their own get the step's method text, for define.xml."""
    from cdisc.rules import get

    made: dict[str, str] = {}
    per_code: dict[tuple[str, str], str] = {}  # (column, PARAMCD the step sets) -> its method, for value-level metadata
    for step in steps:
        name, params = step.rule
        code = getattr(params, "set_values_to", {}).get("PARAMCD")
        for column in getattr(params, "new_columns", ()):
            made.setdefault(column, get(name).method(params, dataset, None))
            if isinstance(code, str):
                per_code.setdefault((column, code), get(name).method(params, dataset, None))

    def level_method(var, level):
        codes = level.where.get("PARAMCD", [])
        return per_code.get((var.name, str(codes[0]))) if len(codes) == 1 else None

    variables = [
        var.model_copy(update={"method": made[var.name], "value_level": [
            level.model_copy(update={"method": level.method or made[var.name]}) for level in var.value_level
        ]})
        if var.name in made and var.method is None and var.origin.type == "Derived" else var
        for var in variables
    ]
    return [
        var.model_copy(update={"value_level": [level.model_copy(update={"method": level_method(var, level) or level.method})
                                               for level in var.value_level]})
        if per_code and var.value_level and var.origin.type == "Derived" else var
        for var in variables
    ]


#: The SUPP-- dataset's variables in order: name, label, core (SDTMIG 3.4 section 8.4).
SUPP_COLUMNS = (
    ("STUDYID", "Study Identifier", "Req"),
    ("RDOMAIN", "Related Domain Abbreviation", "Req"),
    ("USUBJID", "Unique Subject Identifier", "Req"),
    ("IDVAR", "Identifying Variable", "Exp"),
    ("IDVARVAL", "Identifying Variable Value", "Exp"),
    ("QNAM", "Qualifier Variable Name", "Req"),
    ("QLABEL", "Qualifier Variable Label", "Req"),
    ("QVAL", "Data Value", "Req"),
    ("QORIG", "Origin", "Req"),
    ("QEVAL", "Evaluator", "Exp"),
)


# ---------------------------------------------------------------------------
# Dataset specs

SdtmClass = Literal[
    "SPECIAL PURPOSE", "INTERVENTIONS", "EVENTS", "FINDINGS", "FINDINGS ABOUT", "TRIAL DESIGN", "RELATIONSHIP"
]


class Exclusion(SpecModel):
    """Raw rows that are deliberately not mapped, and why (reported in the reconciliation)."""

    when: Expr
    reason: str = Field(min_length=1)


class Merge(SpecModel):
    """Another raw table joined onto the source rows."""

    table: str
    on: list[str] = Field(min_length=1)
    rename: dict[str, str] = Field(
        default_factory=dict, description="Columns of the merged table renamed before joining, e.g. {SAMPLEID: PKREFID}"
    )


class Deduplicate(SpecModel):
    """Raw rows that repeat another row on ``by`` are excluded as duplicates of the first one."""

    by: list[str] = Field(min_length=1, description="Raw columns that identify a record")
    reason: str = Field("duplicate record", min_length=1)


class Source(SpecModel):
    """The rows a dataset is built from, then optional repetition, joins, de-duplication and exclusions.

    The rows come from exactly one of: a raw ``table``; a ``dataset`` built earlier (e.g. SE from DM);
    ``records`` written in the spec (trial design datasets such as TS, TA, TE); or the study's planned ``visits``
    (TV), one row per visit of study.yaml with columns VISITNUM, VISIT, VISITDY and STARTRULE.
    """

    table: str | None = Field(None, description="Raw table")
    dataset: Name | None = Field(None, description="An SDTM dataset built earlier, one row per record")
    records: list[dict[str, Scalar | None]] | None = Field(None, description="Rows written in the spec", min_length=1)
    visits: Literal[True] | None = Field(None, description="The planned visits of study.yaml, one row each (for TV)")
    merge: list[Merge] = Field(default_factory=list)
    expand: dict[str, list[Scalar]] = Field(
        default_factory=dict, description="Repeat every row once per listed value, in a new column of this name"
    )
    deduplicate: Deduplicate | None = None
    exclude: list[Exclusion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_origin(self) -> Source:
        given = [k for k in ("table", "dataset", "records", "visits") if getattr(self, k) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "cdisc_source", "give exactly one of table, dataset, records or visits (found {found})",
                {"found": ", ".join(given) or "none"},
            )
        return self

    @property
    def name(self) -> str:
        """How messages name the source: the raw table, the dataset, 'records' or 'visits'."""
        return self.table or self.dataset or ("visits" if self.visits else "records")

    @property
    def spec_columns(self) -> list[str]:
        """The columns of rows the spec itself gives: the records' keys, or those of the planned visits."""
        if self.visits:
            return ["VISITNUM", "VISIT", "VISITDY", "STARTRULE"]
        return list(dict.fromkeys(key for record in self.records or [] for key in record))


# ---------------------------------------------------------------------------
# Findings: a wide raw form pivoted to one record per test


class FromColumn(SpecModel):
    """A value read from a raw column: ``{from: TEMPU}``."""

    source: str = Field(alias="from", description="Raw column")


def _check_conversion(text: str) -> str:
    names = parse_expression(text).names - {"x"}
    if names:
        raise PydanticCustomError(
            "cdisc_conversion", "conversion {text!r} may only use x (the collected value), not {names}",
            {"text": text, "names": ", ".join(sorted(names))},
        )
    return text


Conversion = float | Annotated[Expr, AfterValidator(_check_conversion)]


class StandardUnit(SpecModel):
    """The standard unit of a test and how each collected unit converts to it.

    A conversion is a factor (``g/dL: 10``) or an expression of ``x``, the collected value
    (``F: "(x - 32) * 5 / 9"``). The standard unit itself needs no entry. A numeric result in a
    collected unit with no conversion is an error naming the test and the unit.
    """

    unit: str = Field(min_length=1, description="--STRESU")
    convert: dict[str, Conversion] = Field(default_factory=dict, description="Collected unit -> factor or expression of x")
    digits: int | None = Field(None, ge=0, le=10, description="Decimals --STRESN is rounded to")


class NotDone(SpecModel):
    """When a test was not done: --STAT is NOT DONE, --REASND the reason, and the result is left empty."""

    when: Expr
    reason: str | None = Field(None, description="Raw column holding the reason not done")


Bound = float | str  # a number, or the raw column holding it


class NormalRange(SpecModel):
    """Normal range in the collected unit: numbers or raw columns. Gives --ORNRLO/HI, --STNRLO/HI and --NRIND."""

    low: Bound | None = None
    high: Bound | None = None


class Summary(SpecModel):
    """A derived test: the sum of other tests' standard results per group of raw rows (e.g. SUMDIAM).

    ``by`` starts with the subject column. With ``each``, every value of that column the subject has
    for the summed tests (e.g. every target lesion) must have a result in the group; otherwise the
    record is NOT DONE instead of a sum over fewer items.
    """

    sum: list[str] = Field(min_length=1, description="Test codes whose standard results are added")
    by: list[str] = Field(min_length=2, description="Raw columns of a group: subject first, then e.g. the visit")
    each: str | None = Field(None, description="Raw column naming the items that must all be present")


class FindingsTest(SpecModel):
    """One collected test: which raw rows and column hold it, its unit, range and standard unit.

    A test with only ``not_done`` (no ``result`` nor ``summary``) is the record of a whole panel not
    done (SDTMIG 4.5.1.2): --TESTCD ``--ALL`` (e.g. VSALL), --STAT NOT DONE, one record per raw row where
    ``not_done.when`` holds; on those rows the tests of its category (every test, if it has none) give no
    records, and a result there is an error.
    """

    testcd: str = Field(min_length=1, max_length=8, pattern=r"^[A-Z][A-Z0-9_]*$", description="--TESTCD")
    test: str | None = Field(None, max_length=40, description="--TEST; omit to decode --TESTCD through the codelists")
    detail: str | None = Field(None, description="--TSTDTL, e.g. TITER, when one test code has several results")
    when: Expr | None = Field(None, description="Raw rows holding this test (default: every row)")
    result: str | None = Field(None, description="Raw column with the result as collected (--ORRES)")
    summary: Summary | None = None
    unit: str | FromColumn | None = Field(None, description="--ORRESU: a unit, or {from: column}")
    category: str | None = Field(None, description="--CAT")
    subcategory: str | None = Field(None, description="--SCAT")
    codelist: Name | None = Field(None, description="Codelist of text results: --STRESC is its submission value")
    type: Literal["text", "integer", "float"] = Field("float", description="Type of the result, for value-level metadata")
    not_done: NotDone | None = None
    range: NormalRange | None = None
    lloq: Bound | None = Field(None, description="Lower limit of quantitation in the collected unit (number or raw column)")
    standard: StandardUnit | None = Field(None, description="Standard unit and conversions (default: as collected)")

    @model_validator(mode="after")
    def _result_or_summary(self) -> FindingsTest:
        if (self.result is not None and self.summary is not None) or (self.all_not_done and self.not_done is None):
            raise PydanticCustomError(
                "cdisc_test", "give exactly one of 'result' (a raw column) or 'summary', or only 'not_done' for the "
                "record of a whole panel not done (--ALL)", {},
            )
        if self.all_not_done and not self.testcd.endswith("ALL"):
            raise PydanticCustomError(
                "cdisc_test_all", "a test with only 'not_done' is the record of a whole panel not done; SDTMIG names its "
                "code --ALL (e.g. VSALL)", {},
            )
        return self

    @property
    def all_not_done(self) -> bool:
        """Whether this is the --ALL record of a whole panel not done (no result of its own)."""
        return self.result is None and self.summary is None


class ValueLevelBy(SpecModel):
    """Value-level metadata of result variables per value of a parameter variable, e.g. AVAL per PARAMCD: each
    variable of ``of`` gets one entry per code of ``values`` (labelled with its decode), with the variable's own
    type, origin and method."""

    variable: Name = Field(description="The parameter variable, e.g. PARAMCD or PPTESTCD")
    values: dict[str, str] = Field(min_length=1, description="Each code and its label, e.g. CMAX: Max Conc")
    of: list[Name] = Field(min_length=1, description="The variables that get value-level metadata, e.g. [AVAL]")


class DatasetMeta(SpecModel):
    """What define.xml and the XPT file say about a dataset: the metadata half of a dataset spec."""

    dataset: Name
    label: Label
    dataset_class: SdtmClass = Field(alias="class")
    structure: str = Field(min_length=1)
    keys: list[Name] = Field(min_length=1)
    comment: str | None = Field(None, description="Dataset comment for define.xml")
    variables: Sequence[VariableMeta] = Field(min_length=1)
    value_level_by: ValueLevelBy | None = Field(None, description="Value-level metadata per parameter (define.xml VLM)")

    @model_validator(mode="after")
    def _value_level_by(self) -> DatasetMeta:
        by = self.value_level_by
        if by is None:
            return self
        unknown = [n for n in [by.variable, *by.of] if n not in {v.name for v in self.variables}]
        if unknown:
            raise PydanticCustomError("cdisc_value_level_by", "value_level_by names {names}, not variables of the dataset",
                                      {"names": ", ".join(unknown)})
        object.__setattr__(self, "variables", [
            var.model_copy(update={"value_level": [
                ValueLevel(where={by.variable: [code]}, label=label, type=var.type, origin=var.origin, method=var.method)
                for code, label in by.values.items()
            ]}) if var.name in by.of and not var.value_level else var
            for var in self.variables
        ])
        return self
