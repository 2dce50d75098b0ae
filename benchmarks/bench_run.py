"""End-to-end run time of the built-in scenarios (issue: the default scenario in < 5 s, truth to report).

Usage: python benchmarks/bench_run.py [--repeat 3] [--scenarios default teaching]

For each scenario: a warm-up run (loads the compiled kernels from the on-disk cache), then ``--repeat`` timed
runs of the whole chain in this process -- run_scenario (truth, sensing, tracking, engagement, metrics) and
write_run (Parquet tables, summary, report.html) -- and one timed ``airpicture run`` command in a fresh process
(imports and kernel loading included). Prints best and median times.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from airpicture.engine import run_scenario, write_run
from airpicture.scenario import load_scenario


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scenarios", nargs="+", default=["default", "teaching", "saturation", "ballistic",
                                                       "air-traffic"])
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    print(f"{'scenario':<12} {'simulate s':>11} {'write+report s':>15} {'total best':>11} {'total median':>13} "
          f"{'CLI process s':>14}")
    for name in args.scenarios:
        sc = load_scenario(name)
        write_run(run_scenario(sc), tmp / f"{name}-warm")
        sims, writes, totals = [], [], []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            result = run_scenario(sc)
            t1 = time.perf_counter()
            write_run(result, tmp / f"{name}-{i}")
            t2 = time.perf_counter()
            sims.append(t1 - t0)
            writes.append(t2 - t1)
            totals.append(t2 - t0)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "airpicture.cli", "run", name, "--out", str(tmp / f"{name}-cli"),
                        "--quiet"], check=True)
        cli = time.perf_counter() - t0
        print(f"{name:<12} {min(sims):>11.2f} {min(writes):>15.2f} {min(totals):>11.2f} "
              f"{statistics.median(totals):>13.2f} {cli:>14.2f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
