"""Tracker at scale: wall time per 1-second scan with 100 / 10,000 / 100,000 targets plus false alarms.

One rotating radar at the site (1 s scan period, 450 km instrumented range, sigmas 30 m / 0.1 deg / 0.2 deg)
sees straight-flying targets spread uniformly over a disc of 20-300 km range at 1-12 km height, 100-300 m/s;
Pd = 0.9 and uniform false alarms. Every scan 0.5 % of the targets vanish and as many new ones appear, so the
timed scans include initiation (every false alarm starts a tentative track), confirmation (3 of 4) and
deletion (tentative tracks failing M-of-N, confirmed tracks after 3 misses). Each scan is one
``Tracker.process`` call plus one ``picture`` call, timed after ``--warmup`` scans (the picture fills up).
Detection generation is not timed. Accuracy columns check the tracker is doing its job: the share of targets
(alive for 6 scans or more) held by a confirmed track, and confirmed tracks on no target, alive or vanished in
the last 4 s ("on" = position within the 99.9 % chi-square gate of the track's own covariance). Times are wall-clock per scan and, since the
machine is shared, the process CPU time per scan too.

Usage::

    python benchmarks/bench_tracker_scale.py                     # the three standard sizes
    python benchmarks/bench_tracker_scale.py --targets 10000 --false-alarms 1000 --scans 20
    python benchmarks/bench_tracker_scale.py --compile           # first-call (compile) time, cold and cached

Also reports the pre-gate alone: the compiled grid against ``scipy.spatial.cKDTree.query_ball_point``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.spatial import cKDTree

from airpicture.geodesy import LocalFrame
from airpicture.scenario import FixedAccuracy, Radar, TrackerConfig
from airpicture.sensors.geometry import polar_to_cartesian
from airpicture.sensors.placement import radar_geometry
from airpicture.testing.detections import full_look, linear_targets, scan
from airpicture.tracking import Tracker
from airpicture.tracking.gating import PREGATE_MARGIN, candidate_pairs, gate_thresholds, polar_boxes

STANDARD = ((100, 10), (10_000, 1_000), (100_000, 10_000))
GATE_999 = 16.27  # chi-square(3) 99.9 % quantile


def make_targets(rng: np.random.Generator, n: int) -> np.ndarray:
    ang = rng.uniform(0, 2 * np.pi, n)
    rad = np.sqrt(rng.uniform(20e3**2, 300e3**2, n))
    hdg = rng.uniform(0, 2 * np.pi, n)
    spd = rng.uniform(100, 300, n)
    return np.stack([rad * np.sin(ang), rad * np.cos(ang), rng.uniform(1e3, 12e3, n), spd * np.sin(hdg),
                     spd * np.cos(hdg), np.zeros(n)], axis=1)


def run(n_targets: int, false_alarms: int, scans: int, warmup: int, association: str, model: str,
        seed: int = 1) -> dict:
    frame = LocalFrame.at(34.5, -38.2, 20.0)
    radar = Radar(id=1, scan_period_s=1.0, max_range_m=450e3, min_range_m=1000.0, elevation_max_deg=80.0,
                  accuracy=FixedAccuracy(range_m=30.0, azimuth_deg=0.1, elevation_deg=0.2))
    geo = radar_geometry(radar, frame)
    rng = np.random.default_rng(seed)
    # target table grows as targets are replaced: state at time 0 (extrapolated) and birth/death times
    x0 = make_targets(rng, n_targets)
    born = np.zeros(n_targets)
    dies = np.full(n_targets, np.inf)
    cfg = TrackerConfig(association=association, model={"kind": model}, clutter_density=1e-13)
    tracker = Tracker(cfg, [radar], frame, capacity=None, record_history=True)
    times, cpu_times = [], []
    held, false_tracks = [], []
    for k in range(scans):
        t0 = float(k)
        if k > 0:  # turnover
            alive_idx = np.flatnonzero(dies == np.inf)
            gone = rng.choice(alive_idx, size=max(int(0.005 * n_targets), 0), replace=False)
            dies[gone] = t0
            new = make_targets(rng, gone.shape[0])
            new[:, :3] -= new[:, 3:] * t0  # so that the position at t0 is the drawn one
            x0 = np.concatenate([x0, new])
            born = np.concatenate([born, np.full(gone.shape[0], t0)])
            dies = np.concatenate([dies, np.full(gone.shape[0], np.inf)])

        def state(ids, t, _x0=x0):
            s = _x0[ids].copy()
            s[:, :3] += s[:, 3:] * np.asarray(t, float)[:, None]
            return s

        alive = (born <= t0) & (dies > t0)
        det, labels = scan(state, x0.shape[0], radar, geo, k, rng, pd=0.9, false_alarms=false_alarms, alive=alive)
        look = full_look(radar, k)
        tic = time.perf_counter()
        cpu = time.process_time()
        tracker.process(det, [look])
        pic = tracker.picture(t0 + 1.0)
        cpu = time.process_time() - cpu
        toc = time.perf_counter()
        if k >= warmup:
            times.append(toc - tic)
            cpu_times.append(cpu)
            # a track may still follow a target that vanished in the last 4 s (deleted after 3 missed looks)
            present = np.flatnonzero((born <= t0) & (dies > t0 - 4.0))
            truth = state(present, np.full(present.shape[0], t0 + 1.0))
            on_target, held_pos = match(pic, truth)
            false_tracks.append(int(np.sum(~on_target)))
            eligible = np.flatnonzero(alive[present] & (born[present] <= t0 - 6.0))
            held.append(float(np.mean(np.isin(eligible, held_pos))) if eligible.size else float("nan"))
    st = tracker.stats()
    t = np.array(times) * 1e3
    c = np.array(cpu_times) * 1e3
    return {"cpu_median_ms": float(np.median(c)),"targets": n_targets, "false_alarms": false_alarms, "association": association, "model": model,
            "median_ms": float(np.median(t)), "mean_ms": float(np.mean(t)), "max_ms": float(np.max(t)),
            "held": float(np.mean(held)) if held else float("nan"),
            "false_tracks": float(np.mean(false_tracks)) if false_tracks else float("nan"),
            "started": st["started"], "confirmed": st["confirmed"], "live_tentative": st["live_tentative"],
            "live_confirmed": st["live_confirmed"], "history_rows": len(tracker.history)}


def match(pic, truth: np.ndarray, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Which confirmed tracks lie on a live target (position Mahalanobis distance with the track's covariance
    within the 99.9 % chi-square(3) gate, among the 4 nearest targets), and the indices of targets that have
    such a track."""
    if len(pic) == 0 or truth.shape[0] == 0:
        return np.zeros(len(pic), bool), np.zeros(0, np.int64)
    kk = min(k, truth.shape[0])
    _, j = cKDTree(truth[:, :3]).query(pic.x[:, :3], k=kk)
    j = j.reshape(len(pic), kk)
    e = pic.x[:, None, :3] - truth[j, :3]
    m2 = np.einsum("nki,nij,nkj->nk", e, np.linalg.inv(pic.P[:, :3, :3]), e)
    ok = m2 <= GATE_999
    return ok.any(axis=1), np.unique(j[ok])


