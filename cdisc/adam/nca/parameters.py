"""The NCA parameters as a registry: each is one function with its declared dependencies.

A parameter is added in one place, with the ``@parameter`` decorator: its PKPARMCD code (CDISC CT), its
PKPARM name, the kind of its unit (see :mod:`cdisc.adam.nca.units`), the parameters it needs and the
function computing it for all :class:`Profiles` at once from their values. Internal steps (the prepared curve,
the lambda-z fit) are entries too, with names starting with ``_``, never reported. A function returns its
values and, per profile, the reason it cannot compute the value there (None where it can; see :func:`reasons`);
every parameter needing it is then missing with the same reason.
"""

from __future__ import annotations

import graphlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from cdisc.adam.nca import curve, lambda_z
from cdisc.adam.nca.settings import NcaSettings

Computed = tuple[Any, np.ndarray]  # the values of all profiles and the reason per profile (None: computed)


@dataclass(frozen=True)
class Profiles:
    """Concentration-time profiles after the BLQ rule, one per row: the ``count`` samples of a row sorted by time
    in its first columns (no missing values), NaN after them."""

    time: np.ndarray
    conc: np.ndarray
    count: np.ndarray
    settings: NcaSettings
    dose: np.ndarray
    duration: np.ndarray  # infusion hours; 0 for an IV bolus
    tau: np.ndarray  # dosing interval of a repeat-dose profile
    problem: np.ndarray  # why no parameter of the profile can be computed (e.g. duplicate times), else None

    @cached_property
    def rows(self) -> np.ndarray:
        return np.arange(len(self.count))

    @cached_property
    def sampled(self) -> np.ndarray:
        """Where a row holds a sample."""
        return np.arange(self.time.shape[1]) < self.count[:, None]


@dataclass(frozen=True)
class Parameter:
    code: str
    name: str | None
    unit: str
    depends: tuple[str, ...]
    compute: Callable[..., Computed]
    optional: tuple[str, ...] = field(default=())

    @property
    def reported(self) -> bool:
        return not self.code.startswith("_")


PARAMETERS: dict[str, Parameter] = {}


def parameter(code: str, name: str | None = None, unit: str = "none", depends: Iterable[str] = (),
              optional: Iterable[str] = ()) -> Callable[[Callable[..., Computed]], Callable[..., Computed]]:
    """Register ``function(profiles, *depends, *optional)`` as the parameter ``code``; an ``optional`` value is
    NaN for a profile where it is missing."""

    def register(function: Callable[..., Computed]) -> Callable[..., Computed]:
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


def reasons(*rules: tuple[np.ndarray, object]) -> np.ndarray:
    """Per profile the reason (a text, or texts per profile) of the first rule whose condition holds, else None.

    >>> reasons((np.array([True, False, False]), "no dose"), (np.array([True, True, False]), "no time")).tolist()
    ['no dose', 'no time', None]
    """
    out = np.full(len(rules[0][0]), None, dtype=object)
    for condition, reason in reversed(rules):
        out = np.where(condition, reason, out)
    return out


def texts(condition: np.ndarray, template: str, values: np.ndarray) -> np.ndarray:
    """``template.format(value)`` of the profiles where ``condition`` holds (a reason with a number in it).

    >>> texts(np.array([True, False, True]), "{:.1f}%", np.array([1.25, 2.0, 1.25])).tolist()
    ['1.2%', None, '1.2%']
    """
    out = np.full(len(condition), None, dtype=object)
    chosen = values[condition]
    bits = chosen.view(np.int64) if chosen.dtype == np.float64 else chosen  # -0.0 and 0.0 are written apart
    _, first, inverse = np.unique(bits, return_index=True, return_inverse=True)
    out[condition] = np.array([template.format(v) for v in chosen[first]], dtype=object)[inverse]
    return out


def missing(reason: np.ndarray) -> np.ndarray:
    """Where a profile has a reason (the value is missing)."""
    return reason.astype(bool)


