"""Time ``cdisc diff`` on two 1,000,000-row datasets differing in 1% of cells, beside pandas ``DataFrame.compare``.

Run: python benchmarks/diff_bench.py [rows]
Target: under 5 s for 1M rows. The compare side is shuffled, so rows must be matched by key;
pandas ``compare`` needs identically labelled frames, so it is timed after aligning on the key
(alignment included), and it uses no tolerance.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.compare.engine import Tolerance, compare_tables
from cdisc.compare.tables import Table, Variable


def make_frames(rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A base frame (key + 4 numeric + 4 character columns) and a shuffled copy with 1% of non-key cells changed."""
    rng = np.random.default_rng(7)
    base = pd.DataFrame(
        {
            "USUBJID": pd.Series([f"S-{i:07d}" for i in range(rows)], dtype="str"),
            "AVAL": rng.normal(100, 15, rows).round(3),
            "BASE": rng.normal(90, 10, rows).round(3),
            "ADY": rng.integers(-30, 400, rows).astype("float64"),
            "AVISITN": rng.integers(0, 12, rows).astype("float64"),
            "PARAMCD": pd.Series(rng.choice(["SYSBP", "DIABP", "PULSE", "TEMP"], rows), dtype="str"),
            "AVISIT": pd.Series(rng.choice(["BASELINE", "WEEK 2", "WEEK 4", "WEEK 8"], rows), dtype="str"),
            "ANL01FL": pd.Series(rng.choice(["Y", ""], rows), dtype="str"),
            "TRTA": pd.Series(rng.choice(["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"], rows), dtype="str"),
        }
    )
    compare = base.copy()
    columns = list(base.columns[1:])
    cells = rows * len(columns) // 100
    flat = rng.choice(rows * len(columns), cells, replace=False)
    for index, column in enumerate(columns):
        hit = flat[flat % len(columns) == index] // len(columns)
        if pd.api.types.is_numeric_dtype(base[column]):
            compare.loc[hit, column] = compare.loc[hit, column] + 1.0
        else:
            compare.loc[hit, column] = "CHANGED"
    order = rng.permutation(rows)
    return base, compare.take(order).reset_index(drop=True)


def table(frame: pd.DataFrame, name: str) -> Table:
    variables = tuple(
        Variable(c, c, "num" if pd.api.types.is_numeric_dtype(frame[c]) else "char", 8, "") for c in frame.columns
    )
    return Table("BENCH", "Benchmark", Path(name), frame, variables)


def best_of(function, repeats: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def pandas_compare(base: pd.DataFrame, compare: pd.DataFrame) -> pd.DataFrame:
    aligned = compare.set_index("USUBJID").reindex(base["USUBJID"])
    return base.set_index("USUBJID").compare(aligned)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    base, compare = make_frames(rows)
    left, right = table(base, "base"), table(compare, "compare")
    ours, diff = best_of(lambda: compare_tables(left, right, ["USUBJID"], {"*": Tolerance(1e-9)}))
    theirs, frame = best_of(lambda: pandas_compare(base, compare))
    changed = sum(v.count for v in diff.values)
    pandas_changed = int(frame.xs("self", axis=1, level=1).notna().sum().sum())
    print(f"rows: {rows:,} x {base.shape[1]} columns; cells changed: {changed:,} (pandas found {pandas_changed:,})")
    print(f"cdisc diff (key match + 8 variables, tolerance): {ours:6.2f} s   target < 5 s: {'OK' if ours < 5 else 'MISSED'}")
    print(f"pandas DataFrame.compare (after reindex on key):  {theirs:6.2f} s   ratio {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
