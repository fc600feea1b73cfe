"""Portfolio benchmark: two simulated studies converted one after the other, then as one portfolio on a
``dask.distributed`` LocalCluster of 2 worker processes.

Prints the wall time of each ``cdisc run`` (a fresh process each, as users run it): the two studies one
after the other, then ``cdisc run STUDY_A STUDY_B --scheduler tcp://...`` on the cluster (twice: workers
that have not yet imported cdisc, then warm ones), the speed-up, and whether the cluster's outputs are
byte-identical to the one-after-the-other runs; and the CPU seconds of every process involved (the machine may
be shared: wall time then varies with what else runs). The cluster's start is timed apart: a cluster already runs
when a portfolio is sent to it.

    python benchmarks/portfolio_bench.py                 # two 1,000-subject studies
    python benchmarks/portfolio_bench.py --subjects 200

A benchmark, not a test: it asserts nothing and is never run by pytest.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _study(root: Path, name: str, subjects: int) -> Path:
    """The example's specs converting a simulated extract of ``subjects`` subjects (the default seed: the specs'
    codelists hold the dose levels its escalation reaches, not those of every seed)."""
    extract = root / f"{name}-extract"
    subprocess.run([sys.executable, "-m", "cdisc", "simulate", "--out", str(extract), "--subjects", str(subjects)], check=True, capture_output=True)
    folder = root / name
    shutil.copytree(REPO / "specs", folder)
    study_yaml = folder / "study.yaml"
    study_yaml.write_text(re.sub(r"(?m)^  folder: \.\./examples/bat8008/raw", f"  folder: {(extract / 'raw').as_posix()}", study_yaml.read_text()))
    return folder


def _cpu(who: int = resource.RUSAGE_CHILDREN) -> float:
    """CPU seconds (user and system) of this process, or of its finished child processes."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of a command run in a fresh process."""
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds, _cpu() - cpu


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=1000, help="Subjects per study (default 1,000)")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    run = [sys.executable, "-m", "cdisc", "run", "--reproducible"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        studies = [_study(root, f"study{i}", args.subjects) for i in (1, 2)]
        one_by_one = [_timed([*run, str(study), "--out", str(root / "sequential" / study.name)]) for study in studies]
        sequential = sum(wall for wall, _ in one_by_one)
        print(f"{len(studies)} studies of {args.subjects:,} subjects (wall; CPU of every process involved)")
        print(f"one after the other:        {sequential:6.1f} s  ({' + '.join(f'{wall:.1f}' for wall, _ in one_by_one)}); "
              f"CPU {sum(cpu for _, cpu in one_by_one):.1f} s")
        start = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            print(f"LocalCluster start:         {time.perf_counter() - start:6.1f} s  (2 worker processes, 1 thread each; not counted)")
            with Client(cluster) as client:
                for label in ("cold", "warm"):
                    out = root / f"cluster-{label}"
                    workers = sum(client.run(_cpu, resource.RUSAGE_SELF).values())
                    seconds, cpu = _timed([*run, *map(str, studies), "--out", str(out), "--scheduler", cluster.scheduler_address])
                    cpu += sum(client.run(_cpu, resource.RUSAGE_SELF).values()) - workers
                    same = all(_files(out / s.name) == _files(root / "sequential" / s.name) for s in studies)
                    print(f"cluster, {label} workers:      {seconds:6.1f} s  speed-up {sequential / seconds:.2f}x; CPU {cpu:.1f} s (client and workers); "
                          f"outputs {'byte-identical' if same else 'DIFFERENT'} to the one-after-the-other runs")


if __name__ == "__main__":
    main()
