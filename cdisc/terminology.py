"""CDISC controlled terminology: NCI SDTM text files, CDISC Library ADaM CSVs, and study codelists.

A codelist is known by its CDISC submission value (``NY``, ``AESEV``) or, for a
study codelist, by its name in ``codelists.yaml``. Study codelists win over CT
codelists of the same name, so a study can restate an NCI list to add synonyms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cached_property, lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

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


class CodelistTerms:
    """One codelist: its identity and its terms (value, decode, NCI code, synonyms).

    ``terms`` may be given as a function that builds the table when it is first used: a CT release holds over a
    thousand codelists, of which a study uses a few dozen.
    """

    def __init__(self, name: str, label: str, nci: str | None, extensible: bool,
                 terms: pd.DataFrame | Callable[[], pd.DataFrame]) -> None:
        self.name = name
        self.label = label
        self.nci = nci
        self.extensible = extensible
        self._terms = terms

    @cached_property
    def terms(self) -> pd.DataFrame:
        """Columns value, decode, nci, synonyms (list of str), one row per term."""
        return self._terms if isinstance(self._terms, pd.DataFrame) else self._terms()

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
    raw = _read_ct(path)
    is_head = pc.equal(raw["codelist_code"], "")
    heads = raw.filter(is_head)
    rows = raw.filter(pc.and_(pc.invert(is_head), pc.is_in(raw["codelist_code"], value_set=heads["code"])))
    encoded = pc.dictionary_encode(rows["codelist_code"].combine_chunks())  # codelists in the order the file first names them
    codes, order = encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary
    by_codelist = pc.sort_indices(encoded.indices)  # (a stable sort: terms in file order within their codelist)
    release = _frame(rows.select(["value", "preferred", "code", "synonyms"]).take(by_codelist))
    ends = np.cumsum(np.bincount(codes, minlength=len(order)))
    head = heads.take(pc.index_in(order, value_set=heads["code"])).to_pydict()
    return {
        value: CodelistTerms(value, label, code, extensible == "Yes", partial(_terms, release, end - size, end))
        for code, value, label, extensible, end, size in zip(
            order.to_pylist(), head["value"], head["codelist_name"], head["extensible"], ends.tolist(), np.diff(ends, prepend=0).tolist())
    }


def _read_ct(path: Path) -> pa.Table:
    """The used columns of a CT file as text, named as in :data:`_COLUMNS` (blank cells ""), by Arrow's CSV reader: the
    NCI text file is tab-separated and unquoted, the CDISC Library file a quoted CSV (either gzipped)."""
    tsv = not path.name.lower().endswith((".csv", ".csv.gz"))
    parse = pacsv.ParseOptions(delimiter="\t", quote_char=False) if tsv else pacsv.ParseOptions(newlines_in_values=True)
    convert = pacsv.ConvertOptions(include_columns=list(_COLUMNS), include_missing_columns=True,
                                   column_types=dict.fromkeys(_COLUMNS, pa.string()), strings_can_be_null=False)
    try:
        table = pacsv.read_csv(path, parse_options=parse, convert_options=convert)
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataError(f"{path}: cannot read controlled terminology: {exc}") from None
    header = table.column_names if table.num_rows else pacsv.open_csv(path, parse_options=parse).schema.names
    missing = [c for c in _COLUMNS if c not in header or (table.num_rows and table.column(c).null_count == table.num_rows)]
    if missing:
        raise DataError(f"{path}: not a CDISC terminology file (missing column '{missing[0]}')")
    return table.select(list(_COLUMNS)).rename_columns(list(_COLUMNS.values()))


def _frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of text columns as a frame of text columns (pandas' ``str``)."""
    return pd.DataFrame({name: pd.Series(table.column(name), dtype="str") for name in table.column_names})


def _terms(release: pd.DataFrame, start: int, stop: int) -> pd.DataFrame:
    """The terms table of the codelist at rows ``start:stop`` of a release's terms (grouped by codelist)."""
    rows = release.iloc[start:stop]
    synonyms = [[s.strip() for s in syn.split(";") if s.strip()] for syn in rows["synonyms"].tolist()]
    return pd.DataFrame(
        {
            "value": rows["value"].array,  # (the text columns as they are: no object arrays to read back as text)
            "decode": rows["preferred"].array,
            "nci": rows["code"].array,
            "synonyms": synonyms,
        }
    )
