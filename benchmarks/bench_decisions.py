"""Cost of the decision log (decisions.parquet) in a run of the default scenario (goal: < 10 % of the run).

Usage: python benchmarks/bench_decisions.py [--repeat 5] [--scenario default]

Two parts, both measured in this process after a warm-up run (compiled kernels loaded):

* assembling the table after the run (``airpicture.engine._decisions``: the tracker's rows derived from its
  history and associations, first visibility on the truth, the outcome rules): timed inside each full run, as a
  share of that run's ``run_scenario`` time (process CPU time: the machine may be shared);
* recording fire control's rows during the run (:class:`airpicture.engagement.decisions.FireDecisions`): runs
  with the recorder's methods replaced by no-ops, alternated with normal runs, and compared (median of each);
  the share is the difference over the normal run's time (noisy: a few milliseconds against seconds).
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
        t0 = time.process_time()
        out = original(*a, **k)
        inside.append(time.process_time() - t0)
        return out

    engine._decisions = timed
    engine.run_scenario(sc)  # warm-up
    recorder = fire_decisions.FireDecisions
    methods = [m for m in ("ranked", "out_of_envelope", "engage", "launch", "reload", "waits", "abandon",
                           "slot_wait", "slot_wait_end", "intercepts", "assessed") if hasattr(recorder, m)]
    saved = {m: getattr(recorder, m) for m in methods}
    with_log, without, shares = [], [], []
    rows = 0
    for i in range(args.repeat):
        for record in ((True, False) if i % 2 == 0 else (False, True)):  # alternate which goes first
            if not record:
                for m in methods:
                    setattr(recorder, m, lambda self, *a, **k: None)
            c0 = time.process_time()
            result = engine.run_scenario(sc)
            cpu = time.process_time() - c0
            for m, f in saved.items():
                setattr(recorder, m, f)
            if record:
                with_log.append(cpu)
                shares.append(inside[-1] / cpu)
                rows = result.tables["decisions"].num_rows
            else:
                without.append(cpu)
    assembly = statistics.median(inside[1:])
    run = statistics.median(with_log)
    recording = statistics.median(with_log) - statistics.median(without)
    print(f"scenario {args.scenario}: decisions.parquet {rows} rows")
    print(f"run_scenario CPU time, median {run:.3f} s (recording on), {statistics.median(without):.3f} s (fire "
          "control's recorder off)")
    print(f"assembly after the run: median {assembly * 1e3:.0f} ms = {100 * statistics.median(shares):.1f} % of "
          f"the run (min {100 * min(shares):.1f} %, max {100 * max(shares):.1f} %)")
    print(f"fire control's recording during the run: {recording * 1e3:+.0f} ms = {100 * recording / run:+.1f} % "
          "(difference of medians; noise of the order of the run's spread)")
    print(f"run spread: {min(with_log):.3f}-{max(with_log):.3f} s; total decision-log share "
          f"{100 * (assembly + max(recording, 0.0)) / run:.1f} %")


if __name__ == "__main__":
    main()
