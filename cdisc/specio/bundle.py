"""What an import reads from a workbook or a define.xml: YAML-level dataset specs and codelists, before writing.

Both importers fill a :class:`SpecBundle` with plain dicts shaped exactly like the YAML spec
files, plus where each value came from (a cell, or a line of define.xml), so a value the spec
models refuse is reported at its source. The helpers here turn the template's attributes into
spec values the same way for both sources: origins, formats, the rule a variable gets, the
placeholder ``todo:`` rule, codelist names, and the guesses an incomplete source needs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cdisc.errors import SpecIssue
from cdisc.spec.adam import AdamClass, AdamDataset
from cdisc.spec.models import Codelist, SdtmClass, StudySpec
from cdisc.spec.names import NAME_PATTERN
from cdisc.spec.sdtm import SdtmDataset

PathKey = tuple[str | int, ...]

ADAM_CLASSES = AdamClass.__args__
SDTM_CLASSES = SdtmClass.__args__
DATA_TYPES = ("text", "integer", "float", "date", "datetime", "time", "partialDate", "partialTime", "partialDatetime",
              "incompleteDatetime", "durationDatetime", "intervalDatetime")
ROLES = ("Identifier", "Topic", "Timing", "Grouping Qualifier", "Result Qualifier", "Synonym Qualifier",
         "Record Qualifier", "Variable Qualifier", "Rule")
#: Origin types of Define-XML 2.1, and the Define-XML 2.0 spellings that mean one of them.
ORIGINS = {"collected": "Collected", "derived": "Derived", "assigned": "Assigned", "protocol": "Protocol",
           "predecessor": "Predecessor", "notavailable": "Not Available", "crf": "Collected", "edt": "Collected"}
ORIGIN_SOURCES = ("Investigator", "Sponsor", "Subject", "Vendor")
FORMAT = re.compile(r"\$?[A-Z_][A-Z0-9_]{0,31}\.\d*")
ADSL_KEYS = ["STUDYID", "USUBJID"]


@dataclass(frozen=True)
class Place:
    """Where a value was read: a workbook cell (sheet, row, column) or a line of a define.xml."""

    file: str
    row: int
    column: int = 1
    sheet: str | None = None

    def issue(self, subject: str, message: str) -> SpecIssue:
        return SourceIssue(self.file, self.row, self.column, subject, message, self.sheet)

    @property
    def cell(self) -> str:
        """``Variables!D17`` in a workbook, ``define.xml:120`` in a define.xml."""
        if self.sheet is None:
            return f"{self.file}:{self.row}"
        from openpyxl.utils import get_column_letter

        return f"{self.sheet}!{get_column_letter(self.column)}{self.row}"


@dataclass(frozen=True)
class SourceIssue(SpecIssue):
    """A problem located in a workbook (``file: Variables!D17: ...``) or a define.xml (``file:120: ...``)."""

    sheet: str | None = None

    def __str__(self) -> str:
        place = Place(self.file, self.line, self.column, self.sheet)
        where = place.cell if self.sheet is None else f"{self.file}: {place.cell}"
        return f"{where}: {self.subject}: {self.message}" if self.subject else f"{where}: {self.message}"


@dataclass
class SpecBundle:
    """The specs an import read, as YAML-level dicts, with the place of every value and what was left out."""

    source: str
    study: dict[str, Any] = field(default_factory=dict)
    datasets: list[dict[str, Any]] = field(default_factory=list)
    codelists: list[dict[str, Any]] = field(default_factory=list)
    ct_codelists: set[str] = field(default_factory=set)
    places: dict[tuple[str, PathKey], Place] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    issues: list[SpecIssue] = field(default_factory=list)

    def at(self, owner: str, path: PathKey, place: Place) -> None:
        """Remember that ``path`` of dataset (or ``codelists``) ``owner`` was read at ``place``."""
        self.places[owner, path] = place

    def place(self, owner: str, path: PathKey) -> Place:
        """The place of ``path`` or of the nearest enclosing value that has one."""
        for cut in range(len(path), -1, -1):
            if (owner, path[:cut]) in self.places:
                return self.places[owner, path[:cut]]
        return Place(self.source, 1)

    def note(self, text: str) -> None:
        self.notes.append(text)


def origin_value(kind: str | None, source: str | None = None, page: str | None = None,
                 predecessor: str | None = None) -> str | dict[str, Any] | None:
    """The YAML ``origin:`` of a template origin (``CRF`` and ``eDT`` are Define-XML 2.0 for Collected)."""
    if kind is None:
        return None
    key = re.sub(r"[^a-z]", "", kind.lower())
    value = ORIGINS.get(key, kind)
    if key == "edt" and source is None:
        source = "Vendor"
    extra = {k: v for k, v in (("source", source), ("page", page), ("predecessor", predecessor)) if v is not None}
    return {"type": value, **extra} if extra else value


def origin_type(origin: str | dict[str, Any] | None) -> str | None:
    return origin.get("type") if isinstance(origin, dict) else origin


def display_format(text: str | None) -> str | None:
    """A SAS format as the spec writes it (``DATE9.``): upper case, with its dot."""
    if text is None:
        return None
    text = text.strip().upper()
    return text if "." in text else f"{text}."


def data_type(text: str | None) -> str | None:
    """The spec's data type for a template one, matched without regard to case."""
    if text is None:
        return None
    return next((t for t in DATA_TYPES if t.lower() == text.strip().lower()), text.strip())


