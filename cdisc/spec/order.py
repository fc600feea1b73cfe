"""The order variables are built in: each after the variables of its dataset that its rule reads.

Output order is always the spec's; build order only makes sure a rule finds what it reads.
Among variables that are ready, derived rules that number or flag records (--SEQ, extreme
flags) come after the rest, then spec order decides.
"""

from __future__ import annotations

import heapq
from typing import Any

from cdisc.spec.expr import parse_expression

#: Build stage of rules that read the finished record (higher = later), for SDTM and ADaM rules.
STAGE = {
    "study_day": 1,
    "epoch": 1,
    "seq": 2,
    "reference_dose": 1,
    "last_obs_before_exposure": 3,
    "imputation_flag": 1,
    "derive_vars_dy": 1,
    "derive_var_trtemfl": 1,
    "derive_var_base": 1,
    "derive_var_chg": 2,
    "derive_var_extreme_flag": 3,
    "derive_var_obs_number": 3,
}


class VariableCycle(ValueError):
    """Variables whose rules read each other; ``names`` lists them in order."""

    def __init__(self, names: list[str]):
        super().__init__(" -> ".join(names))
        self.names = names


def rule_names(rule_name: str, params: Any) -> set[str]:
    """Every name a rule reads: in its expressions, its name fields and its ``from`` columns."""
    names: set[str] = set()
    if rule_name in ("expr",) and isinstance(params, str):
        return set(parse_expression(params).names)
    if rule_name == "predecessor" and isinstance(params, str):
        return set()  # reads the source record, never this dataset
    if rule_name == "condition":
        for case in params.cases:
            names |= parse_expression(case.when).names
            if case.source:
                names.add(case.source)
        return names
    if rule_name in ("derive_vars_merged", "derive_var_merged_summary"):
        return set(params.by)
    if rule_name == "derive_vars_joined":
        return set(params.by) | parse_expression(params.join_where).names | parse_expression(params.value).names
    if rule_name == "seq":
        return {*params.by, *(params.order_by or [])}
    if rule_name in ("study_day", "epoch"):
        return {params.of}
    if rule_name == "last_obs_before_exposure":
        return {*params.by, params.dtc, params.result, *(params.order_by or [])}
    if rule_name == "reference_dose":
        return {params.of, *([params.nominal_hours] if params.nominal_hours else [])}
    for field in getattr(params, "variable_fields", ()):
        value = getattr(params, field)
        names |= set(value) if isinstance(value, list) else ({value} if value else set())
    if getattr(params, "where", None):
        names |= parse_expression(params.where).names
    return names


def build_order(variables: list[Any], keys: list[str] = ()) -> list[Any]:
    """``variables`` (spec models with ``name`` and ``rule``) in an order where each follows what it reads.

    A --SEQ rule with no ``order_by`` reads the dataset keys. Raise :class:`VariableCycle` when rules
    read each other in a cycle.
    """
    names = [v.name for v in variables]
    known = set(names)
    reads: dict[str, set[str]] = {}
    for var in variables:
        rule_name, params = var.rule
        found = rule_names(rule_name, params)
        if rule_name in ("seq", "last_obs_before_exposure") and not params.order_by:
            found |= set(keys)
        reads[var.name] = (found & known) - {var.name}
    readers: dict[str, list[str]] = {n: [] for n in names}
    for name, needed in reads.items():
        for other in needed:
            readers[other].append(name)
    position = {n: i for i, n in enumerate(names)}
    stage = {v.name: STAGE.get(v.rule[0], 0) for v in variables}
    waiting = {n: len(reads[n]) for n in names}
    ready = [(stage[n], position[n], n) for n in names if waiting[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, _, name = heapq.heappop(ready)
        order.append(name)
        for reader in readers[name]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, (stage[reader], position[reader], reader))
    if len(order) < len(names):
        raise VariableCycle(_cycle(reads, [n for n in names if waiting[n] > 0]))
    by_name = {v.name: v for v in variables}
    return [by_name[n] for n in order]


def _cycle(reads: dict[str, set[str]], stuck: list[str]) -> list[str]:
    """One cycle among the stuck variables, e.g. ['A', 'B', 'A']."""
    path = [stuck[0]]
    while True:
        following = sorted(n for n in reads[path[-1]] if n in stuck)[0]
        if following in path:
            return path[path.index(following):] + [following]
        path.append(following)
