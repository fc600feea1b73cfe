"""Describe a study's datasets as a :class:`~cdisc.definexml.model.Define`.

The specs give the metadata (labels, classes, keys, origins, methods, value-level
metadata); the data gives what only the data can: actual lengths, the coded values
used, and variables without any value. SUPP-- datasets are described from their
parent's ``supp:`` qualifiers, one value-level item of QVAL per QNAM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property
from typing import get_args

from cdisc import __version__
from cdisc.checks.standards import SHIPPED, load_standards
from cdisc.definexml.acrf import ACRF
from cdisc.definexml.codelists import CodelistRegistry
from cdisc.definexml.methods import describe_rule
from cdisc.definexml.model import (
    ANNOTATED_CRF,
    Comment,
    Define,
    Item,
    ItemGroup,
    ItemRef,
    Leaf,
    Method,
    Origin,
    PageRef,
    RangeCheck,
    Standard,
    ValueList,
    WhereClause,
)
from cdisc.definexml.test_methods import describe_standard_result
from cdisc.definexml.values import Asked, Checks, DataValues, Frame, Question, SettledFrame, Summary, number_text, questions
from cdisc.errors import DataError
from cdisc.spec.load import Study
from cdisc.spec.models import SUPP_COLUMNS, DatasetMeta, RuleSet, SdtmClass, ValueLevel, VariableMeta
from cdisc.spec.models import Origin as SpecOrigin
from cdisc.terminology import load_ct_file

#: Dataset order in define.xml: SDTMIG classes, then ADaMIG classes; by name within a class.
CLASS_ORDER = (
    "TRIAL DESIGN", "SPECIAL PURPOSE", "INTERVENTIONS", "EVENTS", "FINDINGS", "FINDINGS ABOUT", "RELATIONSHIP",
    "SUBJECT LEVEL ANALYSIS DATASET", "OCCURRENCE DATA STRUCTURE", "BASIC DATA STRUCTURE", "ADAM OTHER",
)  # fmt: skip
DEFAULT_SOURCE = {"Collected": "Investigator", "Derived": "Sponsor", "Assigned": "Sponsor", "Protocol": "Sponsor", "Predecessor": "Sponsor"}
SDTM_CT, ADAM_CT = "STD.CT.SDTM", "STD.CT.ADaM"
SUPP_STRUCTURE = "One record per IDVAR, IDVARVAL, and QNAM value per subject"
SUPP_KEYS = ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"]
SUPP_CODELISTS = {"RDOMAIN": "DOMAIN", "QEVAL": "EVAL"}  # SDTMIG 3.4 SUPPQUAL: CT codelists C66734, C78735


@dataclass
class DefineDataset:
    """A dataset to describe: its spec, its records, its SUPP-- records and its XPT file name.

    Records are a frame or a loader returning it (``lambda: pd.read_parquet(path)``), which is called when the
    dataset is described, at most once per define.xml; its records are let go before the next dataset is read.
    A :class:`~cdisc.definexml.values.ColumnLoader` reads them a column at a time instead; a
    :class:`~cdisc.definexml.values.SettledFrame` gives what was worked out of them elsewhere (:mod:`.summaries`).
    With ``frame=None`` (or a loader returning None) the dataset is described from its spec alone: lengths as
    declared and every term of its codelists (a metadata-only define, e.g. for a spec review).
    """

    meta: DatasetMeta
    frame: Frame
    supp_frame: Frame = None
    xpt: str | None = None

    @property
    def name(self) -> str:
        return self.meta.dataset

    @property
    def href(self) -> str:
        return self.xpt or f"{self.name.lower()}.xpt"


def standard_of(meta: DatasetMeta) -> str:
    """SDTM for the SDTMIG classes, ADaM otherwise."""
    return "SDTM" if meta.dataset_class in get_args(SdtmClass) else "ADaM"


@dataclass
class _Table:
    """One ItemGroupDef to write: a dataset spec or a SUPP-- dataset made from its parent's qualifiers."""

    meta: DatasetMeta
    frame: Frame
    href: str
    origin_at_value_level: frozenset[str] = frozenset()


