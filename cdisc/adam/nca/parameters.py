"""The NCA parameters as a registry: each is one function with its declared dependencies.

A parameter is added in one place, with the ``@parameter`` decorator: its PKPARMCD code (CDISC CT), its
PKPARM name, the kind of its unit (see :mod:`cdisc.adam.nca.units`), the parameters it needs and the
function computing it from the :class:`Profile` and their values. Internal steps (the prepared curve,
the lambda-z fit) are entries too, with names starting with ``_``, never reported. A function raises
:class:`Missing` with a reason when it cannot compute its value; every parameter needing it is then
missing with the same reason.
"""

from __future__ import annotations

import graphlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cdisc.adam.nca import curve
from cdisc.adam.nca.settings import NcaSettings


class Missing(Exception):
    """A parameter that cannot be computed; ``str()`` is the reason (PPREASND)."""


@dataclass(frozen=True)
class Profile:
    """One concentration-time profile, sorted by time, after the BLQ rule (no missing values)."""

    time: np.ndarray
    conc: np.ndarray
    settings: NcaSettings
    dose: float = np.nan
    duration: float = np.nan  # infusion hours; 0 for an IV bolus
    tau: float = np.nan  # dosing interval of a repeat-dose profile
    problem: str | None = None  # why no parameter can be computed (e.g. duplicate times)


@dataclass(frozen=True)
class Parameter:
    code: str
    name: str | None
    unit: str
    depends: tuple[str, ...]
    compute: Callable[..., Any]
    optional: tuple[str, ...] = field(default=())

    @property
    def reported(self) -> bool:
        return not self.code.startswith("_")


PARAMETERS: dict[str, Parameter] = {}


def parameter(code: str, name: str | None = None, unit: str = "none", depends: Iterable[str] = (),
              optional: Iterable[str] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``function(profile, *depends, *optional)`` as the parameter ``code``."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        PARAMETERS[code] = Parameter(code, name, unit, tuple(depends), function, tuple(optional))
        return function

    return register


def evaluation_order(codes: Iterable[str] | None = None) -> list[str]:
    """The parameters ``codes`` (default all) and everything they need, each after its dependencies."""
    wanted = list(PARAMETERS) if codes is None else list(codes)
    unknown = [c for c in wanted if c not in PARAMETERS]
    if unknown:
        raise KeyError(f"unknown NCA parameter(s) {', '.join(unknown)}; known: {', '.join(reported_codes())}")
    graph: dict[str, tuple[str, ...]] = {}
    stack = list(wanted)
    while stack:
        code = stack.pop()
        if code not in graph:
            graph[code] = PARAMETERS[code].depends + PARAMETERS[code].optional
            stack.extend(graph[code])
    rank = {c: i for i, c in enumerate(PARAMETERS)}
    sorter = graphlib.TopologicalSorter(graph)
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=rank.__getitem__)
        order.extend(ready)
        sorter.done(*ready)
    return order


def reported_codes() -> list[str]:
    return [c for c, p in PARAMETERS.items() if p.reported]


def compute_profile(profile: Profile, order: list[str]) -> dict[str, tuple[Any, str | None]]:
    """Each parameter of ``order`` as (value, None) or (None, reason)."""
    results: dict[str, tuple[Any, str | None]] = {}
    for code in order:
        spec = PARAMETERS[code]
        needed = [results[d] for d in spec.depends]
        reason = profile.problem or next((r for _, r in needed if r is not None), None)
        if reason is not None:
            results[code] = (None, reason)
            continue
        extra = [results[d][0] for d in spec.optional]
        try:
            results[code] = (spec.compute(profile, *(v for v, _ in needed), *extra), None)
        except Missing as exc:
            results[code] = (None, str(exc))
    return results


def _dose(profile: Profile) -> float:
    if not np.isfinite(profile.dose) or profile.dose <= 0:
        raise Missing("no dose amount for the profile")
    return float(profile.dose)


# ---------------------------------------------------------------------------
# The parameters (PKPARMCD / PKPARM from CDISC CT)


@parameter("_curve")
def _prepared_curve(p: Profile) -> tuple[np.ndarray, np.ndarray]:
    """The curve the AUCs integrate: the samples, starting at the dose time (0 or back-extrapolated C0)."""
    if len(p.time) == 0:
        raise Missing("no concentration in the profile")
    t, c = p.time, p.conc
    if t[0] > 0 and p.settings.zero_at_dose:
        c0 = 0.0
        if p.duration == 0:
            positive = np.flatnonzero(c > 0)[:2]
            if len(positive) < 2 or c[positive[1]] >= c[positive[0]]:
                raise Missing("no C0 for the IV bolus: the first two concentrations do not decline")
            (t1, t2), (c1, c2) = t[positive], c[positive]
            slope = (np.log(c2) - np.log(c1)) / (t2 - t1)
            c0 = float(np.exp(np.log(c1) - slope * t1))
        t, c = np.append(0.0, t), np.append(c0, c)
    return t, c


