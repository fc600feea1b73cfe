"""Checks of a domain's ``parts:``: each part's source, the variables it gives rules for and what those rules read.

Every issue names the file and line, the part and the variable, e.g.
``specs/sdtm/ds.yaml:40:7: DS.DSTRM in part 'informed consent': DSTRM is not a variable of DS (did you mean 'DSTERM'?)``.
"""

from __future__ import annotations

from cdisc.errors import SpecIssue
from cdisc.spec.check import _check_column, _check_expression_names, _check_table, _Columns, _references, step_columns
from cdisc.spec.expr import did_you_mean
from cdisc.spec.load import Study
from cdisc.spec.sdtm import SdtmDataset, SdtmPart, reads_source_row
from cdisc.spec.yamlsource import YamlDocument


def check_parts(study: Study, spec: SdtmDataset, doc: YamlDocument) -> list[SpecIssue]:
    """Every problem of the dataset's parts (none without parts)."""
    issues: list[SpecIssue] = []
    seen: set[str] = set()
    columns = _Columns(study)
    for i, part in enumerate(spec.parts):
        if part.part in seen:
            issues.append(doc.issue(("parts", i, "part"), spec.dataset, f"part '{part.part}' is defined twice; name each part once"))
        seen.add(part.part)
        issues += _check_part(study, spec, doc, i, part, columns)
    return issues


def _part_columns(study: Study, doc: YamlDocument, spec: SdtmDataset, i: int, part: SdtmPart, columns: _Columns) -> tuple[list[str], list[SpecIssue]]:
    """The columns of a part's source rows (with merged tables and expanded columns), and problems of its source."""
    source, subject = part.source, f"{spec.dataset} {part.label}"
    if source.table is not None:
        found = _check_table(study, doc, ("parts", i, "source", "table"), subject, source.table)
        if found:
            return [], found
        names = list(columns.of(source.table))
    elif source.dataset is not None:
        if source.dataset not in study.datasets:
            return [], []  # an unknown dataset is reported with the other dependencies
        names = [v.name for v in study.datasets[source.dataset].spec.variables]
    else:
        names = list(dict.fromkeys(key for record in source.records or [] for key in record))
    names += [c for c in [*step_columns(source.steps), *source.expand] if c not in names]
    issues: list[SpecIssue] = []
    for j, merge in enumerate(source.merge):
        found = _check_table(study, doc, ("parts", i, "source", "merge", j, "table"), subject, merge.table)
        if found:
            issues += found
            continue
        merged = [merge.rename.get(c, c) for c in columns.of(merge.table)]
        for k, key in enumerate(merge.on):
            issues += _check_column(doc, ("parts", i, "source", "merge", j, "on", k), subject, key, merge.table, merged)
            issues += _check_column(doc, ("parts", i, "source", "merge", j, "on", k), subject, key, source.name, names)
        names += [c for c in merged if c not in names]
    if source.deduplicate is not None:
        for k, column in enumerate(source.deduplicate.by):
            issues += _check_column(doc, ("parts", i, "source", "deduplicate", "by", k), subject, column, source.name, names)
    for k, exclusion in enumerate(source.exclude):
        issues += _check_expression_names(doc, ("parts", i, "source", "exclude", k, "when"), subject, exclusion.when, source.name, names)
    return names, issues


def _check_part(study: Study, spec: SdtmDataset, doc: YamlDocument, i: int, part: SdtmPart, columns: _Columns) -> list[SpecIssue]:
    names, issues = _part_columns(study, doc, spec, i, part, columns)
    if issues:
        return issues
    declared = {v.name: v for v in spec.variables}
    table = part.source.name
    for name, rules in part.variables.items():
        subject = f"{spec.dataset}.{name} in part '{part.part}'"
        path = ("parts", i, "variables", name)
        if name not in declared:
            issues.append(doc.issue(path, subject, f"{name} is not a variable of {spec.dataset}{did_you_mean(name, declared)}; a part "
                                    "gives rules for the dataset's variables, whose metadata the dataset's 'variables:' states", key=True))
            continue
        if rules is None:
            continue
        if rules.test is not None:
            issues.append(doc.issue((*path, "test"), subject, "'test:' reads the main source's 'tests:' pivot, which a part does not "
                                    "have; give the value with another rule (hardcode, assign, assign_ct, ...)"))
        for ref in _references(rules):
            if ref.kind == "raw" and ref.text not in declared:
                issues += _check_column(doc, (*path, *ref.path), subject, ref.text, table, names)
            elif ref.kind == "expression":
                issues += _check_expression_names(doc, (*path, *ref.path), subject, ref.text, table, names, tuple(declared))
            elif ref.kind == "variable" and ref.text not in declared:
                issues.append(doc.issue((*path, *ref.path), subject, f"'{ref.text}' is not a variable of {spec.dataset}"
                                        f"{did_you_mean(ref.text, declared)}"))
        if (rules.visit or rules.visitnum or rules.visitdy) and not study.spec.visits:
            issues.append(doc.issue(path, subject, "VISIT/VISITNUM need the planned visits: add 'visits' to study.yaml"))
    for name in (part.where or {}):
        if name not in declared:
            issues.append(doc.issue(("parts", i, "where", name), f"{spec.dataset} {part.label}",
                                    f"'{name}' is not a variable of {spec.dataset}{did_you_mean(name, declared)}", key=True))
    usubjid = [v for v in spec.variables if v.study == "usubjid" and v.name not in part.variables]
    if usubjid and study.spec.subjects is not None:  # the dataset's USUBJID rule runs on the part's rows too
        issues += _check_expression_names(doc, ("parts", i, "source"), f"{spec.dataset}.{usubjid[0].name} in part '{part.part}'",
                                          study.spec.subjects.usubjid, table, names)
    for key in spec.keys:
        var = declared.get(key)
        if var is not None and (part.variables.get(key, var) is None or (key not in part.variables and reads_source_row(var, set(declared)))):
            issues.append(doc.issue(("parts", i, "variables"), f"{spec.dataset}.{key} in part '{part.part}'",
                                    f"key {key} would be missing on the records of {part.label}: its rule in 'variables:' reads the "
                                    f"main source's rows; give {key} a rule in the part"))
    return issues
