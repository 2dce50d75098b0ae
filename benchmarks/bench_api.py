"""What the Python API costs: ``import airpicture`` and a run through the engine's window generator, side by side
with another source tree (e.g. the commit before the generator), each in fresh processes, alternating A and B.

    python benchmarks/bench_api.py --other /path/to/other/src --repeat 5 [--scenario teaching]

For each side and repeat it times, in a new process: ``import airpicture`` (and whether numba, scipy, plotly,
pandas or dask got imported), and ``run_scenario`` of the scenario in memory (kernels already compiled and
cached by a warm-up run). Prints the medians and the ratio B/A of the run times, repeat by repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "src"

PROBE = """
import json, sys, time
t0 = time.perf_counter()
import airpicture
t_import = time.perf_counter() - t0
heavy = sorted(m for m in ("numba", "scipy", "plotly", "pandas", "dask") if m in sys.modules)
from airpicture.engine import run_scenario
from airpicture.scenario import load_scenario
sc = load_scenario(sys.argv[1])
t0 = time.perf_counter()
run_scenario(sc)
print(json.dumps({"import_s": t_import, "heavy": heavy, "run_s": time.perf_counter() - t0}))
"""


def probe(src: Path, scenario: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", PROBE, scenario], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--other", type=Path, required=True, help="the other source tree (its src/ folder)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scenario", default="teaching")
    args = ap.parse_args()
    sides = {"A (other)": args.other.resolve(), "B (this)": HERE}
    for src in sides.values():  # warm-up: compile and cache the kernels of each tree
        probe(src, args.scenario)
    results: dict[str, list[dict]] = {k: [] for k in sides}
    for _ in range(args.repeat):
        for name, src in sides.items():
            results[name].append(probe(src, args.scenario))
    for name, rows in results.items():
        print(f"{name}: import {statistics.median(r['import_s'] for r in rows) * 1e3:.1f} ms (heavy modules "
              f"imported: {rows[0]['heavy'] or 'none'}), run {statistics.median(r['run_s'] for r in rows):.2f} s "
              f"(median of {len(rows)})")
    ratios = [b["run_s"] / a["run_s"] for a, b in zip(*results.values(), strict=True)]
    print(f"run time B/A per repeat: {', '.join(f'{r:.3f}' for r in ratios)}; median {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