def pregate_comparison(n_tracks: int, rng: np.random.Generator, repeats: int = 5) -> dict:
    """The candidate search alone, on converged-looking tracks (position sigma 100-400 m) and their detections
    plus 10 % false alarms: the compiled polar grid (boxes included) against ``scipy.spatial.cKDTree`` built
    on the detections' Cartesian positions and queried with each track's chi-square reach (trace bound).
    Median ms and candidate pairs of each."""
    frame = LocalFrame.at(34.5, -38.2, 20.0)
    radar = Radar(id=1, scan_period_s=1.0, max_range_m=450e3,
                  accuracy=FixedAccuracy(range_m=30.0, azimuth_deg=0.1, elevation_deg=0.2))
    geo = radar_geometry(radar, frame)
    x = make_targets(rng, n_tracks)
    sd = rng.uniform(100.0, 400.0, n_tracks)
    P = np.zeros((n_tracks, 6, 6))
    P[:, [0, 1, 2], [0, 1, 2]] = sd[:, None] ** 2
    P[:, [3, 4, 5], [3, 4, 5]] = 30.0**2
    det, _ = scan(linear_targets(x), n_tracks, radar, geo, 0, rng, pd=0.9, false_alarms=n_tracks // 10)
    z = np.column_stack([det.range_m, np.radians(det.azimuth_deg), np.radians(det.elevation_deg),
                         det.range_rate_mps])
    sig = np.array([30.0, np.radians(0.1), np.radians(0.2)])
    gamma = float(gate_thresholds(0.9999)[3])
    slots = np.arange(n_tracks)
    t_trk = np.zeros(n_tracks)
    lo = np.empty((n_tracks, 3))
    hi = np.empty((n_tracks, 3))

    def grid():
        polar_boxes(slots, t_trk, x, P, 25.0, 0.0, 1.0, geo.position, geo.rotation, sig, gamma, PREGATE_MARGIN,
                    lo, hi)
        return candidate_pairs(lo, hi, z)

    det_pos = polar_to_cartesian(z[:, 0], z[:, 1], z[:, 2]) @ geo.rotation + geo.position
    trk_pos = x[:, :3] + x[:, 3:] * 0.5  # mid-scan
    meas = np.max(z[:, 0]) * sig[1:].max()
    reach = np.sqrt(gamma) * np.sqrt(np.trace(P[:, :3, :3], axis1=1, axis2=2) + meas**2) + 300.0 * 0.5

    def kdtree():
        res = cKDTree(det_pos).query_ball_point(trk_pos, reach)
        counts = np.fromiter((len(r) for r in res), dtype=np.int64, count=n_tracks)
        return np.repeat(slots, counts), np.concatenate([np.asarray(r, np.int64) for r in res])

    out = {}
    for name, fn in (("grid", grid), ("kdtree", kdtree)):
        fn()
        ts = []
        for _ in range(repeats):
            tic = time.process_time()
            pairs = fn()
            ts.append(time.process_time() - tic)
        out[name] = (float(np.median(ts)) * 1e3, int(pairs[0].shape[0]))
    return out


def compile_times() -> None:
    code = ("import time; t=time.perf_counter(); import sys; sys.argv=['x'];"
            "from benchmarks.bench_tracker_scale import run; run(100, 10, 3, 0, 'gnn', 'cv');"
            "run(100, 10, 3, 0, 'jpda', 'imm'); print(time.perf_counter()-t)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": root}
        cold = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                    check=True).stdout.split()[-1])
        warm = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                    check=True).stdout.split()[-1])
    print(f"first call incl. Numba compile (empty cache): {cold:.1f} s; same with the on-disk cache: {warm:.1f} s "
          "(GNN+CV and JPDA+IMM paths, 3 tiny scans each)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", type=int)
    ap.add_argument("--false-alarms", type=int, default=None)
    ap.add_argument("--scans", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=6)
    ap.add_argument("--association", default="gnn", choices=["gnn", "jpda"])
    ap.add_argument("--model", default="cv", choices=["cv", "imm", "ballistic"])
    ap.add_argument("--compile", action="store_true", help="measure first-call compile time only")
    ap.add_argument("--no-pregate", action="store_true", help="skip the grid vs k-d tree comparison")
    args = ap.parse_args()
    if args.compile:
        compile_times()
        return
    sizes = [(args.targets, args.false_alarms if args.false_alarms is not None else args.targets // 10)] \
        if args.targets else STANDARD
    # load compiled kernels before timing
    run(100, 10, 2, 0, args.association, args.model)
    print("| targets | false alarms / scan | association | model | median ms/scan (wall) | mean | max | "
          "median CPU ms/scan | targets held | false confirmed tracks | live tentative |")
    print("|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for n, fa in sizes:
        r = run(n, fa, args.scans, args.warmup, args.association, args.model)
        print(f"| {n:,} | {fa:,} | {r['association']} | {r['model']} | {r['median_ms']:.2f} | {r['mean_ms']:.2f} | "
              f"{r['max_ms']:.2f} | {r['cpu_median_ms']:.2f} | {100 * r['held']:.1f} % | {r['false_tracks']:.1f} | {r['live_tentative']:,} |",
              flush=True)
    if not args.no_pregate:
        rng = np.random.default_rng(3)
        for n in (10_000, 100_000):
            r = pregate_comparison(n, rng)
            (g, gp), (k, kp) = r["grid"], r["kdtree"]
            print(f"pre-gate at {n:,} tracks (CPU): compiled polar grid {g:.1f} ms ({gp:,} candidates), "
                  f"cKDTree query_ball_point {k:.1f} ms ({kp:,} candidates)")


if __name__ == "__main__":
    main()
