"""The GNN's large gate clusters (too many joint hypotheses to enumerate): the dense ``linear_sum_assignment`` against
the sparse matching, on the clusters of a real run, by cluster size; and whether both choose the same pairs.

Usage::

    python benchmarks/bench_assignment.py record SCENARIO clusters.pkl     # run the scenario, keep its large clusters
    python benchmarks/bench_assignment.py time clusters.pkl [--repeat 2]

``record`` keeps the (track, detection, score) pairs of every cluster ``tracking.association`` hands to its
fallback solver in one ``run_scenario`` (events only). ``time`` solves each with both solvers (the same function,
``SPARSE_CLUSTER_TRACKS`` set so that every cluster takes one path, then the other), prints the CPU seconds of
each over all clusters and the mean milliseconds per cluster by size (tracks, powers of two), and counts the
clusters whose chosen pairs differ. A scenario with 10,000 threats: ``bench_memory.scaled_default(10000, DIR)``.
"""

from __future__ import annotations

import pickle
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from replay_args import record_calls, record_or_time


def record(scenario: str, path: Path) -> None:
    from airpicture.tracking import association

    calls = record_calls(association, "_solve_cluster", scenario, lambda t, d, s: (t.copy(), d.copy(), s.copy()))
    path.write_bytes(pickle.dumps(calls))
    print(f"{len(calls)} clusters -> {path}")


def solve_all(calls: list, sparse_from: int) -> tuple[list[np.ndarray], list[float]]:
    from airpicture.tracking import association

    old = association.SPARSE_CLUSTER_TRACKS
    association.SPARSE_CLUSTER_TRACKS = sparse_from
    try:
        out, times = [], []
        for c in calls:
            t0 = time.process_time()
            out.append(np.sort(association._solve_cluster(*c)))
            times.append(time.process_time() - t0)
        return out, times
    finally:
        association.SPARSE_CLUSTER_TRACKS = old


def main() -> None:
    args = record_or_time(__doc__, repeat=2, compare=False)[0].parse_args()
    if args.cmd == "record":
        record(args.scenario, args.path)
        return
    from airpicture.tracking import association

    calls = pickle.loads(args.path.read_bytes())
    sizes = np.array([np.unique(c[0]).size for c in calls])
    print(f"{len(calls)} clusters; tracks per cluster: median {np.median(sizes):.0f}, max {sizes.max()}; "
          f"sparse from {association.SPARSE_CLUSTER_TRACKS} tracks in airpicture")
    solve_all(calls[:1], 1)  # loads SciPy's sparse package
    per_size: dict[str, dict[int, list[float]]] = {"dense": defaultdict(list), "sparse": defaultdict(list)}
    for i in range(args.repeat):
        for name in (("dense", "sparse") if i % 2 == 0 else ("sparse", "dense")):
            out, times = solve_all(calls, 1 if name == "sparse" else 10**9)
            print(f"  pass {i + 1}, {name:>6}: {sum(times):.3f} s CPU")
            for n, s in zip(sizes, times, strict=True):
                per_size[name][int(2 ** np.floor(np.log2(n)))].append(s)
            if name == "dense":
                dense = out
            else:
                sparse = out
        differ = sum(not np.array_equal(a, b) for a, b in zip(dense, sparse, strict=True))
        print(f"  clusters whose chosen pairs differ: {differ}")
    print("  tracks   clusters   dense ms   sparse ms")
    for b in sorted(per_size["dense"]):
        k = len(per_size["dense"][b])
        print(f"  {b:>6}+ {k // args.repeat:>9} {1e3 * np.mean(per_size['dense'][b]):>10.3f} "
              f"{1e3 * np.mean(per_size['sparse'][b]):>11.3f}")


if __name__ == "__main__":
    main()
