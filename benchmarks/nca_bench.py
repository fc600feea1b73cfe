"""NCA micro-benchmark: ``derive_param_nca`` on synthetic concentration profiles (no pipeline around it).

Each subject has 4 analytes x 3 cycles: cycle 1 sampled at 0, 1, 4 h, cycles 2 and 3 at 0, 1, 4, 24, 48, 168,
504 h (the example study's schedule), two-compartment curves with 15 % proportional noise, samples below 0.05
flagged BLQ; dose, infusion hours and the dosing interval per profile. Prints samples, profiles and the CPU and
wall seconds of one call, for each size.

    python benchmarks/nca_bench.py            # 1,000 and 10,000 subjects
    python benchmarks/nca_bench.py 60 1000    # other sizes
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from cdisc.adam.nca import NcaSettings, derive_param_nca

SCHEDULE = {1: [0.0, 1, 4], 2: [0.0, 1, 4, 24, 48, 168, 504], 3: [0.0, 1, 4, 24, 48, 168, 504]}
PARAMETERS = ["CMAX", "TMAX", "CLST", "TLST", "AUCLST", "AUCTAU", "LAMZ", "LAMZHL", "LAMZNPT", "R2ADJ", "AUCIFO",
              "AUCPEO", "CLO", "VZO"]


def concentrations(subjects: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for cycle, times in SCHEDULE.items():
        t = np.array(times)
        profiles = subjects * 4
        alpha, beta = rng.uniform(0.05, 0.3, (profiles, 1)), rng.uniform(0.001, 0.01, (profiles, 1))
        level = rng.lognormal(3, 0.5, (profiles, 1))
        conc = level * (0.6 * np.exp(-alpha * t) + 0.4 * np.exp(-beta * t)) * rng.lognormal(0, 0.15, (profiles, len(t)))
        conc[:, 0] = 0.0 if cycle == 1 else conc[:, 0] * 0.05  # pre-dose: none before the first dose, a trough after
        frames.append(pd.DataFrame({
            "USUBJID": np.repeat([f"S{i // 4:06d}" for i in range(profiles)], len(t)),
            "PARAMCD": np.repeat(np.tile(["ADC", "TAB", "PLD", "PD1"], subjects), len(t)),
            "AVISITN": float(cycle),
            "ARRLT": np.tile(t, profiles) + rng.uniform(0, 0.1, profiles * len(t)),
            "AVAL": conc.ravel(),
            "DOSEA": 100.0, "ADOSEDUR": 1.0, "TAU": 504.0, "AVALU": "ug/mL", "DOSEU": "mg",
        }))
    frame = pd.concat(frames, ignore_index=True)
    return frame.assign(BLQ=frame["AVAL"] < 0.05)


def main(sizes: list[int]) -> None:
    for subjects in sizes:
        frame = concentrations(subjects)
        cpu, wall = time.process_time(), time.perf_counter()
        pp = derive_param_nca(frame, ["USUBJID", "PARAMCD", "AVISITN"], "ARRLT", "AVAL", NcaSettings(parameters=PARAMETERS),
                              blq="BLQ", dose="DOSEA", duration="ADOSEDUR", tau="TAU", conc_unit="AVALU", dose_unit="DOSEU")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"{subjects:>6} subjects: {len(frame):>8} samples, {len(pp) // len(PARAMETERS):>6} profiles, "
              f"{len(pp):>8} records: {cpu:6.2f} s CPU, {wall:6.2f} s wall")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000])
