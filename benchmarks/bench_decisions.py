"""Cost of the decision log (decisions.parquet) in a run of the default scenario (goal: < 10 % of the run).

Usage: python benchmarks/bench_decisions.py [--repeat 5] [--scenario default]

Two parts, both measured in this process after a warm-up run (compiled kernels loaded):

* assembling the table after the run (``airpicture.engine._decisions``: the tracker's rows derived from its
  history and associations, first visibility on the truth, the outcome rules);
* recording fire control's rows during the run: the time spent inside the methods of
  :class:`airpicture.engagement.decisions.FireDecisions` (each call clocked), plus the few array lines in
  ``FireControl`` that prepare their arguments (not clocked; a handful of NumPy calls per step).

Both are summed per run and given as a share of that run's ``run_scenario`` wall time (median of ``--repeat``).
"""

from __future__ import annotations

import argparse
import statistics
import time

import airpicture.engine as engine
from airpicture.engagement import decisions as fire_decisions
from airpicture.scenario import load_scenario


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scenario", default="default")
    args = ap.parse_args()
    sc = load_scenario(args.scenario)
    original = engine._decisions
    inside: list[float] = []

    def timed(*a, **k):
        t0 = time.perf_counter()
        out = original(*a, **k)
        inside.append(time.perf_counter() - t0)
        return out

    engine._decisions = timed
    engine.run_scenario(sc)  # warm-up
    recorder = fire_decisions.FireDecisions
    methods = [m for m in ("ranked", "out_of_envelope", "engage", "launch", "reload", "waits", "abandon",
                           "slot_wait", "slot_wait_end", "intercepts", "assessed", "finish") if hasattr(recorder, m)]
    spent = [0.0]

    def clocked(f):
        def inner(*a, **k):
            t0 = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                spent[0] += time.perf_counter() - t0
        return inner

    for m in methods:
        setattr(recorder, m, clocked(getattr(recorder, m)))
    runs, assembly, recording = [], [], []
    rows = 0
    for _ in range(args.repeat):
        spent[0] = 0.0
        t0 = time.perf_counter()
        result = engine.run_scenario(sc)
        runs.append(time.perf_counter() - t0)
        assembly.append(inside[-1])
        recording.append(spent[0])
        rows = result.tables["decisions"].num_rows
    run = statistics.median(runs)
    share = [(a + r) / w for a, r, w in zip(assembly, recording, runs, strict=True)]
    print(f"scenario {args.scenario}: decisions.parquet {rows} rows; run_scenario median {run:.3f} s "
          f"(min {min(runs):.3f}, max {max(runs):.3f})")
    print(f"assembly after the run: median {statistics.median(assembly) * 1e3:.0f} ms")
    print(f"fire control's recording during the run (time inside its recorder): median "
          f"{statistics.median(recording) * 1e3:.0f} ms")
    print(f"decision log share of the run: median {100 * statistics.median(share):.1f} % "
          f"(min {100 * min(share):.1f} %, max {100 * max(share):.1f} %)")


if __name__ == "__main__":
    main()
