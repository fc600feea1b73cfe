"""The data manager's query list: every data error (and listed warning) of a run, one row per raw record.

Each row says where the value is (dataset, variable, raw file, row, subject), what was collected
and what is wrong, so that it can be sent to the site as a query:

    >>> from cdisc.errors import DataError
    >>> error = DataError("AE.AESEV: not in codelist AESEV", dataset="AE", variable="AESEV",
    ...                   files=["ae.csv"], raw_rows=[3], subjects=["S-001"], values=["Deadly"])
    >>> query_frame([error], ["DM.RACE: 1 value set to missing"])[["severity", "dataset", "row", "value"]].values.tolist()
    [['error', 'AE', 3, 'Deadly'], ['warning', '', <NA>, '']]
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from cdisc.errors import DataError

COLUMNS = ["severity", "dataset", "variable", "file", "row", "subject", "value", "message"]


def query_frame(errors: Sequence[DataError], warnings: Sequence[str | DataError] = ()) -> pd.DataFrame:
    """One row per offending raw record of every error, then of every warning (a plain-text warning is one row)."""
    rows = []
    for severity, items in (("error", errors), ("warning", warnings)):
        for item in items:
            found = item.queries() if isinstance(item, DataError) else [DataError(str(item)).queries()[0]]
            rows += [{"severity": severity, **vars(query)} for query in found]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame.fillna({c: "" for c in COLUMNS if c != "row"})


def queries_json(frame: pd.DataFrame, status: str) -> str:
    """The query list as JSON: the run's status (``failed: no outputs written`` or ``written``) and the queries."""
    records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return json.dumps({"status": status, "count": len(frame), "queries": records}, indent=2, default=str) + "\n"
