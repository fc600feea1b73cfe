"""PK summaries: mean (SD) concentration-time plots and a PK parameter summary table.

The plot is drawn with matplotlib's Agg canvas (no display needed, :mod:`cdisc.reports.figure`) and
returned as PNG bytes with no software or date metadata, so the same data give the same bytes. The parameter summary gives, per
group and parameter, the number of values, the geometric mean and the geometric CV% =
100 * sqrt(exp(s ** 2) - 1), s the standard deviation (n - 1) of the natural logs, over the positive
values (a geometric mean is undefined for 0), plus the median and range.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cdisc.reports.figure import agg_figure, clear_plotted, plain_log_ticks, png_bytes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["format_pk_summary", "mean_concentration_png", "mean_concentration_pngs", "summarise_concentrations", "summarise_pk_parameters"]


def summarise_concentrations(conc: pd.DataFrame, by_vars: Sequence[str], time: str, value: str) -> pd.DataFrame:
    """N, mean and SD of ``value`` per ``by_vars`` group and nominal ``time`` (missing values left out).

        >>> c = pd.DataFrame({"DOSE": "1", "NRRLT": [1.0, 1, 4], "AVAL": [2.0, 4, 1]})
        >>> summarise_concentrations(c, ["DOSE"], "NRRLT", "AVAL")[["NRRLT", "N", "MEAN", "SD"]].values.tolist()
        [[1.0, 2.0, 3.0, 1.4142135623730951], [4.0, 1.0, 1.0, nan]]
    """
    keys = [*by_vars, time]
    kept = conc[conc[value].notna() & conc[time].notna()]
    summary = kept.groupby(keys, sort=True)[value].agg(N="count", MEAN="mean", SD="std").reset_index()
    return summary.astype({"N": float})


def mean_concentration_png(summary: pd.DataFrame, *, time: str, group_var: str, title: str, unit: str | None = None,
                           time_unit: str = "h") -> bytes:
    """A PNG with two panels, linear and log concentration scale: the mean (error bars: SD) per ``group_var``
    against nominal ``time``, from :func:`summarise_concentrations`. Points with a mean of 0 are left off
    the log panel; one legend (top right of the linear panel) names the groups of both. The same data give
    the same bytes (no software or date metadata)."""
    return next(mean_concentration_pngs([(title, summary, unit)], time=time, group_var=group_var, time_unit=time_unit))


def mean_concentration_pngs(plots: Iterable[tuple[str, pd.DataFrame, str | None]], *, time: str, group_var: str,
                            time_unit: str = "h") -> Iterator[bytes]:
    """:func:`mean_concentration_png` of each (title, summary, unit) in ``plots``, the same bytes, drawn one after
    the other on one figure (:func:`cdisc.reports.figure.clear_plotted`)."""
    figure = agg_figure(11, 4.5, left=0.08, right=0.99, bottom=0.12, top=0.84, wspace=0.2)  # room for labels such as 0.0001
    panels = {scale: figure.add_subplot(1, 2, position + 1) for position, scale in enumerate(("linear", "log"))}
    for scale, axes in panels.items():
        axes.set_xlabel(f"Nominal time ({time_unit})")
        axes.set_title(f"{scale.capitalize()} scale", y=1)  # placed, not fitted above the axis (a costly measure)
        axes.grid(True, alpha=0.3)
    for title, summary, unit in plots:
        groups = _mean_lines(summary, group_var, time)
        for scale, axes in panels.items():
            clear_plotted(axes)
            axes.set_yscale(scale)  # the scale's own tick locators again
            _draw_means(axes, groups, log=scale == "log")
            if scale == "log":
                plain_log_ticks(axes.yaxis)
            axes.set_ylabel(f"Concentration ({unit})" if unit else "Concentration")
            if groups and scale == "linear":
                axes.legend(title=group_var, fontsize="small", loc="upper right")
        figure.suptitle(f"{title}: mean (SD)")
        yield png_bytes(figure)


def _mean_lines(summary: pd.DataFrame, group_var: str, time: str) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """Per ``group_var`` value (sorted): its name, and its times, means and SDs in time order."""
    lines = []
    for name, group in summary.groupby(group_var, sort=True):
        ordered = group.sort_values(time)
        lines.append((str(name), *(ordered[column].to_numpy(float) for column in (time, "MEAN", "SD"))))
    return lines


def _draw_means(axes: Axes, groups: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], *, log: bool) -> None:
    """One line of means per group (name, times, means, SDs), in matplotlib's colour cycle, and the SD bars of
    all groups as one collection (with caps as one more; ``errorbar`` makes four artists per group). On a log
    scale, means of 0 are left off and a lower bar reaching 0 or below stops just above it."""
    x, low, high, colors = [], [], [], []
    for index, (name, all_times, all_means, all_sds) in enumerate(groups):
        shown = all_means > 0 if log else np.ones(len(all_means), bool)
        times, mean, error = all_times[shown], all_means[shown], np.where(np.isnan(all_sds[shown]), 0.0, all_sds[shown])
        color = f"C{index % 10}"
        axes.plot(times, mean, marker="o", markersize=3, linewidth=1, color=color, label=name)
        x.append(times)
        low.append(mean - (np.minimum(error, mean * 0.999) if log else error))
        high.append(mean + error)
        colors += [color] * len(times)
    if colors:
        axes.vlines(np.concatenate(x), np.concatenate(low), np.concatenate(high), colors=colors, linewidth=1)
        axes.scatter(np.concatenate(x * 2), np.concatenate(low + high), s=9, marker="_", linewidths=1, c=colors * 2)


def summarise_pk_parameters(pp: pd.DataFrame, by_vars: Sequence[str], param: str = "PPTESTCD",
                            value: str = "PPSTRESN", unit: str | None = "PPSTRESU") -> pd.DataFrame:
    """Per ``by_vars`` group and parameter: N (values), NPOS (positive values), GEOMEAN, GEOCV (%), MEDIAN, MIN, MAX.

        >>> pp = pd.DataFrame({"DOSE": "1", "PPTESTCD": "CMAX", "PPSTRESN": [1.0, 10, 100, None], "PPSTRESU": "ug/mL"})
        >>> row = summarise_pk_parameters(pp, ["DOSE"]).iloc[0]
        >>> [round(float(row[c]), 1) for c in ("N", "GEOMEAN", "GEOCV", "MEDIAN")]
        [3.0, 10.0, 1413.2, 10.0]
    """
    keys = [*by_vars, param]
    frame = pp[pp[value].notna()].copy()
    frame["_log"] = np.log(frame[value].where(frame[value] > 0))
    grouped = frame.groupby(keys, sort=True)
    out = grouped[value].agg(N="count", MEDIAN="median", MIN="min", MAX="max")
    logs = grouped["_log"].agg(NPOS="count", _mean="mean", _sd="std")
    out = out.join(logs)
    out["GEOMEAN"] = np.exp(out["_mean"])
    out["GEOCV"] = 100 * np.sqrt(np.expm1(out["_sd"] ** 2))
    if unit:
        out["UNIT"] = grouped[unit].first()
    columns = ["N", "NPOS", "GEOMEAN", "GEOCV", "MEDIAN", "MIN", "MAX", *(["UNIT"] if unit else [])]
    return out[columns].reset_index().astype({"N": float, "NPOS": float})


def _number(value: float) -> str:
    if pd.isna(value):
        return "NE"
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"


def format_pk_summary(summary: pd.DataFrame, by_vars: Sequence[str], *, title: str, param: str = "PPTESTCD") -> str:
    """The summary of :func:`summarise_pk_parameters` as a fixed-width text listing (NE: not estimable).

        >>> s = pd.DataFrame({"DOSE": ["1"], "PPTESTCD": ["CMAX"], "N": [3.0], "NPOS": [3.0], "GEOMEAN": [10.0],
        ...                   "GEOCV": [25.0], "MEDIAN": [10.0], "MIN": [5.0], "MAX": [20.0], "UNIT": ["ug/mL"]})
        >>> print(format_pk_summary(s, ["DOSE"], title="PK"))  # doctest: +NORMALIZE_WHITESPACE
        PK
        DOSE  PPTESTCD  UNIT   N  Geo. mean  Geo. CV%  Median  Min  Max
        1     CMAX      ug/mL  3  10         25.0      10      5    20
    """
    def texts(column: str) -> list[str]:
        return [str(v) for v in summary[column].tolist()]

    units = [str(u) if pd.notna(u) else "" for u in summary["UNIT"].tolist()] if "UNIT" in summary else [""] * len(summary)
    columns = [*(texts(v) for v in by_vars), texts(param), units, [f"{n:.0f}" for n in summary["N"].tolist()],
               [_number(v) for v in summary["GEOMEAN"].tolist()],
               ["NE" if pd.isna(v) else f"{v:.1f}" for v in summary["GEOCV"].tolist()],
               *([_number(v) for v in summary[c].tolist()] for c in ("MEDIAN", "MIN", "MAX"))]
    rows = [list(row) for row in zip(*columns)]
    header = [*by_vars, param, "UNIT", "N", "Geo. mean", "Geo. CV%", "Median", "Min", "Max"]
    widths = [max(len(h), *(len(r[j]) for r in rows)) if rows else len(h) for j, h in enumerate(header)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)