@parameter("CMAX", "Max Conc", "conc")
def _cmax(p: Profile) -> float:
    if len(p.conc) == 0:
        raise Missing("no concentration in the profile")
    return float(p.conc.max())


@parameter("TMAX", "Time of CMAX Observation", "time", depends=["CMAX"])
def _tmax(p: Profile, cmax: float) -> float:
    if cmax <= 0:
        raise Missing("no quantifiable concentration")
    return float(p.time[np.argmax(p.conc)])


@parameter("TLST", "Time of Last Nonzero Conc", "time", depends=["CMAX"])
def _tlast(p: Profile, cmax: float) -> float:
    if cmax <= 0:
        raise Missing("no quantifiable concentration")
    return float(p.time[np.flatnonzero(p.conc > 0)[-1]])


@parameter("CLST", "Last Nonzero Conc", "conc", depends=["CMAX"])
def _clast(p: Profile, cmax: float) -> float:
    if cmax <= 0:
        raise Missing("no quantifiable concentration")
    return float(p.conc[np.flatnonzero(p.conc > 0)[-1]])


@parameter("AUCLST", "AUC to Last Nonzero Conc", "auc", depends=["_curve", "TLST"])
def _auclast(p: Profile, prepared: tuple[np.ndarray, np.ndarray], tlast: float) -> float:
    return curve.area(*prepared, tlast, p.settings.auc_method)


@parameter("AUCALL", "AUC All", "auc", depends=["_curve", "CMAX"])
def _aucall(p: Profile, prepared: tuple[np.ndarray, np.ndarray], cmax: float) -> float:
    t, c = prepared
    return curve.area(t, c, float(t[-1]), p.settings.auc_method)


@parameter("_fit", depends=["TMAX"])
def _lambda_z_fit(p: Profile, tmax: float) -> curve.LambdaZFit:
    s = p.settings
    inclusive = s.lambda_z_points == "all_from_tmax"
    after = ((p.time >= tmax) if inclusive else (p.time > tmax)) & (p.conc > 0)
    t, c = p.time[after], p.conc[after]
    where = "at or after" if inclusive else "after"
    if len(t) < s.min_points:
        raise Missing(f"{len(t)} positive concentration(s) {where} Tmax, fewer than the {s.min_points} lambda-z needs")
    fit = curve.fit_log_linear(t, c) if inclusive else curve.best_fit(t, c, s.min_points, s.adj_r2_tolerance)
    if fit is None or fit.lambda_z <= 0:
        raise Missing(f"concentrations {where} Tmax do not decline: no positive lambda-z")
    return fit


@parameter("R2", "R Squared", depends=["_fit"])
def _r2(p: Profile, fit: curve.LambdaZFit) -> float:
    return fit.r2


@parameter("R2ADJ", "R Squared Adjusted", depends=["_fit"])
def _r2adj(p: Profile, fit: curve.LambdaZFit) -> float:
    if not np.isfinite(fit.r2adj):
        raise Missing("adjusted R-squared needs at least 3 points")
    return fit.r2adj


@parameter("LAMZNPT", "Number of Points for Lambda z", "count", depends=["_fit"])
def _lamznpt(p: Profile, fit: curve.LambdaZFit) -> float:
    return float(fit.n)


@parameter("LAMZLL", "Lambda z Lower Limit", "time", depends=["_fit"])
def _lamzll(p: Profile, fit: curve.LambdaZFit) -> float:
    return fit.lower


@parameter("LAMZUL", "Lambda z Upper Limit", "time", depends=["_fit"])
def _lamzul(p: Profile, fit: curve.LambdaZFit) -> float:
    return fit.upper


@parameter("LAMZ", "Lambda z", "rate", depends=["_fit"])
def _lamz(p: Profile, fit: curve.LambdaZFit) -> float:
    limit = p.settings.min_r2adj
    if limit is not None and not fit.r2adj >= limit:
        raise Missing(f"lambda-z fit rejected: adjusted R-squared {fit.r2adj:.4f} below {limit}")
    return fit.lambda_z


