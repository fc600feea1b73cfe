"""Checks across spec files: raw tables and columns, codelists, keys, names, dependencies.

Each check returns located issues; :func:`check_study` runs them all and, when
they pass, puts the study's datasets in build order.
"""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterator, Sequence
from typing import Any

from cdisc.errors import SpecIssue
from cdisc.inputs import input_columns
from cdisc.raw import read_columns
from cdisc.rules import Reference, get
from cdisc.spec.adam import AdamDataset, AdamRules, AdamVariable
from cdisc.spec.base import parsed
from cdisc.spec.expr import did_you_mean
from cdisc.spec.load import Study
from cdisc.spec.models import RawData, RuleSet
from cdisc.spec.order import VariableCycle, build_order
from cdisc.spec.sdtm import SdtmDataset, SdtmVariable
from cdisc.spec.yamlsource import PathKey, YamlDocument

#: Names expressions may use besides raw columns.
CONSTANTS = ("STUDYID", "DCUTDTC")  # DCUTDTC: the run's --data-cutoff (missing without one)


def check_study(study: Study) -> list[SpecIssue]:
    """Every cross-file problem in ``study``; on success the datasets are left in build order."""
    issues = _check_sources(study)
    if not issues:
        issues += _check_reference_dates(study)
        for dataset in study.datasets.values():
            spec, doc = dataset.spec, dataset.doc
            issues += _check_adam_dataset(study, spec, doc) if isinstance(spec, AdamDataset) else _check_dataset(study, spec, doc)
    issues += _check_codelists(study)
    issues += _order_datasets(study)
    return issues


def _check_sources(study: Study) -> list[SpecIssue]:
    """The raw folder and input files exist, and the study has what its dataset specs need."""
    issues = []
    if study.spec.inputs is not None:  # (without inputs there are no input files)
        folder = study.spec.inputs.folder
        issues += [
            study.doc.issue(("inputs", "datasets", name), "study.inputs", f"no {name.lower()}.xpt, .parquet or .csv in {folder}", key=True)
            for name, path in study.input_files.items() if path is None
        ]
    sdtm = [d.spec for d in study.datasets.values() if isinstance(d.spec, SdtmDataset)]
    if sdtm and study.spec.raw is None:
        issues.append(study.doc.issue((), "study", f"{sdtm[0].dataset} is built from raw data: add 'raw' with the extract's folder"))
    usubjid = [spec for spec in sdtm if any(r.study == "usubjid" for r in [*spec.variables, *spec.supp])]
    if usubjid and study.spec.subjects is None:
        issues.append(study.doc.issue((), "study", f"{usubjid[0].dataset} uses `study: usubjid`: add 'subjects: {{usubjid: ...}}'"))
    if study.spec.raw is None or issues:
        return issues
    return _check_raw_folder(study, study.spec.raw)


def _check_raw_folder(study: Study, raw: RawData) -> list[SpecIssue]:
    folder = study.resolve(raw.folder)
    if not folder.is_dir():
        return [study.doc.issue(("raw", "folder"), "study.raw", f"raw data folder '{raw.folder}' does not exist")]
    issues = []
    for name in study.spec.not_converted:
        if name not in study.raw_tables:
            hint = did_you_mean(name, study.raw_tables)
            issues.append(study.doc.issue(("not_converted", name), "study.not_converted", f"unknown raw table '{name}'{hint}", key=True))
    for name, table in raw.tables.items():
        if not study.raw_tables[name].path.is_file():
            what = (f"file '{table.file}' is not in {raw.folder}" if table.file else
                    f"{raw.folder} holds no file named {name} (.csv, .xlsx, .sas7bdat, .xpt); give its file:")
            issues.append(study.doc.issue(("raw", "tables", name, "file"), f"study.raw.{name}", what))
    return issues