def build_define(study: Study, datasets: list[DefineDataset], data: DataValues | None = None) -> Define:
    """The define.xml content for ``datasets``, which must all be SDTM or all ADaM.

    Each table's records are read (a loader called) when it is described and let go before the next one, once what
    :func:`define_questions` asks of them is answered; ``data`` keeps the answers for
    :func:`~cdisc.definexml.check.check_against_data`.
    """
    standards = {standard_of(d.meta) for d in datasets}
    if len(standards) != 1:
        found = ", ".join(f"{d.name} ({standard_of(d.meta)})" for d in datasets) or "none"
        raise DataError(f"define.xml describes the datasets of one standard, SDTM or ADaM; got {found}")
    tables = [table for dataset in datasets for table in described_tables(study, dataset)]
    tables.sort(key=lambda t: (_class_rank(t.meta.dataset_class), t.meta.dataset))
    return _Builder(study, standards.pop(), tables, data or DataValues()).define()


def _class_rank(name: str) -> int:
    return CLASS_ORDER.index(name) if name in CLASS_ORDER else len(CLASS_ORDER)


def described_tables(study: Study, dataset: DefineDataset) -> list[_Table]:
    """The tables define.xml describes for ``dataset``: itself (its variables as described) and its SUPP-- dataset."""
    meta = dataset.meta
    written = [v for v in meta.variables if not getattr(v, "temporary", False)]  # ADaM helpers are not written
    if standard_of(meta) == "ADaM":
        written = [_with_predecessor(study, meta, v) for v in written]
    if written != list(meta.variables):
        meta = meta.model_copy(update={"variables": written})
    tables = [_Table(meta, dataset.frame, dataset.href)]
    qualifiers = getattr(meta, "supp", [])
    if qualifiers:
        supp = _supp_meta(study, meta, qualifiers)
        tables.append(_Table(supp, dataset.supp_frame, f"supp{meta.dataset.lower()}.xpt", frozenset({"QVAL"})))
    return tables


def define_questions(meta: DatasetMeta) -> Asked:
    """What define.xml and its check ask of a table's records: per variable, of its values on every row and on the
    rows of each of its value levels (the specs alone tell; the data answers, :func:`~.values.summarise`).

    >>> meta = DatasetMeta.model_validate({"dataset": "VS", "label": "Vital Signs", "class": "FINDINGS", "structure": "x",
    ...     "keys": ["VSORRES"], "variables": [{"name": "VSORRES", "label": "Result", "type": "text", "origin": {"type": "Collected"},
    ...      "value_level": [{"where": {"VSTESTCD": ["HEIGHT"]}, "type": "float", "origin": {"type": "Collected"}}]}]})
    >>> define_questions(meta)  # doctest: +NORMALIZE_WHITESPACE
    (('VSORRES', (((), frozenset({'length'})), ((('VSTESTCD', 'EQ', ('HEIGHT',)),), frozenset({'digits'})))),)
    """
    return tuple((var.name, (((), _variable_questions(var)), *map(_level_questions, var.value_level))) for var in meta.variables)


def _variable_questions(var: VariableMeta) -> frozenset[Question]:
    return questions(var.type, var.codelist is not None)


def _level_questions(level: ValueLevel) -> tuple[Checks, frozenset[Question]]:
    """The conditions of a value level's where clause and what is asked of the values on the rows they select."""
    return level_checks(level), questions(level.type, level.codelist is not None)


def level_checks(level: ValueLevel) -> Checks:
    """The conditions of a value level's where clause as define.xml writes them: (variable, EQ or IN, texts).

    >>> level_checks(ValueLevel(where={"PARAMCD": ["ALT", "AST"], "AVISITN": [1.0]}, type="float", origin={"type": "Derived"}))
    (('PARAMCD', 'IN', ('ALT', 'AST')), ('AVISITN', 'EQ', ('1',)))
    """
    texts = [tuple(number_text(v) if isinstance(v, (int, float)) else str(v) for v in values) for values in level.where.values()]
    return tuple((name, "EQ" if len(values) == 1 else "IN", values) for name, values in zip(level.where, texts, strict=True))


