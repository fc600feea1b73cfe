"""Basic Data Structure (BDS) ADaM: record steps and variable derivations, after admiral's.

Two kinds of function live here, each named and parameterised after its admiral namesake:

* **record steps** take the dataset and return it with records added (``derive_param_computed``,
  ``derive_summary_records``, ``derive_extreme_records``) or duplicated (``derive_basetype_records``);
  the input's records come first, unchanged, in their order.
* **variable derivations** take Series and return a Series aligned to them (``derive_var_anrind``,
  ``derive_var_ontrtfl``, ``derive_var_pchg``, ``derive_var_shift``, ``derive_var_analysis_ratio``),
  as those of :mod:`cdisc.adam.derivations`.

Conditions arrive already evaluated: a ``filter`` is a boolean Series aligned to the rows it filters.
``set_values_to`` maps a variable to a constant or to a callable that receives the new records (with
the variables set before it) and returns their values. Dates are SAS numbers (days; missing is NaN).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cdisc.adam.derivations import _flag, rows_of, tied_extremes
from cdisc.arrowtext import TEXT, coded_text, plain_columns, text_ranks
from cdisc.errors import DataError

__all__ = [
    "Summary",
    "compute_bmi",
    "compute_bsa",
    "compute_map",
    "derive_basetype_records",
    "derive_extreme_records",
    "derive_param_computed",
    "derive_summary_records",
    "derive_var_analysis_ratio",
    "derive_var_anrind",
    "derive_var_ontrtfl",
    "derive_var_pchg",
    "derive_var_shift",
    "signif",
]

#: A value of ``set_values_to``: a constant, or a function of the new records returning their values.
Value = Any | Callable[[pd.DataFrame], Any]


# ---- helpers shared by the record steps ------------------------------------------------------------

def signif(values: pd.Series | np.ndarray, digits: int = 15) -> np.ndarray:
    """``values`` rounded to ``digits`` significant digits, as R's ``signif`` (admiral compares after it,
    so that ``3 * 0.1`` equals ``0.3``).

    Example::

        >>> signif(np.array([3 * 0.1, 123.456, np.nan]), 4).tolist()
        [0.3, 123.5, nan]
    """
    x = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.where(np.isfinite(x) & (x != 0), np.floor(np.log10(np.abs(x))), 0)
    shift = digits - 1 - exponent
    up, down = 10.0 ** np.clip(shift, 0, None), 10.0 ** np.clip(-shift, 0, None)
    return np.where(shift >= 0, np.round(x * up) / up, np.round(x / down) * down)


def _mask(where: pd.Series | None, frame: pd.DataFrame) -> np.ndarray:
    """A filter as a numpy boolean array over ``frame``'s rows (all rows when there is none; missing is false)."""
    if where is None:
        return np.ones(len(frame), dtype=bool)
    if len(where) != len(frame):
        raise ValueError(f"a filter of {len(where)} values for {len(frame)} records")
    return where.fillna(False).to_numpy(dtype=bool)


def _set_values(frame: pd.DataFrame, set_values_to: Mapping[str, Value]) -> pd.DataFrame:
    """``frame`` with each variable of ``set_values_to`` set, in order (a callable sees the ones before it)."""
    out = frame.copy(deep=False)  # copy on write: setting a variable leaves ``frame`` as it is
    for name, value in set_values_to.items():
        result = value(out) if callable(value) else value
        out[name] = result.to_numpy() if isinstance(result, pd.Series) else result
    return out