class _Columns:
    """Column names of raw tables, read once each."""

    def __init__(self, study: Study):
        self.study = study
        self.cache: dict[str, list[str]] = {}

    def of(self, table: str) -> list[str]:
        if table not in self.cache:
            self.cache[table] = read_columns(self.study.raw_tables[table])
        return self.cache[table]


def _check_table(study: Study, doc: YamlDocument, path: PathKey, subject: str, table: str) -> list[SpecIssue]:
    if table in study.raw_tables:
        return []
    hint = did_you_mean(table, study.raw_tables) or f"; tables: {', '.join(study.raw_tables) or 'none'}"
    folder = f" in folder '{study.spec.raw.folder}'" if study.spec.raw is not None else ""
    return [doc.issue(path, subject, f"unknown raw table '{table}'{folder}{hint}")]


def _check_column(doc: YamlDocument, path: PathKey, subject: str, column: str, table: str, columns: list[str]) -> list[SpecIssue]:
    if column in columns:
        return []
    return [doc.issue(path, subject, f"unknown source column '{column}' in raw table '{table}'{did_you_mean(column, columns)}")]


def _check_expression_names(doc, path, subject, text: str, table: str, columns: list[str], variables: tuple[str, ...] = ()) -> list[SpecIssue]:
    names = sorted(parsed(text).names - set(columns) - set(variables) - set(CONSTANTS))
    what = f"'{table}'" + (" nor a variable of this dataset" if variables else "")
    return [
        doc.issue(path, subject, f"expression {text!r} uses '{n}', not a column of {what}{did_you_mean(n, [*columns, *variables])}")
        for n in names
    ]


def _check_reference_dates(study: Study) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    columns = _Columns(study)
    for name, rule in study.spec.reference_dates.items():
        for i, source in enumerate(rule.sources):
            path = ("reference_dates", name, "sources", i)
            subject = f"reference_dates.{name}"
            found = _check_table(study, study.doc, (*path, "table"), subject, source.table)
            if found:
                issues += found
                continue
            cols = columns.of(source.table)
            issues += _check_column(study.doc, (*path, "date"), subject, source.date, source.table, cols)
            if source.time:
                issues += _check_column(study.doc, (*path, "time"), subject, source.time, source.table, cols)
            if source.where:
                issues += _check_expression_names(study.doc, (*path, "where"), subject, source.where, source.table, cols)
    return issues


def _references(rules) -> Iterator[Reference]:
    """Every name and expression a variable's rule refers to, from the rule registry."""
    name, params = rules.rule
    for ref in get(name).references(params):
        yield Reference(ref.kind, (name, *ref.path), ref.text)


