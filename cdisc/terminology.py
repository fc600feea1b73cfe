"""CDISC controlled terminology: NCI SDTM text files, CDISC Library ADaM CSVs, and study codelists.

A codelist is known by its CDISC submission value (``NY``, ``AESEV``) or, for a
study codelist, by its name in ``codelists.yaml``. Study codelists win over CT
codelists of the same name, so a study can restate an NCI list to add synonyms.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from cdisc.errors import DataError

_COLUMNS = {
    "Code": "code",
    "Codelist Code": "codelist_code",
    "Codelist Extensible (Yes/No)": "extensible",
    "Codelist Name": "codelist_name",
    "CDISC Submission Value": "value",
    "CDISC Synonym(s)": "synonyms",
    "NCI Preferred Term": "preferred",
}


@dataclass(frozen=True)
class CodelistTerms:
    """One codelist: its identity and its terms (value, decode, NCI code, synonyms)."""

    name: str
    label: str
    nci: str | None
    extensible: bool
    terms: pd.DataFrame  # columns: value, decode, nci, synonyms (list of str)

    def lookup(self) -> dict[str, str]:
        """Collected spelling (upper-cased, trimmed) -> submission value, including synonyms."""
        mapping: dict[str, str] = {}
        for value, synonyms in zip(self.terms["value"], self.terms["synonyms"]):
            for spelling in (*synonyms, value):
                mapping[str(spelling).strip().upper()] = str(value)
        return mapping


def load_ct_file(path: Path) -> dict[str, CodelistTerms]:
    """Read an NCI SDTM terminology text file or a CDISC Library CSV (either may be gzipped) into codelists.

    Parsed once per content: a study's copy of a CT release and the copy ``cdisc validate`` ships are one parse.
    """
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise DataError(f"{path}: cannot read controlled terminology: {exc}") from None
    return _parsed_ct(digest, _Unhashed(path))


class _Unhashed:
    """A value carried through an ``lru_cache`` without taking part in its key."""

    def __init__(self, value: Path):
        self.value = value

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Unhashed)


@lru_cache(maxsize=4)
def _parsed_ct(digest: str, carried: _Unhashed) -> dict[str, CodelistTerms]:
    path = carried.value
    try:
        if path.name.lower().endswith((".csv", ".csv.gz")):
            raw = pd.read_csv(path, dtype="str", keep_default_na=False)
        else:
            raw = pd.read_csv(path, sep="\t", dtype="str", keep_default_na=False, quoting=3)
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read controlled terminology: {exc}") from None
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"{path}: not a CDISC terminology file (missing column '{missing[0]}')")
    raw = raw.rename(columns=_COLUMNS)[list(_COLUMNS.values())]
    heads = raw[raw["codelist_code"] == ""].set_index("code")
    terms = raw[raw["codelist_code"] != ""]
    codelists: dict[str, CodelistTerms] = {}
    for code, group in terms.groupby("codelist_code", sort=False):
        if code not in heads.index:
            continue
        head = heads.loc[code]
        table = pd.DataFrame(
            {
                "value": group["value"].to_numpy(),
                "decode": group["preferred"].to_numpy(),
                "nci": group["code"].to_numpy(),
                "synonyms": [[s.strip() for s in syn.split(";") if s.strip()] for syn in group["synonyms"]],
            }
        )
        codelists[head["value"]] = CodelistTerms(head["value"], head["codelist_name"], code, head["extensible"] == "Yes", table)
    return codelists
