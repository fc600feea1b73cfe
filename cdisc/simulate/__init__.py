"""Synthetic raw EDC extract of the example study (BAT8008 + BAT1308, phase Ib-II), with its answer key.

``simulate_study(out, subjects=60, seed=20240101)`` plays the trial forward from the design in
``specs/simulation.yaml`` and writes ``out/raw/*.csv`` (one CSV per EDC form or lab transfer) and
``out/answer_key/`` (the truth the converter's derivations are tested against). Same seed, same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdisc.simulate.design import DEFAULT_DESIGN, load_design


@dataclass(frozen=True)
class SimulationSummary:
    """What a simulation wrote: where, how many subjects, and the rows of each raw form."""

    out: Path
    subjects: int
    seed: int
    rows: dict[str, int]

    def lines(self) -> list[str]:
        """Human-readable summary lines for the command line."""
        forms = ", ".join(f"{name} {count}" for name, count in self.rows.items())
        return [f"{self.out}: {self.subjects} subjects (seed {self.seed})", f"raw rows: {forms}"]


def simulate_study(out: Path, *, subjects: int = 60, seed: int = 20240101) -> SimulationSummary:
    """Write the raw extract to ``out/raw/`` and the answer key to ``out/answer_key/``."""
    from cdisc.simulate.trial import simulate

    if subjects < 1:
        raise ValueError("subjects must be at least 1")
    rows = simulate(load_design(DEFAULT_DESIGN), Path(out), subjects, seed)
    return SimulationSummary(Path(out), rows["dm"], seed, rows)
