"""NCA over a long concentration dataset: one record per profile and parameter (PP/ADPP-shaped)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdisc.adam.nca import curve
from cdisc.adam.nca.parameters import (
    PARAMETERS,
    Profile,
    compute_profile,
    evaluation_order,
)
from cdisc.adam.nca.settings import NcaSettings
from cdisc.adam.nca.units import parameter_units
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
    keys = frame[list(by_vars)].take(firsts).itertuples(index=False, name=None)
    times, concs, blqs = (frame[c].to_numpy()[order] for c in ("_time", "_conc", "_blq"))
    doses, durations, taus = (frame[c].to_numpy()[firsts] for c in ("_dose", "_duration", "_tau"))
    units_of: dict[tuple[str | None, str | None], dict] = {}
    unit_texts = [(_text(c), _text(d)) for c, d in zip(frame["conc_unit"].to_numpy()[firsts], frame["dose_unit"].to_numpy()[firsts])]
    records = []
    for i, (key, start, end, unit_text) in enumerate(zip(keys, starts, [*starts[1:], len(order)], unit_texts)):
        samples = slice(start, end)
        profile = _profile(times[samples], concs[samples], blqs[samples], settings, doses[i], durations[i], taus[i])
        results = compute_profile(profile, order_of_parameters)
        if unit_text not in units_of:
            units_of[unit_text] = parameter_units(unit_text[0], time_unit, unit_text[1])
        units = units_of[unit_text]
        for code in reported:
            value, reason = results[code]
            unit, factor = units[PARAMETERS[code].unit]
            records.append((*key, code, PARAMETERS[code].name,
                            np.nan if value is None else float(value) * factor, unit,
                            "NOT DONE" if reason else None, reason, len(profile.time)))
    out = pd.DataFrame.from_records(records, columns=[*by_vars, *OUTPUT_COLUMNS])
    for column in ("PPTESTCD", "PPTEST", "PPSTRESU", "PPSTAT", "PPREASND"):
        out[column] = out[column].astype("str")
    out["PPSTRESN"] = out["PPSTRESN"].astype(float)
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


def _profile(
    t: np.ndarray, conc: np.ndarray, blq: np.ndarray, settings: NcaSettings, dose: float, duration: float, tau: float
) -> Profile:
    """The BLQ-ruled samples of one profile sorted by time (pre-dose samples at time 0 when the settings say so)."""
    before = t < 0
    if settings.predose_at_zero and before.any():
        drop = before.copy()
        if not (t == 0).any():
            drop[np.flatnonzero(before)[-1]] = False  # the last pre-dose sample stands for time 0
        t, conc, blq = np.maximum(t[~drop], 0.0), conc[~drop], blq[~drop]
    c = curve.apply_blq(conc.astype(float), blq.astype(bool), settings.blq)
    kept = ~np.isnan(c)
    t, c = t[kept].astype(float), c[kept]
    repeated = t[1:][np.diff(t) == 0]
    problem = f"more than one sample at time {repeated[0]:g}" if len(repeated) else None
    return Profile(t, c, settings, dose, duration, tau, problem)


def _text(value: object) -> str | None:
    return None if pd.isna(value) else str(value)
