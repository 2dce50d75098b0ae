"""Sensing speed: target-looks per second of the radar simulation on one core.

A target-look is one live target swept by the beam in one rotation: its crossing time solved, its state
interpolated, then visibility, fluctuation, resolution, the detection draw and the measurement noise -- whether
or not it ends up detected. False alarms come on top.

Three measurements, each the best of ``--repeats``:

1. one radar scanning a large synthetic truth (``--targets`` straight flights within 280 km, 50 m - 12 km
   high, 1 s truth samples), per stage of a scan;
2. the built-in default scenario, both radars, whole run (``simulate_detections``);
3. the truth look-up kernel (``TruthIndex.state_at``, Numba) against ``Truth.state_at`` (NumPy) on the same
   queries, side by side.

    python benchmarks/bench_sensing.py [--targets 40000] [--scans 10] [--repeats 5]

Thread pools are limited to one thread before NumPy loads, so the numbers are for one core. Both wall-clock and
process CPU time are printed: on a shared machine the CPU time is the steadier of the two.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse
import math
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from airpicture.geodesy import LocalFrame
from airpicture.scenario import Radar, load_scenario
from airpicture.sensors import simulate_detections
from airpicture.sensors.look_geometry import look_geometry
from airpicture.sensors.radar import RadarSimulator
from airpicture.sensors.resolution import merge_echoes, resolution_groups
from airpicture.sensors.scan_timing import beam_crossings
from airpicture.sensors.truth_index import TruthIndex
from airpicture.truth import Truth, generate_truth
from airpicture.truth.builder import TruthBuilder
from airpicture.truth.table import grid_times


def synthetic_truth(n: int, duration_s: float, step_s: float, frame: LocalFrame, seed: int = 1) -> Truth:
    """n straight level flights within 280 km of the site, heights 50 m - 12 km, 80-300 m/s, sampled every
    step_s over [0, duration_s]."""
    rng = np.random.default_rng(seed)
    dist = 280e3 * np.sqrt(rng.uniform(0.0, 1.0, n))
    bearing = rng.uniform(0.0, 2 * np.pi, n)
    e0, n0 = dist * np.sin(bearing), dist * np.cos(bearing)
    height = rng.uniform(50.0, 12e3, n)
    speed = rng.uniform(80.0, 300.0, n)
    heading = rng.uniform(0.0, 2 * np.pi, n)
    ve, vn = speed * np.sin(heading), speed * np.cos(heading)
    start, end = np.zeros(n), np.full(n, duration_s)
    owner, t = grid_times(start, end, step_s, duration_s)
    e = e0[owner] + ve[owner] * t
    nn = n0[owner] + vn[owner] * t
    u = frame.up_from_height(e, nn, height[owner])
    vu = frame.vertical_velocity(e, nn, u, ve[owner], vn[owner], 0.0)  # level flight over the curved ground
    x = np.column_stack([e, nn, u, ve[owner], vn[owner], vu])
    b = TruthBuilder()
    b.add(kind="aircraft", hostile=True, rcs_m2=rng.uniform(0.05, 10.0, n), asset_index=-1, start_s=start,
          end_s=end, end_reason=np.full(n, "running", dtype=object), group="bench",
          callsign=np.array([f"t{i}" for i in range(n)], dtype=object), owner=owner, t=t, x=x)
    return b.build()


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """(best wall s, best CPU s, last result) of ``repeats`` calls."""
    wall = cpu = math.inf
    out = None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, out


def big_truth_case(args: argparse.Namespace) -> None:
    frame = LocalFrame.at(34.5, -38.2, 20.0)
    t0 = time.perf_counter()
    truth = synthetic_truth(args.targets, args.duration, 1.0, frame)
    print(f"synthetic truth: {truth.n_targets} targets, {len(truth.samples)} samples "
          f"(built in {time.perf_counter() - t0:.1f} s)")
    radar = Radar(id=1, e_m=0.0, n_m=0.0, antenna_height_m=25.0, scan_period_s=6.0, max_range_m=300e3,
                  swerling=1, pfa=1e-6, elevation_max_deg=70.0, elevation_resolution_deg=3.0)
    sim = RadarSimulator(radar, frame, truth, seed=7, sensor_index=0)
    n_scans = min(args.scans, int(args.duration // radar.scan_period_s))
    sim.scan(0)  # compile / load the Numba cache

    def all_scans() -> int:
        return sum(len(sim.scan(k)[0]) for k in range(n_scans))

    before = sim.target_looks
    wall, cpu, detections = best_of(all_scans, args.repeats)
    looks = (sim.target_looks - before) // args.repeats
    print(f"one radar, {n_scans} rotations: {looks} target-looks, {detections} detections (incl. false alarms)")
    print(f"  {wall:.3f} s wall, {cpu:.3f} s CPU -> {looks / wall / 1e6:.2f} M target-looks/s wall, "
          f"{looks / cpu / 1e6:.2f} M per CPU-second")

    # where one rotation's time goes (rotation 1, all targets live)
    idx = sim.index
    cand = np.arange(truth.n_targets)
    lo, hi = np.full(cand.size, 6.0), np.full(cand.size, 12.0)
    stages: dict[str, tuple[float, float]] = {}
    wall, cpu, (owner, t, x) = best_of(
        lambda: beam_crossings(idx, sim.geometry, cand, lo, hi, sim.start_azimuth_rad, 6.0), args.repeats)
    stages["beam crossings (Numba)"] = (wall, cpu)
    wall, cpu, look = best_of(lambda: look_geometry(x, sim.geometry, frame.earth_radius_m), args.repeats)
    stages["look geometry (Numba)"] = (wall, cpu)
    seen = np.flatnonzero(sim.visible(look))
    r, az, el = look.range_m[seen], look.azimuth_rad[seen], look.elevation_rad[seen]
    wall, cpu, (n_groups, group) = best_of(
        lambda: resolution_groups(r, az, el, 150.0, math.radians(1.5), math.radians(3.0)), args.repeats)
    stages["resolution groups (Numba sweep)"] = (wall, cpu)
    power = np.ones(seen.size)
    wall, cpu, _ = best_of(
        lambda: merge_echoes(group, n_groups, power, t[seen], r, az, el, look.range_rate_mps[seen]), args.repeats)
    stages["merge echoes"] = (wall, cpu)
    wall, cpu, _ = best_of(lambda: sim.scan(1), args.repeats)
    stages["whole scan"] = (wall, cpu)
    print(f"  one rotation: {owner.size} looks, {seen.size} visible, {n_groups} echoes after merging "
          "(ms wall / CPU):")
    for name, (wall, cpu) in stages.items():
        print(f"    {name:30s} {wall * 1e3:7.1f} / {cpu * 1e3:5.1f}")


def default_scenario_case(args: argparse.Namespace) -> None:
    scenario = load_scenario("default")
    truth = generate_truth(scenario)
    simulate_detections(scenario, truth)  # warm-up
    wall, cpu, (det, _) = best_of(lambda: simulate_detections(scenario, truth), args.repeats)
    from airpicture.sensors import SensingStage
    from airpicture.truth import frame_of

    stage = SensingStage(scenario, truth, frame_of(scenario))
    stage.between(0.0, scenario.duration_s, np.full(truth.n_targets, np.inf))
    looks = sum(r.target_looks for r in stage.radars)
    print(f"default scenario ({truth.n_targets} targets, {len(scenario.sensors)} radars, {scenario.duration_s:g} s): "
          f"{looks} target-looks, {len(det)} detections in {wall:.3f} s wall, {cpu:.3f} s CPU "
          f"-> {looks / cpu / 1e6:.2f} M target-looks per CPU-second")


def lookup_case(args: argparse.Namespace) -> None:
    frame = LocalFrame.at(34.5, -38.2, 20.0)
    truth = synthetic_truth(args.targets // 4, args.duration, 1.0, frame, seed=2)
    rng = np.random.default_rng(3)
    q = 200_000
    tid = np.sort(rng.integers(0, truth.n_targets, q))
    tq = rng.uniform(0.0, args.duration, q)
    index = TruthIndex.of(truth)
    index.state_at(tid[:10], tq[:10])
    a_wall, _, a = best_of(lambda: index.state_at(tid, tq), args.repeats)
    b_wall, _, b = best_of(lambda: truth.state_at(tid, tq), args.repeats)
    print(f"state look-ups, {q} queries into {len(truth.samples)} samples: TruthIndex.state_at (Numba) "
          f"{a_wall * 1e3:.1f} ms, Truth.state_at (NumPy) {b_wall * 1e3:.1f} ms -> {b_wall / a_wall:.1f}x; "
          f"max difference {np.abs(a - b).max():.1e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", type=int, default=40_000)
    ap.add_argument("--scans", type=int, default=10)
    ap.add_argument("--duration", type=float, default=120.0)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    big_truth_case(args)
    default_scenario_case(args)
    lookup_case(args)


if __name__ == "__main__":
    main()
