"""Efficacy summaries: Kaplan-Meier medians with 95% CIs, response rates with exact CIs, a text listing and
Kaplan-Meier plots.

Kaplan-Meier: the survival curve and its pointwise 95% confidence limits are computed as ``scipy.stats.ecdf``
computes them, to the bit (Greenwood variance, log-log transform: ``S(t) ** exp(+-z * se / log S(t))``, as SAS
LIFETEST's default ``CONFTYPE=LOGLOG``), with numpy and ``scipy.special`` only: importing ``scipy.stats``
costs about half a second, more than all the reports of a study. The median is the smallest time at which S(t)
<= 0.5, or the midpoint between that time and the next event time when S(t) is exactly 0.5 there (SAS and R
``survival`` convention). Its 95% CI is Brookmeyer and Crowley's, from the same pointwise limits: the times
whose confidence interval contains 0.5, i.e. from the first time the lower limit is <= 0.5 up to the first
time the upper limit is < 0.5 (missing, "NE", when the curve never gets there). Response rates use the exact
Clopper-Pearson interval, the beta quantiles of ``scipy.special.betaincinv``
(``scipy.stats.binomtest(...).proportion_ci("exact")`` finds the same limits by root-finding, to 1e-12).
lifelines is not used: it requires pandas < 3.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from cdisc.reports.figure import agg_figure, clear_plotted, png_bytes

__all__ = ["efficacy_report", "format_efficacy_listing", "km_median", "km_plot_png", "km_plot_pngs", "km_table", "summarise_km",
           "summarise_rate"]

OVERALL = "Overall"
DAYS_PER_MONTH = 30.4375
_TOL = 1e-12


def km_table(time: np.ndarray, event: np.ndarray, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier estimate at each distinct time: TIME, NRISK, NEVENT, NCENSOR, SURV, LOWER, UPPER.

    ``event`` is 1/True for an event, 0/False for a censored time (ADTTE ``CNSR == 0`` is an event).

        >>> km_table(np.array([1.0, 2, 2, 3]), np.array([1, 1, 0, 1]))[["TIME", "NRISK", "NEVENT", "SURV"]].values.tolist()
        [[1.0, 4.0, 1.0, 0.75], [2.0, 3.0, 1.0, 0.5], [3.0, 1.0, 1.0, 0.0]]
    """
    time, event = np.asarray(time, float), np.asarray(event, bool)
    if np.isnan(time).any():
        raise ValueError("Kaplan-Meier: a time is missing")
    columns = ["TIME", "NRISK", "NEVENT", "NCENSOR", "SURV", "LOWER", "UPPER"]
    if len(time) == 0:
        return pd.DataFrame(columns=columns, dtype=float)
    times, inverse = np.unique(time, return_inverse=True)
    n_event = np.bincount(inverse, weights=event, minlength=len(times))
    n_all = np.bincount(inverse, minlength=len(times)).astype(float)
    at_risk = n_all[::-1].cumsum()[::-1]
    table = pd.DataFrame({"TIME": times, "NRISK": at_risk, "NEVENT": n_event, "NCENSOR": n_all - n_event})
    if event.any():
        surv, low, high = _km_estimate(at_risk, n_event, censored=not event.all(), confidence=confidence)
        gone = surv <= _TOL  # log-log limits are undefined where S(t) = 0
        low, high = np.where(gone, 0.0, low), np.where(gone, 0.0, high)
    else:
        surv, low, high = np.ones(len(times)), np.full(len(times), np.nan), np.full(len(times), np.nan)
    return table.assign(SURV=surv, LOWER=low, UPPER=high)


