"""Reconciliation: every raw row is mapped, merged, used for a reference date, excluded or declared not converted.

A row that is none of these is an error: nothing is lost silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.arrowtext import plain_text
from cdisc.built import BuiltDataset
from cdisc.errors import DataError
from cdisc.raw import FILE, ROW
from cdisc.sdtm.dates import iso8601
from cdisc.sdtm.engine import merged_row_column
from cdisc.spec.expr import parse_expression
from cdisc.spec.load import Study
from cdisc.spec.sdtm import SdtmDataset

CATEGORIES = ("mapped", "merged", "reference_date", "excluded", "not_converted")


def reconcile(study: Study, built: list[BuiltDataset]) -> pd.DataFrame:
    """Counts per raw table and category; raise :class:`DataError` listing rows nobody accounts for."""
    marks: dict[str, dict[str, list[np.ndarray]]] = {name: {c: [] for c in CATEGORIES} for name in study.raw_tables}  # table -> category -> raw rows
    for result in built:
        if not isinstance(result.spec, SdtmDataset):  # ADaM reads no raw table
            continue
        sources = [result.spec.source, *(part.source for part in result.spec.parts)]
        lineage = result.read("lineage", [FILE, ROW, *(merged_row_column(m.table) for source in sources for m in source.merge)])
        assert lineage is not None
        for source in sources:
            if source.table is not None:  # a domain with parts holds rows of several files: count each table's own
                file = study.raw_tables[source.table].path.name
                mapped, excluded = lineage[lineage[FILE] == file], result.excluded[result.excluded[FILE] == file]
                marks[source.table]["mapped"].append(_rows(mapped[ROW]))
                marks[source.table]["excluded"].append(_rows(excluded[ROW]))
            for merge in source.merge:
                marks[merge.table]["merged"].append(_rows(lineage[merged_row_column(merge.table)]))
    for rule in study.spec.reference_dates.values():
        for ref in rule.sources:
            table = study.raw_frame(ref.table)
            used = iso8601(plain_text(table[ref.date]), None, **ref.options).notna()
            if ref.where:
                used &= parse_expression(ref.where).mask(table, {"STUDYID": study.spec.study.id})
            marks[ref.table]["reference_date"].append(_rows(table.loc[used, ROW]))
    rows = []
    unaccounted: list[str] = []
    for name, table in study.raw_tables.items():
        frame = study.raw_frame(name)
        numbers = frame[ROW].to_numpy()
        counts = {c: int(_marked(numbers, marks[name][c]).sum()) for c in CATEGORIES}
        if name in study.spec.not_converted:
            counts["not_converted"] = len(frame)
        accounted = _marked(numbers, [rows for category in marks[name].values() for rows in category])
        if name in study.spec.not_converted:
            accounted[:] = True
        missing = frame.loc[~accounted, [FILE, ROW]]
        if len(missing):
            shown = ", ".join(str(r) for r in missing[ROW].head(5))
            unaccounted.append(f"{table.path.name}: {len(missing)} row(s) neither mapped nor excluded (rows {shown})")
        rows.append({"table": name, "file": table.path.name, "rows": len(frame), **counts, "unaccounted": len(missing)})
    if unaccounted:
        raise DataError(
            "raw rows not accounted for; map them, exclude them with a reason, or list the table under "
            "not_converted in study.yaml:\n  " + "\n  ".join(unaccounted)
        )
    return pd.DataFrame(rows, columns=["table", "file", "rows", *CATEGORIES, "unaccounted"])


def _rows(numbers: pd.Series) -> np.ndarray:
    """Raw row numbers as floats (a missing one, NaN, marks no row)."""
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def _marked(numbers: np.ndarray, parts: list[np.ndarray]) -> np.ndarray:
    """Whether each of a raw table's row numbers (distinct whole numbers) is among the rows of ``parts`` (NaN: none).
    A flag per number from the smallest to the largest: no sort, however many rows.

    >>> _marked(np.array([2, 3, 4, 5]), [np.array([3.0, np.nan]), np.array([5.0, 9.0])]).tolist()
    [False, True, False, True]
    """
    if not len(numbers):
        return np.zeros(0, bool)
    first = int(numbers.min())
    flags = np.zeros(int(numbers.max()) - first + 1, bool)
    for rows in parts:
        at = rows[~np.isnan(rows)].astype(np.int64) - first
        flags[at[(at >= 0) & (at < len(flags))]] = True
    return flags[numbers - first]
