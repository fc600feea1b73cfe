"""Dates that contradict their visit: a record's date outside the window study.yaml declares for its visit.

A visit with ``visitdy`` and ``window: [before, after]`` (days around the planned day) accepts study days
``visitdy + before`` to ``visitdy + after``. A visit planned after day 1 without a window still cannot be
dated before the first dose (study day below 1). Such records are warnings: the date or the visit is
likely wrong, and the data manager queries it.

    >>> import pandas as pd
    >>> from types import SimpleNamespace as Visit
    >>> visits = [Visit(visitnum=1.0, visit="C1D1", visitdy=1, window=None),
    ...           Visit(visitnum=9.0, visit="C9D1", visitdy=169, window=[-3, 3])]
    >>> found = derive_visit_window_outliers(
    ...     pd.Series(["2024-01-01", "2023-06-14", "2024-06-18"]), pd.Series([1.0, 9.0, 9.0]),
    ...     pd.Series(["2024-01-01"] * 3), visits)
    >>> found[["visit", "date", "study_day", "window"]].values.tolist()
    [['C9D1', '2023-06-14', -201, 'study days 166 to 172']]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cdisc.errors import DataError
from cdisc.raw import FILE, ROW
from cdisc.sdtm.dates import date_part


def visit_window_warnings(dataset: str, frame: pd.DataFrame, lineage: pd.DataFrame, visits: Sequence[Any], dm: pd.DataFrame | None) -> list[DataError]:
    """A warning per visit whose records of ``dataset`` are dated outside its window; each record (its raw file
    row from ``lineage``, subject and date) is a query. The date is --DTC (findings) or --STDTC; the dataset
    needs VISITNUM and USUBJID, DM its RFSTDTC."""
    date = next((name for name in (f"{dataset}DTC", f"{dataset}STDTC") if name in frame), None)
    if not visits or date is None or not {"VISITNUM", "USUBJID"} <= set(frame) or dm is None or "RFSTDTC" not in dm:
        return []
    reference = frame["USUBJID"].map(dm.drop_duplicates("USUBJID").set_index("USUBJID")["RFSTDTC"])
    found = derive_visit_window_outliers(frame[date], frame["VISITNUM"], reference, visits)
    warnings = []
    for (visit, window), group in found.groupby(["visit", "window"], sort=False):  # one warning per visit
        if ROW in lineage:  # records with a raw file row first; those made by the spec alone have none
            known = lineage.loc[group.index, ROW].notna().to_numpy()
            group = pd.concat([group[known], group[~known]])
            source = lineage.loc[group.index[: known.sum()]]
            files, rows = source[FILE].astype("str").tolist(), source[ROW].astype(int).tolist()
        else:
            files, rows = [], (group.index + 1).tolist()
        subjects = frame.loc[group.index, "USUBJID"].astype("str").tolist()
        shown = ", ".join(f"{d} (study day {n})" for d, n in zip(group["date"].head(3), group["study_day"].head(3)))
        places = []
        if rows:
            more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
            listed = ", ".join(map(str, rows[:5]))
            places.append(f"{', '.join(sorted(set(files)))} rows {listed}{more}" if files else f"records {listed}{more}")
        if len(group) > len(rows):
            places.append(f"{len(group) - len(rows)} record(s) without a raw file row")
        message = (
            f"{dataset}.{date}: {len(group)} date(s) outside the window of visit {visit} ({window}): {shown} "
            f"at {' and '.join(places)} (subjects {', '.join(sorted(set(subjects))[:5])})"
        )
        warnings.append(DataError(message, dataset=dataset, variable=date, files=files, raw_rows=rows, subjects=subjects,
                                  values=group["date"].astype("str").tolist()))
    return warnings


def derive_visit_window_outliers(dates: pd.Series, visitnum: pd.Series, reference: pd.Series, visits: Sequence[Any]) -> pd.DataFrame:
    """Records (by index) whose complete date falls outside their visit's window: visit, date, study day, window.

    ``reference`` is each record's subject's RFSTDTC (study day 1); records without a complete date, a
    reference or a planned visit day are not checked.
    """
    planned = pd.DataFrame(
        {
            "visitnum": [float(v.visitnum) for v in visits],
            "visit": [v.visit for v in visits],
            "visitdy": [v.visitdy for v in visits],
            "low": [_bound(v, 0) for v in visits],
            "high": [_bound(v, 1) for v in visits],
        }
    ).drop_duplicates("visitnum")
    days = (date_part(dates) - date_part(reference)).dt.days
    days = days.where(days < 0, days + 1)
    records = pd.DataFrame({"visitnum": pd.to_numeric(visitnum, errors="coerce"), "day": days, "date": dates}, index=dates.index)
    found = records.reset_index().merge(planned, on="visitnum", how="left").set_index(records.index.name or "index")
    outside = found["day"].notna() & ((found["day"] < found["low"]) | (found["day"] > found["high"]))
    found = found[outside.to_numpy()]
    window = np.where(
        found["high"].isna(),
        "not before study day " + found["low"].astype("Int64").astype("str"),
        "study days " + found["low"].astype("Int64").astype("str") + " to " + found["high"].astype("Int64").astype("str"),
    )
    return pd.DataFrame(
        {"visit": found["visit"], "date": found["date"], "study_day": found["day"].astype("int64"), "window": window},
        index=found.index,
    )


def _bound(visit: Any, side: int) -> float:
    """The lowest (``side`` 0) or highest (1) study day of a visit; a visit after day 1 without a window: day 1 on."""
    window = getattr(visit, "window", None)
    if visit.visitdy is None:
        return np.nan
    if window is not None:
        return float(visit.visitdy + window[side])
    return 1.0 if side == 0 and visit.visitdy > 1 else np.nan