@parameter("LAMZHL", "Half-Life Lambda z", "time", depends=["LAMZ"])
def _half_life(p: Profile, lamz: float) -> float:
    return p.settings.ln2 / lamz


@parameter("_aucifo", depends=["AUCLST", "CLST", "LAMZ"])
def _aucinf_obs(p: Profile, auclast: float, clast: float, lamz: float) -> float:
    return auclast + clast / lamz


@parameter("_aucifp", depends=["AUCLST", "TLST", "LAMZ", "_fit"])
def _aucinf_pred(p: Profile, auclast: float, tlast: float, lamz: float, fit: curve.LambdaZFit) -> float:
    return auclast + float(np.exp(fit.intercept - lamz * tlast)) / lamz


@parameter("AUCPEO", "AUC %Extrapolation Obs", "percent", depends=["_aucifo", "AUCLST"])
def _aucpeo(p: Profile, aucinf: float, auclast: float) -> float:
    return (aucinf - auclast) / aucinf * 100


@parameter("AUCPEP", "AUC %Extrapolation Pred", "percent", depends=["_aucifp", "AUCLST"])
def _aucpep(p: Profile, aucinf: float, auclast: float) -> float:
    return (aucinf - auclast) / aucinf * 100


def _accepted(p: Profile, aucinf: float, extrapolated: float) -> float:
    limit = p.settings.max_extrapolation_pct
    if limit is not None and extrapolated > limit:
        raise Missing(f"{extrapolated:.1f}% of AUCinf extrapolated, more than {limit:g}%")
    return aucinf


@parameter("AUCIFO", "AUC Infinity Obs", "auc", depends=["_aucifo", "AUCPEO"])
def _aucifo(p: Profile, aucinf: float, extrapolated: float) -> float:
    return _accepted(p, aucinf, extrapolated)


@parameter("AUCIFP", "AUC Infinity Pred", "auc", depends=["_aucifp", "AUCPEP"])
def _aucifp(p: Profile, aucinf: float, extrapolated: float) -> float:
    return _accepted(p, aucinf, extrapolated)


def _iv(p: Profile) -> None:
    if not np.isfinite(p.duration):
        raise Missing("clearance and volume need an IV dose (infusion duration or 0 for a bolus)")


@parameter("CLO", "Total CL Obs", "clearance", depends=["AUCIFO"])
def _clo(p: Profile, aucinf: float) -> float:
    _iv(p)
    return _dose(p) / aucinf


@parameter("CLP", "Total CL Pred", "clearance", depends=["AUCIFP"])
def _clp(p: Profile, aucinf: float) -> float:
    _iv(p)
    return _dose(p) / aucinf


@parameter("VZO", "Vz Obs", "volume", depends=["AUCIFO", "LAMZ"])
def _vzo(p: Profile, aucinf: float, lamz: float) -> float:
    _iv(p)
    return _dose(p) / (lamz * aucinf)


@parameter("VZP", "Vz Pred", "volume", depends=["AUCIFP", "LAMZ"])
def _vzp(p: Profile, aucinf: float, lamz: float) -> float:
    _iv(p)
    return _dose(p) / (lamz * aucinf)


@parameter("AUCTAU", "AUC Over Dosing Interval", "auc", depends=["_curve", "TLST", "CLST"], optional=["LAMZ"])
def _auctau(p: Profile, prepared: tuple[np.ndarray, np.ndarray], tlast: float, clast: float, lamz: float | None) -> float:
    if not np.isfinite(p.tau):
        raise Missing("not a repeat-dose profile (no dosing interval)")
    t, c = prepared
    method = p.settings.auc_method
    if p.tau <= t[-1]:
        return curve.area(t, c, p.tau, method)
    if lamz is None:
        raise Missing(f"the dosing interval ({p.tau:g}) ends after the last sample and lambda-z is missing")
    return curve.area(t, c, tlast, method) + clast / lamz * -np.expm1(-lamz * (p.tau - tlast))


@parameter("CMAXD", "Max Conc Norm by Dose", "conc_dose", depends=["CMAX"])
def _cmaxd(p: Profile, cmax: float) -> float:
    return cmax / _dose(p)


@parameter("AUCLSTD", "AUC to Last Nonzero Conc Norm by Dose", "auc_dose", depends=["AUCLST"])
def _auclstd(p: Profile, auclast: float) -> float:
    return auclast / _dose(p)


@parameter("AUCIFOD", "AUC Infinity Obs Norm by Dose", "auc_dose", depends=["AUCIFO"])
def _aucifod(p: Profile, aucinf: float) -> float:
    return aucinf / _dose(p)