def typed(value: Any, kind: str | None) -> Any:
    """A term, assigned value or where-clause value as the type of its variable or codelist says."""
    if value is None or kind not in ("integer", "float"):
        return None if value is None else str(value)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and (kind == "integer" or "." not in text) else number


def codelist_name(identifier: str, taken: set[str]) -> str:
    """A spec codelist name (at most 8 characters, A-Z 0-9 _) for a template or define.xml codelist ID.

    ``CL.`` prefixes go; an ID that is not a valid name is upper-cased, other characters become ``_``,
    and it is cut to 8 characters, numbered when that name is taken.
    """
    text = identifier.removeprefix("CL.")
    if NAME_PATTERN.fullmatch(text) and text not in taken:
        return text
    base = re.sub(r"[^A-Z0-9_]", "_", text.upper())
    base = base if base[:1].isalpha() else f"C{base}"
    name = base[:8]
    number = 1
    while name in taken:
        number += 1
        name = f"{base[:8 - len(str(number))]}{number}"
    return name


def is_adam(name: str, klass: str | None, standard: str | None) -> bool:
    """Whether a dataset is ADaM: by its class, else its standard, else its name (AD...)."""
    if klass in ADAM_CLASSES:
        return True
    if klass in SDTM_CLASSES:
        return False
    if standard:
        return "adam" in standard.lower()
    return name.startswith("AD")


def guess_adam_class(name: str, variables: list[str]) -> str:
    """The ADaM class a dataset's name and variables point to (used only when the source gives none)."""
    if name.startswith("ADSL"):
        return "SUBJECT LEVEL ANALYSIS DATASET"
    if "PARAMCD" in variables and any(v in variables for v in ("AVAL", "AVALC")):
        return "BASIC DATA STRUCTURE"
    if any(v.endswith(("TERM", "DECOD", "TRT")) for v in variables):
        return "OCCURRENCE DATA STRUCTURE"
    return "ADAM OTHER"


STRUCTURES = {
    "SUBJECT LEVEL ANALYSIS DATASET": "One record per subject",
    "BASIC DATA STRUCTURE": "One or more records per subject per analysis parameter per analysis timepoint",
    "OCCURRENCE DATA STRUCTURE": "One record per subject per occurrence",
}


def todo_text(method: str | None, origin: str | dict[str, Any] | None, predecessor: str | None = None) -> str:
    """What a variable's placeholder rule says is left to write: the method text, else its origin in words."""
    if method:
        return method
    kind = origin_type(origin)
    if kind == "Predecessor" and predecessor:
        return f"copied from {predecessor}"
    if kind in ("Collected", "Protocol", "Assigned"):
        page = origin.get("page") if isinstance(origin, dict) else None
        return f"{kind} value" + (f" (pages {page})" if page else "") + ": name the column or value it comes from"
    return "no method in the source: write how it is derived"


def rule_for(variable: dict[str, Any], dataset: str, source: str | None, assigned: Any, adam: bool) -> tuple[str, Any]:
    """The rule an imported variable gets: a fixed value is ``hardcode``, an ADaM predecessor of the
    source dataset ``predecessor``, an ADSL predecessor ``derive_vars_merged``; anything else ``todo``.
    """
    origin = variable.get("origin")
    predecessor = origin.get("predecessor") if isinstance(origin, dict) else None
    if assigned is not None:
        return "hardcode", typed(assigned, variable.get("type"))
    if adam and origin_type(origin) == "Predecessor" and predecessor and re.fullmatch(r"\w+\.\w+", predecessor):
        other, name = predecessor.split(".")
        if other == source:
            return "predecessor", name
        if other == "ADSL" and dataset != "ADSL":
            return "derive_vars_merged", {"dataset": "ADSL", "by": list(ADSL_KEYS), "value": name}
    return "todo", todo_text(variable.get("method"), origin, predecessor)


