"""Raw forms as an EDC exports them: identifiers first, visit (folder) names, sorted rows, one CSV each.

EDC forms carry STUDYID, SITEID, SUBJID, FOLDER (visit code) and FOLDERNAME (its label); lab
transfers (LB, PKCONC, ADA) carry STUDYID, SITEID, SUBJID and VISIT (the visit code). Columns whose
names start with ``_`` are working columns (subject index, true day number, sort keys) and are not written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

LAB_TRANSFERS = ("lb", "pkconc", "ada")
_VISIT = re.compile(r"^(?:SCRN|EOT|EOS|LOG|C(?P<c>[1-9]\d*)D(?P<d>[1-9]\d*)|TA(?P<ta>[1-9]\d*)|SFU(?P<sfu>[1-9]\d*))$")
_NAMES = {"SCRN": "Screening", "EOT": "End of Treatment", "EOS": "End of Study", "LOG": "Log Forms"}


def folder_name(folder: pd.Series) -> pd.Series:
    """The label of each visit code (``C3D8`` -> ``Cycle 3 Day 8``, ``TA2`` -> ``Tumour Assessment 2``)."""
    named = folder.map(_NAMES)
    cycle = folder.str.extract(r"^C(\d+)D(\d+)$")
    text = ("Cycle " + cycle[0] + " Day " + cycle[1]).fillna(
        "Tumour Assessment " + folder.str.extract(r"^TA(\d+)$")[0]).fillna(
        "Survival Follow-up " + folder.str.extract(r"^SFU(\d+)$")[0])
    return named.fillna(text)


def is_visit(folder: str) -> bool:
    """Whether a folder code names a visit of the schedule."""
    return bool(_VISIT.match(folder))


def finish(name: str, frame: pd.DataFrame, study_id: str, subj: pd.DataFrame) -> pd.DataFrame:
    """Identifiers in front, folder labels beside visit codes."""
    s = frame["_SUBJ"].to_numpy()
    ids = {"STUDYID": study_id, "SITEID": subj["SITEID"].to_numpy()[s], "SUBJID": subj["SUBJID"].to_numpy()[s]}
    body = frame.drop(columns=[c for c in ("FOLDER", "VISIT") if c in frame])
    if name in LAB_TRANSFERS:
        head = pd.DataFrame({**ids, "VISIT": frame["VISIT"].to_numpy()}, index=frame.index)
    else:
        head = pd.DataFrame({**ids, "FOLDER": frame["FOLDER"].to_numpy(),
                             "FOLDERNAME": folder_name(frame["FOLDER"]).to_numpy()}, index=frame.index)
    return pd.concat([head, body], axis=1)


def finish_sort(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows sorted by subject, date and ``keys`` (stable, so duplicated records sit together)."""
    return frame.sort_values(["SUBJID", "_DAY", *keys], kind="mergesort").reset_index(drop=True)


def write(frame: pd.DataFrame, path: Path) -> int:
    """Write the visible columns as text CSV with ``\\n`` line ends; return the number of rows."""
    visible = frame[[c for c in frame.columns if not c.startswith("_")]].astype(object).fillna("")
    visible.to_csv(path, index=False, lineterminator="\n", encoding="ascii")
    return len(visible)

