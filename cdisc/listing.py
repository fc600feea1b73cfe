"""A readable text table of a dataset: what a reviewer reads without opening the XPT."""

from __future__ import annotations

import pandas as pd

from cdisc.sasdates import SAS_EPOCH


def _display(values: pd.Series, fmt: str | None) -> pd.Series:
    """Values as a reader expects them: SAS dates as ISO dates, whole numbers without decimals."""
    fmt = fmt or ""
    if fmt.startswith("DATETIME"):
        return (SAS_EPOCH + pd.to_timedelta(values, unit="s")).dt.strftime("%Y-%m-%dT%H:%M").fillna("")
    if fmt.startswith("DATE"):
        return (SAS_EPOCH + pd.to_timedelta(values, unit="D")).dt.strftime("%Y-%m-%d").fillna("")
    if pd.api.types.is_float_dtype(values):
        present = values.dropna()
        text = present.map("{:.0f}".format).where(present % 1 == 0, present.map("{:g}".format))
        return text.astype("str").reindex(values.index, fill_value="")
    return values.astype("str").fillna("")


def render_listing(frame: pd.DataFrame, spec) -> str:
    """``spec.dataset``: ``spec.label`` as a fixed-width table, then each column's label."""
    formats = {v.name: v.format for v in spec.variables}
    shown = pd.DataFrame({name: _display(frame[name], formats.get(name)) for name in frame.columns})
    widths = {c: max(len(c), *(shown[c].str.len().tolist() or [0])) for c in shown.columns}
    lines = [f"{spec.dataset}: {spec.label} ({len(frame)} records)", ""]
    lines.append("  ".join(c.ljust(widths[c]) for c in shown.columns).rstrip())
    lines.append("  ".join("-" * widths[c] for c in shown.columns))
    body = pd.Series("", index=shown.index, dtype="str")
    for column in shown.columns:
        body = body + shown[column].str.ljust(widths[column]) + "  "
    lines += body.str.rstrip().tolist()
    labels = {v.name: v.label for v in spec.variables}
    lines += ["", *(f"{c:<8}  {labels.get(c, '')}" for c in shown.columns)]
    return "\n".join(lines) + "\n"