def guess_adam_source(name: str, variables: list[dict[str, Any]]) -> str:
    """The dataset an ADaM dataset's records come from: the one most of its predecessors name
    (ADSL only for ADSL-like datasets), else DM for ADSL and ADSL for the others."""
    counts = Counter()
    for var in variables:
        origin = var.get("origin")
        predecessor = origin.get("predecessor") if isinstance(origin, dict) else None
        if origin_type(origin) == "Predecessor" and predecessor and "." in predecessor:
            counts[predecessor.split(".")[0]] += 1
    counts.pop(name, None)
    if not name.startswith("ADSL"):
        counts.pop("ADSL", None)
    if counts:
        return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
    return "DM" if name.startswith("ADSL") else "ADSL"


def check_bundle(bundle: SpecBundle) -> list[SpecIssue]:
    """Every value the spec models refuse in the bundle's datasets, codelists and study, at its source place."""
    issues = list(bundle.issues)
    for spec in bundle.datasets:
        model = AdamDataset if spec.get("class") in ADAM_CLASSES else SdtmDataset
        issues += _model_issues(bundle, model, spec, spec["dataset"], lambda loc, s=spec: _subject(s, loc))
    for i, codelist in enumerate(bundle.codelists):
        issues += _model_issues(bundle, Codelist, codelist, "codelists", lambda loc, c=codelist: f"codelist {c['name']}", (i,))
    try:
        StudySpec.model_validate(bundle.study)
    except ValidationError as exc:
        issues += [Place(bundle.source, 1).issue("study", _message(e)) for e in exc.errors(include_url=False)]
    return issues


def _model_issues(bundle: SpecBundle, model, data: dict, owner: str, subject, prefix: PathKey = ()) -> list[SpecIssue]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        found = []
        for error in exc.errors(include_url=False):
            loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and "[" in part))
            loc = _known_fields(data, loc)
            found.append(bundle.place(owner, (*prefix, *loc)).issue(subject(loc), _message(error)))
        return list(dict.fromkeys(found))
    return []


