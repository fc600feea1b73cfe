"""``seq``: --SEQ, 1, 2, ... within each subject; with ``stable: true`` the numbers of the previous transfer are kept."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from cdisc.changes import Snapshot, derive_var_stable_seq
from cdisc.raw import FILE, ROW
from cdisc.rules import SDTM, rule
from cdisc.sdtm.keys import group_order
from cdisc.spec.base import SpecModel
from cdisc.spec.names import Name


class SeqRule(SpecModel):
    """--SEQ: 1, 2, ... within each subject, in the order of ``order_by`` (default: the dataset keys)."""

    variable_fields: ClassVar[tuple[str, ...]] = ("by", "order_by")
    by: list[Name] = Field(default_factory=lambda: ["USUBJID"])
    order_by: list[Name] | None = None
    stable: bool = Field(
        False,
        description="Keep the --SEQ each record had in the previous transfer (recognised by the keys without --SEQ "
        "plus order_by, then by its raw file row); new records are numbered after the subject's last earlier number",
    )


def _method(params: SeqRule, variable: str, spec) -> str:
    order = f"in the order of {', '.join(params.order_by)}" if params.order_by else "in the order of the dataset keys"
    kept = "; a record keeps the number it had in the previous transfer, new records follow the last one" if params.stable else ""
    return f"Sequential number 1, 2, ... of the records within each {', '.join(params.by)}, {order}{kept}."


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
    positions, starts = group_order(frame, params.by, order)
    previous = getattr(records.study, "previous_run", None)
    before = previous.datasets.get(records.dataset) if params.stable and previous is not None else None
    if before is not None and records.variable in before.frame:
        return _kept(params, records, frame.index[positions], order, before)
    rank = np.arange(len(positions))
    numbers = np.empty(len(positions))
    numbers[positions] = rank - np.maximum.accumulate(np.where(starts, rank, 0)) + 1  # 1, 2, ... from each group's start
    return pd.Series(numbers, index=frame.index)


def _kept(params: SeqRule, records, ordered: pd.Index, order: list[str], before: Snapshot) -> pd.Series:
    """The previous transfer's numbers for the records it had; new records after them, in ``order``."""
    natural = [n for n in dict.fromkeys([*records.keys, *params.by, *order]) if n != records.variable and n in records.out]
    current = pd.DataFrame({n: records.out[n] for n in natural}).loc[ordered]
    lineage = None
    if {FILE, ROW} <= set(records.frame.columns) and "USUBJID" in records.out:
        lineage = pd.DataFrame({"USUBJID": records.out["USUBJID"], FILE: records.frame[FILE], ROW: records.frame[ROW]}).loc[ordered]
    numbers = derive_var_stable_seq(current, lineage, before, params.by, natural, records.variable)
    return numbers.reindex(records.index).astype(float)
