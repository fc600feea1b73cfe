"""PK summaries: mean (SD) concentration-time plots and a PK parameter summary table.

The plot is drawn with matplotlib's Agg canvas (no display needed) and returned as PNG bytes with no
software or date metadata, so the same data give the same bytes. The parameter summary gives, per
group and parameter, the number of values, the geometric mean and the geometric CV% =
100 * sqrt(exp(s ** 2) - 1), s the standard deviation (n - 1) of the natural logs, over the positive
values (a geometric mean is undefined for 0), plus the median and range.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["format_pk_summary", "mean_concentration_png", "summarise_concentrations", "summarise_pk_parameters"]


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
    the log panel. The same data give the same bytes (no software or date metadata)."""
    fig = Figure(figsize=(11, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    label = f"Concentration ({unit})" if unit else "Concentration"
    for position, scale in enumerate(("linear", "log")):
        axes = fig.add_subplot(1, 2, position + 1)
        for name, group in summary.groupby(group_var, sort=True):
            group = group.sort_values(time)
            shown = group[group["MEAN"] > 0] if scale == "log" else group
            error = shown["SD"].fillna(0).to_numpy()
            lower = np.minimum(error, shown["MEAN"].to_numpy() * 0.999) if scale == "log" else error
            axes.errorbar(shown[time], shown["MEAN"], yerr=[lower, error], marker="o", markersize=3, capsize=2,
                          linewidth=1, label=str(name))
        axes.set_yscale(scale)
        axes.set_xlabel(f"Nominal time ({time_unit})")
        axes.set_ylabel(label)
        axes.set_title(f"{scale.capitalize()} scale")
        axes.grid(True, alpha=0.3)
        if summary[group_var].nunique() > 0:
            axes.legend(title=group_var, fontsize="small")
    fig.suptitle(f"{title}: mean (SD)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


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
    rows = [[*(str(summary[v].iloc[i]) for v in by_vars), str(summary[param].iloc[i]),
             str(summary["UNIT"].iloc[i]) if "UNIT" in summary and pd.notna(summary["UNIT"].iloc[i]) else "",
             f"{summary['N'].iloc[i]:.0f}", _number(summary["GEOMEAN"].iloc[i]),
             "NE" if pd.isna(summary["GEOCV"].iloc[i]) else f"{summary['GEOCV'].iloc[i]:.1f}",
             _number(summary["MEDIAN"].iloc[i]), _number(summary["MIN"].iloc[i]), _number(summary["MAX"].iloc[i])]
            for i in range(len(summary))]
    header = [*by_vars, param, "UNIT", "N", "Geo. mean", "Geo. CV%", "Median", "Min", "Max"]
    widths = [max(len(h), *(len(r[j]) for r in rows)) if rows else len(h) for j, h in enumerate(header)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)
