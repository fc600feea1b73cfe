"""Time our XPT writer and reader against pyreadstat on a 1,000,000-row x 25-column LB-like table.

Run: python benchmarks/xpt_bench.py [rows]
Targets: write >= 10x faster than pyreadstat.write_xport and >= 250 MB/s; read at least as fast as
pyreadstat.read_xport; peak extra memory while writing under the file size.
Peak extra memory is the rise of the process's peak resident set (Linux VmHWM, reset before each
step through /proc/self/clear_refs) over the resident set at the start of the step.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from cdisc.xpt import XptDataset, XptVariable, read_xpt, write_xpt

CHAR = {  # name: (label, pool of values)
    "STUDYID": ("Study Identifier", ["CDISCPILOT01"]),
    "DOMAIN": ("Domain Abbreviation", ["LB"]),
    "LBTESTCD": ("Lab Test or Examination Short Name", ["ALB", "ALP", "ALT", "AST", "BILI", "BUN", "CA", "CHOL"]),
    "LBTEST": (
        "Lab Test or Examination Name",
        ["Albumin", "Alkaline Phosphatase", "Alanine Aminotransferase", "Bilirubin"],
    ),
    "LBCAT": ("Category for Lab Test", ["CHEMISTRY", "HEMATOLOGY", "URINALYSIS"]),
    "LBORRESU": ("Original Units", ["g/L", "U/L", "umol/L", "mmol/L", ""]),
    "LBORNRLO": ("Reference Range Lower Limit in Orig Unit", ["35", "40", "0.5", ""]),
    "LBORNRHI": ("Reference Range Upper Limit in Orig Unit", ["55", "150", "21", ""]),
    "LBSTRESU": ("Standard Units", ["g/L", "U/L", "umol/L", "mmol/L", ""]),
    "LBNRIND": ("Reference Range Indicator", ["NORMAL", "HIGH", "LOW", ""]),
    "LBBLFL": ("Baseline Flag", ["Y", ""]),
    "VISIT": ("Visit Name", ["SCREENING 1", "BASELINE", "WEEK 2", "WEEK 4", "WEEK 8", "WEEK 12", "WEEK 26"]),
    "LBSPEC": ("Specimen Type", ["SERUM", "URINE", "WHOLE BLOOD"]),
    "LBMETHOD": ("Method of Test or Examination", ["CALCULATION", "DIPSTICK", ""]),
}
NUM = {
    "LBSEQ": "Sequence Number",
    "LBSTRESN": "Numeric Result/Finding in Standard Units",
    "LBSTNRLO": "Reference Range Lower Limit-Std Units",
    "LBSTNRHI": "Reference Range Upper Limit-Std Units",
    "VISITNUM": "Visit Number",
    "LBDY": "Study Day of Specimen Collection",
}


def make_frame(rows: int) -> tuple[pd.DataFrame, XptDataset]:
    """A deterministic LB-like frame (pandas ``str`` columns, float64 numbers) and its metadata."""
    rng = np.random.default_rng(3)
    data: dict[str, object] = {}
    subjects = np.char.add("01-701-", rng.integers(1000, 1999, rows).astype(str))
    data["USUBJID"] = pd.Series(subjects, dtype="str")
    for name, (_, pool) in CHAR.items():
        data[name] = pd.Series(np.asarray(pool, dtype=object)[rng.integers(0, len(pool), rows)], dtype="str")
    data["LBORRES"] = pd.Series(np.round(rng.normal(50, 20, rows), 1).astype(str), dtype="str")
    data["LBSTRESC"] = data["LBORRES"]
    data["LBDTC"] = pd.Series(
        np.datetime_as_string(np.datetime64("2013-01-01T08:00") + rng.integers(0, 10**6, rows).astype("m8[m]")),
        dtype="str",
    )
    comments = np.array(["", "", "", "HEMOLYZED SAMPLE", "Sample re-drawn after clotting; " * 6], dtype=object)
    data["LBCOMM"] = (
        pd.Series(comments[rng.integers(0, len(comments), rows)], dtype="str").str.slice(0, 200).str.rstrip()
    )
    for name in NUM:
        data[name] = np.round(rng.normal(40, 30, rows), 3)
    data["LBSTRESN"][rng.random(rows) < 0.05] = np.nan
    frame = pd.DataFrame(data)
    labels = {**{k: v[0] for k, v in CHAR.items()}, **NUM, "USUBJID": "Unique Subject Identifier",
              "LBORRES": "Result or Finding in Original Units", "LBSTRESC": "Character Result/Finding in Std Format",
              "LBDTC": "Date/Time of Specimen Collection", "LBCOMM": "Comment"}  # fmt: skip
    declared = {"LBTEST": 40, "LBCAT": 40, "VISIT": 40, "LBSPEC": 40, "LBMETHOD": 40}  # as in many submissions
    variables = tuple(
        XptVariable(name, labels[name], "num" if name in NUM else "char", declared.get(name)) for name in frame.columns
    )
    return frame, XptDataset("LB", "Laboratory Test Results", variables)


def peak_extra_mb(step) -> tuple[float, float, object]:
    """(seconds, peak extra resident MB, result) of ``step()``."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = _status("VmRSS")
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    return seconds, (_status("VmHWM") - before) / 1024, result


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    frame, dataset = make_frame(rows)
    print(f"table: {rows:,} rows x {frame.shape[1]} columns")
    with tempfile.TemporaryDirectory() as folder:
        ours_w, ours_w_mem, path = peak_extra_mb(lambda: write_xpt(frame, dataset, Path(folder)))
        size_mb = path.stat().st_size / 1e6
        theirs = Path(folder) / "pyreadstat.xpt"
        labels = [v.label for v in dataset.variables]
        theirs_w, theirs_w_mem, _ = peak_extra_mb(
            lambda: pyreadstat.write_xport(frame, str(theirs), table_name="LB", column_labels=labels)
        )
        ours_r, ours_r_mem, (back, _) = peak_extra_mb(lambda: read_xpt(path))
        theirs_r, theirs_r_mem, _ = peak_extra_mb(lambda: pyreadstat.read_xport(str(theirs)))
        assert back.shape == frame.shape
    print(f"file: {size_mb:,.0f} MB")
    print(f"write  ours {ours_w:6.2f} s ({size_mb / ours_w:6.0f} MB/s, peak +{ours_w_mem:5.0f} MB)   "
          f"pyreadstat {theirs_w:6.2f} s (peak +{theirs_w_mem:5.0f} MB)   ratio {theirs_w / ours_w:5.1f}x")  # fmt: skip
    print(f"read   ours {ours_r:6.2f} s ({size_mb / ours_r:6.0f} MB/s, peak +{ours_r_mem:5.0f} MB)   "
          f"pyreadstat {theirs_r:6.2f} s (peak +{theirs_r_mem:5.0f} MB)   ratio {theirs_r / ours_r:5.1f}x")  # fmt: skip
    print(f"targets: write >= 10x and >= 250 MB/s: {'met' if theirs_w / ours_w >= 10 and size_mb / ours_w >= 250 else 'MISSED'}; "
          f"read >= 1x: {'met' if theirs_r >= ours_r else 'MISSED'}; "
          f"write peak extra memory < file size: {'met' if ours_w_mem < size_mb else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