def _check_dataset(study: Study, spec: SdtmDataset, doc: YamlDocument) -> list[SpecIssue]:
    name = spec.dataset
    issues = []
    if spec.source.table is not None:
        issues += _check_table(study, doc, ("source", "table"), name, spec.source.table)
    if spec.source.dataset is not None and spec.source.dataset not in study.datasets:
        return issues  # reported with the other dependencies
    for i, merge in enumerate(spec.source.merge):
        issues += _check_table(study, doc, ("source", "merge", i, "table"), name, merge.table)
    issues += _check_variables(study, spec, doc)
    if issues:
        return issues
    columns_by_table = _Columns(study)
    columns = _source_columns(study, spec, columns_by_table)
    columns += [c for c in spec.source.expand if c not in columns]
    for i, merge in enumerate(spec.source.merge):
        merged = [merge.rename.get(c, c) for c in columns_by_table.of(merge.table)]
        for j, key in enumerate(merge.on):
            issues += _check_column(doc, ("source", "merge", i, "on", j), name, key, merge.table, merged)
            issues += _check_column(doc, ("source", "merge", i, "on", j), name, key, spec.source.name, columns)
        columns += [c for c in merged if c not in columns]
    table = spec.source.name if not spec.source.merge else f"{spec.source.name}+merged"
    if spec.source.deduplicate is not None:
        for j, column in enumerate(spec.source.deduplicate.by):
            issues += _check_column(doc, ("source", "deduplicate", "by", j), name, column, table, columns)
    for i, exclusion in enumerate(spec.source.exclude):
        issues += _check_expression_names(doc, ("source", "exclude", i, "when"), name, exclusion.when, table, columns)
    entries: list[tuple[str, int, RuleSet, str]] = [("variables", i, v, f"{name}.{v.name}") for i, v in enumerate(spec.variables)]
    entries += [("supp", i, q, f"SUPP{name}.{q.qnam}") for i, q in enumerate(spec.supp)]
    uses_usubjid = False
    visible = tuple(v.name for v in spec.variables)
    for part, i, rules, subject in entries:
        for ref in _references(rules):
            if ref.kind == "raw" and ref.text not in visible:
                issues += _check_column(doc, (part, i, *ref.path), subject, ref.text, table, columns)
            elif ref.kind == "expression":
                issues += _check_expression_names(doc, (part, i, *ref.path), subject, ref.text, table, columns, visible)
        uses_usubjid |= rules.study == "usubjid"
        if (rules.visit or rules.visitnum or rules.visitdy) and not study.spec.visits:
            issues.append(doc.issue((part, i), subject, "VISIT/VISITNUM need the planned visits: add 'visits' to study.yaml"))
    if uses_usubjid and study.spec.subjects is not None:  # (_check_sources reports usubjid without subjects)
        text = study.spec.subjects.usubjid
        issues += _check_expression_names(doc, ("source", "table"), name, text, table, columns)
    from cdisc.spec.check_parts import check_parts  # (it reads this module's helpers)

    return issues + _check_source_steps(study, doc, spec) + _check_tests(doc, spec, table, columns) + check_parts(study, spec, doc)


def _check_source_steps(study: Study, doc: YamlDocument, spec: SdtmDataset) -> list[SpecIssue]:
    """Names the source's steps read are columns of the source rows or of an earlier step's records."""
    source = spec.source
    if not source.steps:
        return []
    known = ([v.name for v in study.datasets[source.dataset].spec.variables] if source.dataset in study.datasets
             else source.spec_columns)
    if source.dataset is not None and source.dataset not in study.datasets:
        return []  # an input file: its columns are known when it is read
    issues: list[SpecIssue] = []
    for i, step in enumerate(source.steps):
        name, params = step.rule
        for ref in get(name).references(params):
            names = [ref.text] if ref.kind == "variable" else sorted(parsed(ref.text).names) if ref.kind == "expression" else []
            for unknown in (n for n in names if n not in known and n not in CONSTANTS):
                issues.append(doc.issue(("source", "steps", i, name, *ref.path), f"{spec.dataset} source step {i + 1}",
                                        f"'{unknown}' is not a column of {source.name}{did_you_mean(unknown, known)}"))
        added = params.by_vars if getattr(params, "dataset_add", None) else []  # records of another dataset bring their by_vars
        known = [*known, *step_columns([step]), *added]
    return issues


