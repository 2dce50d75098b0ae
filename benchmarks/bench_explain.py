"""Speed of ``airpicture explain`` and ``airpicture compare`` on results folders of the default scenario (goal:
explain < 1 s after start-up).

Usage: python benchmarks/bench_explain.py [--repeat 5] [--workdir /tmp/bench_explain]

Writes two results folders (the default scenario, and the same with a 200 s reload), then times:

* in this process, with the imports done (the ``explain`` command's own work: reading the scenario, summary,
  targets, decisions and timeline tables, then the verdict, or one threat's story): median of ``--repeat``;
* as new processes (``python -m airpicture.cli ...``, start-up included), beside ``airpicture --help`` (the
  start-up alone): median wall time;
* ``compare`` the same way (its page embeds plotly.js).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(fn, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def process(args: list[str], repeat: int) -> float:
    return timed(lambda: subprocess.run([sys.executable, "-m", "airpicture.cli", *args], check=True,
                                        capture_output=True), repeat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bench_explain"))
    args = ap.parse_args()
    from airpicture.engine import run_scenario, write_run
    from airpicture.explain.command import explain_command
    from airpicture.report.compare import compare_command
    from airpicture.scenario import load_scenario

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    base = load_scenario("default")
    a = write_run(run_scenario(base), args.workdir / "default", report=False)
    fast = base.model_copy(update={"batteries": [base.batteries[0].model_copy(update={"reload_time_s": 200.0})]})
    b = write_run(run_scenario(fast), args.workdir / "fast-reload", report=False)
    threat = "cruise-missiles-east-017"
    page = args.workdir / "compare.html"
    explain_command(a, None, None)  # imports done
    r = args.repeat
    rows = [
        ("explain RUN (verdict), in process", timed(lambda: explain_command(a, None, None), r)),
        (f"explain RUN --threat {threat}, in process", timed(lambda: explain_command(a, threat, None), r)),
        ("compare A B (text + page), in process",
         timed(lambda: compare_command(a, b, page, True, False), r)),
        ("airpicture --help (start-up only), new process", process(["--help"], r)),
        ("airpicture explain RUN, new process", process(["explain", str(a)], r)),
        (f"airpicture explain RUN --threat {threat}, new process", process(["explain", str(a), "--threat", threat],
                                                                           r)),
        ("airpicture compare A B, new process", process(["compare", str(a), str(b), "--out", str(page),
                                                         "--overwrite"], r)),
    ]
    for name, seconds in rows:
        print(f"{name:<62} {seconds:6.3f} s")


if __name__ == "__main__":
    main()
