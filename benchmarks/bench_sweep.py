"""Sweep speed: per-run overhead, parallel efficiency on the local cores, and a 1,000-run sweep end to end.

    python benchmarks/bench_sweep.py [--scenario teaching] [--runs 60] [--repeat 2] [--big-runs 1000]

On the same runs (one grid point, ``--runs`` seeds), side by side, ``--repeat`` times:

- serial: ``run_scenario`` in a plain loop in this process: the runs themselves, nothing else;
- sweep on 1 worker process: per-run overhead = (sweep wall - serial wall) / runs, as specified; and, robust to
  other work on the machine, (sweep wall - sum of the runs' own wall times recorded in the rows) / runs, both
  measured at the same moment. Also the CPU the collecting process itself used per run;
- sweep on 2 worker processes: parallel efficiency = serial wall / (2 x sweep wall), as specified; and the
  workers' utilisation = sum of run wall times / (2 x sweep wall), which separates what the sweep machinery loses
  (idle workers, the collecting process) from runs slowed by sharing the cores.

Then ``airpicture sweep`` on ``--big-runs`` runs, as a user would run it (fresh process, figures included),
timed from outside. The machine's load average is printed beside the numbers.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomli_w

from airpicture.engine import run_scenario
from airpicture.scenario import load_scenario
from airpicture.sweep import LocalProcesses, load_sweep, run_sweep
from airpicture.sweep.runner import pending_tasks
from airpicture.sweep.spec import SweepPlan


def write_spec(folder: Path, scenario: str, runs: int) -> Path:
    """A sweep of ``runs`` seeds of ``scenario`` at one grid point (the scenario's own duration)."""
    duration = load_scenario(scenario).duration_s
    path = folder / f"bench-{runs}.toml"
    spec = {"name": f"bench-{runs}", "scenario": scenario, "seed": 1, "seeds_per_point": runs,
            "grid": {"duration_s": [duration]}}
    path.write_bytes(tomli_w.dumps(spec).encode())
    return path


def timed_sweep(plan: SweepPlan, workers: int, out: Path) -> tuple[float, float, float]:
    """Wall time of the sweep, sum of its runs' own wall times, CPU time of this (collecting) process."""
    backend = LocalProcesses(workers)
    c0, t0 = time.process_time(), time.perf_counter()
    result = run_sweep(plan, out, backend, figures=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    backend.close()
    return wall, float(sum(result.table.column("wall_time_s").to_pylist())), cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="teaching")
    ap.add_argument("--runs", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--big-runs", type=int, default=1000, help="runs of the end-to-end CLI sweep (0: skip)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan = load_sweep(write_spec(folder, args.scenario, args.runs))
        scenario = plan.points[0].scenario
        tasks = pending_tasks(plan, set())
        n = len(tasks)
        run_scenario(scenario)  # warm-up: imports and cached numba functions loaded once, as in a worker
        print(f"{args.scenario}, {n} runs per measurement")
        per_run_serial = []
        for rep in range(args.repeat):
            t0 = time.perf_counter()
            for task in tasks:
                run_scenario(scenario.model_copy(update={"seed": task.seed}))
            serial = time.perf_counter() - t0
            per_run_serial.append(serial / n)

            one, one_runs, one_cpu = timed_sweep(plan, 1, folder / f"one-{rep}")
            many, many_runs, _ = timed_sweep(plan, args.workers, folder / f"many-{rep}")
            print(f"[{rep + 1}] load {os.getloadavg()[0]:.2f}; serial {serial:.2f} s ({serial / n * 1e3:.0f} ms/run)")
            print(f"    1 worker:  {one:.2f} s; overhead {(one - serial) / n * 1e3:+.1f} ms/run vs serial, "
                  f"{(one - one_runs) / n * 1e3:+.1f} ms/run vs its own runs; collecting process "
                  f"{one_cpu / n * 1e3:.1f} ms CPU/run")
            print(f"    {args.workers} workers: {many:.2f} s; efficiency {serial / (args.workers * many):.0%} "
                  f"(serial / ({args.workers} x parallel)), utilisation {many_runs / (args.workers * many):.0%}; "
                  f"runs {many_runs / serial:.2f}x slower than serial when sharing the cores")

        if args.big_runs:
            spec = write_spec(folder, args.scenario, args.big_runs)
            t0 = time.perf_counter()
            res = subprocess.run([sys.executable, "-m", "airpicture.cli", "sweep", str(spec), "--out",
                                  str(folder / "big"), "--workers", str(args.workers), "--quiet"],
                                 capture_output=True, text=True)
            big = time.perf_counter() - t0
            if res.returncode != 0:
                sys.exit(f"airpicture sweep failed:\n{res.stderr}")
            serial_big = args.big_runs * min(per_run_serial, default=float("nan"))
            print(f"  airpicture sweep, {args.big_runs} runs on {args.workers} workers (fresh process, figures "
                  f"included): {big:.1f} s; efficiency {serial_big / (args.workers * big):.0%} against "
                  f"{args.big_runs} x the fastest serial ms/run above ({serial_big:.1f} s)")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
