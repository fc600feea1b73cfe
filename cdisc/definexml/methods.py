"""Plain-language descriptions of the spec rules that build Derived variables, for define.xml MethodDefs.

A Derived variable without a ``method:`` text in its spec still gets a MethodDef: the
description is written from the rule that builds it, so it always says what the program does.
"""

from __future__ import annotations

from typing import Any

from cdisc.spec.models import RefDateRule, RuleSet, StudySpec


def describe_rule(rules: RuleSet, variable: str, spec: StudySpec) -> str:
    """What the rule in ``rules`` does to build ``variable``, in one or two sentences."""
    name, params = rules.rule
    if name in _DESCRIBE:
        return _DESCRIBE[name](params, variable, spec)
    return f"{variable} = {name}({_parameters(params)})."


def _parameters(params: Any) -> str:
    """Parameters of a rule without a sentence of its own (admiral-named ADaM rules), as written in the spec."""
    if hasattr(params, "model_dump"):
        given = params.model_dump(by_alias=True, exclude_defaults=True)
        return ", ".join(f"{k}={v}" for k, v in given.items())
    return "" if params is True else str(params)


def _join(names: list[str]) -> str:
    return ", ".join(names)


def _value(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def _condition(rule, variable: str, spec: StudySpec) -> str:
    cases = [f"{variable} = {_value(c.value) if c.value is not None else 'raw ' + c.source} when {c.when}" for c in rule.cases]
    otherwise = f"otherwise {_value(rule.otherwise)}" if rule.otherwise is not None else "otherwise missing"
    return "; ".join([*cases, otherwise]) + " (the first condition that holds applies)."


def _seq(rule, variable: str, spec: StudySpec) -> str:
    order = f"in the order of {_join(rule.order_by)}" if rule.order_by else "in the order of the dataset keys"
    return f"Sequential number 1, 2, ... of the records within each {_join(rule.by)}, {order}."


def _study_day(rule, variable: str, spec: StudySpec) -> str:
    ref = f"DM.{rule.reference}"
    return (
        f"{variable} = date of {rule.of} - {ref} + 1 if {rule.of} is on or after {ref}; "
        f"{rule.of} - {ref} if before (there is no day 0). Missing when either date is incomplete."
    )


def _reference(name: str, variable: str, spec: StudySpec) -> str:
    rule: RefDateRule = spec.reference_dates[name]
    sources = "; ".join(
        f"raw {s.table}.{s.date}" + (f" with time {s.time}" if s.time else "") + (f" where {s.where}" if s.where else "")
        for s in rule.sources
    )
    return f"{variable} = the {rule.pick} date per subject over: {sources}."


def _iso8601(rule, variable: str, spec: StudySpec) -> str:
    time = f" and time {rule.time}" if rule.time else ""
    return f"ISO 8601 date/time from raw date {rule.date}{time}; unknown parts are left out, as collected."


def _visit(kind: str):
    def describe(rule, variable: str, spec: StudySpec) -> str:
        return f"{kind} of the planned visit whose name or collected spelling matches raw {rule.source} (study visits table)."

    return describe


def _epoch(rule, variable: str, spec: StudySpec) -> str:
    return f"EPOCH of the subject's element in SE whose period contains the date of {rule.of}; missing for incomplete dates."


def _study(fact: str, variable: str, spec: StudySpec) -> str:
    if fact == "usubjid":
        return f"{variable} = {spec.subjects.usubjid}."
    return f'{variable} = "{spec.study.id}", the study identifier.'


def _assign(rule, variable: str, spec: StudySpec) -> str:
    clean = f", cleaned ({', '.join(rule.clean)})" if rule.clean else ""
    return f"{variable} = raw {rule.source}{clean}."


def _assign_ct(rule, variable: str, spec: StudySpec) -> str:
    codelist = f"codelist {rule.codelist}" if rule.codelist else "the variable's codelist"
    return f"Raw {rule.source} mapped to its submission value in {codelist} (synonyms included)."


_DESCRIBE = {
    "hardcode": lambda value, variable, spec: f"{variable} = {_value(value)} on every record.",
    "study": _study,
    "assign": _assign,
    "assign_ct": _assign_ct,
    "condition": _condition,
    "expr": lambda text, variable, spec: f"{variable} = {text}.",
    "iso8601": _iso8601,
    "seq": _seq,
    "study_day": _study_day,
    "reference_date": _reference,
    "visit": _visit("Name"),
    "visitnum": _visit("Number"),
    "visitdy": _visit("Planned study day"),
    "epoch": _epoch,
}
