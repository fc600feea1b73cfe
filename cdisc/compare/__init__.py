"""``cdisc diff``: compare datasets the way validators do with SAS PROC COMPARE.

Exit codes of ``cdisc diff``: 0 the datasets are equal, 1 they differ,
2 they could not be compared (bad option, nothing found to compare, unreadable file, keys missing);
duplicate keys are a difference listed with the records, not a reason to stop.
"""

from __future__ import annotations

from cdisc.compare.engine import (
    CompareInputError,
    DatasetDiff,
    Selection,
    Tolerance,
    compare_tables,
)
from cdisc.compare.options import parse_keys, parse_selections, parse_tolerances
from cdisc.compare.paths import Comparison, compare_paths

__all__ = [
    "CompareInputError", "Comparison", "DatasetDiff", "Selection", "Tolerance",
    "compare_paths", "compare_tables", "parse_keys", "parse_selections", "parse_tolerances",
]
