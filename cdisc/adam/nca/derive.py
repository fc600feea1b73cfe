"""NCA over a long concentration dataset: one record per profile and parameter (PP/ADPP-shaped)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdisc.adam.nca import curve
from cdisc.adam.nca.parameters import (
    PARAMETERS,
    Profiles,
    compute_profiles,
    evaluation_order,
)
from cdisc.adam.nca.settings import NcaSettings
from cdisc.adam.nca.units import parameter_units
from cdisc.arrowtext import coded_text, is_large, repeats, text_per_record
from cdisc.errors import DataError

OUTPUT_COLUMNS = ["PPTESTCD", "PPTEST", "PPSTRESN", "PPSTRESU", "PPSTAT", "PPREASND", "NSAMPLES"]


def derive_param_nca(
    dataset: pd.DataFrame,
    by_vars: Sequence[str],
    time: str,
    conc: str,
    settings: NcaSettings | None = None,
    blq: str | None = None,
    lloq: str | None = None,
    dose: str | None = None,
    duration: str | None = None,
    tau: str | None = None,
    conc_unit: str | None = None,
    dose_unit: str | None = None,
    time_unit: str = "h",
) -> pd.DataFrame:
    """PK parameters per profile (``by_vars`` group) from concentrations ``conc`` at hours ``time`` after the dose.

    A sample is below the limit of quantification when ``blq`` is true or ``conc`` < ``lloq``; the BLQ rule
    of ``settings`` decides what it becomes. Samples without a time or a concentration (not done) are left
    out. ``dose``, ``duration`` (infusion hours, 0 for a bolus) and ``tau`` (dosing interval) are taken from
    the first record of a profile; ``conc_unit``/``dose_unit`` name columns holding the units. A parameter
    that cannot be computed has a missing PPSTRESN, PPSTAT "NOT DONE" and the reason in PPREASND.

        >>> pc = pd.DataFrame({"USUBJID": "1", "t": [0.0, 1, 2, 4, 8], "c": [0.0, 8, 6, 4, 1.5]})
        >>> pp = derive_param_nca(pc, ["USUBJID"], "t", "c", NcaSettings(parameters=["CMAX", "TMAX", "LAMZNPT"]))
        >>> pp[["PPTESTCD", "PPSTRESN"]].to_dict("list")
        {'PPTESTCD': ['CMAX', 'TMAX', 'LAMZNPT'], 'PPSTRESN': [8.0, 1.0, 3.0]}
    """
    settings = settings or NcaSettings()
    named = {"time": time, "conc": conc, "blq": blq, "lloq": lloq, "dose": dose, "duration": duration, "tau": tau,
             "conc_unit": conc_unit, "dose_unit": dose_unit}
    absent = [c for c in [*by_vars, *(v for v in named.values() if v)] if c not in dataset.columns]
    if absent:
        raise DataError(f"NCA: the concentration dataset has no column(s) {', '.join(dict.fromkeys(absent))}")
    try:
        order_of_parameters = evaluation_order(settings.parameters)
    except KeyError as exc:
        raise DataError(f"NCA: {exc.args[0]}") from None
    reported = [c for c in order_of_parameters if PARAMETERS[c].reported and (settings.parameters is None or c in settings.parameters)]
    frame = _samples(dataset, by_vars, named)
    groups = frame.groupby(list(by_vars), sort=True, dropna=False).ngroup().to_numpy()
    order = np.lexsort((frame["_time"].to_numpy(), groups))  # by profile, then time (stable: ties as collected)
    starts = np.flatnonzero(np.diff(groups[order], prepend=-1))
    firsts = np.minimum.reduceat(order, starts) if len(order) else order  # each profile's first record as collected
    times, concs, blqs = (frame[c].to_numpy()[order] for c in ("_time", "_conc", "_blq"))
    doses, durations, taus = (frame[c].to_numpy()[firsts] for c in ("_dose", "_duration", "_tau"))
    profiles = _profiles(groups[order], times, concs, blqs, settings, doses, durations, taus)
    results = compute_profiles(profiles, order_of_parameters)
    unit_pairs = frame[["conc_unit", "dose_unit"]].take(firsts)
    pair_of = unit_pairs.groupby(["conc_unit", "dose_unit"], sort=False, dropna=False).ngroup().to_numpy()
    pairs = unit_pairs.take(np.unique(pair_of, return_index=True)[1]).itertuples(index=False, name=None)
    units_of = [parameter_units(_text(c), time_unit, _text(d)) for c, d in pairs]
    size = (len(firsts), len(reported))
    values, reasons = np.empty(size), np.empty(size, dtype=object)
    unit_table = np.empty((len(units_of), len(reported)), dtype=object)  # unit pair x parameter
    for j, code in enumerate(reported):
        kind = PARAMETERS[code].unit
        value, reasons[:, j] = results[code]
        unit_table[:, j] = [u[kind][0] for u in units_of]
        values[:, j] = value * np.array([u[kind][1] for u in units_of], dtype=float)[pair_of]
    unit_codes, unit_texts = pd.factorize(unit_table.ravel())
    reason_codes, reason_texts = pd.factorize(reasons.ravel())
    keys = frame[list(by_vars)].take(firsts).reset_index(drop=True)  # one row per profile, then one per parameter
    profile_of = np.repeat(keys.index.to_numpy(), len(reported))
    out = pd.DataFrame({c: _keys_per_record(keys[c], profile_of) for c in by_vars}, copy=False)
    parameter_codes = np.tile(np.arange(len(reported)), len(firsts))
    out["PPTESTCD"] = _texts(reported, parameter_codes)
    out["PPTEST"] = _texts([PARAMETERS[c].name for c in reported], parameter_codes)
    out["PPSTRESN"] = values.ravel()
    out["PPSTRESU"] = _texts(unit_texts, unit_codes.reshape(unit_table.shape)[pair_of].ravel())
    out["PPSTAT"] = _texts(["NOT DONE"], np.where(reason_codes < 0, -1, 0))
    out["PPREASND"] = _texts(reason_texts, reason_codes)
    out["NSAMPLES"] = np.repeat(profiles.count, len(reported))
    return out


def _samples(dataset: pd.DataFrame, by_vars: Sequence[str], named: dict[str, str | None]) -> pd.DataFrame:
    """The columns NCA reads, renamed, with the BLQ flag resolved (vectorised over all profiles)."""

    def column(role: str, default: object) -> pd.Series:
        name = named[role]
        return dataset[name] if name else pd.Series(default, index=dataset.index)

    frame = dataset[list(by_vars)].copy()
    frame["_time"] = pd.to_numeric(column("time", np.nan), errors="coerce").astype(float)
    frame["_conc"] = pd.to_numeric(column("conc", np.nan), errors="coerce").astype(float)
    flagged = column("blq", False).fillna(False).astype(bool)
    below = frame["_conc"] < pd.to_numeric(column("lloq", np.nan), errors="coerce").astype(float)
    frame["_blq"] = (flagged | below).to_numpy(dtype=bool)
    for role in ("dose", "duration", "tau"):
        frame[f"_{role}"] = pd.to_numeric(column(role, np.nan), errors="coerce").astype(float)
    for role in ("conc_unit", "dose_unit"):
        frame[role] = column(role, None).astype("str").where(lambda s: s.str.strip().ne(""))
    usable = frame["_time"].notna() & (frame["_conc"].notna() | frame["_blq"])
    return frame[usable.to_numpy(dtype=bool)]


def _profiles(
    profile: np.ndarray, t: np.ndarray, conc: np.ndarray, blq: np.ndarray, settings: NcaSettings,
    dose: np.ndarray, duration: np.ndarray, tau: np.ndarray,
) -> Profiles:
    """The BLQ-ruled samples of every profile side by side (pre-dose samples at time 0 when the settings say so).

    ``profile`` numbers the profile of each sample, the samples sorted by profile, then time.
    """
    size = len(dose)
    if settings.predose_at_zero:
        dropped = t < 0
        before = np.bincount(profile[dropped], minlength=size)
        at_zero = np.bincount(profile[t == 0], minlength=size) > 0
        # pre-dose samples come first in a profile: the last one stands for time 0 when none was taken at 0
        stands_in = (before > 0) & ~at_zero
        dropped[np.searchsorted(profile, np.flatnonzero(stands_in)) + before[stands_in] - 1] = False
        t = np.where((before > 0)[profile], np.maximum(t, 0.0), t)
        profile, t, conc, blq = profile[~dropped], t[~dropped], conc[~dropped], blq[~dropped]
    c = curve.apply_blq(profile, conc.astype(float), blq.astype(bool), settings.blq)
    kept = ~np.isnan(c)
    profile, t, c = profile[kept], t[kept].astype(float), c[kept]
    count = np.bincount(profile, minlength=size)
    problem = np.full(size, None, dtype=object)
    repeated = np.flatnonzero((np.diff(t) == 0) & (np.diff(profile) == 0)) + 1
    which, first = np.unique(profile[repeated], return_index=True)
    problem[which] = [f"more than one sample at time {v:g}" for v in t[repeated[first]]]
    width = max(int(count.max(initial=0)), 1)
    position = np.arange(len(t)) - (np.cumsum(count) - count)[profile]
    time, concentration = np.full((size, width), np.nan), np.full((size, width), np.nan)
    time[profile, position], concentration[profile, position] = t, c
    return Profiles(time, concentration, count, settings, dose, duration, tau, problem)


def _keys_per_record(values: pd.Series, profile_of: np.ndarray) -> pd.Series:
    """A profile key at each parameter record (``profile_of``: its profile): text held once per distinct value when the
    records are many (:func:`~cdisc.arrowtext.text_per_record`: a million records' subjects, analytes, visits and dose
    dates, each the same on every parameter of a profile).

    >>> _keys_per_record(pd.Series(["a", "b"], dtype="str"), np.array([0, 0, 1])).tolist()
    ['a', 'a', 'b']
    """
    if is_large(len(profile_of)) and repeats(len(values), len(profile_of)):
        return text_per_record(values, profile_of)
    return values.take(profile_of).reset_index(drop=True)


def _texts(texts: Sequence[str | None], codes: np.ndarray) -> pd.Series:
    """A text column: ``texts[code]`` for each code, missing for -1 (and for a ``None``); held once per distinct value
    when large (:func:`~cdisc.arrowtext.coded_text`: a million PK parameter records' names, units and reasons).

    >>> _texts(["CMAX", None], np.array([0, 1, -1])).tolist()
    ['CMAX', nan, nan]
    """
    return coded_text(codes, [None if t is None else str(t) for t in texts])


def _text(value: object) -> str | None:
    return None if pd.isna(value) else str(value)
