"""Speed of a global sensitivity study: the built-in ``sensitivity`` sweep (512 runs of the teaching scenario, six
parameters of the default battery and radar, 64 base samples) end to end on two local worker processes.

    python benchmarks/bench_sensitivity.py [--sweep sensitivity] [--workers 2] [--repeat 1] [--serial-runs 10]
                                           [--ratio-runs 16] [--only-ratio] [--keep DIR]
                                           [--json benchmarks/results/sensitivity.json]

First, what one run of the study costs in plain teaching runs: ``--ratio-runs`` sample points spread over the
design, each timed one for one beside a plain teaching run in this process (both see the same machine, so the
ratio holds on a busy machine too). Then, ``--repeat`` times:

- ``airpicture sweep SWEEP --workers 2 --quiet`` in a fresh process, timed from outside (imports, planning of
  every sample point, the runs, merging the rows, Sobol' indices, figures): the number the goal is about;
- inside it, from the rows: the sum of the runs' own wall times, so worker utilisation = sum / (workers x wall);
- in this process: planning alone (SALib's sample, one validated scenario per sample point) and the analysis alone
  (indices, bootstrap, table, figures) on the finished rows;
- beside each repeat, the serial cost of the plain teaching scenario (``run_scenario`` in a loop, ``--serial-runs``
  seeds, after one warm-up run), so a machine shared with other work can be told from a slow sweep: the
  ratio sweep wall / (runs x serial per run / workers) is the sweep's efficiency at that moment.

The machine's load average is printed and recorded beside the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from airpicture.engine import run_scenario
from airpicture.scenario import load_scenario
from airpicture.sweep import load_sweep


def serial_ms_per_run(runs: int) -> float:
    scenario = load_scenario("teaching")
    run_scenario(scenario)  # warm-up: numba cache load, first-call costs
    t0 = time.perf_counter()
    for seed in range(runs):
        run_scenario(scenario.model_copy(update={"seed": 100 + seed}))
    return 1000.0 * (time.perf_counter() - t0) / runs


def cost_ratio(sweep: str, runs: int) -> tuple[float, float, float]:
    """Mean wall time of ``runs`` of the study's sample points (evenly spread over the design) and of as many
    plain teaching runs, interleaved one for one in this process (so both see the same machine), and their
    ratio: what one run of the study costs in teaching runs."""
    plan = load_sweep(sweep)
    teaching = load_scenario("teaching")
    run_scenario(teaching)  # warm-up
    picks = [plan.points[i] for i in range(0, len(plan.points), max(1, len(plan.points) // runs))][:runs]
    t_study = t_plain = 0.0
    for k, gp in enumerate(picks):
        t0 = time.perf_counter()
        run_scenario(gp.scenario.model_copy(update={"seed": plan.run_seed(gp.index, 0)}))
        t1 = time.perf_counter()
        run_scenario(teaching.model_copy(update={"seed": 200 + k}))
        t2 = time.perf_counter()
        t_study += t1 - t0
        t_plain += t2 - t1
    return 1000.0 * t_study / len(picks), 1000.0 * t_plain / len(picks), t_study / t_plain


def top_parameters(folder: Path, n: int = 3) -> dict[str, list[tuple[str, float, float, float]]]:
    """The ``n`` most influential parameters of each output (total index and its interval) from sobol.parquet."""
    out: dict[str, list[tuple[str, float, float, float]]] = {}
    for row in pq.read_table(folder / "sobol.parquet").to_pylist():
        if row["rank"] <= n:
            out.setdefault(row["output"], []).append((row["parameter"], row["ST"], row["ST_low"], row["ST_high"]))
    return out


def timed_command(sweep: str, workers: int, out: Path) -> float:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "airpicture.cli", "sweep", sweep, "--workers", str(workers), "--out",
                    str(out), "--quiet"], check=True, env=env)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sweep", default="sensitivity")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--serial-runs", type=int, default=10)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--ratio-runs", type=int, default=16,
                    help="Sample points timed one for one against plain teaching runs (0: skip)")
    ap.add_argument("--only-ratio", action="store_true", help="Measure the cost ratio only (no sweep)")
    ap.add_argument("--keep", type=Path, default=None, help="Copy the last round's sweep folder here (a new folder)")
    args = ap.parse_args()

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average at start "
          f"{os.getloadavg()[0]:.1f}")
    ratio = None
    if args.ratio_runs:
        study_ms, plain_ms, r = cost_ratio(args.sweep, args.ratio_runs)
        ratio = {"runs": args.ratio_runs, "study_ms_per_run": study_ms, "teaching_ms_per_run": plain_ms, "ratio": r}
        print(f"one run of the study costs {r:.2f} teaching runs ({study_ms:.0f} ms against {plain_ms:.0f} ms, "
              f"{args.ratio_runs} of each, interleaved in one process; load {os.getloadavg()[0]:.1f})")
    if args.only_ratio:
        if args.json:
            args.json.write_text(json.dumps({"command": " ".join(sys.argv), "cost_ratio": ratio}, indent=2) + "\n",
                                 encoding="utf-8")
        return
    rounds = []
    for r in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            load0 = os.getloadavg()[0]
            before = serial_ms_per_run(args.serial_runs)
            out = Path(tmp) / "out"
            wall = timed_command(args.sweep, args.workers, out)
            after = serial_ms_per_run(args.serial_runs)
            rows = pq.read_table(out / "sweep.parquet")
            run_sum = float(sum(rows.column("wall_time_s").to_pylist()))
            n = len(rows)
            t0 = time.perf_counter()
            plan = load_sweep(args.sweep)
            plan_s = time.perf_counter() - t0
            from airpicture.sweep.sobol import write_sensitivity

            t0 = time.perf_counter()
            write_sensitivity(plan, rows, out)
            analysis_s = time.perf_counter() - t0
            serial = (before + after) / 2
            ideal = n * serial / 1000.0 / args.workers
            one = {"round": r + 1, "runs": n, "wall_s": wall, "serial_ms_per_run": serial,
                   "run_wall_sum_s": run_sum, "mean_run_in_sweep_ms": 1000.0 * run_sum / n,
                   "utilisation": run_sum / (args.workers * wall), "efficiency_vs_serial": ideal / wall,
                   "plan_s": plan_s, "analysis_and_figures_s": analysis_s, "load_average": load0}
            one["top"] = top_parameters(out)
            rounds.append(one)
            if args.keep is not None:
                shutil.copytree(out, args.keep)
            print(f"round {r + 1}: {n} runs in {wall:.1f} s on {args.workers} workers (load {load0:.1f}); serial "
                  f"teaching run {serial:.0f} ms, mean run inside the sweep {one['mean_run_in_sweep_ms']:.0f} ms, "
                  f"utilisation {one['utilisation']:.0%}, efficiency vs serial {one['efficiency_vs_serial']:.0%}; "
                  f"planning {plan_s:.1f} s, analysis + figures {analysis_s:.1f} s")
            for output, ranked in one["top"].items():
                print(f"  {output}: " + ", ".join(f"{p} ST {st:.2f} [{lo:.2f}, {hi:.2f}]" for p, st, lo, hi in ranked))
    med = {k: statistics.median(x[k] for x in rounds) for k in rounds[0] if k not in ("round", "top")}
    print(f"median: {med['wall_s']:.1f} s for {int(med['runs'])} runs (goal < 120 s on 2 cores)")
    if args.json:
        args.json.write_text(json.dumps({"command": " ".join(sys.argv), "cost_ratio": ratio, "rounds": rounds,
                                         "median": med},
                                        indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