def compute_profiles(profiles: Profiles, order: list[str]) -> dict[str, Computed]:
    """Each parameter of ``order`` as (values, reasons): a reported parameter's value is NaN where it has a reason.

    A profile's reason is its problem, else the first reason among the parameters needed, else the parameter's own.
    """
    results: dict[str, Computed] = {}
    absent: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):  # values of profiles already missing may be anything
        for code in order:
            spec = PARAMETERS[code]
            reason, gone = profiles.problem.copy(), missing(profiles.problem)
            for needed in spec.depends:
                inherited = absent[needed] & ~gone
                reason[inherited] = results[needed][1][inherited]
                gone |= absent[needed]
            value, own = spec.compute(profiles, *(results[d][0] for d in (*spec.depends, *spec.optional)))
            fails = missing(own) & ~gone
            reason[fails] = own[fails]
            absent[code] = gone | fails
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                value = np.where(absent[code], np.nan, value)
            results[code] = (value, reason)
    return results


_NO_DOSE = "no dose amount for the profile"
_NOT_IV = "clearance and volume need an IV dose (infusion duration or 0 for a bolus)"
_NO_CONC = "no concentration in the profile"
_NOT_QUANTIFIED = "no quantifiable concentration"


def _no_dose(p: Profiles) -> np.ndarray:
    return ~(np.isfinite(p.dose) & (p.dose > 0))


def _no_iv(p: Profiles) -> np.ndarray:
    return ~np.isfinite(p.duration)


# ---------------------------------------------------------------------------
# The parameters (PKPARMCD / PKPARM from CDISC CT)


@parameter("_curve")
def _prepared_curve(p: Profiles) -> Computed:
    """The curve the AUCs integrate: the samples, starting at the dose time (0 or back-extrapolated C0)."""
    t, c = p.time, p.conc
    start = (t[:, 0] > 0) & p.settings.zero_at_dose  # no sample at (or before) the dose time
    bolus = start & (p.duration == 0)
    positive = c > 0
    rank = np.cumsum(positive, axis=1)
    first, second = (np.argmax(positive & (rank == i), axis=1) for i in (1, 2))
    (t1, t2), (c1, c2) = (t[p.rows, first], t[p.rows, second]), (c[p.rows, first], c[p.rows, second])
    declining = (rank[:, -1] >= 2) & (c2 < c1)
    slope = (np.log(c2) - np.log(c1)) / (t2 - t1)
    c0 = np.where(bolus, np.exp(np.log(c1) - slope * t1), 0.0)
    time, conc = np.full((len(t), t.shape[1] + 1), np.nan), np.full((len(t), t.shape[1] + 1), np.nan)
    time[~start, :-1], conc[~start, :-1] = t[~start], c[~start]
    time[start, 0], conc[start, 0] = 0.0, c0[start]
    time[start, 1:], conc[start, 1:] = t[start], c[start]
    return curve.Curve(time, conc, p.count + start), reasons(
        (p.count == 0, _NO_CONC),
        (bolus & ~declining, "no C0 for the IV bolus: the first two concentrations do not decline"),
    )


@parameter("CMAX", "Max Conc", "conc")
def _cmax(p: Profiles) -> Computed:
    return curve.row_reduce(np.maximum, p.conc, p.count, np.nan), reasons((p.count == 0, _NO_CONC))


@parameter("TMAX", "Time of CMAX Observation", "time", depends=["CMAX"])
def _tmax(p: Profiles, cmax: np.ndarray) -> Computed:
    at = np.argmax(np.where(p.sampled, p.conc, -np.inf), axis=1)
    return p.time[p.rows, at], reasons((~(cmax > 0), _NOT_QUANTIFIED))


def _last_positive(p: Profiles) -> np.ndarray:
    return p.time.shape[1] - 1 - np.argmax((p.conc > 0)[:, ::-1], axis=1)


@parameter("TLST", "Time of Last Nonzero Conc", "time", depends=["CMAX"])
def _tlast(p: Profiles, cmax: np.ndarray) -> Computed:
    return p.time[p.rows, _last_positive(p)], reasons((~(cmax > 0), _NOT_QUANTIFIED))


@parameter("CLST", "Last Nonzero Conc", "conc", depends=["CMAX"])
def _clast(p: Profiles, cmax: np.ndarray) -> Computed:
    return p.conc[p.rows, _last_positive(p)], reasons((~(cmax > 0), _NOT_QUANTIFIED))


def _computed(p: Profiles) -> np.ndarray:
    return np.full(len(p.count), None, dtype=object)


@parameter("AUCLST", "AUC to Last Nonzero Conc", "auc", depends=["_curve", "TLST"])
def _auclast(p: Profiles, prepared: curve.Curve, tlast: np.ndarray) -> Computed:
    return curve.area(prepared, tlast, p.settings.auc_method), _computed(p)


