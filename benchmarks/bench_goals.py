"""Every row of the "speed where users feel it" table (issue 15), measured on this machine by one command.

Usage::

    python benchmarks/bench_goals.py [--repeat 3] [--src src] [--skip big sweep] [--json goals.json]

Each row is a user's command in fresh processes (``python -m airpicture.cli`` of the tree under ``--src``), with
its goal and whether this machine meets it:

* ``first run``: ``run default --quiet`` with ``NUMBA_CACHE_DIR`` pointed at a new empty folder (the kernels
  compile, as on the first run after ``pip install``), wall time. Goal < 10 s.
* ``later runs``: the same command with that folder (the kernels load from the cache), median wall. Goal < 1.5 s.
* ``in Python``: ``run_scenario`` + ``write_run`` (tables, summary, report) of the default scenario in one process
  after a warm-up run, best wall of ``--repeat``. Goal < 0.4 s.
* ``--help``, ``validate default``, ``validate teaching``: median wall of ``3 x --repeat`` processes. Goal < 0.3 s.
* ``run saturation --json``: median wall and the largest peak resident set size (``ru_maxrss``, which counts the
  pages of shared libraries the process touched, in 10^6 bytes). Goals < 3 s and < 500 MB.
* ``10,000 threats``: ``run`` of the default scenario scaled to 10,000 threats (``bench_memory.scaled_default``:
  the default raids x 60), one run, wall. Goal < 15 s.
* ``sweep``: ``sweep`` of ``--sweep-runs`` seeds of the default scenario on 2 local workers, one fresh process;
  a 1,000-run sweep projected as its start-up (the wall time not spent in runs) plus 1,000 runs at the mean of
  their own wall times (``sweep.parquet``) on two workers. Goal < 5 min.

The rows share the kernel cache the first row fills (a new folder, removed at the end), so ``--skip first-run``
still compiles once, untimed. The other benchmarks break rows down (``bench_first_run.py``, ``bench_cli_ab.py``,
``bench_startup.py``, ``bench_stages.py``, ``bench_sweep_battles.py``); this one gives the verdicts side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

HERE_SRC = Path(__file__).resolve().parents[1] / "src"

IN_PYTHON = """
import json, sys, tempfile, time
from pathlib import Path
from airpicture.engine import run_scenario, write_run
from airpicture.scenario import load_scenario
sc = load_scenario("default")
tmp = Path(tempfile.mkdtemp())
write_run(run_scenario(sc), tmp / "warm")
walls = []
for i in range(int(sys.argv[1])):
    t0 = time.perf_counter()
    write_run(run_scenario(sc), tmp / str(i))
    walls.append(time.perf_counter() - t0)
print(json.dumps(walls))
"""


def child(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """The standard output of one Python child; exits if it fails."""
    proc = subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"python {' '.join(args)} failed with exit code {proc.returncode}:\n{proc.stderr}")
    return proc.stdout


def cli(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall s, peak RSS in 10^6 bytes) of ``python -m airpicture.cli ARGV`` in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "airpicture.cli", *argv], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"airpicture {' '.join(argv)} failed with exit code {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_maxrss * 1024 / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", type=Path, default=HERE_SRC, help="src folder of the tree to measure")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sweep-runs", type=int, default=16)
    ap.add_argument("--skip", nargs="*", default=[], choices=["first-run", "big", "sweep"])
    ap.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = ap.parse_args()
    rows: list[dict[str, object]] = []

    def row(name: str, goal: float, value: float, unit: str, note: str = "") -> None:
        rows.append({"row": name, "goal": goal, "measured": round(value, 3), "unit": unit, "met": value < goal,
                     "note": note})
        print(f"{name:<34} {value:>9.2f} {unit:<4} goal < {goal:g} {unit:<4} {'met' if value < goal else 'NOT met'}"
              f"{'  (' + note + ')' if note else ''}", flush=True)

    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; tree {args.src}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "PYTHONPATH": str(args.src), "NUMBA_CACHE_DIR": str(tmp / "numba-cache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's Python keeps the byte-compiled modules
        run_default = ["run", "default", "--quiet", "--out"]
        wall, _ = cli([*run_default, str(tmp / "cold")], env, tmp)
        if "first-run" not in args.skip:
            row("first run (cold kernel cache)", 10.0, wall, "s")
        warm = [cli([*run_default, str(tmp / f"warm-{i}")], env, tmp)[0] for i in range(args.repeat)]
        row("later runs (default)", 1.5, statistics.median(warm), "s", f"median of {args.repeat}")
        out = child(["-c", IN_PYTHON, str(args.repeat)], env, tmp)
        row("in Python (run + tables + report)", 0.4, min(json.loads(out)), "s", f"best of {args.repeat}")
        for label, argv in (("--help", ["--help"]), ("validate default", ["validate", "default"]),
                            ("validate teaching", ["validate", "teaching"])):
            walls = [cli(argv, env, tmp)[0] for _ in range(3 * args.repeat)]
            row(label, 0.3, statistics.median(walls), "s", f"median of {3 * args.repeat}")
        sat = [cli(["run", "saturation", "--json", "--out", str(tmp / f"sat-{i}")], env, tmp)
               for i in range(args.repeat)]
        row("run saturation --json", 3.0, statistics.median(w for w, _ in sat), "s", f"median of {args.repeat}")
        row("run saturation --json, peak RSS", 500.0, max(m for _, m in sat), "MB", "largest of the runs")
        if "big" not in args.skip:
            from bench_memory import scaled_default

            big = scaled_default(10000, tmp)
            wall, peak = cli(["run", str(big), "--quiet", "--out", str(tmp / "big")], env, tmp)
            row("10,000 threats", 15.0, wall, "s", f"one run, peak RSS {peak:.0f} MB")
        if "sweep" not in args.skip:
            import pyarrow.parquet as pq

            from bench_sweep import write_spec

            spec = write_spec(tmp, "default", args.sweep_runs)
            wall, _ = cli(["sweep", str(spec), "--out", str(tmp / "sweep"), "--workers", "2", "--quiet"], env, tmp)
            runs = pq.read_table(tmp / "sweep" / "sweep.parquet").column("wall_time_s").to_pylist()
            per_run = statistics.fmean(runs) / 2  # two workers
            start = max(0.0, wall - per_run * len(runs))  # the command's start-up, workers' kernel loads, the end
            row("1,000-run sweep, 2 workers", 5.0, (start + 1000 * per_run) / 60.0, "min",
                f"start-up {start:.1f} s + 1,000 x {per_run:.2f} s; {60.0 * len(runs) / wall:.1f} battles/min "
                f"over {len(runs)} runs")
    if args.json is not None:
        args.json.write_text(json.dumps({"load_average": os.getloadavg()[0], "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
