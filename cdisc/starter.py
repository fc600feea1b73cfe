"""``cdisc init``: a starter SDTM spec from a domain's SDTMIG 3.4 variables and a raw table's columns.

Every Required and Expected variable of the domain is listed, plus the Permissible ones a raw
column is named like (the same name, ignoring case, spaces and underscores). Each gets the rule its name suggests: STUDYID, DOMAIN, USUBJID and --SEQ their
usual rules, --DTC ``iso8601`` from the raw date (and time) column named like it (``AESTDAT``,
``AESTTIM``), --DY ``study_day``, VISIT/VISITNUM from a visit column, and ``assign`` from a raw
column of the same name. What no column suggests is ``todo:``, which
``cdisc check-spec`` lists and ``cdisc run`` refuses until it is written. Labels, types, roles and
cores are left to the IG defaults.

Example::

    >>> print(starter_spec("AE", "ae", ["SUBJID", "AETERM", "AESTDAT"]).splitlines()[13])
      - {name: AETERM, origin: Collected, assign: AETERM}
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from cdisc.errors import SpecError, UsageError
from cdisc.raw import RawTableFile, read_columns
from cdisc.spec.load import STUDY_FILE, Study, display_path
from cdisc.spec.models import StudySpec
from cdisc.spec.validate import validate_document
from cdisc.spec.yamlsource import load_yaml
from cdisc.standards_meta import IgVariable, sdtm_datasets, sdtm_domain_variables

_CLASSES = {
    "Special-Purpose": "SPECIAL PURPOSE", "Interventions": "INTERVENTIONS", "Events": "EVENTS", "Findings": "FINDINGS",
    "Findings About": "FINDINGS ABOUT", "Trial Design": "TRIAL DESIGN", "Relationship": "RELATIONSHIP",
}
_VISIT_COLUMNS = ("VISIT", "VISITNAME", "FOLDER", "FOLDERNAME", "INSTANCENAME")


def starter_spec(domain: str, table: str, columns: list[str]) -> str:
    """The YAML text of a starter spec for SDTM ``domain`` built from raw ``table`` with ``columns``."""
    found = sdtm_datasets()[sdtm_datasets()["dataset"] == domain]
    if found.empty or found["class"].iloc[0] not in _CLASSES:
        known = ", ".join(d for d, c in zip(sdtm_datasets()["dataset"], sdtm_datasets()["class"]) if c in _CLASSES)
        raise UsageError(f"{domain} is not an SDTMIG 3.4 domain cdisc can start a spec for; domains: {known}")
    variables = sdtm_domain_variables(domain)
    names = {v.name for v in variables}
    upper = {_plain(c): c for c in columns}
    lines = [
        f"# Starter spec written by `cdisc init {domain} --raw {table}`: check every rule, replace each todo:,",
        "# and drop the variables this study does not collect. Labels, types, roles and cores come from SDTMIG 3.4.",
        f"dataset: {domain}",
        f"label: {_scalar(found['label'].iloc[0])}",
        f"class: {_CLASSES[found['class'].iloc[0]]}",
        f"structure: {_scalar(found['structure'].iloc[0])}",
        f"keys: [{', '.join(_keys(domain, names))}]",
        f"source: {{table: {table}}}",
        "variables:",
    ]
    used: set[str] = set()
    listed: set[str] = set()
    for variable in variables:
        origin, rule, reads = _rule(domain, variable, names, upper)
        derived_from_listed = rule.startswith("study_day:") and rule.split()[-1] in listed
        if variable.core in ("Req", "Exp") or reads or derived_from_listed:
            lines.append(f"  - {{name: {variable.name}, origin: {origin}, {rule}}}")
            listed.add(variable.name)
            used.update(reads)
    unused = [c for c in columns if c not in used]
    if unused:
        lines.append(f"# raw columns no variable reads yet: {', '.join(unused)}")
    return "\n".join(lines) + "\n"


def _keys(domain: str, names: set[str]) -> list[str]:
    keys = [k for k in ("STUDYID", "USUBJID", f"{domain}SEQ") if k in names]
    return keys if len(keys) > 1 else [*keys, *sorted(n for n in names if n.endswith("SEQ"))[:1]]


def _plain(name: str) -> str:
    """A column name compared as written in any case, with or without spaces and underscores."""
    return re.sub(r"[\s_]", "", name).upper()


def _rule(domain: str, variable: IgVariable, names: set[str], upper: dict[str, str]) -> tuple[str, str, list[str]]:
    """(origin, rule, raw columns it reads) of one variable."""
    name = variable.name
    fixed = {"STUDYID": ("Protocol", "study: id"), "DOMAIN": ("Assigned", f"hardcode: {domain}"),
             "USUBJID": ("Derived", "study: usubjid")}
    if name in fixed:
        return (*fixed[name], [])
    if name == f"{domain}SEQ":
        return "Derived", "seq: {}", []
    if name.endswith("DY") and f"{name[:-2]}DTC" in names:
        return "Derived", f"study_day: {name[:-2]}DTC", []
    if name == "EPOCH":
        dates = [n for n in (f"{domain}STDTC", f"{domain}DTC") if n in names]
        return "Derived", f"epoch: {dates[0]}" if dates else _todo("EPOCH of the record's date"), []
    if name in ("VISIT", "VISITNUM", "VISITDY"):
        column = next((upper[c] for c in _VISIT_COLUMNS if c in upper), None)
        if column:
            return "Derived", f"{name.lower()}: {column}", [column]
        return "Derived", _todo("the visit of the record: no raw visit column found"), []
    if name.endswith("DTC"):
        stem = name[:-3]
        date = next((upper[c] for c in (f"{stem}DAT", f"{stem}DT", f"{stem}DTC", f"{stem}DATE") if c in upper), None)
        time = next((upper[c] for c in (f"{stem}TIM", f"{stem}TM", f"{stem}TIME") if c in upper), None)
        if date:
            return "Collected", "iso8601: {date: " + date + (f", time: {time}" if time else "") + "}", [date, *([time] if time else [])]
    if name in upper:
        return "Collected", f"assign: {upper[name]}", [upper[name]]
    return "Collected", _todo(f"{variable.label}: no raw column is named {name}"), []


def _todo(text: str) -> str:
    return f"todo: {json.dumps(text)}"


def _scalar(text: str) -> str:
    """A plain YAML scalar, quoted when it holds what YAML would read otherwise."""
    return json.dumps(text) if re.search(r"[:#,\[\]{}]|^\W", text) else text


def init_spec(domain: str, table: str, study: Path, out: Path | None = None) -> Path:
    """Write the starter spec of ``domain`` for raw ``table`` (a table of the study in ``study``, or a file);
    return where. An existing file is never overwritten."""
    columns, name = _raw_columns(table, study)
    target = out or study / "sdtm" / f"{domain.lower()}.yaml"
    if target.exists():
        raise UsageError(f"{display_path(target)} already exists; give another file with --out")
    text = starter_spec(domain.upper(), name, columns)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def _raw_columns(table: str, study: Path) -> tuple[list[str], str]:
    """The columns of ``table`` and its name in the spec: a raw table of the study, else a file."""
    study_file = study / STUDY_FILE
    if study_file.is_file():
        doc = load_yaml(study_file, display_path(study_file))
        spec, issues = validate_document(StudySpec, doc, lambda loc: "study")
        if spec is None:
            raise SpecError(issues)
        tables = Study(study, spec, doc).raw_tables
        if table in tables:
            return read_columns(tables[table]), table
    path = Path(table)
    if path.is_file():
        return read_columns(RawTableFile(path.stem.lower(), path)), path.stem.lower()
    where = f"a raw table of {display_path(study_file)} nor" if study_file.is_file() else ""
    raise UsageError(f"--raw {table}: neither {where} a file")
