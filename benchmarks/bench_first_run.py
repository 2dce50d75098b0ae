"""The first ``airpicture run`` after installation: Numba compiles the kernels, with an empty on-disk cache.

    python benchmarks/bench_first_run.py [--scenario default] [--repeat 2] [--before /path/to/old/src]

Each repeat runs ``airpicture run SCENARIO --quiet`` in a fresh process twice with ``NUMBA_CACHE_DIR`` pointed at
a new empty folder: cold (every kernel compiled, as on the first run after ``pip install``) and warm (the same
folder again: kernels loaded from the cache, as on every later run). With ``--before SRC`` the same is done, side
by side in the same repeat, with the code under ``SRC`` on ``PYTHONPATH`` (e.g. a checkout of an earlier commit),
alternating which goes first -- or, with ``--together``, both sides' processes started at the same moment, so that
they share whatever else loads the machine (fairer on a busy machine; wall times then mean little). Reported: wall
time and the process's CPU time (user + sys; less sensitive to other work on a shared machine than wall time),
medians over the repeats, and the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE_SRC = str(Path(__file__).resolve().parents[1] / "src")


def timed_run(src: str, scenario: str, cache: Path, out: Path) -> tuple[float, float]:
    """(wall s, CPU s) of one ``airpicture run`` in a fresh process with the code under ``src``."""
    env = dict(os.environ, PYTHONPATH=src, NUMBA_CACHE_DIR=str(cache))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "airpicture.cli", "run", scenario, "--out", str(out), "--quiet"],
                   env=env, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def together(sides: dict[str, str], scenario: str, tmp: Path, i: int, phase: str) -> dict[str, tuple[float, float]]:
    """Start one ``airpicture run`` per side at the same moment; (wall s, CPU s) of each."""
    procs, started = {}, time.perf_counter()
    for side, src in sides.items():
        env = dict(os.environ, PYTHONPATH=src, NUMBA_CACHE_DIR=str(tmp / f"cache-{side}-{i}"))
        procs[side] = subprocess.Popen([sys.executable, "-m", "airpicture.cli", "run", scenario, "--out",
                                        str(tmp / f"run-{side}-{i}-{phase}"), "--quiet"], env=env)
    out: dict[str, tuple[float, float]] = {}
    pending = {p.pid: side for side, p in procs.items()}
    while pending:
        pid, status, usage = os.wait4(-1, 0)
        if pid in pending:
            if status != 0:
                raise SystemExit(f"airpicture run failed ({pending[pid]}, {phase})")
            out[pending.pop(pid)] = (time.perf_counter() - started, usage.ru_utime + usage.ru_stime)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="default")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--before", help="src folder of the code to compare against (put on PYTHONPATH)")
    ap.add_argument("--together", action="store_true", help="start both sides' runs at the same moment")
    args = ap.parse_args()
    sides = {"this": HERE_SRC} | ({"before": args.before} if args.before else {})
    results: dict[str, dict[str, list[tuple[float, float]]]] = {k: {"cold": [], "warm": []} for k in sides}
    tmp = Path(tempfile.mkdtemp(prefix="bench-first-run-"))
    try:
        for i in range(args.repeat):
            if args.together:
                for side in sides:
                    (tmp / f"cache-{side}-{i}").mkdir()
                for phase in ("cold", "warm"):
                    for side, (wall, cpu) in together(sides, args.scenario, tmp, i, phase).items():
                        results[side][phase].append((wall, cpu))
                        print(f"repeat {i} {side:6s} {phase}: wall {wall:6.2f} s, CPU {cpu:6.2f} s "
                              f"(load average {os.getloadavg()[0]:.1f})", flush=True)
                continue
            order = list(sides) if i % 2 == 0 else list(sides)[::-1]
            for side in order:
                cache = tmp / f"cache-{side}-{i}"
                cache.mkdir()
                for phase in ("cold", "warm"):
                    wall, cpu = timed_run(sides[side], args.scenario, cache, tmp / f"run-{side}-{i}-{phase}")
                    results[side][phase].append((wall, cpu))
                    print(f"repeat {i} {side:6s} {phase}: wall {wall:6.2f} s, CPU {cpu:6.2f} s "
                          f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n`airpicture run {args.scenario}`, medians of {args.repeat}; {os.cpu_count()} cores")
    print(f"{'code':8s} {'cold wall s':>12s} {'cold CPU s':>11s} {'warm wall s':>12s} {'warm CPU s':>11s}")
    for side in sides:
        r = results[side]
        med = [statistics.median(v[k] for v in r[phase]) for phase in ("cold", "warm") for k in (0, 1)]
        print(f"{side:8s} {med[0]:12.2f} {med[1]:11.2f} {med[2]:12.2f} {med[3]:11.2f}")


if __name__ == "__main__":
    main()
