"""Collecting every data error of a run instead of stopping at the first.

The engines build every variable they can: a variable whose rule fails is recorded, and the
variables that read it are skipped (they would only repeat the problem). The run does the same
with datasets: one that needs a failed dataset is skipped and listed.

    >>> from types import SimpleNamespace as Var
    >>> from cdisc.rules.common.expr import expr  # registers the rules
    >>> reads_failed(Var(name="B", rule=("expr", "A + 1")), [], {"A"})
    True
    >>> located(DataError("bad"), "AE", "AESEV").variable
    'AESEV'
"""

from __future__ import annotations

from typing import Any

from cdisc.errors import DataError


def reads_failed(var: Any, keys: list[str], failed: set[str]) -> bool:
    """Whether ``var``'s rule reads a variable of its dataset in ``failed`` (an --SEQ without ``order_by`` reads the keys)."""
    from cdisc.rules import (
        get,  # the registry imports the engines' helpers; import it when first needed
    )

    if not failed:
        return False
    rule_name, params = var.rule
    reads = get(rule_name).reads(params)
    if getattr(params, "order_by", "") is None:
        reads |= set(keys)
    return bool((reads - {var.name}) & failed)


def located(error: DataError, dataset: str, variable: str = "") -> DataError:
    """``error`` naming ``dataset`` (and ``variable``) as data when it does not already."""
    error.dataset = getattr(error, "dataset", "") or dataset
    error.variable = getattr(error, "variable", "") or variable
    return error
