"""Time a compiled spec filter against the same filter written by hand in pandas, on 1,000,000 rows.

Run: python benchmarks/expr_bench.py [rows]
Target: the compiled expression within 1.5x of hand-written pandas.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from cdisc.spec.expr import parse_expression

EXPRESSION = 'upper(strip(AEYN)) == "Y" and AESEV in ("MILD", "MODERATE") and number(AEGR) >= 2 and not is_missing(AETERM)'


def make_frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "AEYN": pd.Series(rng.choice([" y", "Y", "N", "n "], rows), dtype="str"),
            "AESEV": pd.Series(rng.choice(["MILD", "MODERATE", "SEVERE"], rows), dtype="str"),
            "AEGR": pd.Series(rng.integers(1, 6, rows).astype(str), dtype="str"),
            "AETERM": pd.Series(rng.choice(["HEADACHE", "", "NAUSEA", "RASH"], rows), dtype="str").replace("", np.nan),
        }
    )


def by_hand(frame: pd.DataFrame) -> pd.Series:
    return (
        frame["AEYN"].str.strip().str.upper().eq("Y")
        & frame["AESEV"].isin(["MILD", "MODERATE"])
        & pd.to_numeric(frame["AEGR"].str.strip()).ge(2)
        & ~(frame["AETERM"].isna() | frame["AETERM"].str.strip().eq("").fillna(True))
    )


def best_of(function, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    frame = make_frame(rows)
    compiled = parse_expression(EXPRESSION)
    assert compiled.mask(frame).equals(by_hand(frame)), "compiled filter and hand-written pandas disagree"
    t_compiled = best_of(lambda: compiled.mask(frame))
    t_hand = best_of(lambda: by_hand(frame))
    t_parse = best_of(lambda: parse_expression(EXPRESSION), repeats=50)
    print(f"rows: {rows:,}   expression: {EXPRESSION}")
    print(f"compiled spec filter : {t_compiled * 1000:8.1f} ms (best of 5)")
    print(f"hand-written pandas  : {t_hand * 1000:8.1f} ms (best of 5)")
    print(f"ratio                : {t_compiled / t_hand:8.2f}x   (target <= 1.5x)")
    print(f"parse + compile      : {t_parse * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
