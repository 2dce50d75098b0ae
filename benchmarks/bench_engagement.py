"""Engagement speed: the cost of one ``FireControl.step`` on the built-in default scenario, with the fused
compiled threat evaluation against the same stage using the NumPy reference composition (side by side, ratio).

Pictures come from the truth plus noise (``TruthPicture``) and are built outside the timed region, so only fire
control is timed. Also reported: the one-off cost of loading the compiled kernel in a fresh process (from
Numba's on-disk cache), and the whole engagement-only run (truth + stand-in pictures + fire control).

    python benchmarks/bench_engagement.py [--repeats 5]

Run with OMP_NUM_THREADS=1 (the script sets it before NumPy loads) so the numbers are for one core.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse
import platform
import subprocess
import sys
import time

import numpy as np

import airpicture.engagement.fire_control as fire_control
from airpicture.engagement import FireControl
from airpicture.engagement.kernels import evaluate_tracks, evaluate_tracks_numpy
from airpicture.scenario import load_scenario
from airpicture.seeding import stream
from airpicture.testing.truth_picture import TruthPicture, run_on_truth
from airpicture.truth import frame_of, generate_truth


def numpy_evaluate(*args):
    """``evaluate_tracks`` signature, NumPy reference inside."""
    *inputs, out = args
    for o, r in zip(out, evaluate_tracks_numpy(*inputs), strict=True):
        o[:] = r


def deep_magazine(sc):
    b = sc.batteries[0].model_copy(update={"rounds_per_launcher": 40, "reload_time_s": 60.0})
    return sc.model_copy(update={"batteries": [b]})


def step_times(sc, frame, truth, evaluate) -> np.ndarray:
    """Per-step wall time of fire control (s), pictures pre-built from a first pass with the same kills."""
    fire_control.evaluate_tracks = evaluate
    try:
        src = TruthPicture(truth, stream(sc.seed, 99), position_sigma_m=50.0, velocity_sigma_mps=5.0,
                           max_range_m=250e3, confirm_delay_s=20.0)
        fc = FireControl(sc, frame, truth, sc.seed)
        n = round(sc.duration_s / sc.time_step_s)
        out = np.empty(n)
        for i in range(1, n + 1):
            t = i * sc.time_step_s
            pic, follows = src.at(t, fc.kill_time_s)
            t0 = time.perf_counter()
            fc.step(t, pic, follows)
            out[i - 1] = time.perf_counter() - t0
        fc.finish(sc.duration_s)
        return out
    finally:
        fire_control.evaluate_tracks = evaluate_tracks


LOAD = """
import sys, time
import numba
import numpy as np
from airpicture.engagement.kernels import Evaluation, InterceptTables, evaluate_tracks
t0 = time.perf_counter()
if sys.argv[1] == "warm":  # another compiled function ran first, as the sensors' and metrics' kernels do in a run
    numba.njit(lambda v: v + 1)(1)
t1 = time.perf_counter()
k = 4
tab = InterceptTables(np.zeros((1, 2)), np.ones(1), np.zeros(3), 1200.0, np.zeros(6), np.ones(6), np.zeros(6),
                      np.ones(6), 6.4e6)
evaluate_tracks(np.zeros((k, 6)), np.ones(k, bool), np.zeros(k, np.int64), 0.0, 5.0, tab, Evaluation.empty(k))
print(time.perf_counter() - t1)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.processor() or platform.machine()}")
    base = load_scenario()
    frame = frame_of(base)
    t0 = time.perf_counter()
    truth = generate_truth(base)
    t_truth = time.perf_counter() - t0
    step_times(base, frame, truth, evaluate_tracks)  # warm: load the compiled kernel
    print("per-step fire-control time on the default scenario (900 steps), best of repeats, ms")
    print(f"{'variant':44s} {'compiled':>9s} {'numpy':>9s} {'ratio':>6s}")
    for label, sc in (("default battery (rounds run out by ~150 s)", base),
                      ("deep magazine (channels saturated throughout)", deep_magazine(base))):
        res = {}
        for name, ev in (("compiled", evaluate_tracks), ("numpy", numpy_evaluate)):
            runs = [step_times(sc, frame, truth, ev) for _ in range(args.repeats)]
            means = [r.mean() for r in runs]
            best = runs[int(np.argmin(means))]
            res[name] = (best.mean() * 1e3, np.median(best) * 1e3, np.percentile(best, 99) * 1e3)
        c, n = res["compiled"], res["numpy"]
        print(f"{label:44s} {c[0]:9.3f} {n[0]:9.3f} {n[0] / c[0]:5.1f}x   (mean)")
        print(f"{'':44s} {c[1]:9.3f} {n[1]:9.3f} {n[1] / c[1]:5.1f}x   (median)")
        print(f"{'':44s} {c[2]:9.3f} {n[2]:9.3f} {n[2] / c[2]:5.1f}x   (99th percentile)")
    for mode, what in (("cold", "as the process's first compiled function (includes Numba's runtime start)"),
                       ("warm", "after another compiled function (the case in a full run)")):
        loads = [float(subprocess.run([sys.executable, "-c", LOAD, mode], capture_output=True, text=True,
                                      check=True).stdout) for _ in range(3)]
        print(f"fresh process, first call of the kernel (from Numba's disk cache) {what}: "
              f"{min(loads) * 1e3:.0f} ms (best of 3)")
    t0 = time.perf_counter()
    src = TruthPicture(truth, stream(base.seed, 99), position_sigma_m=50.0, velocity_sigma_mps=5.0,
                       max_range_m=250e3, confirm_delay_s=20.0)
    run_on_truth(base, frame, truth, src)
    print(f"engagement-only run of the default scenario: truth {t_truth:.2f} s + stand-in pictures and fire "
          f"control {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
