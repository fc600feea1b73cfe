"""Date/time helpers shared by the cross-domain rules: ISO 8601 text as the interval of instants it may mean."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from cdisc.checks.iso8601 import date_pool, full_dates
from cdisc.checks.package import Dataset, Distinct, Submission
from cdisc.textparts import extract_arrays, part_numbers

_CLOCK = r"^\d{4}-\d{2}-\d{2}T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"


def column_bounds(submission: Submission, dataset: Dataset, name: str) -> tuple[pd.Series, pd.Series]:
    """:func:`bounds_of` a dataset's column, computed once per dataset; each distinct date/time of the
    datasets' --DTC variables (:func:`date_pool`) is read once."""
    return dataset.summaries.of(("bounds", name), lambda: _column_bounds(submission, dataset, name))


def _column_bounds(submission: Submission, dataset: Dataset, name: str) -> tuple[pd.Series, pd.Series]:
    pool, column = date_pool(submission), dataset.stripped(name)
    positions = pool.positions(column)
    if positions is None:
        return bounds_of(column, dataset.frame.index)
    lo, hi = submission.summaries.of("date bounds", lambda: bounds_of(Distinct(np.arange(len(pool.values)), pd.Series(pool.values)), pool.values))
    return pd.Series(lo.to_numpy()[positions], index=dataset.frame.index), pd.Series(hi.to_numpy()[positions], index=dataset.frame.index)


def bounds_of(column: Distinct, index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """The earliest and latest instant each ISO 8601 value of a column may mean (the column given as its distinct text,
    without surrounding blanks; each value read once): a date with hours and minutes is one instant, a complete date
    without a time is the whole day; partial dates give NaT.

    >>> lo, hi = bounds_of(Distinct(np.array([0, 1, 2, 0]), pd.Series(["2024-01-05T09:30", "2024-01-05", "2024-01"])), pd.RangeIndex(4))
    >>> [str(v) for v in lo], str(hi[1])
    (['2024-01-05 09:30:00', '2024-01-05 00:00:00', 'NaT', '2024-01-05 09:30:00'], '2024-01-05 23:59:59')
    """
    text = column.values
    day = full_dates(text)
    clock = {k: part_numbers(part) for k, part in extract_arrays(pa.array(text.astype("str"), type=pa.large_string()), _CLOCK).items()}
    has_time = ~np.isnan(clock["H"]) & ~np.isnan(clock["M"])
    seconds = np.nan_to_num(clock["H"]) * 3600 + np.nan_to_num(clock["M"]) * 60 + np.nan_to_num(clock["S"])
    offset = pd.to_timedelta(pd.Series(seconds, index=text.index), unit="s")
    lo = day + offset.where(has_time, pd.Timedelta(0))
    hi = lo.where(has_time, day + pd.Timedelta(days=1) - pd.Timedelta(seconds=1))
    return pd.Series(lo.array.take(column.codes), index=index), pd.Series(hi.array.take(column.codes), index=index)


def per_subject(dataset: Dataset, values: pd.Series) -> pd.Series:
    """One value per USUBJID (the first), indexed by the trimmed USUBJID; ``values`` has one entry per record."""
    return pd.Series(values.to_numpy(), index=dataset.text_column("USUBJID").to_numpy()).groupby(level=0).first()


def by_subject(dataset: Dataset, per_subject: pd.Series) -> pd.Series:
    """Each record's value of ``per_subject`` (indexed by USUBJID), looked up once per subject."""
    ids = dataset.text("USUBJID")
    return pd.Series(per_subject.reindex(ids.values.to_numpy()).array.take(ids.codes), index=dataset.frame.index)
