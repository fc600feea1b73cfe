"""JSON Schema of the spec files, so YAML editors can complete and check specs as they are typed."""

from __future__ import annotations

from typing import Any

from cdisc.errors import UsageError
from cdisc.spec.adam import AdamDataset
from cdisc.spec.models import CodelistFile, StudySpec
from cdisc.spec.sdtm import SdtmDataset

MODELS = {"sdtm": SdtmDataset, "adam": AdamDataset, "study": StudySpec, "codelists": CodelistFile}


def spec_schema(kind: str = "sdtm") -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind of spec file: ``sdtm``, ``adam``, ``study`` or ``codelists``."""
    if kind not in MODELS:
        raise UsageError(f"unknown schema kind '{kind}'; choose one of {', '.join(MODELS)}")
    schema = MODELS[kind].model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": f"cdisc {kind} spec", **schema}