def _km_estimate(at_risk: np.ndarray, n_event: np.ndarray, *, censored: bool,
                 confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """S(t) and its pointwise log-log limits at each distinct time (NaN where undefined: S(t) is 0 or 1),
    operation for operation as ``scipy.stats.ecdf(...).sf`` and its ``confidence_interval(method="log-log")``
    (without censoring scipy takes S(t) as 1 - F(t), not as the product: the last bits differ)."""
    from scipy.special import ndtri

    if censored:
        surv = np.cumprod((at_risk - n_event) / at_risk)
    else:
        surv = 1 - np.cumsum(n_event) / at_risk[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(1 / np.log(surv) ** 2 * np.cumsum(n_event / (at_risk * (at_risk - n_event))))
        z_se = ndtri(1 / 2 + confidence / 2) * se
        points = np.log(-np.log(surv))
        low, high = np.exp(-np.exp(points + z_se)), np.exp(-np.exp(points - z_se))
    return surv, np.clip(low, 0, 1), np.clip(high, 0, 1)


def _first_time(times: np.ndarray, mask: np.ndarray) -> float:
    hit = np.flatnonzero(mask)
    return float(times[hit[0]]) if len(hit) else np.nan


def km_median(table: pd.DataFrame) -> tuple[float, float, float]:
    """Median and its Brookmeyer-Crowley 95% CI from a :func:`km_table` (NaN where not estimable).

        >>> km_median(km_table(np.array([1.0, 2, 3, 4]), np.array([1, 1, 1, 1])))[0]
        2.5
    """
    events = table[table["NEVENT"].to_numpy(float) > 0]
    times, surv = events["TIME"].to_numpy(float), events["SURV"].to_numpy(float)
    below = surv <= 0.5 + _TOL
    median = _first_time(times, below)
    at = np.flatnonzero(below)
    if len(at) and abs(surv[at[0]] - 0.5) <= _TOL and at[0] + 1 < len(times):
        median = (times[at[0]] + times[at[0] + 1]) / 2
    lower = _first_time(times, events["LOWER"].to_numpy(float) <= 0.5 + _TOL)
    upper = _first_time(times, events["UPPER"].to_numpy(float) < 0.5 - _TOL)
    return float(median), lower, upper


def _groups(frame: pd.DataFrame, group_var: str | None) -> list[tuple[str, pd.DataFrame]]:
    parts = [] if group_var is None else [(str(g), part) for g, part in frame.groupby(group_var, sort=True)]
    return [*parts, (OVERALL, frame)]


def summarise_km(tte: pd.DataFrame, *, group_var: str | None = None, time: pd.Series | None = None,
                 cnsr_var: str = "CNSR") -> pd.DataFrame:
    """Per group (and overall): N, EVENTS, CENSORED, MEDIAN, LCL, UCL of a time-to-event parameter.

    ``time`` defaults to ``AVAL`` (pass e.g. AVAL in months); ``CNSR == 0`` is an event.

        >>> tte = pd.DataFrame({"AVAL": [1.0, 2, 3, 4], "CNSR": [0, 0, 0, 1], "DOSE": ["A", "A", "B", "B"]})
        >>> summarise_km(tte, group_var="DOSE")[["GROUP", "N", "EVENTS", "MEDIAN"]].values.tolist()
        [['A', 2, 2, 1.5], ['B', 2, 1, 3.0], ['Overall', 4, 3, 2.5]]
    """
    values = (tte["AVAL"] if time is None else time).astype(float)
    frame = tte.assign(_time=values.to_numpy(), _event=tte[cnsr_var].to_numpy(float) == 0)
    rows = []
    for name, part in _groups(frame, group_var):
        median, lower, upper = km_median(km_table(part["_time"].to_numpy(), part["_event"].to_numpy()))
        events = int(part["_event"].sum())
        rows.append({"GROUP": name, "N": len(part), "EVENTS": events, "CENSORED": len(part) - events,
                     "MEDIAN": median, "LCL": lower, "UCL": upper})
    return pd.DataFrame(rows, columns=["GROUP", "N", "EVENTS", "CENSORED", "MEDIAN", "LCL", "UCL"])


def summarise_rate(flags: pd.DataFrame, *, group_var: str | None = None, value_var: str = "AVALC",
                   confidence: float = 0.95) -> pd.DataFrame:
    """Per group (and overall): N, RESPONDERS (``value_var == "Y"``), RATE (%), LCL, UCL (%, Clopper-Pearson).

        >>> rsp = pd.DataFrame({"AVALC": ["Y", "N", "N", "N"]})
        >>> summarise_rate(rsp).round(2).values.tolist()
        [['Overall', 4, 1, 25.0, 0.63, 80.59]]
    """
    rows = []
    for name, part in _groups(flags, group_var):
        n, k = len(part), int(part[value_var].eq("Y").sum())
        low, high = _clopper_pearson(k, n, confidence) if n else (np.nan, np.nan)
        rows.append({"GROUP": name, "N": n, "RESPONDERS": k, "RATE": 100 * k / n if n else np.nan,
                     "LCL": 100 * float(low), "UCL": 100 * float(high)})
    return pd.DataFrame(rows, columns=["GROUP", "N", "RESPONDERS", "RATE", "LCL", "UCL"])


def _clopper_pearson(k: int, n: int, confidence: float) -> tuple[float, float]:
    """The exact (Clopper-Pearson) two-sided interval of a proportion, ``k`` of ``n``: beta quantiles.

        >>> [round(limit, 4) for limit in _clopper_pearson(1, 4, 0.95)]
        [0.0063, 0.8059]
    """
    from scipy.special import betaincinv

    alpha = (1 - confidence) / 2
    low = 0.0 if k == 0 else float(betaincinv(k, n - k + 1, alpha))
    high = 1.0 if k == n else float(betaincinv(k + 1, n - k, 1 - alpha))
    return low, high


def _num(value: float, digits: int = 1) -> str:
    return "NE" if pd.isna(value) else f"{value:.{digits}f}"


def format_efficacy_listing(km: Mapping[str, pd.DataFrame], rates: Mapping[str, pd.DataFrame], *,
                            group_label: str = "Group", time_unit: str = "months") -> str:
    """A readable text listing of :func:`summarise_km` results (per endpoint) and :func:`summarise_rate`
    results (per rate), with the methods stated.

        >>> km = {"PFS": pd.DataFrame([{"GROUP": "Overall", "N": 4, "EVENTS": 3, "CENSORED": 1, "MEDIAN": 2.5, "LCL": 1.0, "UCL": np.nan}])}
        >>> print(format_efficacy_listing(km, {}).splitlines()[4])
          Overall                4       3         1      2.5  (1.0, NE)
    """
    lines = ["Time-to-event endpoints (Kaplan-Meier; median in " + time_unit + " with 95% CI)", ""]
    for name, table in km.items():
        lines += [name, f"  {group_label:<18} {'N':>5} {'Events':>7} {'Censored':>9} {'Median':>8}  95% CI"]
        for row in table.itertuples():
            lines.append(f"  {row.GROUP:<18} {row.N:>5} {row.EVENTS:>7} {row.CENSORED:>9} {_num(row.MEDIAN):>8}  "
                         f"({_num(row.LCL)}, {_num(row.UCL)})")
        lines.append("")
    if rates:
        lines += ["Response rates (exact Clopper-Pearson 95% CI)", ""]
        for name, table in rates.items():
            lines += [name, f"  {group_label:<18} {'N':>5} {'n':>7} {'%':>9}  95% CI"]
            for row in table.itertuples():
                lines.append(f"  {row.GROUP:<18} {row.N:>5} {row.RESPONDERS:>7} {_num(row.RATE):>9}  "
                             f"({_num(row.LCL)}, {_num(row.UCL)})")
            lines.append("")
    lines += ["Methods: Kaplan-Meier estimates with Greenwood variance; pointwise 95% limits on the log-log scale;",
              "median CI by Brookmeyer-Crowley from those limits (as SAS LIFETEST's default); NE = not estimable.",
              "Rates: exact (Clopper-Pearson) binomial 95% CI."]
    return "\n".join(lines) + "\n"


def km_plot_png(tte: pd.DataFrame, *, title: str, group_var: str | None = None, time: pd.Series | None = None,
                xlabel: str = "Months", cnsr_var: str = "CNSR", groups: Sequence[str] | None = None) -> bytes:
    """A Kaplan-Meier plot (one step curve per group, ``+`` at censored times) as PNG bytes, the same bytes
    for the same data (no software or date metadata)."""
    return next(km_plot_pngs([(title, tte, time)], group_var=group_var, xlabel=xlabel, cnsr_var=cnsr_var, groups=groups))


def km_plot_pngs(plots: Iterable[tuple[str, pd.DataFrame, pd.Series | None]], *, group_var: str | None = None,
                 xlabel: str = "Months", cnsr_var: str = "CNSR", groups: Sequence[str] | None = None) -> Iterator[bytes]:
    """:func:`km_plot_png` of each (title, tte, time) in ``plots``, the same bytes, drawn one after the other on
    one figure (:func:`cdisc.reports.figure.clear_plotted`)."""
    figure = agg_figure(7, 4.5, left=0.1, right=0.98, bottom=0.12, top=0.92)
    ax = figure.add_subplot()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Probability")
    ax.grid(True, alpha=0.3)
    for title, tte, time in plots:
        values = (tte["AVAL"] if time is None else time).astype(float)
        frame = tte.assign(_time=values.to_numpy(), _event=tte[cnsr_var].to_numpy(float) == 0)
        parts = _groups(frame, group_var)
        if group_var is not None:
            parts = parts[:-1]
            if groups is not None:
                parts = [p for p in parts if p[0] in set(groups)]
        clear_plotted(ax)
        for name, part in parts:
            table = km_table(part["_time"].to_numpy(), part["_event"].to_numpy())
            x = np.concatenate([[0.0], table["TIME"].to_numpy(float)])
            y = np.concatenate([[1.0], table["SURV"].to_numpy(float)])
            (line,) = ax.step(x, y, where="post", label=f"{name} (n={len(part)})")
            censored = table["NCENSOR"].to_numpy(float) > 0
            ax.plot(x[1:][censored], y[1:][censored], "+", color=line.get_color(), markersize=7)
        ax.set_ylim(0, 1.05)
        ax.set_xlim(left=0)
        ax.set_title(title, y=1)  # placed, not fitted above the axis (a costly measure)
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        yield png_bytes(figure)


def efficacy_report(adtte: pd.DataFrame, adrs: pd.DataFrame, *, group_var: str | None = None,
                    tte_params: Sequence[str] = ("PFS", "OS", "DOR"), rate_params: Sequence[str] = ("RSP", "CB"),
                    group_label: str = "Group") -> tuple[str, dict[str, bytes]]:
    """The efficacy listing and one Kaplan-Meier PNG per time-to-event parameter, from ADTTE (``PARAMCD``,
    ``AVAL`` in days, ``CNSR``) and ADRS (``PARAMCD``, ``AVALC`` Y/N), by ``group_var`` and overall.
    Times are reported in months (days / 30.4375); a parameter without records is left out. ``PARAM``
    (when present) titles each section.

        >>> adtte = pd.DataFrame({"PARAMCD": "OS", "AVAL": [30.0, 61, 92], "CNSR": [0, 0, 1]})
        >>> adrs = pd.DataFrame({"PARAMCD": "RSP", "AVALC": ["Y", "N", "N"]})
        >>> text, plots = efficacy_report(adtte, adrs)
        >>> sorted(plots), text.splitlines()[2]
        (['OS'], 'OS')
    """
    def title(frame: pd.DataFrame, code: str) -> str:
        if "PARAM" not in frame.columns:
            return code
        param = frame["PARAM"].dropna()
        return str(param.iloc[0]) if len(param) else code

    km, curves, rates = {}, {}, {}
    for code in tte_params:
        part = adtte[adtte["PARAMCD"].eq(code).to_numpy()]
        if len(part):
            months = part["AVAL"].astype(float) / DAYS_PER_MONTH
            km[title(part, code)] = summarise_km(part, group_var=group_var, time=months)
            curves[code] = (title(part, code), part, months)
    plots = dict(zip(curves, km_plot_pngs(curves.values(), group_var=group_var)))
    for code in rate_params:
        part = adrs[adrs["PARAMCD"].eq(code).to_numpy()]
        if len(part):
            rates[title(part, code)] = summarise_rate(part, group_var=group_var)
    return format_efficacy_listing(km, rates, group_label=group_label), plots
