"""End-to-end benchmark: simulate the example study at several sizes and run the whole conversion on each.

Prints, per size: raw rows, wall time of the whole ``cdisc run`` (SDTM, ADaM, XPT, define.xml) in a fresh
process, its CPU time (user + system of the run and its worker processes: what a shared machine disturbs least),
its peak memory (the largest sum of the proportional set sizes of the run's processes, sampled every 0.2 s, so
pages the forked workers share with the run count once), raw rows per second, the wall time of the same command run
again with nothing changed (the output folder is up to date: nothing is converted), then again after ADAE's label
is edited (the rerun of a spec-editing session: every other dataset taken from the first run's cache), then again after
VS's label is edited (VS is built again with the records it had, so ADSL and ADVS, built from it, are taken from the
cache), the validation time, and where a
run in one process (``--scheduler sync``) spends its time (spec loading, SDTM, ADaM, writing outputs); then the
1,000 -> 10,000 growth ratio.

    python benchmarks/e2e_bench.py                  # 60, 1,000 and 10,000 subjects
    python benchmarks/e2e_bench.py --subjects 60 1000

A benchmark, not a test: it asserts nothing and is never run by pytest.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent


def _simulate(folder: Path, subjects: int) -> int:
    subprocess.run([sys.executable, "-m", "cdisc", "simulate", "--out", str(folder), "--subjects", str(subjects)],
                   check=True, capture_output=True)
    return sum(max(0, sum(1 for _ in open(f, "rb")) - 1) for f in (folder / "raw").glob("*.csv"))


def _tree_memory(process: psutil.Process) -> int:
    """Bytes the process and its descendants hold: the sum of their proportional set sizes (shared pages split)."""
    total = 0
    for one in [process, *process.children(recursive=True)]:
        try:
            total += one.memory_full_info().pss
        except psutil.Error:  # ended between listing and reading
            pass
    return total


def _timed_process(args: list[str], accepted: tuple[int, ...] = (0,)) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, with its worker processes) and peak memory (MB, the process tree's
    proportional set sizes summed, sampled every 0.2 s) of a command run in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as output:
        running = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT, text=True)
        watched, peak = psutil.Process(running.pid), 0
        while running.poll() is None:
            try:
                peak = max(peak, _tree_memory(watched))
            except psutil.Error:
                pass
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        if running.returncode not in accepted:
            output.seek(0)
            raise SystemExit(f"{' '.join(args)} failed ({running.returncode}):\n{output.read()[-4000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return seconds, cpu, peak / 2**20


def _stages(raw: Path, out: Path) -> dict[str, float]:
    """Seconds per stage of a run in this one process (``sync``: the functions timed here run in it), by timing the
    functions the run calls."""
    import cdisc.study as study_module
    from cdisc.spec import load as load_module

    spent: dict[str, float] = {}

    def timing(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

        return wrapper

    originals = {
        "load_study": study_module.load_study, "build_dataset": study_module.build_dataset,
        "build_adam_dataset": study_module.build_adam_dataset, "_write_outputs": study_module._write_outputs,
    }
    labels = {"load_study": "load specs", "build_dataset": "SDTM", "build_adam_dataset": "ADaM", "_write_outputs": "write (XPT, define.xml, reports)"}
    try:
        for name, function in originals.items():
            setattr(study_module, name, timing(labels[name], function))
        study_module.run_study(REPO / "specs", out, raw=raw, options=study_module.RunOptions(reproducible=True, scheduler="sync"))
    finally:
        for name, function in originals.items():
            setattr(study_module, name, function)
    del load_module
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, nargs="+", default=[60, 1000, 10000])
    parser.add_argument("--no-stages", action="store_true", help="Skip the in-process per-stage run")
    args = parser.parse_args()
    walls: dict[int, float] = {}
    print(f"{'subjects':>9} {'raw rows':>10} {'run s':>7} {'CPU s':>7} {'peak MB':>8} {'rows/s':>9} {'rerun s':>8} {'edit s':>7} {'VS edit':>8} {'validate s':>10}  stages")
    for subjects in args.subjects:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            rows = _simulate(folder / "study", subjects)
            out = folder / "out"
            specs = Path(shutil.copytree(REPO / "specs", folder / "specs"))
            run = [sys.executable, "-m", "cdisc", "run", str(specs), "--raw", str(folder / "study" / "raw"), "--out", str(out), "--reproducible"]
            seconds, cpu, peak = _timed_process(run)
            rerun, _, _ = _timed_process(run)
            adae = specs / "adam" / "adae.yaml"
            adae.write_text(adae.read_text(encoding="utf-8").replace("\nlabel: ", "\nlabel: Edited ", 1), encoding="utf-8")
            edit, _, _ = _timed_process(run)
            vs = specs / "sdtm" / "vs.yaml"
            vs.write_text(vs.read_text(encoding="utf-8").replace("\nlabel: ", "\nlabel: Edited ", 1), encoding="utf-8")
            vs_edit, _, _ = _timed_process(run)
            validate, _, _ = _timed_process([sys.executable, "-m", "cdisc", "validate", str(out)], accepted=(0, 1))
            stages = "" if args.no_stages else ", ".join(f"{k} {v:.1f}" for k, v in _stages(folder / "study" / "raw", folder / "out2").items())
            walls[subjects] = seconds
            print(f"{subjects:>9,} {rows:>10,} {seconds:>7.1f} {cpu:>7.1f} {peak:>8.0f} {rows / seconds:>9,.0f} {rerun:>8.1f} {edit:>7.1f} {vs_edit:>8.1f} "
                  f"{validate:>10.1f}  {stages}", flush=True)
    if 1000 in walls and 10000 in walls:
        print(f"1,000 -> 10,000 subjects: {walls[10000] / walls[1000]:.1f}x the time for 10x the subjects")


if __name__ == "__main__":
    main()