def _end(prepared: curve.Curve) -> np.ndarray:
    """The last time of each curve."""
    return prepared.time[np.arange(len(prepared.points)), np.maximum(prepared.points - 1, 0)]


@parameter("AUCALL", "AUC All", "auc", depends=["_curve", "CMAX"])
def _aucall(p: Profiles, prepared: curve.Curve, cmax: np.ndarray) -> Computed:
    return curve.area(prepared, _end(prepared), p.settings.auc_method), _computed(p)


@parameter("_fit", depends=["TMAX"])
def _lambda_z_fit(p: Profiles, tmax: np.ndarray) -> Computed:
    s = p.settings
    inclusive = s.lambda_z_points == "all_from_tmax"
    after = ((p.time >= tmax[:, None]) if inclusive else (p.time > tmax[:, None])) & (p.conc > 0)
    after &= ~missing(p.problem)[:, None]
    fit = lambda_z.terminal_fits(p.time, p.conc, after, s.min_points, None if inclusive else s.adj_r2_tolerance)
    where = "at or after" if inclusive else "after"
    points = after.sum(axis=1)
    too_few = points < s.min_points
    return fit, reasons(
        (too_few, texts(too_few, f"{{}} positive concentration(s) {where} Tmax, fewer than the {s.min_points} lambda-z needs", points)),
        (~(fit.lambda_z > 0), f"concentrations {where} Tmax do not decline: no positive lambda-z"),
    )


@parameter("R2", "R Squared", depends=["_fit"])
def _r2(p: Profiles, fit: lambda_z.LambdaZFit) -> Computed:
    return fit.r2, _computed(p)


@parameter("R2ADJ", "R Squared Adjusted", depends=["_fit"])
def _r2adj(p: Profiles, fit: lambda_z.LambdaZFit) -> Computed:
    return fit.r2adj, reasons((~np.isfinite(fit.r2adj), "adjusted R-squared needs at least 3 points"))


@parameter("LAMZNPT", "Number of Points for Lambda z", "count", depends=["_fit"])
def _lamznpt(p: Profiles, fit: lambda_z.LambdaZFit) -> Computed:
    return fit.n.astype(float), _computed(p)


@parameter("LAMZLL", "Lambda z Lower Limit", "time", depends=["_fit"])
def _lamzll(p: Profiles, fit: lambda_z.LambdaZFit) -> Computed:
    return fit.lower, _computed(p)


@parameter("LAMZUL", "Lambda z Upper Limit", "time", depends=["_fit"])
def _lamzul(p: Profiles, fit: lambda_z.LambdaZFit) -> Computed:
    return fit.upper, _computed(p)


@parameter("LAMZ", "Lambda z", "rate", depends=["_fit"])
def _lamz(p: Profiles, fit: lambda_z.LambdaZFit) -> Computed:
    limit = p.settings.min_r2adj
    if limit is None:
        return fit.lambda_z, _computed(p)
    rejected = ~(fit.r2adj >= limit)
    return fit.lambda_z, reasons(
        (rejected, texts(rejected, f"lambda-z fit rejected: adjusted R-squared {{:.4f}} below {limit}", fit.r2adj))
    )


@parameter("LAMZHL", "Half-Life Lambda z", "time", depends=["LAMZ"])
def _half_life(p: Profiles, lamz: np.ndarray) -> Computed:
    return p.settings.ln2 / lamz, _computed(p)


@parameter("_aucifo", depends=["AUCLST", "CLST", "LAMZ"])
def _aucinf_obs(p: Profiles, auclast: np.ndarray, clast: np.ndarray, lamz: np.ndarray) -> Computed:
    return auclast + clast / lamz, _computed(p)


@parameter("_aucifp", depends=["AUCLST", "TLST", "LAMZ", "_fit"])
def _aucinf_pred(p: Profiles, auclast: np.ndarray, tlast: np.ndarray, lamz: np.ndarray, fit: lambda_z.LambdaZFit) -> Computed:
    return auclast + np.exp(fit.intercept - lamz * tlast) / lamz, _computed(p)


@parameter("AUCPEO", "AUC %Extrapolation Obs", "percent", depends=["_aucifo", "AUCLST"])
def _aucpeo(p: Profiles, aucinf: np.ndarray, auclast: np.ndarray) -> Computed:
    return (aucinf - auclast) / aucinf * 100, _computed(p)


