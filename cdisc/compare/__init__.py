"""``cdisc diff``: compare datasets the way validators do with SAS PROC COMPARE.

Exit codes of ``cdisc diff``: 0 the datasets are equal, 1 they differ,
2 they could not be compared (bad option, unreadable file, keys missing or not unique).
"""

from __future__ import annotations

from cdisc.compare.engine import (
    CompareInputError,
    DatasetDiff,
    Tolerance,
    compare_tables,
)
from cdisc.compare.options import parse_keys, parse_tolerances
from cdisc.compare.paths import Comparison, compare_paths

__all__ = [
    "CompareInputError", "Comparison", "DatasetDiff", "Tolerance",
    "compare_paths", "compare_tables", "parse_keys", "parse_tolerances",
]