def _check_tests(doc: YamlDocument, spec: SdtmDataset, table: str, columns: list[str]) -> list[SpecIssue]:
    """The pivot: raw columns and expressions of every test, distinct test codes, and variables that use it."""
    name = spec.dataset
    issues = []
    users = [(i, v) for i, v in enumerate(spec.variables) if v.test is not None]
    if not spec.tests:
        return [doc.issue(("variables", i, "test"), f"{name}.{v.name}", "'test:' needs a 'tests:' block in this dataset spec") for i, v in users]
    if not any(v.test == "testcd" for _, v in users):
        issues.append(doc.issue(("tests",), name, "a 'tests:' block needs a --TESTCD variable built with 'test: testcd'"))
    codes = [t.testcd for t in spec.tests]
    seen = [(t.testcd, t.detail) for t in spec.tests]
    for i, test in enumerate(spec.tests):
        subject = f"{name} test {test.testcd}"
        if not test.when and seen.count((test.testcd, test.detail)) > 1:
            issues.append(doc.issue(("tests", i, "testcd"), subject, f"test {test.testcd} is defined twice; give each a 'when' "
                                    "if they hold different rows, or a 'detail'"))
        used = [("result",), ("not_done", "reason"), ("range", "low"), ("range", "high"), ("lloq",), ("unit", "from")]
        for path in used:
            value: Any = test
            for part in path:
                value = getattr(value, "source" if part == "from" else part, None) if value is not None else None
            if isinstance(value, str):
                issues += _check_column(doc, ("tests", i, *path), subject, value, table, columns)
        for path, text in (("when",), test.when), (("not_done", "when"), test.not_done.when if test.not_done else None):
            if text:
                issues += _check_expression_names(doc, ("tests", i, *path), subject, text, table, columns)
        if test.summary:
            for j, column in enumerate([*test.summary.by, *([test.summary.each] if test.summary.each else [])]):
                issues += _check_column(doc, ("tests", i, "summary", "by" if j < len(test.summary.by) else "each"), subject, column, table, columns)
            for j, code in enumerate(test.summary.sum):
                if code not in codes:
                    issues.append(doc.issue(("tests", i, "summary", "sum", j), subject, f"'{code}' is not a test of {name}{did_you_mean(code, codes)}"))
    return issues


def _check_adam_dataset(study: Study, spec: AdamDataset, doc: YamlDocument) -> list[SpecIssue]:
    """Names an ADaM spec reads exist: in its source dataset, a merged dataset, or among its own variables."""
    issues = _check_variables(study, spec, doc)
    if issues or any(d not in study.datasets and d not in study.input_files for d in spec.inputs()):
        return issues  # unknown inputs are reported with the other dependencies
    variables_of = {name: [v.name for v in d.spec.variables] for name, d in study.datasets.items()}
    variables_of.update({name: input_columns(path) for name, path in study.input_files.items() if path is not None})
    variables_of.update({
        f"{name}+SUPP": [q.qnam for q in d.spec.supp] for name, d in study.datasets.items() if isinstance(d.spec, SdtmDataset) and d.spec.supp
    })
    for name in {rule.dataset for _, rule in (v.rule for v in spec.variables) if getattr(rule, "supp", False)}:
        if study.input_files.get(f"SUPP{name}") is not None:  # qualifiers of an input dataset: the QNAMs in its SUPP-- file
            variables_of[f"{name}+SUPP"] = [str(q) for q in study.input_frame(f"SUPP{name}")["QNAM"].dropna().unique()]
    source = [*variables_of[spec.source.dataset], *(c for m in spec.source.merge for c in variables_of[m.dataset])]
    if spec.source.supp:
        parent = study.datasets.get(spec.source.dataset)
        source += [q.qnam for q in getattr(parent.spec, "supp", [])] if parent else []
    source = _renamed(source, spec.source)
    for part in spec.source.append:
        source += [c for c in _renamed(variables_of[part.dataset], part) if c not in source]
    set_by_steps = step_columns(spec.steps)
    here = (f"{spec.source.dataset} or {spec.dataset}", [*source, *(v.name for v in spec.variables), *set_by_steps])
    for i, step in enumerate(spec.steps):
        name, params = step.rule
        for ref in get(name).references(params):
            names = [ref.text] if ref.kind == "variable" else sorted(parsed(ref.text).names) if ref.kind == "expression" else []
            for unknown in (n for n in names if n not in here[1] and n not in CONSTANTS):
                issues.append(doc.issue(("steps", i, name, *ref.path), f"{spec.dataset} step {i + 1}",
                                        f"'{unknown}' is not a variable of {here[0]}{did_you_mean(unknown, here[1])}"))
    issues += _check_types(study, spec, doc)
    if spec.source.where:
        issues += _check_expression_names(doc, ("source", "where"), spec.dataset, spec.source.where, spec.source.dataset, source)
    for i, var in enumerate(spec.variables):
        subject = f"{spec.dataset}.{var.name}"
        rule_name, params = var.rule
        for path, message in get(rule_name).check(params, spec):
            issues.append(doc.issue(("variables", i, rule_name, *path), subject, message))
        for path, names, (where, known) in _adam_references(var, variables_of, here):
            for name in names:
                if name not in known and name not in CONSTANTS:
                    issues.append(doc.issue(("variables", i, *path), subject, f"'{name}' is not a variable of {where}{did_you_mean(name, known)}"))
    return issues