def predecessor_source(study: Study, meta: DatasetMeta, column: str) -> tuple[str, VariableMeta | None] | None:
    """Where an ADaM ``predecessor`` column comes from: the base dataset's variable (``DM.AGE``), its SUPP--
    qualifier (``SUPPAE.QVAL where QNAM = AEDLT``) or a merged dataset's variable (``ADSL.AGE``), also of an input
    dataset made elsewhere, with that variable's spec metadata when there is one; None when nothing holds it."""
    source = getattr(meta, "source", None)
    if source is None or not hasattr(source, "merge"):
        return None
    specs = {name: file.spec for name, file in study.datasets.items()}
    for name in [source.dataset, *[m.dataset for m in source.merge]]:
        spec = specs.get(name)
        found = next((v for v in spec.variables if v.name == column), None) if spec is not None else None
        if found is not None:
            return f"{name}.{column}", found
        if spec is None and name in study.input_files and column in study.input_frame(name).columns:
            return f"{name}.{column}", None  # an input dataset made elsewhere (study.yaml inputs)
        if name == source.dataset and source.supp and spec is not None:
            qualifier = next((q for q in getattr(spec, "supp", []) if q.qnam == column), None)
            if qualifier is not None:
                return f"SUPP{name}.QVAL where QNAM = {column}", VariableMeta(
                    name=column, label=qualifier.qlabel, type="text", codelist=qualifier.codelist, origin=qualifier.origin)
    return None


def _with_predecessor(study: Study, meta: DatasetMeta, var: VariableMeta) -> VariableMeta:
    """An ADaM variable copied from another dataset (rule ``predecessor``) gets its source in the origin (when the
    spec does not say it) and, without a codelist of its own, the source variable's codelist; a text *FL flag
    without a codelist takes NY (ADaMIG: flags are Y/N or Y/null)."""
    update: dict = {}
    name, column = getattr(var, "rule", (None, None))
    if name == "predecessor" and isinstance(column, str):
        found = predecessor_source(study, meta, column)
        if found is not None:
            source, source_var = found
            if var.origin.type == "Predecessor" and not var.origin.predecessor:
                update["origin"] = var.origin.model_copy(update={"predecessor": source})
            if var.codelist is None and source_var is not None and source_var.codelist is not None:
                update["codelist"] = source_var.codelist
    if var.codelist is None and "codelist" not in update and var.type == "text":
        named = _adamig_codelist(var.name) or ("NY" if var.name.endswith("FL") else None)
        if named is not None and (named in study.ct or any(c.name == named for c in study.codelist_file.codelists)):
            update["codelist"] = named
    return var.model_copy(update=update) if update else var


@cache
def _adamig_codelist(name: str) -> str | None:
    """The CT codelist ADaMIG 1.3 gives a variable (``TRTSDTF`` -> DATEFL, ``EOSSTT`` -> SBJTSTAT), placeholders resolved."""
    codes = {c for pattern, codelists in _adamig_patterns() if pattern.fullmatch(name) for c in codelists}
    codelist = load_standards(SHIPPED).codelists.get(codes.pop()) if len(codes) == 1 else None
    return codelist.name if codelist is not None else None


@cache
def _adamig_patterns() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """The ADaMIG 1.3 variables named by a pattern (not the "*DT" families) that give CT codelists, each with them."""
    adam = load_standards(SHIPPED).adam
    named = adam[adam["variable"].str.fullmatch("[A-Za-z0-9]+") & (adam["codelists"].map(len) > 0)]
    return tuple((re.compile(p), tuple(c)) for p, c in zip(named["pattern"].tolist(), named["codelists"].tolist(), strict=True))


def _methods(study: Study, meta: DatasetMeta) -> dict[str, str]:
    """Method text per variable: the spec's ``method``, else for a Derived variable its rule described."""
    methods = {}
    for var in meta.variables:
        if var.method:
            methods[var.name] = var.method
        elif var.origin.type == "Derived" and isinstance(var, RuleSet):
            methods[var.name] = describe_rule(var, var.name, study.spec)
    return methods


def _supp_meta(study: Study, parent: DatasetMeta, qualifiers: list) -> DatasetMeta:
    """The SUPP-- dataset of ``parent``: standard variables, and QVAL described per QNAM."""
    own = {v.name: v for v in parent.variables}
    levels = [
        ValueLevel(
            where={"QNAM": [q.qnam]}, label=q.qlabel, type="text", codelist=q.codelist, origin=q.origin,
            method=describe_rule(q, q.qnam, study.spec) if q.origin.type == "Derived" else None,
        )  # fmt: skip
        for q in qualifiers
    ]
    variables = []
    for name, label, core in SUPP_COLUMNS:
        if name in ("STUDYID", "USUBJID") and name in own:
            variables.append(own[name].model_copy(update={"core": core, "method": None, "comment": None}))
            continue
        # QVAL's origin is stated per QNAM at value level; the variable-level one is not written.
        variables.append(
            VariableMeta(
                name=name, label=label, type="text", origin=SpecOrigin(type="Assigned"), core=core,
                value_level=levels if name == "QVAL" else [], codelist=SUPP_CODELISTS.get(name),
            )
        )
    return DatasetMeta.model_validate(
        {
            "dataset": f"SUPP{parent.dataset}",
            "label": f"Supplemental Qualifiers for {parent.dataset}",
            "class": "RELATIONSHIP",
            "structure": SUPP_STRUCTURE,
            "keys": SUPP_KEYS,
            "variables": variables,
        }
    )


