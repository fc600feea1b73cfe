"""Laboratory toxicity grades by NCI CTCAE v5.0 (ATOXGRL, ATOXGRH, ATOXGR), as admiral's ``derive_var_atoxgr_dir``.

The criteria are data: ``cdisc/adam/data/ctcae_v5_lab.csv`` holds NCI Common Terminology Criteria
for Adverse Events version 5.0 (27 November 2017) for the laboratory-based terms, in SI units, one
row per clause: term, LBTESTCD, direction (L/H), grade, an optional baseline condition and the
threshold in terms of ULN (ANRHI), LLN (ANRLO), BASE or an absolute value with its unit. Where a
grade also needs clinical facts the worst case is taken, as admiral's ``atoxgr_criteria_ctcv5``
does (the file's ``note`` column says where). :func:`read_criteria` loads it, or any table of the
same columns (e.g. a study's own version).

Grades are text, ``"0"`` to ``"4"``, missing when a record cannot be graded (no result, a needed
limit missing, a unit other than the criterion's, no criteria for its term).
"""

from __future__ import annotations

import io
import operator
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.adam.bds import signif
from cdisc.errors import DataError

__all__ = ["CTCAE_V5", "derive_var_atoxdsc", "derive_var_atoxgr", "derive_var_atoxgr_dir", "read_criteria"]

#: The packaged NCI CTCAE v5.0 laboratory criteria (SI units).
CTCAE_V5 = "ctcae_v5_lab.csv"

COLUMNS = ["term", "lbtestcd", "direction", "grade", "baseline", "op", "threshold", "and_op", "and_threshold", "unit", "note"]
OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_THRESHOLD = re.compile(r"^(?:(?P<number>\d+(?:\.\d+)?)|(?:(?P<factor>\d+(?:\.\d+)?)\*)?(?P<ref>ULN|LLN|BASE)(?:\+(?P<offset>\d+(?:\.\d+)?))?)$")


def read_criteria(source: str | Path = CTCAE_V5) -> pd.DataFrame:
    """The grading criteria table: the packaged one by name (:data:`CTCAE_V5`) or a CSV file of the same columns.

    Every clause is checked (grade, direction, operators, thresholds); a bad one is a DataError naming its row.

    Example::

        >>> criteria = read_criteria()
        >>> criteria.loc[criteria["term"].eq("Neutrophil count decreased"), ["grade", "op", "threshold"]].values.tolist()[:2]
        [['4', '<', '0.5'], ['3', '<', '1']]
    """
    if Path(source).is_file():
        text = Path(source).read_text(encoding="utf-8")
    else:
        text = (resources.files("cdisc.adam") / "data" / str(source)).read_text(encoding="utf-8")
    table = pd.read_csv(io.StringIO(text), comment="#", dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"grading criteria {source}: columns {', '.join(missing)} missing")
    bad = ~(table["grade"].isin(["1", "2", "3", "4", "NA"]) & table["direction"].isin(["L", "H"])
            & table["baseline"].isin(["", "normal", "abnormal"]) & table["op"].isin([*OPERATORS, "missing"])
            & table["and_op"].isin(["", *OPERATORS]) & table["threshold"].str.match(_THRESHOLD.pattern)
            & (table["and_threshold"].eq("") | table["and_threshold"].str.match(_THRESHOLD.pattern)))
    if bad.any():
        raise DataError(f"grading criteria {source}: clauses not understood: {table.loc[bad, 'term'].iloc[0]} "
                        f"(table rows {', '.join(str(i + 1) for i in np.flatnonzero(bad.to_numpy()))})")
    return table


def derive_var_atoxdsc(testcd: pd.Series, criteria_direction: str, meta_criteria: pd.DataFrame | None = None) -> pd.Series:
    """ATOXDSCL (``criteria_direction="L"``) or ATOXDSCH (``"H"``): the CTCAE term grading each record's
    lab test (LBTESTCD) in that direction; missing for a test without one.

    Example::

        >>> derive_var_atoxdsc(pd.Series(["HGB", "NEUT", "TSH"]), "L").tolist()
        ['Anemia', 'Neutrophil count decreased', nan]
    """
    criteria = read_criteria() if meta_criteria is None else meta_criteria
    terms = criteria.loc[criteria["direction"].eq(criteria_direction) & criteria["lbtestcd"].ne(""), ["lbtestcd", "term"]]
    lookup = terms.drop_duplicates("lbtestcd").set_index("lbtestcd")["term"]
    codes, tests = pd.factorize(testcd)  # each distinct test looked up once
    return _texts(pd.Series(tests).map(lookup).to_numpy(), codes, testcd.index)