def _renamed(columns: list[str], part) -> list[str]:
    """A source's columns after its ``rename`` and ``keep`` and with its ``set_values_to``."""
    renamed = [part.rename.get(c, c) for c in columns]
    kept = renamed if part.keep is None else [c for c in renamed if c in part.keep]
    return [*kept, *(c for c in part.set_values_to if c not in kept)]


_TEXT_TYPES = {"text", "date", "datetime", "time", "partialDate", "partialTime", "partialDatetime",
               "incompleteDatetime", "durationDatetime", "intervalDatetime"}


def _declared_types(study: Study, spec: AdamDataset) -> dict[str, str]:
    """``text`` or ``number`` for the variables an ADaM spec reads whose type its inputs declare."""
    types: dict[str, str] = {}
    for name in [spec.source.dataset, *(m.dataset for m in spec.source.merge)]:
        if name in study.datasets:
            for var in study.datasets[name].spec.variables:
                types.setdefault(var.name, "text" if var.type in _TEXT_TYPES else "number")
        elif name in study.input_files and study.spec.inputs is not None and name in study.spec.inputs.datasets:
            numeric = set(study.spec.inputs.datasets[name].numeric)
            path = study.input_files[name]
            if path is not None and str(path).lower().endswith(".csv"):
                types.update({c: "number" if c in numeric else "text" for c in input_columns(path)})
    types.update({v.name: "text" if v.type in _TEXT_TYPES else "number" for v in spec.variables})
    return types


def _check_types(study: Study, spec: AdamDataset, doc: YamlDocument) -> list[SpecIssue]:
    """A text variable used as a number, or a number compared with text, as the declared types show."""
    types = _declared_types(study, spec)
    issues = []
    for i, var in enumerate(spec.variables):
        for ref in _references(var):
            if ref.kind != "expression":
                continue
            for problem in _type_mismatches(ref.text, types):
                issues.append(doc.issue(("variables", i, *ref.path), f"{spec.dataset}.{var.name}", f"expression {ref.text!r}: {problem}"))
    return issues


def _type_mismatches(text: str, types: dict[str, str]) -> Iterator[str]:
    tree = ast.parse(text.strip(), mode="eval")

    def kind(node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return types.get(node.id)
        if isinstance(node, ast.Constant) and not isinstance(node.value, bool) and node.value is not None:
            return "text" if isinstance(node.value, str) else "number"
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for (left, right), op in zip(zip(operands, operands[1:]), node.ops):
                if isinstance(op, (ast.In, ast.NotIn)):
                    continue
                kinds = {kind(left), kind(right)}
                if kinds == {"text", "number"}:
                    name = next((n.id for n in (left, right) if isinstance(n, ast.Name)), None)
                    if name:
                        declared = types[name]
                        fix = f"number({name})" if declared == "text" else "a number, not text"
                        yield f"{name} is declared {declared} but compared with {'a number' if declared == 'text' else 'text'}; use {fix}"
        elif isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Add):
            for side in (node.left, node.right):
                if isinstance(side, ast.Name) and types.get(side.id) == "text":
                    yield f"{side.id} is declared text but used as a number; convert it with number({side.id})"


