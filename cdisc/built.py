"""A dataset built from its spec, with what a run reports and writes beside it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cdisc.errors import DataError
from cdisc.spec.adam import AdamDataset
from cdisc.spec.sdtm import SdtmDataset


@dataclass
class BuiltDataset:
    """A built dataset, the source rows behind each record, and what was left out and why."""

    spec: SdtmDataset | AdamDataset
    frame: pd.DataFrame
    lineage: pd.DataFrame
    excluded: pd.DataFrame
    supp: pd.DataFrame | None = None
    warnings: list[str | DataError] = field(default_factory=list)  # plain text, or data errors that name records
    reused: bool = False  # taken unchanged from the previous run's cache rather than built
    window_warnings: list[DataError] = field(default_factory=list)  # dates outside their visit's window: found by each run, never cached
    records: int = field(init=False)  # counts kept when the frames are released (see :meth:`release`)
    supp_records: int | None = field(init=False)
    subjects: int | None = field(init=False)

    def __post_init__(self) -> None:
        self.records = len(self.frame)
        self.supp_records = None if self.supp is None else len(self.supp)
        self.subjects = int(self.frame["USUBJID"].nunique()) if "USUBJID" in self.frame else None

    def release(self) -> None:
        """Let go of the records and their lineage once written and described; the counts above stay.

        >>> built = BuiltDataset(None, pd.DataFrame({"USUBJID": ["A", "A", "B"]}), pd.DataFrame(), pd.DataFrame())
        >>> built.release()
        >>> len(built.frame), built.records, built.subjects
        (0, 3, 2)
        """
        self.frame, self.lineage = _empty(self.frame), _empty(self.lineage)
        if self.supp is not None:
            self.supp = _empty(self.supp)

    @property
    def standard(self) -> str:
        """``adam`` or ``sdtm``: the output folder the dataset is written to."""
        return "adam" if isinstance(self.spec, AdamDataset) else "sdtm"


def _empty(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with ``frame``'s columns but no rows, sharing no memory with it (a zero-row slice would)."""
    return pd.DataFrame(columns=frame.columns)
