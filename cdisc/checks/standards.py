"""SDTMIG 3.4 / ADaMIG 1.3 variable metadata and CDISC CT codelists, read from a standards folder.

A standards folder holds ``sdtmig-3.4/Variables.csv``, ``adamig-1.3/Variables.csv`` and ``ct/``
(the NCI SDTM terminology text file and the newest ``ADaM_CT_*.csv``), each plain or gzipped.
It is ``--standards``, else the ``CDISC_STANDARDS`` environment variable, else the copy shipped
with the package (``cdisc/checks/data``, see its ``NOTICE.md``), so every rule always runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from cdisc.errors import UsageError
from cdisc.terminology import CodelistTerms, load_ct_file

ENV = "CDISC_STANDARDS"
SHIPPED = Path(__file__).parent / "data"
_ADAM_STRUCTURES = {"Subject-Level Analysis Dataset": "ADSL", "Basic Data Structure": "BDS"}


class ClosedCodelists(Mapping[str, frozenset[str]]):
    """The submission values of each non-extensible codelist by NCI code, taken from the codelist when first asked for
    (a CT release holds hundreds of closed codelists; a submission uses a few dozen)."""

    def __init__(self, codelists: dict[str, CodelistTerms]) -> None:
        self._codelists = codelists
        self._values: dict[str, frozenset[str]] = {}

    def __getitem__(self, nci: str) -> frozenset[str]:
        if nci not in self._values:
            self._values[nci] = frozenset(self._codelists[nci].terms["value"])
        return self._values[nci]

    def __contains__(self, nci: object) -> bool:
        return nci in self._codelists  # (Mapping's would build the codelist's values to answer)

    def __iter__(self) -> Iterator[str]:
        return iter(self._codelists)

    def __len__(self) -> int:
        return len(self._codelists)


@dataclass(frozen=True)
class Standards:
    """IG variable tables, non-extensible codelists (NCI code -> allowed submission values) and every codelist by NCI code."""

    folder: Path
    sdtm: pd.DataFrame  # dataset, variable, label, order, core, codelists (list of NCI codes)
    adam: pd.DataFrame  # structure (ADSL|BDS), variable, pattern (regex), label, core, codelists
    closed_codelists: Mapping[str, frozenset[str]]
    codelist_names: dict[str, str]
    codelists: dict[str, CodelistTerms]


def locate_standards(option: Path | None) -> Path:
    """The standards folder from the option, else ``$CDISC_STANDARDS``, else the shipped copy."""
    chosen = option or (Path(os.environ[ENV]) if os.environ.get(ENV) else SHIPPED)
    if _table(chosen / "sdtmig-3.4" / "Variables.csv") is None:
        named = f"--standards {chosen}" if option else f"{ENV}={chosen}" if os.environ.get(ENV) else f"{chosen} (the copy shipped with cdisc)"
        fix = "give a folder laid out as the shipped copy" + ("" if option else f", or unset {ENV} to use the shipped copy")
        raise UsageError(f"{named}: not a standards folder (no sdtmig-3.4/Variables.csv); {fix}")
    return chosen


def _table(path: Path) -> Path | None:
    """``path`` or its gzipped twin (``.gz``), whichever exists."""
    return next((p for p in (path, path.with_name(path.name + ".gz")) if p.is_file()), None)


@lru_cache(maxsize=2)
def load_standards(folder: Path) -> Standards:
    """Read IG metadata and CT from ``folder`` (cached per folder)."""
    sdtm = pd.read_csv(_table(folder / "sdtmig-3.4" / "Variables.csv"), dtype="str", keep_default_na=False)
    sdtm = pd.DataFrame(
        {
            "dataset": sdtm["Dataset Name"],
            "variable": sdtm["Variable Name"],
            "label": sdtm["Variable Label"],
            "order": sdtm["Variable Order"].astype(int),
            "core": sdtm["Core"],
            "codelists": sdtm["CDISC CT Codelist Code(s)"].map(_codes),
        }
    )
    adam = pd.read_csv(_table(folder / "adamig-1.3" / "Variables.csv"), dtype="str", keep_default_na=False)
    adam = pd.DataFrame(
        {
            "structure": adam["Data Structure Name"].map(_ADAM_STRUCTURES),
            "variable": adam["Variable Name"],
            "pattern": adam["Variable Name"].map(_name_pattern),
            "label": adam["Variable Label"],
            "core": adam["Core"],
            "codelists": adam["CDISC CT Codelist Code(s)"].map(_codes),
        }
    )
    closed: dict[str, CodelistTerms] = {}
    names: dict[str, str] = {}
    codelists: dict[str, CodelistTerms] = {}
    for path in _ct_files(folder / "ct"):
        for codelist in load_ct_file(path).values():
            if codelist.nci is None:  # (CDISC CT gives every codelist its NCI code)
                continue
            names[codelist.nci] = codelist.name
            codelists[codelist.nci] = codelist
            if not codelist.extensible:
                closed[codelist.nci] = codelist
    return Standards(folder, sdtm, adam.dropna(subset=["structure"]), ClosedCodelists(closed), names, codelists)


def _ct_files(folder: Path) -> list[Path]:
    """The SDTM terminology file (``SDTM Terminology.txt`` or the newest ``SDTM_Terminology_*.txt[.gz]``) and the newest ADaM CT."""
    table = _table(folder / "SDTM Terminology.txt")
    sdtm = [table] if table else sorted(folder.glob("SDTM_Terminology_*.txt*"))[-1:]
    return sdtm + sorted(folder.glob("ADaM_CT_*.csv*"))[-1:]


def _codes(text: str) -> list[str]:
    return re.findall(r"C\d+", text)


def _name_pattern(name: str) -> str:
    """ADaMIG placeholders as a regex: ``TRTxxP`` -> ``TRT\\d\\dP``, ``y``/``w`` one digit, ``zz`` two."""
    return "^" + re.sub(r"xx|zz|y|w", lambda m: r"\d" * len(m.group()), name) + "$"