def _adam_references(var: AdamRules, variables_of: dict[str, list[str]], here: tuple[str, list[str]]):
    """(path, names, (where, its variables)) for every variable an ADaM rule reads by name."""
    name, params = var.rule
    other = None
    if isinstance(getattr(params, "dataset", None), str) and params.dataset in variables_of:
        other = (params.dataset, variables_of[params.dataset])
        if getattr(params, "supp", False):
            other = (f"{params.dataset} or SUPP{params.dataset}", [*other[1], *variables_of.get(f"{params.dataset}+SUPP", [])])
    for ref in _references(var):
        if ref.kind in ("variable", "source", "raw"):
            yield ref.path, [ref.text], here
        elif ref.kind == "other" and other:
            yield ref.path, [ref.text], other
        elif ref.kind == "other_expression" and other:
            yield ref.path, sorted(parsed(ref.text).names), other
        elif ref.kind == "joined_expression" and other:
            yield ref.path, sorted(parsed(ref.text).names), (f"{params.dataset} or {here[0]}", [*other[1], *here[1]])
        elif ref.kind == "expression":
            yield ref.path, sorted(parsed(ref.text).names), here


def step_columns(steps: list) -> list[str]:
    """Columns record steps make: their ``set_values_to`` and the columns a step always makes (``new_columns``)."""
    names = [n for step in steps for n in [*getattr(step.rule[1], "new_columns", ()), *(getattr(step.rule[1], "set_values_to", {}) or {})]]
    return list(dict.fromkeys(names))


def _source_columns(study: Study, spec: SdtmDataset, columns_by_table: _Columns) -> list[str]:
    """Columns of the source's own rows: raw columns, the earlier dataset's variables, or the records' keys (then
    the columns the source's steps make)."""
    if spec.source.table is not None:
        return list(columns_by_table.of(spec.source.table))
    if spec.source.dataset is not None:
        columns = [v.name for v in study.datasets[spec.source.dataset].spec.variables]
    else:
        columns = spec.source.spec_columns
    return columns + [c for c in step_columns(spec.source.steps) if c not in columns]


def _check_variables(study: Study, spec: SdtmDataset | AdamDataset, doc: YamlDocument) -> list[SpecIssue]:
    name = spec.dataset
    variables: Sequence[SdtmVariable | AdamVariable] = spec.variables
    issues: list[SpecIssue] = []
    seen: dict[str, int] = {}
    for i, var in enumerate(variables):
        if var.name in seen:
            issues.append(doc.issue(("variables", i, "name"), f"{name}.{var.name}",
                                    f"variable {var.name} is defined twice (first as variables[{seen[var.name]}])"))
        seen.setdefault(var.name, i)
    names = list(seen)
    if len(names) == len(variables):
        try:
            build_order(variables, spec.keys, spec.part_reads() if isinstance(spec, SdtmDataset) else None)
        except VariableCycle as cycle:
            first = next(i for i, v in enumerate(variables) if v.name == cycle.names[0])
            issues.append(doc.issue(("variables", first), f"{name}.{cycle.names[0]}", f"variables read each other in a cycle: {cycle} (each reads the next)"))
    for i, key in enumerate(spec.keys):
        if key not in seen:
            issues.append(doc.issue(("keys", i), name, f"key '{key}' is not a variable of {name}{did_you_mean(key, names)}"))
        elif getattr(variables[seen[key]], "temporary", False):
            issues.append(doc.issue(("keys", i), name, f"key '{key}' is a temporary variable, which is not written; keys must be written"))
    qnams: set[str] = set()
    for i, qualifier in enumerate(getattr(spec, "supp", [])):
        if qualifier.qnam in qnams:
            issues.append(doc.issue(("supp", i, "qnam"), f"SUPP{name}.{qualifier.qnam}", f"QNAM {qualifier.qnam} is defined twice"))
        qnams.add(qualifier.qnam)
    for i, var in enumerate(variables):
        subject = f"{name}.{var.name}"
        rule, params = var.rule
        if isinstance(spec, SdtmDataset):
            other = getattr(params, "dataset", None)
            other_names = ([v.name for v in study.datasets[other].spec.variables]
                           if isinstance(other, str) and other in study.datasets and not getattr(params, "supp", False) else None)
            for ref in _references(var):
                if ref.kind == "variable" and ref.text not in seen:
                    issues.append(doc.issue(("variables", i, *ref.path), subject, f"'{ref.text}' is not a variable of {name}{did_you_mean(ref.text, names)}"))
                elif ref.kind in ("other", "other_expression") and other_names is not None:
                    for read in [ref.text] if ref.kind == "other" else sorted(parsed(ref.text).names):
                        if read not in other_names and read not in CONSTANTS:
                            issues.append(doc.issue(("variables", i, *ref.path), subject,
                                                    f"'{read}' is not a variable of {other}{did_you_mean(read, other_names)}"))
        if rule == "reference_date" and params not in study.spec.reference_dates:
            defined = ", ".join(study.spec.reference_dates) or "none"
            issues.append(doc.issue(("variables", i, "reference_date"), subject,
                                    f"reference date {params} has no rule in study.yaml reference_dates (defined: {defined})"))
        elif rule == "hardcode" and var.length is not None and len(str(params)) > var.length:
            issues.append(doc.issue(("variables", i, "hardcode"), subject, f"value {params!r} is longer than the declared length {var.length}"))
        if var.format and var.type not in ("integer", "float"):
            issues.append(doc.issue(("variables", i, "format"), subject,
                                    f"format {var.format} needs a numeric variable (type integer or float), not {var.type}"))
    return issues