def _known_fields(data: Any, loc: PathKey) -> PathKey:
    """The part of a pydantic error location that exists in ``data`` (drops union tags and rule fields)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            if isinstance(node, dict) and isinstance(part, str) and part in ("label", "type", "structure", "keys", "origin"):
                path.append(part)
            break
        path.append(part)
    return tuple(path)


def _message(error: dict[str, Any]) -> str:
    field_name = next((str(p) for p in reversed(error["loc"]) if isinstance(p, str)), "value")
    if error["type"] == "missing":
        return f"{field_name} is empty"
    if error["type"] == "literal_error":
        return f"{field_name} {error['input']!r} is not one of {error['ctx']['expected']}"
    if error["type"].startswith("cdisc_"):
        return error["msg"]
    expected = _EXPECTED.get(error["type"].split("_")[0])
    if expected:
        return f"{field_name} {error['input']!r}: expected {expected}"
    return f"{field_name}: {error['msg']}"


_EXPECTED = {"int": "a whole number", "float": "a number", "string": "text", "list": "a list", "bool": "yes or no"}


def _subject(spec: dict[str, Any], loc: PathKey) -> str:
    name = spec.get("dataset", "?")
    if len(loc) >= 2 and loc[0] in ("variables", "supp") and isinstance(loc[1], int):
        entry = spec[loc[0]][loc[1]]
        var = entry.get("name") or entry.get("qnam")
        return f"{name}.{var}" if loc[0] == "variables" else f"SUPP{name}.{var}"
    return name


def finish(bundle: SpecBundle, datasets: dict[str, dict[str, Any]], standards: dict[str, str | None],
           assigned: dict[tuple[str, str], Any]) -> None:
    """Complete what the source leaves empty (class, structure, keys, origins), give each dataset a
    source and each variable a rule, turn SUPP-- datasets into qualifiers, and store the datasets."""
    sources = []
    for name, spec in datasets.items():
        names = [v["name"] for v in spec["variables"]]
        adam = is_adam(name, spec["class"], standards.get(name))
        if adam and spec["class"] not in ADAM_CLASSES:
            given = f"class {spec['class']!r} is not an ADaM class" if spec["class"] else "no class in the source"
            spec["class"] = guess_adam_class(name, names)
            bundle.note(f"{name}: {given}; wrote {spec['class']} (from its name and variables): check it")
        if spec["structure"] is None and spec["class"] in STRUCTURES:
            spec["structure"] = STRUCTURES[spec["class"]]
            bundle.note(f"{name}: no structure in the source; wrote '{spec['structure']}': check it")
        if not spec["keys"]:
            spec["keys"] = [k for k in ADSL_KEYS if k in names] or names[:1]
            bundle.note(f"{name}: no key variables in the source; wrote {', '.join(spec['keys'])}: check them")
        source = guess_adam_source(name, spec["variables"]) if adam else None
        spec["source"] = {"dataset": source} if adam else {"table": name.lower()}
        if not name.startswith("SUPP"):
            sources.append(f"{name} from {source or 'raw table ' + name.lower()}")
        no_origin = [v for v in spec["variables"] if v["origin"] is None]
        for var in no_origin:
            var["origin"] = "Derived" if adam else "Collected"
        if no_origin:
            bundle.note(f"{name}: {len(no_origin)} variable(s) without an origin in the source; wrote {no_origin[0]['origin']}")
        for var in spec["variables"]:
            rule, params = rule_for(var, name, source, assigned.get((name, var["name"])), adam)
            var[rule] = params
    bundle.datasets = fold_supp(list(datasets.values()), bundle)
    if sources:
        bundle.note(f"sources assumed (check them): {'; '.join(sources)}")


def fold_supp(datasets: list[dict[str, Any]], bundle: SpecBundle) -> list[dict[str, Any]]:
    """SUPP-- datasets become their parent's ``supp:`` qualifiers (one per QNAM of QVAL's value-level metadata)."""
    by_name = {d["dataset"]: d for d in datasets}
    kept = []
    for spec in datasets:
        parent = by_name.get(spec["dataset"][4:]) if spec["dataset"].startswith("SUPP") else None
        if parent is None:
            kept.append(spec)
            continue
        qval = next((v for v in spec["variables"] if v["name"] == "QVAL"), {})
        qualifiers = parent.setdefault("supp", [])
        for level in qval.get("value_level", []):
            qnams = level["where"].get("QNAM", [])
            if len(qnams) != 1:
                bundle.note(f"{spec['dataset']}: a QVAL value-level entry not for one QNAM left out")
                continue
            qualifier = {"qnam": qnams[0], "qlabel": level.get("label") or qnams[0]}
            qualifier.update({k: level[k] for k in ("codelist", "origin") if k in level})
            qualifier["todo"] = level.get("method") or f"QVAL of {qnams[0]}: name the column it comes from"
            qualifiers.append(qualifier)
    return kept


def study_dict(bundle: SpecBundle, name: str | None, description: str | None, protocol: str | None,
               standard: dict[str, str | None], ct_version: str | None, created: dt.datetime | None) -> dict[str, Any]:
    """``study.yaml`` for an imported study: facts from the source; raw data or SDTM inputs still to be supplied."""
    study: dict[str, Any] = {"id": name or Path(bundle.source).stem.upper(), "title": description or name or Path(bundle.source).stem}
    if protocol and protocol != study["id"]:
        study["protocol"] = protocol
    out: dict[str, Any] = {"study": study}
    own = {d["dataset"] for d in bundle.datasets}
    needed = sorted({d["source"]["dataset"] for d in bundle.datasets if "dataset" in d["source"]} - own)
    if any("table" in d["source"] for d in bundle.datasets):
        out["raw"] = {"folder": "raw"}
    if needed:
        out["inputs"] = {"folder": "sdtm", "datasets": {n: {} for n in needed}}
    out["terminology"] = {"version": ct_version or "2025-03-28"}
    if not ct_version:
        bundle.note("no controlled terminology version in the source: study.yaml says 2025-03-28; set the release you use")
    standards = {}
    for kind, version in standard.items():
        key = "adamig" if "adam" in kind.lower() else "sdtmig" if "sdtm" in kind.lower() else None
        if key and version in (("1.1", "1.2", "1.3") if key == "adamig" else ("3.2", "3.3", "3.4")):
            standards[key] = version
    if standards:
        out["standards"] = standards
    out["output"] = {"folder": "out", "created": (created or dt.datetime(2000, 1, 1)).replace(microsecond=0, tzinfo=None)}
    return out
