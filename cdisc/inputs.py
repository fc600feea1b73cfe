"""Input datasets read from files (SDTM or ADaM made elsewhere), typed, for ADaM specs to build on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cdisc.errors import DataError
from cdisc.spec.models import InputDataset
from cdisc.xpt import read_xpt

SUFFIXES = (".xpt", ".parquet", ".csv")


def input_path(folder: Path, name: str) -> Path | None:
    """The file holding dataset ``name`` in ``folder`` (XPT first, then parquet, then CSV), if any."""
    for suffix in SUFFIXES:
        path = folder / f"{name.lower()}{suffix}"
        if path.is_file():
            return path
    return None


def input_columns(path: Path) -> list[str]:
    """Column names of an input dataset file, without reading its rows where the format allows."""
    if path.suffix == ".csv":
        return list(pd.read_csv(path, nrows=0).columns)
    return list(read_input(path, InputDataset()).columns)


def read_input(path: Path, typing: InputDataset) -> pd.DataFrame:
    """An input dataset: CSV as text (blank = missing) with the declared numeric columns as numbers."""
    if path.suffix == ".xpt":
        frame, _ = read_xpt(path)
        return frame.replace({"": None}) if len(frame) else frame
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    frame = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""])
    for column in typing.numeric:
        if column not in frame.columns:
            raise DataError(f"{path}: numeric column {column} declared in study.yaml inputs is not in the file")
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() & frame[column].notna()
        if bad.any():
            raise DataError(f"{path}: {column} has values that are not numbers, e.g. {frame.loc[bad, column].iloc[0]!r} (row {bad.idxmax() + 2})")
        frame[column] = numbers.astype(float)
    return frame
