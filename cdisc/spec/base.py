"""The building blocks every spec model uses: strict immutable models, shorthands, expressions, scalars.

Rule parameter models (``cdisc/rules/``) and the dataset models (:mod:`cdisc.spec.models`,
:mod:`cdisc.spec.adam`) both build on these, so a rule file never imports the dataset models.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from cdisc.spec.expr import Expression, ExpressionError, parse_expression


class ExprText(str):
    """Expression text from a spec, parsed once when the spec is loaded (``.expression``)."""

    expression: Expression

    def __new__(cls, text: str) -> ExprText:
        value = super().__new__(cls, text)
        value.expression = parse_expression(text)
        return value


def _parse_expression(text: str) -> ExprText:
    try:
        return ExprText(text)
    except ExpressionError as exc:
        raise PydanticCustomError("cdisc_expression", "{message}", {"message": str(exc)}) from None


Expr = Annotated[str, AfterValidator(_parse_expression), Field(description="An expression in the spec language")]
Scalar = str | int | float


def parsed(text: str) -> Expression:
    """The parsed form of expression text, whether it came from a spec (parsed at load) or from code."""
    return text.expression if isinstance(text, ExprText) else parse_expression(text)


class SpecModel(BaseModel):
    """Base of every spec model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ShorthandModel(SpecModel):
    """A model that may also be written as a single string, taken as its ``shorthand_field``."""

    shorthand_field: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, data: Any) -> Any:
        return {cls.shorthand_field: data} if isinstance(data, str) else data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        schema = handler(core_schema)
        properties = handler.resolve_ref_schema(schema).get("properties", {})
        return {"anyOf": [properties.get(cls.shorthand_field, {"type": "string"}), schema]}