def _append(dataset: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``dataset`` with ``new`` records after it (a new record lacks the variables it does not set). A variable the step
    sets is there even when it adds no record, missing on every record, as dplyr's ``bind_rows`` adds it, so that a later
    step reads it (a lab page with no on-treatment records still gets DTYPE).

    >>> _append(pd.DataFrame({"AVAL": [1.0]}), pd.DataFrame({"AVAL": [], "DTYPE": pd.Series([], dtype="str")})).to_dict("list")
    {'AVAL': [1.0], 'DTYPE': [nan]}
    """
    if new.empty:
        added = {name: new[name].dtype for name in new.columns if name not in dataset.columns}
        return dataset.assign(**{
            name: pd.Series(np.nan, index=dataset.index, dtype=np.float64 if dtype.kind in "iub" else dtype) for name, dtype in added.items()
        }) if added else dataset
    return pd.concat([dataset, new], ignore_index=True)


def _describe(frame: pd.DataFrame, by_vars: Sequence[str]) -> str:
    first = frame[list(by_vars)].iloc[0]
    return ", ".join(f"{k} = {'missing' if pd.isna(v) else v}" for k, v in first.items())


# ---- record steps --------------------------------------------------------------------------------

def _wide(source: pd.DataFrame, by_vars: Sequence[str], parameters: Sequence[str], variables: Sequence[str]) -> pd.DataFrame:
    """One row per ``by_vars`` group of ``source``, one column ``VAR.PARAMCD`` per variable and parameter."""
    by_vars = list(by_vars)
    rows = source.loc[source["PARAMCD"].isin(list(parameters)).to_numpy(dtype=bool)]
    duplicated = rows.duplicated([*by_vars, "PARAMCD"], keep=False)
    if duplicated.any():
        raise DataError(f"more than one record per {', '.join([*by_vars, 'PARAMCD'])} for a computed parameter "
                        f"({int(duplicated.sum())} records), e.g. {_describe(rows[duplicated.to_numpy()], [*by_vars, 'PARAMCD'])}")
    key = rows.groupby(by_vars, dropna=False, sort=True).ngroup().to_numpy()
    keyed = rows.assign(__key=key)
    groups = keyed.drop_duplicates("__key").set_index("__key")[by_vars].sort_index()
    table = keyed.pivot(index="__key", columns="PARAMCD", values=list(variables))
    table.columns = [f"{var}.{param}" for var, param in table.columns]
    names = [f"{var}.{param}" for var in variables for param in parameters]
    table = table.reindex(columns=names)
    return groups.join(table).reset_index(drop=True)


def derive_param_computed(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    parameters: Sequence[str],
    set_values_to: Mapping[str, Value],
    analysis_value: Callable[[pd.DataFrame], pd.Series] | None = None,
    constant_by_vars: Sequence[str] | None = None,
    constant_parameters: Sequence[str] | None = None,
    keep_nas: bool | Sequence[str] = False,
    filter: pd.Series | None = None,
    analysis_vars: Sequence[str] = ("AVAL",),
) -> pd.DataFrame:
    """``dataset`` with a new parameter's records, one per ``by_vars`` group holding every one of ``parameters``.

    The by-groups are laid out wide: one column ``<VAR>.<PARAMCD>`` per variable of ``analysis_vars``
    (AVAL by default) and parameter, e.g. ``AVAL.SYSBP``; ``analysis_value`` receives that frame and
    returns AVAL, and callables in ``set_values_to`` receive it too. ``constant_parameters`` are taken
    per ``constant_by_vars`` group (e.g. HEIGHT once per subject) and joined on. A group missing a
    value gets no record, unless ``keep_nas`` is true (or names the variables whose values may be
    missing). ``filter`` selects the source records (e.g. not NOT DONE). As admiral: the new PARAMCD
    must not exist yet; a parameter absent from the data adds no records.

    Example: mean arterial pressure per visit::

        >>> vs = pd.DataFrame({"USUBJID": ["1", "1", "1", "2"], "AVISIT": ["W1"] * 4,
        ...                    "PARAMCD": ["SYSBP", "DIABP", "PULSE", "SYSBP"], "AVAL": [120.0, 90.0, 70.0, 130.0]})
        >>> out = derive_param_computed(vs, ["USUBJID", "AVISIT"], ["SYSBP", "DIABP"], {"PARAMCD": "MAP"},
        ...                             lambda w: compute_map(w["AVAL.DIABP"], w["AVAL.SYSBP"]))
        >>> out.iloc[4:][["USUBJID", "PARAMCD", "AVAL"]].values.tolist()
        [['1', 'MAP', 100.0]]
    """
    new_code = set_values_to.get("PARAMCD")
    if isinstance(new_code, str) and dataset["PARAMCD"].eq(new_code).any():
        raise DataError(f"PARAMCD {new_code} already exists in the dataset; a computed parameter must be new")
    source = dataset.loc[_mask(filter, dataset)]
    present = set(source["PARAMCD"].dropna().unique())
    if not set(parameters) <= present or not set(constant_parameters or ()) <= present:
        return dataset
    wide = _wide(source, by_vars, parameters, analysis_vars)
    if constant_parameters:
        constants = _wide(source, constant_by_vars or (), constant_parameters, analysis_vars)
        wide = wide.merge(constants, on=list(constant_by_vars or ()), how="inner")
    used = [c for c in wide.columns if "." in c]
    if keep_nas is not True:
        allowed = set(keep_nas) if keep_nas else set()
        required = [c for c in used if c.split(".", 1)[0] not in allowed]
        wide = wide.loc[wide[required].notna().all(axis=1).to_numpy()].reset_index(drop=True)
    if wide.empty:
        return dataset
    if analysis_value is not None:
        wide = wide.assign(AVAL=np.asarray(analysis_value(wide), dtype=float))
    new = _set_values(wide, set_values_to).drop(columns=used)
    return _append(dataset, new)


@dataclass(frozen=True)
class Summary:
    """A summary value of ``derive_summary_records``: ``function`` of ``var`` over a group's records.

    ``function`` is one of mean, median, min, max, sum, std, var (missing values ignored), count
    (non-missing values), size (records), first, last (first/last non-missing value in record order).
    """

    var: str
    function: str

    FUNCTIONS = ("mean", "median", "min", "max", "sum", "std", "var", "count", "size", "first", "last")

    def __post_init__(self) -> None:
        if self.function not in self.FUNCTIONS:
            raise ValueError(f"unknown summary function {self.function!r}; one of {', '.join(self.FUNCTIONS)}")


def derive_summary_records(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    set_values_to: Mapping[str, Summary | Value],
    filter: pd.Series | None = None,
    dataset_add: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``dataset`` with one new record per ``by_vars`` group of ``dataset_add`` (``dataset`` by default)
    among the records meeting ``filter`` (admiral's ``filter_add``): the group's by variables, each
    :class:`Summary` of ``set_values_to`` computed over the group, then its constants and callables
    (which receive the new records). A group with no record meeting the filter gets no record.

    Example: DTYPE = AVERAGE over the time points of a visit::

        >>> vs = pd.DataFrame({"USUBJID": ["1"] * 3 + ["2"], "AVISIT": ["W1"] * 4, "ATPT": ["A", "B", "C", "A"],
        ...                    "AVAL": [120.0, 124.0, np.nan, 130.0]})
        >>> out = derive_summary_records(vs, ["USUBJID", "AVISIT"], {"AVAL": Summary("AVAL", "mean"), "DTYPE": "AVERAGE"})
        >>> out.iloc[4:][["USUBJID", "AVAL", "DTYPE"]].values.tolist()
        [['1', 122.0, 'AVERAGE'], ['2', 130.0, 'AVERAGE']]
    """
    source = dataset if dataset_add is None else dataset_add
    summaries = {name: (s.var, s.function) for name, s in set_values_to.items() if isinstance(s, Summary)}
    read = list(dict.fromkeys([*by_vars, *(var for var, _ in summaries.values())]))
    if all(name in source.columns for name in read):  # only the columns summarised are copied (else pandas names what is missing)
        source = plain_columns(source[read])  # (text held once per distinct value as text: summarised as text)
    rows = source if filter is None else source.loc[_mask(filter, source)]
    if rows.empty:
        return dataset
    extremes = {var for var, _ in summaries.values()} - {var for var, function in summaries.values() if function not in ("min", "max")}
    # text's minimum and maximum as those of its ranks (pandas' own make a Python object per value); missing: skipped
    ranked = {var: text_ranks(rows[var]) for var in sorted(extremes) if rows[var].dtype == TEXT}
    ranks = {var: np.where(rank < 0, np.nan, rank) for var, (rank, _) in ranked.items()}
    grouped = rows.assign(**ranks).groupby(list(by_vars), dropna=False, sort=True)
    new = grouped.agg(**summaries).reset_index() if summaries else grouped.size().reset_index()[list(by_vars)]
    for name, (var, _) in summaries.items():
        if var in ranked:
            extreme = new[name].to_numpy()
            new[name] = coded_text(np.where(np.isnan(extreme), -1, extreme).astype(np.int64), ranked[var][1].to_pylist())
    others = {name: value for name, value in set_values_to.items() if not isinstance(value, Summary)}
    new = _set_values(new, others)
    return _append(dataset, new[[*by_vars, *set_values_to]])


def derive_extreme_records(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    order: Sequence[str] | None,
    mode: str,
    set_values_to: Mapping[str, Value],
    filter: pd.Series | None = None,
    dataset_add: pd.DataFrame | None = None,
    dataset_ref: pd.DataFrame | None = None,
    exist_flag: str | None = None,
    true_value: Any = "Y",
    false_value: Any = None,
    descending: Sequence[str] = (),
    keep_source_vars: Sequence[str] | None = None,
    missing_values: Mapping[str, Value] | None = None,
    check_type: str = "warning",
) -> pd.DataFrame:
    """``dataset`` with the first or last (``mode``) record of each ``by_vars`` group of ``dataset_add``
    (``dataset`` by default) meeting ``filter`` (admiral's ``filter_add``), in ``order`` (missing last;
    ``descending`` names the variables sorted high to low), copied as new records with ``set_values_to``.
    Without ``order`` every record meeting the filter is copied.

    Ties (records equal on by variables and order) go to the one first in the input (``mode="first"``)
    or last (``mode="last"``), as a stable sort; ``check_type`` says whether a tie is ignored
    (``"none"``), warned about (``"warning"``, admiral's default) or an error (``"error"``).
    A group of ``dataset_ref`` without such a record gets one from ``dataset_ref`` (its variables
    shared with ``dataset_add``), with ``missing_values`` set; ``exist_flag`` then tells which records had
    one (``true_value``) and which not (``false_value``). ``keep_source_vars`` limits the variables copied.

    Example: last value on treatment (DTYPE = LOV), and a tie on the date resolved by input order::

        >>> lb = pd.DataFrame({"USUBJID": ["1", "1", "1", "2"], "ADT": [3.0, 9.0, 9.0, 4.0], "AVAL": [5.0, 6.0, 7.0, 8.0]})
        >>> out = derive_extreme_records(lb, ["USUBJID"], ["ADT"], "last", {"DTYPE": "LOV"}, check_type="none")
        >>> out.iloc[4:][["USUBJID", "AVAL", "DTYPE"]].values.tolist()
        [['1', 7.0, 'LOV'], ['2', 8.0, 'LOV']]
    """
    if mode not in ("first", "last"):
        raise ValueError(f"mode must be 'first' or 'last', not {mode!r}")
    by_vars = list(by_vars)
    source = dataset if dataset_add is None else dataset_add
    rows = np.flatnonzero(_mask(filter, source))
    if order:  # sorted on the by and order variables alone; the picked records are copied whole
        picked, tied = tied_extremes(source, by_vars, order, mode, descending, rows)
        if check_type != "none" and tied:
            message = f"records tied on {', '.join([*by_vars, *order])}: the {mode} in input order was taken"
            if check_type == "error":
                raise DataError(message)
            warnings.warn(message, stacklevel=2)
        rows = picked
    new = rows_of(source, rows)  # (a few records: text taken chunk by chunk)
    if dataset_ref is not None:
        shared = [c for c in dataset_ref.columns if c in source.columns]
        found = dataset_ref[by_vars].merge(new[by_vars].drop_duplicates(), on=by_vars, how="left", indicator=True)
        absent = dataset_ref.loc[found["_merge"].eq("left_only").to_numpy(), shared]
        absent = _set_values(absent, missing_values or {})
        if exist_flag is not None:
            new = new.assign(**{exist_flag: true_value})
            absent = absent.assign(**{exist_flag: false_value})
        new = pd.concat([new, absent], ignore_index=True) if len(absent) else new
    new = _set_values(new.reset_index(drop=True), set_values_to)
    if keep_source_vars is not None:
        kept = [*by_vars, *set_values_to, *keep_source_vars, *([exist_flag] if exist_flag else [])]
        new = new[list(dict.fromkeys(c for c in kept if c in new.columns))]
    return _append(dataset, new)


def derive_basetype_records(dataset: pd.DataFrame, basetypes: Mapping[str, pd.Series]) -> pd.DataFrame:
    """``dataset`` with BASETYPE set: each record once per basetype whose condition it meets
    (duplicated when it meets several), records meeting none kept once with BASETYPE missing.

    As admiral: the records meeting no condition come first, then each basetype's records in
    the order of ``basetypes``. An existing BASETYPE is overwritten on the copies.

    Example: the baseline record belongs to both periods::

        >>> vs = pd.DataFrame({"AVISIT": ["BASELINE", "P1 W2", "P2 W2"], "AVAL": [1.0, 2.0, 3.0]})
        >>> out = derive_basetype_records(vs, {"P1": vs["AVISIT"].isin(["BASELINE", "P1 W2"]),
        ...                                    "P2": vs["AVISIT"].isin(["BASELINE", "P2 W2"])})
        >>> out[["AVISIT", "BASETYPE"]].values.tolist()
        [['BASELINE', 'P1'], ['P1 W2', 'P1'], ['BASELINE', 'P2'], ['P2 W2', 'P2']]
    """
    masks = {label: _mask(condition, dataset) for label, condition in basetypes.items()}
    in_any = np.logical_or.reduce(list(masks.values())) if masks else np.zeros(len(dataset), dtype=bool)
    parts = [dataset.loc[~in_any]]
    parts += [dataset.loc[mask].assign(BASETYPE=label) for label, mask in masks.items()]
    out = pd.concat(parts, ignore_index=True)
    if "BASETYPE" not in out:
        out["BASETYPE"] = pd.Series(dtype="str")
    return out


# ---- computed parameters ----------------------------------------------------------------------------

def compute_map(diabp: pd.Series, sysbp: pd.Series, hr: pd.Series | None = None) -> pd.Series:
    """Mean arterial pressure (mmHg): (2 DIABP + SYSBP) / 3, or with the heart rate
    DIABP + 0.01 exp(4.14 - 40.74 / HR) (SYSBP - DIABP), as admiral's ``compute_map``.

    Example::

        >>> compute_map(pd.Series([80.0]), pd.Series([120.0])).round(2).tolist()
        [93.33]
    """
    if hr is None:
        return (2 * diabp + sysbp) / 3
    return diabp + 0.01 * np.exp(4.14 - 40.74 / hr) * (sysbp - diabp)


def compute_bmi(height: pd.Series, weight: pd.Series) -> pd.Series:
    """Body mass index (kg/m2) from height (cm) and weight (kg); missing for a height of 0.

    Example::

        >>> compute_bmi(pd.Series([180.0, 0.0]), pd.Series([81.0, 70.0])).tolist()
        [25.0, nan]
    """
    return (weight / (height * height / 10000)).where(height != 0)


#: Body surface area formulas (m2) from height (cm) and weight (kg), by admiral's method names.
BSA_METHODS: dict[str, Callable[[pd.Series, pd.Series], pd.Series]] = {
    "Mosteller": lambda h, w: np.sqrt(h * w / 3600),
    "DuBois-DuBois": lambda h, w: 0.007184 * h**0.725 * w**0.425,
    "Haycock": lambda h, w: 0.024265 * h**0.3964 * w**0.5378,
    "Gehan-George": lambda h, w: 0.0235 * h**0.42246 * w**0.51456,
    "Boyd": lambda h, w: 0.0003207 * h**0.3 * (1000 * w) ** (0.7285 - 0.0188 * np.log10(1000 * w)),
    "Fujimoto": lambda h, w: 0.008883 * h**0.663 * w**0.444,
    "Takahira": lambda h, w: 0.007241 * h**0.725 * w**0.425,
}


def compute_bsa(height: pd.Series, weight: pd.Series, method: str) -> pd.Series:
    """Body surface area (m2) from height (cm) and weight (kg) by ``method``: Mosteller
    sqrt(h w / 3600), DuBois-DuBois 0.007184 h^0.725 w^0.425, Haycock 0.024265 h^0.3964 w^0.5378,
    and admiral's others (Gehan-George, Boyd, Fujimoto, Takahira).

    Example::

        >>> compute_bsa(pd.Series([180.0]), pd.Series([80.0]), "Mosteller").tolist()
        [2.0]
    """
    if method not in BSA_METHODS:
        raise ValueError(f"unknown BSA method {method!r}; one of {', '.join(BSA_METHODS)}")
    return BSA_METHODS[method](height, weight)


# ---- variable derivations -------------------------------------------------------------------------

def derive_var_anrind(
    aval: pd.Series,
    anrlo: pd.Series,
    anrhi: pd.Series,
    a1lo: pd.Series | None = None,
    a1hi: pd.Series | None = None,
    use_a1hia1lo: bool = False,
    signif_dig: int = 15,
) -> pd.Series:
    """ANRIND: NORMAL within [ANRLO, ANRHI] (a missing limit is no limit, but not both), LOW below,
    HIGH above; with ``use_a1hia1lo``, LOW LOW below A1LO and HIGH HIGH above A1HI. Missing when AVAL
    or both limits are. Values are compared after rounding to ``signif_dig`` significant digits.

    Example::

        >>> derive_var_anrind(pd.Series([3.0, 10.0, 1.0, 5.0, np.nan]), pd.Series([2.0, 2.0, 2.0, np.nan, 2.0]),
        ...                   pd.Series([9.0, 9.0, 9.0, np.nan, 9.0])).tolist()
        ['NORMAL', 'HIGH', 'LOW', nan, nan]
    """
    value, low, high = signif(aval, signif_dig), signif(anrlo, signif_dig), signif(anrhi, signif_dig)
    no_low, no_high = np.isnan(low), np.isnan(high)
    normal = ((value >= low) & no_high) | ((value <= high) & no_low) | ((value >= low) & (value <= high))
    if use_a1hia1lo:
        l1 = signif(a1lo if a1lo is not None else np.full(len(aval), np.nan), signif_dig)
        h1 = signif(a1hi if a1hi is not None else np.full(len(aval), np.nan), signif_dig)
        conditions = [normal, (value < low) & (np.isnan(l1) | (value >= l1)), (value > high) & (np.isnan(h1) | (value <= h1)),
                      value < l1, value > h1]
        choices = ["NORMAL", "LOW", "HIGH", "LOW LOW", "HIGH HIGH"]
    else:
        conditions, choices = [normal, value < low, value > high], ["NORMAL", "LOW", "HIGH"]
    chosen = np.select(conditions, list(range(len(choices))), default=-1)  # each record's choice (-1: none) as a number, then its text
    return pd.Series(pd.array(choices, dtype="str").take(chosen, allow_fill=True), index=aval.index)


def derive_var_ontrtfl(
    start_date: pd.Series,
    ref_start_date: pd.Series,
    ref_end_date: pd.Series | None = None,
    ref_end_window: float = 0,
    end_date: pd.Series | None = None,
    filter_pre_timepoint: pd.Series | None = None,
    span_period: bool = False,
) -> pd.Series:
    """ONTRTFL, as admiral ``derive_var_ontrtfl``: ``Y`` when the record starts on the reference start
    (also when it has no start), or after it and no later than ``ref_end_date + ref_end_window``
    (any time after when there is no reference end; always when the end is missing but the start is
    not). ``filter_pre_timepoint`` (e.g. a pre-dose time point on the first day) unflags records on the
    start day; a record ending (``end_date``) before the reference start is never flagged; with
    ``span_period``, records that started before and end on or after the reference start are flagged.

    Example: reference 10 to 20, window 5::

        >>> derive_var_ontrtfl(pd.Series([9.0, 10.0, 15.0, 25.0, 26.0, np.nan]), pd.Series([10.0] * 6),
        ...                    pd.Series([20.0] * 6), 5).tolist()
        [nan, 'Y', 'Y', 'Y', nan, 'Y']
    """
    start, ref_start = start_date.to_numpy(dtype=float), ref_start_date.to_numpy(dtype=float)
    flag = (np.isnan(start) & ~np.isnan(ref_start)) | (ref_start == start)
    if filter_pre_timepoint is not None:
        flag &= ~_mask(filter_pre_timepoint, pd.DataFrame(index=start_date.index))
    if ref_end_date is None:
        end_cond = np.ones(len(start), dtype=bool)
    else:
        ref_end = ref_end_date.to_numpy(dtype=float)
        end_cond = (start <= ref_end + ref_end_window) | (~np.isnan(ref_start) & np.isnan(ref_end))
    flag |= (ref_start < start) & end_cond
    if end_date is not None:
        end = end_date.to_numpy(dtype=float)
        flag &= ~(end < ref_start)
        if span_period:
            flag |= end_cond & (np.isnan(end) | (end >= ref_start))
    return _flag(pd.Series(flag, index=start_date.index))


def derive_var_pchg(aval: pd.Series, base: pd.Series) -> pd.Series:
    """PCHG = (AVAL - BASE) / |BASE| * 100; missing when BASE is 0 or either is missing.

    Example::

        >>> derive_var_pchg(pd.Series([150.0, 50.0, 3.0, 1.0]), pd.Series([100.0, -100.0, 0.0, np.nan])).tolist()
        [50.0, 150.0, nan, nan]
    """
    return ((aval - base) / base.abs() * 100).where(base != 0)


def _as_text(values: pd.Series) -> pd.Series:
    """Values as text; whole numbers without a decimal point (1.0 -> "1"), as R's ``as.character``."""
    if pd.api.types.is_numeric_dtype(values):
        text = values.astype(float).astype(str).str.replace(r"\.0$", "", regex=True)
        return text.where(values.notna())
    return values.astype("str")


def derive_var_shift(from_var: pd.Series, to_var: pd.Series, missing_value: str = "NULL", sep_val: str = " to ") -> pd.Series:
    """A shift such as SHIFT1 = ``"NORMAL to HIGH"``: the two values joined by ``sep_val``, a missing one
    shown as ``missing_value``.

    Example::

        >>> derive_var_shift(pd.Series(["NORMAL", "LOW", None]), pd.Series(["HIGH", None, "NORMAL"])).tolist()
        ['NORMAL to HIGH', 'LOW to NULL', 'NULL to NORMAL']
        >>> derive_var_shift(pd.Series([0.0]), pd.Series([-2.0])).tolist()
        ['0 to -2']
    """
    source, target = _as_text(from_var), _as_text(to_var)
    if missing_value is None and (source.hasnans or target.hasnans):  # as Python would join them (it cannot)
        return pd.Series(source.to_numpy(dtype=object) + sep_val + target.to_numpy(dtype=object), index=from_var.index, dtype="str")
    first, firsts = pd.factorize(source)  # (missing: -1, the last of the values listed, missing_value)
    second, seconds = pd.factorize(target)
    firsts, seconds = [*firsts, missing_value], [*seconds, missing_value]
    codes = first % len(firsts) * len(seconds) + second % len(seconds)
    pairs, at = np.unique(codes, return_inverse=True)  # each distinct pair joined once
    texts = pd.array([f"{firsts[p // len(seconds)]}{sep_val}{seconds[p % len(seconds)]}" for p in pairs.tolist()], dtype="str")
    return pd.Series(texts.take(at.ravel()), index=from_var.index)


def derive_var_analysis_ratio(numer_var: pd.Series, denom_var: pd.Series) -> pd.Series:
    """A ratio such as R2BASE = AVAL / BASE or R2ANRHI = AVAL / ANRHI; missing when the denominator is 0.

    Example::

        >>> derive_var_analysis_ratio(pd.Series([30.0, 5.0, 5.0]), pd.Series([10.0, 0.0, np.nan])).tolist()
        [3.0, nan, nan]
    """
    return (numer_var / denom_var).where(denom_var != 0)