class _Builder:
    """Collects items, value lists, where clauses, codelists, methods and comments while tables are added."""

    def __init__(self, study: Study, standard: str, tables: list[_Table], data: DataValues):
        self.study = study
        self.data = data
        self.standard = standard
        self.tables = tables
        self.items: dict[str, Item] = {}
        self.value_lists: list[ValueList] = []
        self.where_clauses: dict[str, WhereClause] = {}
        self.methods: dict[str, Method] = {}
        self.comments: dict[str, Comment] = {}
        self.registry = CodelistRegistry(study, self._ct_standard)
        self.labels = {t.meta.dataset: t.meta.label for t in tables}

    def define(self) -> Define:
        spec = self.study.spec
        groups = [self._group(table) for table in self.tables]
        study_id = spec.study.id
        uses_crf = any(i.origin is not None and i.origin.pages is not None for i in self.items.values())
        codelists = self.registry.codelists()
        written = {c.oid for c in codelists}
        for item in self.items.values():
            if item.codelist_oid not in written:
                item.codelist_oid = None  # no value of its codelist occurs in the data
        return Define(
            file_oid=f"{study_id}.{self.standard}.define",
            created=spec.output.created.isoformat(timespec="seconds"),
            study_name=study_id,
            study_description=spec.study.title,
            protocol_name=spec.study.protocol or study_id,
            mdv_oid=f"MDV.{study_id}.{self.standard}",
            mdv_name=f"Study {study_id}, {self.standard} data definitions",
            mdv_description=f"Data definitions of the {self.standard} datasets of study {study_id}",
            standards=self.standards,
            groups=groups,
            items=self.items,
            value_lists=self.value_lists,
            where_clauses=list(self.where_clauses.values()),
            codelists=codelists,
            methods=sorted(self.methods.values(), key=lambda m: m.oid),
            comments=sorted(self.comments.values(), key=lambda c: c.oid),
            leaves=[Leaf(ANNOTATED_CRF, ACRF, "Annotated CRF")] if uses_crf else [],
            originator=spec.study.sponsor,
            source_system_version=__version__,
        )

    # -- standards

    @cached_property
    def standards(self) -> list[Standard]:
        """The implementation guide first, then the CT releases the codelists come from."""
        spec = self.study.spec
        version = spec.terminology.version
        if self.standard == "SDTM":
            return [Standard("STD.SDTMIG", "SDTMIG", "IG", spec.standards.sdtmig), Standard(SDTM_CT, "CDISC/NCI", "CT", version, "SDTM")]
        standards = [Standard("STD.ADaMIG", "ADaMIG", "IG", spec.standards.adamig)]
        if spec.terminology.sdtm is not None or spec.terminology.adam is None:
            standards.append(Standard(SDTM_CT, "CDISC/NCI", "CT", version, "SDTM"))
        if spec.terminology.adam is not None:
            standards.append(Standard(ADAM_CT, "CDISC/NCI", "CT", version, "ADaM"))
        return standards

    def _ct_standard(self, code: str) -> str:
        """The CT standard of a CT codelist: ADaM CT when an ADaM define's list is an ADaM CT list, else SDTM CT."""
        declared = [s.oid for s in self.standards if s.type == "CT"]
        return ADAM_CT if code in self._adam_codes or SDTM_CT not in declared else SDTM_CT

    @cached_property
    def _adam_codes(self) -> set[str]:
        path = self.study.spec.terminology.adam
        if path is None:
            return set()
        return {c.nci for c in load_ct_file(self.study.resolve(path).resolve()).values() if c.nci}

    # -- datasets

    def _group(self, table: _Table) -> ItemGroup:
        meta, name = table.meta, table.meta.dataset
        names = {v.name for v in meta.variables}
        missing_keys = [k for k in meta.keys if k not in names]
        if missing_keys:
            raise DataError(f"{name}: key variable(s) {', '.join(missing_keys)} are not variables of the dataset")
        settled = None if table.frame is None else self.data.summarise(name, table.frame, define_questions(meta))  # (records let go now)
        refs = self._refs(table, settled)
        sdtm = self.standard == "SDTM"
        subject_keys = [k for k in meta.keys if k not in ("STUDYID", "USUBJID")]
        parent = name[4:] if sdtm and name.startswith("SUPP") and len(name) > 4 else None
        return ItemGroup(
            oid=f"IG.{name}",
            name=name,
            domain=(parent or name) if sdtm else None,
            label=meta.label,
            class_name=meta.dataset_class,
            structure=meta.structure,
            purpose="Tabulation" if sdtm else "Analysis",
            repeating="USUBJID" in meta.keys and bool(subject_keys),
            reference_data=meta.dataset_class == "TRIAL DESIGN",
            standard_oid=self.standards[0].oid,
            refs=refs,
            href=table.href,
            comment_oid=self._comment(name, meta.comment),
            domain_description=self.labels.get(parent) if parent else None,
        )

    def _refs(self, table: _Table, data: SettledFrame | None) -> list[ItemRef]:
        """The ItemRefs of a table's variables, with their items; ``data``: its records' summaries (None: described
        from the spec)."""
        meta = table.meta
        methods = _methods(self.study, meta)
        refs = []
        for order, var in enumerate(meta.variables, 1):
            column = None  # (None: no data of this variable)
            if data is not None and var.name in data.columns:
                column = data.summary(var.name, (), _variable_questions(var))
            item = self._variable_item(table, var, column, data if column is not None else None)
            method = self._method(f"{meta.dataset}.{var.name}", methods.get(var.name))
            mandatory = var.core == "Req" or (var.core is None and var.name in meta.keys)
            key = meta.keys.index(var.name) + 1 if var.name in meta.keys else None
            no_data = column is not None and column.empty
            refs.append(ItemRef(item.oid, order, mandatory, key, method, var.role, no_data))
        return refs

    def _variable_item(self, table: _Table, var: VariableMeta, column: Summary | None, frame: SettledFrame | None) -> Item:
        dataset = table.meta.dataset
        origin = None if var.name in table.origin_at_value_level else _origin(var.origin)
        item = self._item(
            f"IT.{dataset}.{var.name}", var.name, var.label, var.type, var.length, None, var.format, var.codelist,
            column, origin, self._comment(f"{dataset}.{var.name}", var.comment),
        )  # fmt: skip
        item.sas_name = var.name
        if var.value_level:
            item.value_list_oid = self._value_list(table, var, frame)
        return item

    def _value_list(self, table: _Table, var: VariableMeta, frame: SettledFrame | None) -> str:
        """The value-level items of ``var``; ``frame``: the summaries of the data holding ``var`` (None: described from
        the spec)."""
        dataset = table.meta.dataset
        refs = []
        for order, level in enumerate(var.value_level, 1):
            level = _level_origin(table.meta, level)
            where = self._where(table, level)
            values = _matching(frame, var.name, *_level_questions(level)) if frame is not None else None
            suffix = where.oid.removeprefix(f"WC.{dataset}.")
            selecting = [v for check in where.checks for v in check.values]
            name = selecting[0] if len(where.checks) == 1 and len(selecting) == 1 else var.name
            item = self._item(
                _unique(f"IT.{dataset}.{var.name}.{suffix}", self.items), name, level.label or var.label, level.type,
                level.length, level.significant_digits, level.format, level.codelist, values, _origin(level.origin),
                self._comment(f"{dataset}.{var.name}.{suffix}", level.comment),
            )  # fmt: skip
            method = self._method(f"{dataset}.{var.name}.{suffix}", level.method or _test_method(table.meta, var, level))
            refs.append(ItemRef(item.oid, order, level.mandatory, method_oid=method, where_oid=where.oid))
        value_list = ValueList(f"VL.{dataset}.{var.name}", refs)
        self.value_lists.append(value_list)
        return value_list.oid

    def _where(self, table: _Table, level: ValueLevel) -> WhereClause:
        dataset = table.meta.dataset
        names = {v.name for v in table.meta.variables}
        checks = []
        for name, _, texts in level_checks(level):
            if name not in names:
                raise DataError(f"{dataset}: value-level metadata selects on {name}, which is not a variable of {dataset}")
            checks.append(RangeCheck(f"IT.{dataset}.{name}", texts))
        base = _oid(f"WC.{dataset}." + ".".join(f"{n}.{'.'.join(c.values)}" for n, c in zip(level.where, checks)))
        oid, n = base, 2
        while oid in self.where_clauses and self.where_clauses[oid].checks != tuple(checks):
            oid, n = f"{base}.{n}", n + 1
        clause = self.where_clauses.setdefault(oid, WhereClause(oid, tuple(checks)))
        return clause

    def _item(self, oid, name, label, data_type, length, digits, display_format, codelist, values, origin, comment) -> Item:
        """An ItemDef; ``values`` (None: no data) gives the actual length and the codelist terms used."""
        codelist_oid = None
        if codelist is not None:  # (first: the texts it encodes then give the length too)
            codelist_oid = self.registry.use(codelist, None if values is None else values.texts())
        if data_type == "text":
            length = (values.text_length() if values is not None else None) or length or 1
        elif data_type in ("integer", "float"):
            found, decimals = values.number_digits() if values is not None else (None, None)
            length = found or length or 1
            digits = (decimals if decimals is not None else digits) if data_type == "float" else None
        else:
            length = None
        item = Item(oid, name, label, data_type, length, digits, display_format, codelist_oid, origin, comment)
        self.items[oid] = item
        return item

    def _method(self, key: str, text: str | None) -> str | None:
        if not text:
            return None
        method = Method(_oid(f"MT.{key}"), f"Algorithm to derive {key}", text)
        self.methods[method.oid] = method
        return method.oid

    def _comment(self, key: str, text: str | None) -> str | None:
        if not text:
            return None
        comment = Comment(_oid(f"COM.{key}"), text)
        self.comments[comment.oid] = comment
        return comment.oid