def _threshold(text: str, refs: dict[str, np.ndarray], n: int) -> np.ndarray:
    """The values of a threshold such as ``0.5``, ``ULN``, ``2.5*ULN`` or ``ULN+20`` for each record."""
    match = _THRESHOLD.match(text)
    assert match is not None, f"threshold {text!r}: the table's thresholds are checked against _THRESHOLD when it is read"
    if match["number"] is not None:
        return np.full(n, float(match["number"]))
    return float(match["factor"] or 1) * refs[match["ref"]] + float(match["offset"] or 0)


def derive_var_atoxgr_dir(
    dataset: pd.DataFrame,
    meta_criteria: pd.DataFrame,
    tox_description_var: str,
    criteria_direction: str,
    get_unit_expr: pd.Series | None = None,
    high_indicator: tuple[str, ...] = ("HIGH",),
    low_indicator: tuple[str, ...] = ("LOW",),
    signif_dig: int = 15,
) -> pd.Series:
    """ATOXGRL (``criteria_direction="L"``) or ATOXGRH (``"H"``): each record's grade by the criteria of the
    term in ``tox_description_var`` (ATOXDSCL/ATOXDSCH) for that direction, from AVAL, ANRLO, ANRHI,
    BASE and BNRIND (the columns its criteria use). ``get_unit_expr`` holds each record's unit (e.g.
    the unit in PARAM); criteria with a unit grade only records in that unit (case-insensitive);
    ``None`` checks no unit (every result is in the criteria's SI units). A
    baseline is "abnormal" when BNRIND is one of ``high_indicator`` (H criteria) or ``low_indicator``
    (L criteria). Values and thresholds are compared after rounding to ``signif_dig`` significant digits.

    Each term's clauses are evaluated with numpy over all its records at once, in table order, the
    first that holds giving the grade (grade 0 when none does).

    Example: neutrophils against LLN 1.8 and the absolute thresholds::

        >>> lb = pd.DataFrame({"ATOXDSCL": ["Neutrophil count decreased"] * 5, "AVAL": [2.0, 1.8, 1.7, 0.99, np.nan],
        ...                    "ANRLO": [1.8] * 5})
        >>> derive_var_atoxgr_dir(lb, read_criteria(), "ATOXDSCL", "L").tolist()
        ['0', '0', '1', '3', nan]
    """
    if criteria_direction not in ("L", "H"):
        raise ValueError(f"criteria_direction must be 'L' or 'H', not {criteria_direction!r}")
    criteria = meta_criteria.loc[meta_criteria["direction"].eq(criteria_direction)]
    grades = np.full(len(dataset), -1, dtype=np.int8)  # each record's grade, -1 for none
    terms = {term: clauses for term, clauses in criteria.groupby(criteria["term"].str.upper(), sort=True)}
    term_of = _upper_codes(dataset[tox_description_var], list(terms))  # each record's term: its place in terms, -1 for none
    unit_names = sorted({clauses["unit"].iloc[0].upper() for clauses in terms.values()})
    units = None if get_unit_expr is None else _upper_codes(get_unit_expr, unit_names)
    abnormal = high_indicator if criteria_direction == "H" else low_indicator
    columns = {name: dataset[name].to_numpy(dtype=float) for name in ["AVAL", "ANRLO", "ANRHI", "BASE"] if name in dataset.columns}
    if "BNRIND" in dataset.columns and criteria["baseline"].ne("").any():  # BNRIND as whether the baseline is abnormal
        columns["BNRIND"] = dataset["BNRIND"].isin(list(abnormal)).to_numpy(dtype=bool)
    by_term = np.argsort(term_of, kind="stable")  # each term's records together, in record order
    bounds = np.searchsorted(term_of[by_term], np.arange(len(terms) + 1))
    for at, clauses in enumerate(terms.values()):
        rows = by_term[bounds[at]:bounds[at + 1]]
        if not len(rows):
            continue
        unit = clauses["unit"].iloc[0].upper()
        if unit and units is not None:
            rows = rows[units[rows] == unit_names.index(unit)]
        grades[rows] = _grade({name: values[rows] for name, values in columns.items()}, len(rows), clauses, signif_dig)
    return _texts(np.array(["0", "1", "2", "3", "4"], dtype=object), grades, dataset.index)


def _upper_codes(values: pd.Series, names: list[str]) -> np.ndarray:
    """For each value, the place in ``names`` of the value in upper case (as text), -1 for none or missing; each
    distinct value is put in upper case once."""
    codes, uniques = pd.factorize(values.astype("str"))
    upper = pd.Series(uniques, dtype="str").str.upper()
    place = {name: i for i, name in enumerate(names)}
    found = np.array([place.get(u, -1) for u in upper.to_numpy(dtype=object, na_value=None)] + [-1], dtype=np.int64)
    return found[codes]  # a missing value's code -1 takes the last, -1


