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

    @property
    def standard(self) -> str:
        """``adam`` or ``sdtm``: the output folder the dataset is written to."""
        return "adam" if isinstance(self.spec, AdamDataset) else "sdtm"
