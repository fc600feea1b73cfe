"""The grading criteria a toxicity rule names: a table shipped with the package or a CSV file of the study's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cdisc.adam.ctcae import read_criteria
from cdisc.errors import DataError

#: Criteria tables shipped with the package: the name a spec gives (``meta_criteria``) -> file, source and version.
PACKAGED = {
    "ctcae_v5": ("ctcae_v5_lab.csv", "NCI CTCAE v5.0 (27 November 2017)"),
    "ctcae_v4": ("ctcae_v4_lab.csv", "NCI CTCAE v4.03 (14 June 2010)"),
}


def criteria_table(name: str, records) -> pd.DataFrame:
    """The criteria named ``name``: a packaged table (``ctcae_v5``, ``ctcae_v4``) or a CSV file of the same
    columns, relative to the study folder; a file that is not there is a data error naming it."""
    if name in PACKAGED:
        return read_criteria(PACKAGED[name][0])
    path = records.study.resolve(Path(name))
    if not path.is_file():
        raise records.fail(f"grading criteria {name!r}: no such file in the study folder (packaged: {', '.join(PACKAGED)})")
    try:
        return read_criteria(path)
    except DataError as exc:
        raise records.fail(str(exc)) from None


def describe(name: str) -> str:
    """The criteria in words for define.xml: the packaged table's source and version, or the file."""
    return PACKAGED[name][1] if name in PACKAGED else f"the grading criteria in {name}"
