"""Sensing as the engine drives it: ``SensingStage.between`` over every window of a built-in scenario (no kills),
CPU seconds, best of ``--repeat``.

    python benchmarks/bench_sensing_windows.py default saturation [--repeat 5]
    PYTHONPATH=/path/to/other/checkout/src python benchmarks/bench_sensing_windows.py default   # another tree

The truth is generated once per scenario, outside the timing; each repeat builds a fresh stage (no cached scans).
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from airpicture.placement import frame_of
from airpicture.scenario import load_scenario
from airpicture.sensors.stage import SensingStage
from airpicture.truth import generate_truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="+")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for name in args.scenarios:
        scenario = load_scenario(name)
        truth = generate_truth(scenario)
        frame = frame_of(scenario)
        alive = np.full(truth.n_targets, np.inf)
        edges = np.arange(0.0, scenario.duration_s + 1e-9, scenario.time_step_s).tolist()
        best = np.inf
        rows = 0
        for _ in range(args.repeat):
            start = time.process_time()
            stage = SensingStage(scenario, truth, frame)
            rows = sum(len(stage.between(t0, t1, alive)[0]) for t0, t1 in itertools.pairwise(edges))
            best = min(best, time.process_time() - start)
        print(f"{name}: {len(edges) - 1} windows, {rows} detections, sensing {best:.3f} s CPU (best of {args.repeat})")


if __name__ == "__main__":
    main()
