"""The rule registry: every rule that builds a variable or adds records, in one place.

A rule is one file under ``cdisc/rules/`` (``common/`` for rules of both engines, ``sdtm/``,
``adam/``, and ``steps/`` for the ADaM record steps that add or select records) holding its parameter model,
its implementation, the names it reads, its build stage,
its define.xml method text in words and a documented example. It registers itself with
:func:`rule`. The spec models (the rule fields of a variable), the build order, the spec checks,
both engines, define.xml and the language guide (``cdisc guide``) all read this registry, so
adding a rule touches nothing else.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

#: ``sdtm`` and ``adam`` rules build one variable; ``steps`` rules (ADaM record steps) add or select records.
Engine = Literal["sdtm", "adam", "steps"]
SDTM: tuple[Engine, ...] = ("sdtm",)
ADAM: tuple[Engine, ...] = ("adam",)
BOTH: tuple[Engine, ...] = ("sdtm", "adam")
STEPS: tuple[Engine, ...] = ("steps",)

#: What a reference names: a variable of this dataset, a column of the source record only, a raw column of the source table, an
#: expression over this dataset, a variable or expression of the rule's other dataset, or an
#: expression over a record of this dataset joined with one of the other dataset, or an expression over the
#: records a record step adds (which may read columns the step makes, such as AVAL.SYSBP).
RefKind = Literal["variable", "source", "raw", "expression", "other", "other_expression", "joined_expression", "step_expression"]
PathKey = tuple[Any, ...]

#: Parameter-model class attributes listing the fields that hold each kind of reference.
_FIELDS_OF_KIND: dict[str, RefKind] = {
    "variable_fields": "variable",
    "raw_fields": "raw",
    "expression_fields": "expression",
    "other_fields": "other",
    "other_expression_fields": "other_expression",
    "joined_expression_fields": "joined_expression",
}


@dataclass(frozen=True)
class Reference:
    """One name or expression a rule's parameters refer to, with where in the rule it is written."""

    kind: RefKind
    path: PathKey
    text: str


def model_references(params: Any) -> Iterator[Reference]:
    """References declared by a parameter model's ``*_fields`` class attributes (lists count item by item)."""
    for attribute, kind in _FIELDS_OF_KIND.items():
        for field in getattr(type(params), attribute, ()):
            value = getattr(params, field, None)
            if isinstance(value, (list, tuple)):
                yield from (Reference(kind, (field, i), v) for i, v in enumerate(value) if v)
            elif value:
                yield Reference(kind, (field,), value)


@dataclass(frozen=True)
class Rule:
    """A registered rule: how a variable is built, and everything the rest of the package asks of it."""

    name: str
    engines: tuple[Engine, ...]
    params: Any
    build: Callable[[Any, Any], Any]
    method: Callable[[Any, str, Any], str]
    example: str
    stage: int
    bare: bool
    summary: str
    references: Callable[[Any], Iterable[Reference]]
    datasets: Callable[[Any], Iterator[tuple[PathKey, str]]]
    check: Callable[[Any, Any], Iterator[tuple[PathKey, str]]]

    def reads(self, params: Any) -> set[str]:
        """Names of the dataset being built that the rule reads (in its fields and expressions)."""
        from cdisc.spec.base import parsed

        names: set[str] = set()
        for ref in self.references(params):
            if ref.kind in ("variable", "raw"):
                names.add(ref.text)
            elif ref.kind in ("expression", "joined_expression"):
                names |= parsed(ref.text).dependencies
        return names


def _no_checks(params: Any, dataset_spec: Any) -> Iterator[tuple[PathKey, str]]:
    return iter(())


def _no_datasets(params: Any) -> Iterator[tuple[PathKey, str]]:
    dataset = getattr(params, "dataset", None)
    if isinstance(dataset, str):
        yield ("dataset",), dataset


_REGISTRY: dict[str, Rule] = {}


def rule(
    name: str,
    *,
    engines: tuple[Engine, ...],
    params: Any,
    method: Callable[[Any, str, Any], str],
    example: str,
    stage: int = 0,
    bare: bool = False,
    references: Callable[[Any], Iterable[Reference]] = model_references,
    datasets: Callable[[Any], Iterator[tuple[PathKey, str]]] = _no_datasets,
    check: Callable[[Any, Any], Iterator[tuple[PathKey, str]]] = _no_checks,
) -> Callable[[Callable], Callable]:
    """Register the decorated function as the implementation of rule ``name``.

    ``params``: the parameter type (a pydantic model, or a plain type for one-value rules such as
    ``hardcode``); ``method(params, variable, study_spec)``: the define.xml method in words;
    ``example``: a YAML snippet for the language guide; ``stage``: rules that read the finished
    record (numbering, flags) get a higher stage and are built later; ``bare``: may be written with
    no parameters (``seq:``); ``references``: the names and expressions the parameters refer to;
    ``datasets``: other datasets the rule reads; ``check(params, dataset_spec)``: what ``check-spec`` finds wrong
    with the parameters given the rest of the dataset spec, as (path inside the rule, message) pairs.
    """

    def register(build: Callable) -> Callable:
        if name in _REGISTRY:
            raise RuntimeError(f"rule {name} is registered twice")
        summary = inspect.cleandoc(build.__doc__ or "")
        _REGISTRY[name] = Rule(name, engines, params, build, method, example.strip(), stage, bare, summary, references, datasets, check)
        return build

    return register


_PACKAGES = ("common", "sdtm", "adam", "steps")
_loaded = False


def _load() -> None:
    """Import every rule module once (a module imported earlier on its own has registered only itself)."""
    global _loaded
    if _loaded:
        return
    for package in _PACKAGES:
        module = importlib.import_module(f"{__name__}.{package}")
        for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda m: m.name):
            importlib.import_module(f"{module.__name__}.{info.name}")
    _loaded = True


def _order(rule: Rule) -> tuple[int, str]:
    """Common rules first, then SDTM, ADaM and record steps, each by file name: the same whatever was imported first."""
    parts = rule.build.__module__.split(".")
    package = parts[2] if len(parts) > 3 else ""
    return (_PACKAGES.index(package) if package in _PACKAGES else len(_PACKAGES), rule.build.__module__)


def rules(engine: Engine) -> dict[str, Rule]:
    """The rules of one engine, in registration order (common rules first, then by file name)."""
    _load()
    ordered = sorted(_REGISTRY.values(), key=_order)  # a stable sort: rules of one file keep their order
    return {r.name: r for r in ordered if engine in r.engines}


def get(name: str) -> Rule:
    """The rule registered as ``name``."""
    _load()
    return _REGISTRY[name]
