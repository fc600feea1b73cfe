"""Plain-language descriptions of the spec rules that build Derived variables, for define.xml MethodDefs.

A Derived variable without a ``method:`` text in its spec still gets a MethodDef: the
description is written from the rule that builds it, so it always says what the program does.
"""

from __future__ import annotations

from cdisc.rules import get
from cdisc.spec.models import RuleSet, StudySpec


def describe_rule(rules: RuleSet, variable: str, spec: StudySpec) -> str:
    """What the rule in ``rules`` does to build ``variable``, in one or two sentences (from the rule registry)."""
    name, params = rules.rule
    return get(name).method(params, variable, spec)