def _column(columns: dict[str, np.ndarray], name: str, term: str) -> np.ndarray:
    if name not in columns:
        raise DataError(f"grading {term} needs variable {name}, which the dataset does not have")
    return columns[name]


def _grade(columns: dict[str, np.ndarray], n: int, clauses: pd.DataFrame, signif_dig: int) -> np.ndarray:
    """The grades (-1 for none) of one term's ``n`` records (their ``columns``, BNRIND as whether the baseline is abnormal):
    clauses tried in order, the first that holds wins."""
    term = clauses["term"].iloc[0]
    used = " ".join(clauses["threshold"]) + " " + " ".join(clauses["and_threshold"])
    refs = {ref: _column(columns, ref_var.upper(), term) for ref, ref_var in (("ULN", "ANRHI"), ("LLN", "ANRLO"), ("BASE", "BASE"))
            if ref in used}
    value = signif(_column(columns, "AVAL", term), signif_dig)
    baseline_abnormal = _column(columns, "BNRIND", term) if clauses["baseline"].ne("").any() else np.zeros(n, dtype=bool)
    grade = np.full(n, -1, dtype=np.int8)
    decided = np.isnan(value)
    for clause in clauses.itertuples(index=False):
        if clause.op == "missing":
            holds = np.isnan(refs[clause.threshold])
        else:
            holds = OPERATORS[clause.op](value, signif(_threshold(clause.threshold, refs, n), signif_dig))
        if clause.and_op:
            holds &= OPERATORS[clause.and_op](value, signif(_threshold(clause.and_threshold, refs, n), signif_dig))
        if clause.baseline:
            holds &= baseline_abnormal if clause.baseline == "abnormal" else ~baseline_abnormal
        new = holds & ~decided
        grade[new] = -1 if clause.grade == "NA" else int(clause.grade)
        decided |= holds
    grade[~decided] = 0
    return grade


def derive_var_atoxgr(atoxgrl: pd.Series, atoxgrh: pd.Series, atoxdscl: pd.Series, atoxdsch: pd.Series) -> pd.Series:
    """ATOXGR from the low and high grades, as admiral ``derive_var_atoxgr``: a low grade of 1 or more as
    its negative (``"-2"``), else a high grade of 1 or more, else ``"0"`` when the record is graded 0 in
    every direction that has a term; missing otherwise (e.g. both grades missing).

    Example::

        >>> low = pd.Series(["2", "0", "0", None, "0", None])
        >>> high = pd.Series(["0", "3", "0", "0", None, None])
        >>> terms = pd.Series(["t"] * 6)
        >>> derive_var_atoxgr(low, high, terms, pd.Series(["t", "t", "t", "t", None, "t"])).tolist()
        ['-2', '3', '0', nan, '0', nan]
    """
    low_codes, lows = pd.factorize(atoxgrl.astype("str"))  # each distinct grade read as a number once
    high_codes, highs = pd.factorize(atoxgrh.astype("str"))
    low, high = _numbers(lows, low_codes), _numbers(highs, high_codes)
    no_low_term, no_high_term = atoxdscl.isna().to_numpy(), atoxdsch.isna().to_numpy()
    conditions = [np.isnan(low) & np.isnan(high), low >= 1, high >= 1,
                  ((low == 0) | no_low_term) & (high == 0), ((high == 0) | no_high_term) & (low == 0)]
    texts = np.array([*("-" + pd.Series(lows, dtype="str")).to_numpy(dtype=object), *highs.to_numpy(dtype=object), "0"], dtype=object)
    zero = len(texts) - 1  # the place of each record's text in texts, -1 for missing
    zeros = np.full(len(low_codes), zero)
    choices = [np.full(len(low_codes), -1), low_codes, np.where(high_codes < 0, -1, len(lows) + high_codes), zeros, zeros]
    return _texts(texts, np.select(conditions, choices, default=-1), atoxgrl.index)


def _numbers(distinct: pd.Index, codes: np.ndarray) -> np.ndarray:
    """The values at ``codes`` (-1: missing) of ``distinct`` texts as numbers."""
    return np.append(pd.to_numeric(pd.Series(distinct, dtype="str")).to_numpy(dtype=float), np.nan)[codes]


def _texts(texts: np.ndarray, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Text (``str``) of each record: ``texts`` at the record's code, missing at -1 (or where the text is missing)."""
    return pd.Series(pd.array(texts, dtype="str").take(codes, allow_fill=True), index=index)
