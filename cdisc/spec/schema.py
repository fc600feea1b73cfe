"""JSON Schema of the spec files, so YAML editors can complete and check specs as they are typed."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel

from cdisc.errors import UsageError
from cdisc.spec.adam import AdamDataset
from cdisc.spec.copy import CopyVariables
from cdisc.spec.models import CodelistFile, StudySpec
from cdisc.spec.sdtm import SdtmDataset

MODELS: dict[str, type[BaseModel]] = {"sdtm": SdtmDataset, "adam": AdamDataset, "study": StudySpec, "codelists": CodelistFile}


def spec_schema(kind: str = "sdtm") -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind of spec file: ``sdtm``, ``adam``, ``study`` or ``codelists``."""
    if kind not in MODELS:
        raise UsageError(f"unknown schema kind '{kind}'; choose one of {', '.join(MODELS)}")
    schema = MODELS[kind].model_json_schema(by_alias=True, mode="validation")
    _field_names_too(MODELS[kind], schema)
    if kind == "adam":
        copy = CopyVariables.model_json_schema(by_alias=True, mode="validation")
        variables = schema["properties"]["variables"]
        variables["items"] = {"anyOf": [variables["items"], copy]}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": f"cdisc {kind} spec", **schema}


def _models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> dict[str, type[BaseModel]]:
    """Every model reachable from ``model`` through its fields, by class name (as ``$defs`` names them)."""
    if model.__name__ in seen:
        return seen
    seen[model.__name__] = model
    for info in model.model_fields.values():
        for candidate in _classes(info.annotation):
            _models(candidate, seen)
    return seen


def _classes(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [c for arg in get_args(annotation) for c in _classes(arg)]


def _field_names_too(root: type[BaseModel], schema: dict[str, Any]) -> None:
    """The loader accepts a field by its name as well as by its alias (``by`` and ``by_vars``, ``else`` and
    ``otherwise``): list both in the schema, so an editor accepts what the loader accepts."""
    definitions = schema.get("$defs", {})
    for name, model in _models(root, {}).items():
        target = schema if model is root else definitions.get(name)
        properties = (target or {}).get("properties")
        if properties is None:
            continue
        for field_name, info in model.model_fields.items():
            if info.alias and info.alias != field_name and info.alias in properties:
                properties.setdefault(field_name, properties[info.alias])
                if info.alias in target.get("required", []):
                    target["required"].remove(info.alias)
                    either = {"anyOf": [{"required": [info.alias]}, {"required": [field_name]}]}
                    target.setdefault("allOf", []).append(either)
