"""Truth generation speed for the built-in scenarios (issue: default scenario at 1 s in < 1 s).

Usage: python benchmarks/bench_truth.py [--repeat 5]
Prints the best and median wall time of ``generate_truth`` per scenario and the samples produced.
"""

from __future__ import annotations

import argparse
import statistics
import time

from airpicture.scenario import builtin_names, load_scenario
from airpicture.truth import generate_truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"{'scenario':<12} {'targets':>8} {'samples':>9} {'best s':>8} {'median s':>9}")
    for name in builtin_names():
        sc = load_scenario(name)
        generate_truth(sc)  # warm-up (imports, caches)
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            truth = generate_truth(sc)
            times.append(time.perf_counter() - t0)
        print(f"{name:<12} {truth.n_targets:>8} {len(truth.samples):>9} {min(times):>8.3f} "
              f"{statistics.median(times):>9.3f}")


if __name__ == "__main__":
    main()
