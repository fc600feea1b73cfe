"""Writing 1 M rows as XPT, Dataset-JSON and NDJSON: seconds and MB per format (the issue's target: JSON as fast as XPT).

    python benchmarks/dataset_json_bench.py [--rows 1000000]

A benchmark, not a test: it asserts nothing and is never run by pytest.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.datasetjson_files import write_dataset_json_files
from cdisc.xpt import XptDataset, XptVariable, write_xpt


def _frame(rows: int) -> tuple[pd.DataFrame, XptDataset]:
    """An LB-like dataset: subjects, tests, visits, results, dates, some missing values."""
    rng = np.random.default_rng(1)
    tests = np.array(["ALT", "AST", "HGB", "WBC", "PLAT", "CREAT", "BILI", "ALB"])
    frame = pd.DataFrame({
        "STUDYID": "BAT-8008-002-CR",
        "USUBJID": pd.Series(rng.integers(1, 10_000, rows)).map("BAT-8008-002-CR-{:05d}".format),
        "LBSEQ": np.arange(1, rows + 1, dtype=float),
        "LBTESTCD": tests[rng.integers(0, len(tests), rows)],
        "LBORRES": pd.Series(rng.normal(50, 10, rows).round(1)).astype(str),
        "LBSTRESN": np.where(rng.random(rows) < 0.05, np.nan, rng.normal(50, 10, rows).round(2)),
        "VISIT": pd.Series(rng.integers(1, 20, rows)).map("CYCLE {} DAY 1".format),
        "ADT": np.where(rng.random(rows) < 0.02, np.nan, rng.integers(23000, 24000, rows).astype(float)),
    })  # fmt: skip
    meta = XptDataset("LB", "Laboratory Test Results", (
        XptVariable("STUDYID", "Study Identifier", "char", 15), XptVariable("USUBJID", "Unique Subject Identifier", "char", 21),
        XptVariable("LBSEQ", "Sequence Number", "num"), XptVariable("LBTESTCD", "Lab Test or Examination Short Name.", "char", 8),
        XptVariable("LBORRES", "Result or Finding in Original Units", "char", 20),
        XptVariable("LBSTRESN", "Numeric Result/Finding in Standard Units", "num"), XptVariable("VISIT", "Visit Name", "char", 20),
        XptVariable("ADT", "Analysis Date", "num", format="DATE9."),
    ))  # fmt: skip
    return frame, meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    frame, meta = _frame(rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        timings = {}  # CPU seconds (this machine is shared: wall time depends on the other processes), wall seconds
        writers = {
            "xpt": lambda: write_xpt(frame, meta, folder),
            **{form: lambda form=form: write_dataset_json_files(frame, meta, folder, (form,), keys=("USUBJID", "LBSEQ"))
               for form in ("json", "ndjson")},
        }
        for form, write in writers.items():
            cpu, wall = time.process_time(), time.perf_counter()
            write()
            timings[form] = (time.process_time() - cpu, time.perf_counter() - wall)
        print(f"{rows:,} rows x {len(meta.variables)} variables")
        for form, (cpu, wall) in timings.items():
            size = (folder / f"lb.{form}").stat().st_size / 1e6
            print(f"  {form:<7} CPU {cpu:6.2f} s  wall {wall:6.2f} s  {size:8.1f} MB  ({cpu / timings['xpt'][0]:.1f}x the XPT CPU time)")


if __name__ == "__main__":
    main()