def _codelist_names(study: Study) -> set[str]:
    return {c.name for c in study.codelist_file.codelists} | set(study.ct)


def _check_codelists(study: Study) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    references = [
        (dataset.doc, path, subject, codelist)
        for dataset in study.datasets.values()
        for path, subject, codelist in _codelist_references(dataset.spec)
    ]
    if not references:
        return issues
    known = _codelist_names(study)
    for doc, path, subject, codelist in references:
        if codelist is None:
            issues.append(doc.issue(path, subject, "assign_ct needs a codelist: give the variable a 'codelist', assign_ct a 'codelist' "
                                                   "or the variable's value levels codelists"))
        elif codelist not in known:
            issues.append(doc.issue(path, subject, f"unknown codelist '{codelist}': not in {study.spec.codelists} "
                                                   f"nor in CT {study.spec.terminology.version}{did_you_mean(codelist, known)}"))
    if study.codelist_doc is not None:
        seen: set[str] = set()
        for i, entry in enumerate(study.codelist_file.codelists):
            if entry.name in seen:
                issues.append(study.codelist_doc.issue(("codelists", i, "name"), f"codelist {entry.name}", "codelist is defined twice"))
            seen.add(entry.name)
    return issues


def _codelist_references(spec: SdtmDataset | AdamDataset) -> Iterator[tuple[PathKey, str, str | None]]:
    tests = {test.codelist for test in getattr(spec, "tests", []) if test.codelist}
    for i, test in enumerate(getattr(spec, "tests", [])):
        if test.codelist:
            yield ("tests", i, "codelist"), f"{spec.dataset} test {test.testcd}", test.codelist
    for part, entries, key in (("variables", spec.variables, "name"), ("supp", getattr(spec, "supp", []), "qnam")):
        for i, entry in enumerate(entries):
            subject = f"{spec.dataset}.{getattr(entry, key)}" if part == "variables" else f"SUPP{spec.dataset}.{entry.qnam}"
            if entry.codelist:
                yield (part, i, "codelist"), subject, entry.codelist
            levels = [(j, level.codelist) for j, level in enumerate(getattr(entry, "value_level", [])) if level.codelist]
            for j, codelist in levels:
                if codelist not in tests:  # a test's codelist on its result's value level is checked with the test
                    yield (part, i, "value_level", j, "codelist"), subject, codelist
            assign_ct = getattr(entry, "assign_ct", None)
            if assign_ct is not None and assign_ct.codelist:
                yield (part, i, "assign_ct", "codelist"), subject, assign_ct.codelist
            elif assign_ct is not None and not entry.codelist and not levels:
                yield (part, i, "assign_ct"), subject, None
    for i, part_spec in enumerate(getattr(spec, "parts", [])):  # a part's rules: their codelists
        for name, rules in part_spec.variables.items():
            subject, path = f"{spec.dataset}.{name} in part '{part_spec.part}'", ("parts", i, "variables", name)
            if rules is not None and rules.codelist:
                yield (*path, "codelist"), subject, rules.codelist
            if rules is not None and rules.assign_ct is not None and rules.assign_ct.codelist:
                yield (*path, "assign_ct", "codelist"), subject, rules.assign_ct.codelist


