"""``seq``: --SEQ, 1, 2, ... within each subject."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from cdisc.rules import SDTM, rule
from cdisc.spec.base import SpecModel
from cdisc.spec.names import Name


class SeqRule(SpecModel):
    """--SEQ: 1, 2, ... within each subject, in the order of ``order_by`` (default: the dataset keys)."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by", "order_by")
    by: list[Name] = Field(default_factory=lambda: ["USUBJID"])
    order_by: list[Name] | None = None


def _method(params: SeqRule, variable: str, spec) -> str:
    order = f"in the order of {', '.join(params.order_by)}" if params.order_by else "in the order of the dataset keys"
    return f"Sequential number 1, 2, ... of the records within each {', '.join(params.by)}, {order}."


@rule(
    "seq", engines=SDTM, params=SeqRule, method=_method, stage=2, bare=True,
    example="- {name: AESEQ, label: Sequence Number, type: integer, origin: Derived, seq: {order_by: [AESTDTC, AETERM]}}",
)
def seq(params: SeqRule, records) -> pd.Series:
    """1, 2, ... within each ``by`` group, in ``order_by`` order (default: the dataset keys, other than --SEQ)."""
    order = [v for v in (params.order_by or records.keys) if v in records.out and v not in params.by]
    frame = pd.DataFrame({name: records.out[name] for name in dict.fromkeys([*params.by, *order])})
    for name in params.by:
        missing = frame[name].isna()
        if missing.any():
            raise records.fail(f"{name} is missing; cannot number records", missing)
    ordered = frame.sort_values([*params.by, *order], kind="mergesort", na_position="first")
    numbers = ordered.groupby(params.by, sort=False).cumcount() + 1
    return numbers.reindex(frame.index).astype(float)