@parameter("AUCPEP", "AUC %Extrapolation Pred", "percent", depends=["_aucifp", "AUCLST"])
def _aucpep(p: Profiles, aucinf: np.ndarray, auclast: np.ndarray) -> Computed:
    return (aucinf - auclast) / aucinf * 100, _computed(p)


def _accepted(p: Profiles, aucinf: np.ndarray, extrapolated: np.ndarray) -> Computed:
    limit = p.settings.max_extrapolation_pct
    if limit is None:
        return aucinf, _computed(p)
    over = extrapolated > limit
    return aucinf, reasons((over, texts(over, f"{{:.1f}}% of AUCinf extrapolated, more than {limit:g}%", extrapolated)))


@parameter("AUCIFO", "AUC Infinity Obs", "auc", depends=["_aucifo", "AUCPEO"])
def _aucifo(p: Profiles, aucinf: np.ndarray, extrapolated: np.ndarray) -> Computed:
    return _accepted(p, aucinf, extrapolated)


@parameter("AUCIFP", "AUC Infinity Pred", "auc", depends=["_aucifp", "AUCPEP"])
def _aucifp(p: Profiles, aucinf: np.ndarray, extrapolated: np.ndarray) -> Computed:
    return _accepted(p, aucinf, extrapolated)


@parameter("CLO", "Total CL Obs", "clearance", depends=["AUCIFO"])
def _clo(p: Profiles, aucinf: np.ndarray) -> Computed:
    return p.dose / aucinf, reasons((_no_iv(p), _NOT_IV), (_no_dose(p), _NO_DOSE))


@parameter("CLP", "Total CL Pred", "clearance", depends=["AUCIFP"])
def _clp(p: Profiles, aucinf: np.ndarray) -> Computed:
    return p.dose / aucinf, reasons((_no_iv(p), _NOT_IV), (_no_dose(p), _NO_DOSE))


@parameter("VZO", "Vz Obs", "volume", depends=["AUCIFO", "LAMZ"])
def _vzo(p: Profiles, aucinf: np.ndarray, lamz: np.ndarray) -> Computed:
    return p.dose / (lamz * aucinf), reasons((_no_iv(p), _NOT_IV), (_no_dose(p), _NO_DOSE))


@parameter("VZP", "Vz Pred", "volume", depends=["AUCIFP", "LAMZ"])
def _vzp(p: Profiles, aucinf: np.ndarray, lamz: np.ndarray) -> Computed:
    return p.dose / (lamz * aucinf), reasons((_no_iv(p), _NOT_IV), (_no_dose(p), _NO_DOSE))


@parameter("AUCTAU", "AUC Over Dosing Interval", "auc", depends=["_curve", "TLST", "CLST"], optional=["LAMZ"])
def _auctau(p: Profiles, prepared: curve.Curve, tlast: np.ndarray, clast: np.ndarray, lamz: np.ndarray) -> Computed:
    method = p.settings.auc_method
    within = p.tau <= _end(prepared)
    extrapolated = curve.area(prepared, tlast, method) + clast / lamz * -np.expm1(-lamz * (p.tau - tlast))
    beyond = np.isfinite(p.tau) & ~within & np.isnan(lamz)
    early = p.tau < prepared.time[:, 0]
    return np.where(within, curve.area(prepared, np.where(within, p.tau, np.nan), method), extrapolated), reasons(
        (~np.isfinite(p.tau), "not a repeat-dose profile (no dosing interval)"),
        (early, texts(early, "the dosing interval ({:g}) ends before the first sample", p.tau)),
        (beyond, texts(beyond, "the dosing interval ({:g}) ends after the last sample and lambda-z is missing", p.tau)),
    )


@parameter("CMAXD", "Max Conc Norm by Dose", "conc_dose", depends=["CMAX"])
def _cmaxd(p: Profiles, cmax: np.ndarray) -> Computed:
    return cmax / p.dose, reasons((_no_dose(p), _NO_DOSE))


@parameter("AUCLSTD", "AUC to Last Nonzero Conc Norm by Dose", "auc_dose", depends=["AUCLST"])
def _auclstd(p: Profiles, auclast: np.ndarray) -> Computed:
    return auclast / p.dose, reasons((_no_dose(p), _NO_DOSE))


@parameter("AUCIFOD", "AUC Infinity Obs Norm by Dose", "auc_dose", depends=["AUCIFO"])
def _aucifod(p: Profiles, aucinf: np.ndarray) -> Computed:
    return aucinf / p.dose, reasons((_no_dose(p), _NO_DOSE))
