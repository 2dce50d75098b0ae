"""Start-up time of the command line: ``airpicture --help`` and ``airpicture validate SCENARIO``, whole process.

    python benchmarks/bench_startup.py [--repeat 15] [--before /path/to/old/src] [--scenarios default teaching]

Each command runs ``--repeat`` times in a fresh process (``python -m airpicture.cli ...``, output discarded); with
``--before SRC`` the code under ``SRC`` (put on ``PYTHONPATH``, e.g. a checkout of an earlier commit) runs
interleaved with this checkout's, so that both see the same load. Reported: median and best wall time, and the
median CPU time (user + sys) of the process. A bare ``python -c pass`` is timed too, as the floor.
Where the time goes: ``python -X importtime -m airpicture.cli validate default 2> imports.txt``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE_SRC = str(Path(__file__).resolve().parents[1] / "src")


def timed(cmd: list[str], src: str) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=src)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--before", help="src folder of the code to compare against")
    ap.add_argument("--scenarios", nargs="+", default=["default", "teaching"])
    args = ap.parse_args()
    sides = {"this": HERE_SRC} | ({"before": args.before} if args.before else {})
    commands = {"python -c pass": [sys.executable, "-c", "pass"],
                "airpicture --help": [sys.executable, "-m", "airpicture.cli", "--help"]}
    for name in args.scenarios:
        commands[f"airpicture validate {name}"] = [sys.executable, "-m", "airpicture.cli", "validate", name]
    for cmd in commands.values():  # warm the file cache (and write the .pyc files) before timing
        for src in sides.values():
            timed(cmd, src)
    times: dict[tuple[str, str], list[tuple[float, float]]] = {(c, s): [] for c in commands for s in sides}
    for i in range(args.repeat):
        for label, cmd in commands.items():
            for side in (list(sides) if i % 2 == 0 else list(sides)[::-1]):
                times[label, side].append(timed(cmd, sides[side]))
    print(f"{args.repeat} runs each, interleaved; load average {os.getloadavg()[0]:.1f}; {os.cpu_count()} cores")
    print(f"{'command':34s} {'code':7s} {'median s':>9s} {'best s':>8s} {'median CPU s':>13s}")
    for label in commands:
        for side in sides:
            v = times[label, side]
            print(f"{label:34s} {side:7s} {statistics.median(w for w, _ in v):9.3f} {min(w for w, _ in v):8.3f} "
                  f"{statistics.median(c for _, c in v):13.3f}")


if __name__ == "__main__":
    main()
