"""The order variables are built in: each after the variables of its dataset that its rule reads.

Output order is always the spec's; build order only makes sure a rule finds what it reads.
Among variables that are ready, derived rules that number or flag records (--SEQ, extreme
flags) come after the rest, then spec order decides.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

from cdisc.rules import get


class VariableCycle(ValueError):
    """Variables whose rules read each other; ``names`` lists them in order."""

    def __init__(self, names: list[str]):
        super().__init__(" -> ".join(names))
        self.names = names


def build_order(variables: Sequence[Any], keys: Sequence[str] = (), also_reads: dict[str, set[str]] | None = None) -> list[Any]:
    """``variables`` (spec models with ``name`` and ``rule``) in an order where each follows what it reads.

    A --SEQ rule with no ``order_by`` reads the dataset keys; ``also_reads`` adds names a variable's other rules
    read (the rules of a domain's parts). Raise :class:`VariableCycle` when rules read each other in a cycle.
    """
    names = [v.name for v in variables]
    known = set(names)
    reads: dict[str, set[str]] = {}
    for var in variables:
        rule_name, params = var.rule
        found = get(rule_name).reads(params)
        if getattr(params, "order_by", "") is None:  # --SEQ and --LOBXFL order by the dataset keys by default
            found |= set(keys)
        # value-level codelists apply to the records their where clauses select (DSDECOD by DSCAT)
        found |= {name for level in getattr(var, "value_level", ()) if level.codelist for name in level.where}
        found |= (also_reads or {}).get(var.name, set())
        reads[var.name] = (found & known) - {var.name}
    readers: dict[str, list[str]] = {n: [] for n in names}
    for name, needed in reads.items():
        for other in needed:
            readers[other].append(name)
    position = {n: i for i, n in enumerate(names)}
    stage = {v.name: get(v.rule[0]).stage for v in variables}
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