def dependencies(spec: SdtmDataset | AdamDataset) -> dict[str, PathKey]:
    """Datasets ``spec`` needs built first, each with the spec path that says so."""
    if isinstance(spec, AdamDataset):
        return spec.inputs()
    needs: dict[str, PathKey] = {d: ("depends_on",) for d in spec.depends_on}
    if spec.source.dataset is not None:
        needs.setdefault(spec.source.dataset, ("source", "dataset"))
    for i, step in enumerate(spec.source.steps):
        name, params = step.rule
        for path, dataset in get(name).datasets(params):
            needs.setdefault(dataset, ("source", "steps", i, name, *path))
    for i, part in enumerate(spec.parts):  # a part's source dataset, and what its rules read
        if part.source.dataset is not None:
            needs.setdefault(part.source.dataset, ("parts", i, "source", "dataset"))
        for name, rules in part.variables.items():
            if rules is not None and (rules.study_day is not None or rules.last_obs_before_exposure is not None):
                needs.setdefault("DM", ("parts", i, "variables", name))
            if rules is not None and rules.epoch is not None:
                needs.setdefault("SE", ("parts", i, "variables", name))
    for i, var in enumerate(spec.variables):
        if var.study_day is not None and spec.dataset != "DM":
            needs.setdefault("DM", ("variables", i, "study_day"))
        if var.epoch is not None:
            needs.setdefault("SE", ("variables", i, "epoch"))
        if var.last_obs_before_exposure is not None:
            needs.setdefault("DM", ("variables", i, "last_obs_before_exposure"))
        name, params = var.rule
        for path, dataset in get(name).datasets(params):
            needs.setdefault(dataset, ("variables", i, name, *path))
    return needs


def _order_datasets(study: Study) -> list[SpecIssue]:
    graph: dict[str, set[str]] = {}
    why: dict[tuple[str, str], PathKey] = {}
    issues: list[SpecIssue] = []
    for name, dataset in study.datasets.items():
        graph[name] = set()
        for needed, path in dependencies(dataset.spec).items():
            if needed in study.input_files:
                continue
            if needed not in study.datasets:
                issues.append(dataset.doc.issue(path, name, f"needs dataset {needed}, which no spec defines{did_you_mean(needed, study.datasets)}"))
            else:
                graph[name].add(needed)
                why[name, needed] = path
    try:
        order = list(graphlib.TopologicalSorter({n: sorted(d) for n, d in sorted(graph.items())}).static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]  # each node is needed by the next one
        edges = [(cycle[i + 1], cycle[i]) for i in range(len(cycle) - 1)]
        edges.sort(key=lambda edge: why[edge][0] != "depends_on")  # report at an explicit depends_on if any
        steps = ", ".join(f"{a} needs {b} ({why[a, b][-1] if why[a, b][0] != 'depends_on' else 'depends_on'})" for a, b in edges)
        first = edges[0][0]
        issues.append(study.datasets[first].doc.issue(why[edges[0]], first, f"datasets depend on each other in a cycle: {steps}"))
        return issues
    study.datasets = {n: study.datasets[n] for n in order}
    return issues
