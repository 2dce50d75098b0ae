"""Battles per minute of ``airpicture sweep`` on whole battles (the default scenario), two trees side by side.

Usage::

    python benchmarks/bench_sweep_battles.py --before /path/to/main/src --after src --runs 40 [--workers 2]

For each tree, ``python -m airpicture.cli sweep SPEC --out TMP --workers N --quiet`` in a fresh process (imports,
worker start and each worker's kernel load included, figures included), on a sweep of ``--runs`` seeds of the
``--scenario`` (default: ``default``) at one grid point. Prints the wall time, battles (runs) per minute, the
1,000-run sweep it projects (1,000 / rate), and the mean of the runs' own wall times from ``sweep.parquet``.
The two trees' rows must hold the same figures (all columns but ``wall_time_s``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from bench_sweep import write_spec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--after", type=Path, required=True)
    ap.add_argument("--scenario", default="default")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = write_spec(folder, args.scenario, args.runs)
        for tree, src in (("before", args.before), ("after", args.after)):
            out = folder / tree
            env = {**os.environ, "PYTHONPATH": str(src.resolve())}
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "airpicture.cli", "sweep", str(spec), "--out", str(out),
                            "--workers", str(args.workers), "--quiet"], env=env, check=True)
            wall = time.perf_counter() - t0
            table = pq.read_table(out / "sweep.parquet")
            run_s = sum(table.column("wall_time_s").to_pylist()) / table.num_rows
            rate = 60.0 * args.runs / wall
            print(f"{tree:<7} {args.runs} {args.scenario} runs on {args.workers} workers: {wall:.1f} s, "
                  f"{rate:.1f} battles/min -> 1,000 runs in {1000 / rate:.0f} min; a run's own wall time "
                  f"{run_s:.2f} s (mean)")
            tables[tree] = table.drop_columns(["wall_time_s"])
    print(f"rows identical apart from wall times: {tables['before'].equals(tables['after'])}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
