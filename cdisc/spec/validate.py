"""Validate one YAML document against a spec model and turn Pydantic errors into located issues."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from cdisc.errors import SpecIssue
from cdisc.spec.expr import did_you_mean
from cdisc.spec.yamlsource import PathKey, YamlDocument

M = TypeVar("M", bound=BaseModel)

_EXPECTED = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected a mapping of key: value",
    "model_type": "expected a mapping of key: value",
    "model_attributes_type": "expected a mapping of key: value",
    "datetime_type": "expected a date-time such as 2026-01-15T09:00:00",
    "datetime_parsing": "expected a date-time such as 2026-01-15T09:00:00",
    "datetime_from_date_parsing": "expected a date-time such as 2026-01-15T09:00:00",
    "path_type": "expected a file or folder path",
}


def validate_document(model: type[M], doc: YamlDocument, subject_of: Callable[[PathKey], str]) -> tuple[M | None, list[SpecIssue]]:
    """Validate ``doc.data`` as ``model``; on failure return located issues instead."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        issues = []
        seen: set[tuple[PathKey, str]] = set()
        for error in exc.errors(include_url=False):
            loc = _doc_path(doc, tuple(error["loc"]))
            issue = _issue(model, doc, loc, error, subject_of(loc))
            if (loc, issue.message) not in seen:
                seen.add((loc, issue.message))
                issues.append((loc, error["type"], issue))
        return None, _drop_missing_explained_by_typos(issues)


def _drop_missing_explained_by_typos(found: list[tuple[PathKey, str, SpecIssue]]) -> list[SpecIssue]:
    """``lable:`` gives both "unknown key 'lable' (did you mean 'label'?)" and "missing 'label'": keep the first."""
    suggested = {
        (*loc[:-1], issue.message.split("did you mean '")[1].split("'")[0])
        for loc, kind, issue in found
        if kind == "extra_forbidden" and "did you mean '" in issue.message
    }
    return [issue for loc, kind, issue in found if not (kind == "missing" and loc in suggested)]


def _doc_path(doc: YamlDocument, loc: PathKey) -> PathKey:
    """Drop the union-branch tags Pydantic inserts (``'str'``, ``'int'``) that are not in the document."""
    path: list[str | int] = []
    node = doc.data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str):
            path.append(part)  # a missing key: keep it to name it
            break
    return tuple(path)


def _issue(model: type[BaseModel], doc: YamlDocument, loc: PathKey, error: ErrorDetails, subject: str) -> SpecIssue:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _field_names(_model_at(model, loc[:-1]))
        hint = did_you_mean(key, allowed) or (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
        return doc.issue(loc, subject, f"unknown key '{key}'{hint}", key=True)
    if kind == "missing":
        return doc.issue(loc[:-1], subject, f"missing required key '{loc[-1]}'")
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",")]
        hint = did_you_mean(str(value), options)
        return doc.issue(loc, subject, f"'{value}' is not allowed; expected one of {expected}{hint}")
    field = f"{loc[-1]}: " if loc and isinstance(loc[-1], str) else ""
    if kind in _EXPECTED:
        return doc.issue(loc, subject, f"{field}{_EXPECTED[kind]}, got {_show(value)}")
    if kind == "too_short":
        return doc.issue(loc, subject, f"{field}needs at least {error['ctx']['min_length']} item(s)")
    if kind in ("string_too_long", "too_long"):
        return doc.issue(loc, subject, f"{field}{error['msg'].replace('String', 'text').lower()}, got {_show(value)}")
    if kind == "string_pattern_mismatch":
        return doc.issue(loc, subject, f"{field}{_show(value)} does not have the expected form ({error['ctx']['pattern']})")
    message = error["msg"]
    if kind.startswith("cdisc_") or kind == "value_error":
        message = message.removeprefix("Value error, ")
    else:
        message = message[0].lower() + message[1:]
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
        bound = next(iter(error["ctx"].values()))
        words = {"less_than_equal": "at most", "greater_than_equal": "at least", "less_than": "below", "greater_than": "above"}
        message = f"{field}must be {words[kind]} {bound}, got {_show(value)}"
    return doc.issue(loc, subject, message)


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)


def _model_at(model: Any, loc: PathKey) -> type[BaseModel] | None:
    """The spec model that the node at ``loc`` is validated as, if any."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part or n == part), None)
            current = field.annotation if field else None
        else:
            args = typing.get_args(current)
            current = args[-1] if args else None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional/Union down to the first model type, if there is one."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if models else args[0]
        else:
            return annotation


def _field_names(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]
