"""What an import reads from a workbook or a define.xml: YAML-level dataset specs and codelists, before writing.

Both importers fill a :class:`SpecBundle` with plain dicts shaped exactly like the YAML spec
files, plus where each value came from (a cell, or a line of define.xml), so a value the spec
models refuse is reported at its source (:func:`check_bundle`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from cdisc.errors import SpecIssue
from cdisc.spec.adam import AdamDataset
from cdisc.spec.models import Codelist, StudySpec
from cdisc.spec.sdtm import SdtmDataset
from cdisc.specio.values import ADAM_CLASSES

PathKey = tuple[str | int, ...]


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
        present = isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and part < len(node)
        if present:
            node = node[part]
        else:
            if isinstance(node, dict) and isinstance(part, str) and part in ("label", "type", "structure", "keys", "origin"):
                path.append(part)
            break
        path.append(part)
    return tuple(path)


def _message(error: ErrorDetails) -> str:
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