def _level_test(meta: DatasetMeta, level: ValueLevel):
    """The findings test a value level selects (by --TESTCD), or None."""
    codes = {str(v) for values in level.where.values() for v in values}
    return next((t for t in getattr(meta, "tests", []) if t.testcd in codes), None)


def _level_origin(meta: DatasetMeta, level: ValueLevel) -> ValueLevel:
    """A summed test (SUMDIAM) is derived from other tests' results, whatever its variable's origin says."""
    test = _level_test(meta, level)
    if test is not None and test.summary is not None and level.origin.type == "Collected":
        return level.model_copy(update={"origin": SpecOrigin(type="Derived")})
    return level


def _test_method(meta: DatasetMeta, var: VariableMeta, level: ValueLevel) -> str | None:
    """A derived result of one findings test (value level selected by --TESTCD) described in words: the standard
    result of any test, and the collected result of a summed test."""
    name, kind = getattr(var, "rule", (None, None))
    test = _level_test(meta, level)
    if level.origin.type != "Derived" or name != "test" or test is None:
        return None
    if kind == "orres" and test.summary is not None:
        kind = "stresc"
    return describe_standard_result(test, meta.dataset[:2], kind) if kind in ("stresc", "stresn") else None


def _matching(frame: SettledFrame, column: str, checks: Checks, asked: frozenset[Question]) -> Summary:
    """The answers to ``asked`` about the values of ``column`` on the rows a where clause selects (a missing where
    variable selects nothing)."""
    selected = frame.summary(column, checks, asked)
    return selected if selected is not None else Summary.nothing(asked)


def _origin(origin: SpecOrigin) -> Origin:
    pages = None
    if origin.page:
        kind = "PhysicalRef" if all(p.isdigit() for p in origin.page.split()) else "NamedDestination"
        pages = PageRef(ANNOTATED_CRF, origin.page, kind)
    return Origin(origin.type, origin.source or DEFAULT_SOURCE.get(origin.type), origin.predecessor, pages)


def _oid(text: str) -> str:
    """An OID from names and values: characters other than letters, digits, '.', '-' and '_' become '_'."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def _unique(oid: str, taken: dict) -> str:
    candidate, n = _oid(oid), 2
    while candidate in taken:
        candidate, n = f"{_oid(oid)}.{n}", n + 1
    return candidate
