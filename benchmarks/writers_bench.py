"""The run's file writers on 1 M rows: write_xpt (the LB-like table of xpt_bench.py), write_csv (a lineage-like
table: subject, source dataset and record, raw file and row, a float record number with missing values) and
sha256_files over what they wrote, each run several times; CPU (user + system, every thread) and wall seconds,
minimum and median, since this machine is shared.

    python benchmarks/writers_bench.py [--rows 1000000] [--repeat 5]

A benchmark, not a test: it asserts nothing and is never run by pytest.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from xpt_bench import make_frame

from cdisc.io.csv_writer import write_csv
from cdisc.manifest import sha256_files
from cdisc.xpt import write_xpt


def lineage_frame(rows: int) -> pd.DataFrame:
    """What a dataset's lineage CSV holds: text columns of few distinct values, integers, floats with NaN."""
    rng = np.random.default_rng(5)
    subjects = pd.Series(rng.integers(1, 10_000, rows)).map("BAT-8008-002-CR-{:05d}".format).astype("str")
    record = rng.integers(1, 200_000, rows).astype(float)
    record[rng.random(rows) < 0.1] = np.nan
    return pd.DataFrame({
        "USUBJID": subjects,
        "dataset": pd.Series(np.array(["LB", "VS", "EX"])[rng.integers(0, 3, rows)], dtype="str"),
        "record": record,
        "@file": pd.Series(np.array(["lb.csv", "vs.csv", "ex.csv"])[rng.integers(0, 3, rows)], dtype="str"),
        "@row": rng.integers(2, 300_000, rows),
    })  # fmt: skip


def timed(step: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    cpu, wall = [], []
    for _ in range(repeat):
        started, clock = time.process_time(), time.perf_counter()
        step()
        cpu.append(time.process_time() - started)
        wall.append(time.perf_counter() - clock)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    frame, dataset = make_frame(options.rows)
    lineage = lineage_frame(options.rows)
    with tempfile.TemporaryDirectory() as tmp:
        xpt, csv = Path(tmp) / "lb.xpt", Path(tmp) / "lineage.csv"
        steps = {  # name: (step, the files it writes or reads)
            "write_xpt": (lambda: write_xpt(frame, dataset, Path(tmp)), [xpt]),
            "write_csv": (lambda: write_csv(lineage, csv), [csv]),
            "sha256_files": (lambda: sha256_files([xpt, csv]), [xpt, csv]),
        }
        print(f"{options.rows:,} rows; best and median of {options.repeat}")
        for name, (step, files) in steps.items():
            cpu, wall = timed(step, options.repeat)
            size = sum(path.stat().st_size for path in files) / 1e6
            print(f"  {name:<13} CPU {min(cpu):6.2f} s (median {statistics.median(cpu):6.2f})  "
                  f"wall {min(wall):6.2f} s (median {statistics.median(wall):6.2f})  {size:7.1f} MB")  # fmt: skip

if __name__ == "__main__":
    main()
