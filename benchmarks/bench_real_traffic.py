"""airpicture's tracker against Stone Soup 1.9.1 on recorded air traffic: accuracy and time per scan.

Truth from real ADS-B flights (``real_traffic_data``, ``real_traffic_scenes``), detections from an independent
rotating-radar generator (``real_traffic_radar``), Stone Soup set up as its documentation teaches
(``real_traffic_stonesoup``), airpicture run as a user runs ``airpicture track`` with a sensor file holding the
radar's facts (``real_traffic_airpicture``: ``same-q`` adds Stone Soup's process noise, ``defaults`` is the sensor
file alone), both scored the same way (``real_traffic_scoring``).

    python benchmarks/bench_real_traffic.py                          # every regime, seed 1, both sides
    python benchmarks/bench_real_traffic.py --airpicture-only        # reuse Stone Soup's cached results
    python benchmarks/bench_real_traffic.py --regimes 5s dense --seeds 1 2 3

Timing: one core (OMP/OPENBLAS/MKL/NUMBA threads = 1); per scan, Stone Soup and both airpicture configurations
are stepped in turn (who goes first rotates every scan), wall and process CPU time of the tracker calls only, with
Python's cyclic garbage collector off during the calls (:func:`timed`; it runs between them when Python decides,
outside the clock -- a full collection forced before every scan, as this benchmark did at first, walks every
object of both sides and empties Python's free lists, and cost the next airpicture scan ~0.5 ms)
(detections are converted to each side's types before the clock starts; scoring is outside the clock); then each
airpicture configuration on its own, as a user runs it ("alone": best of three runs; interleaved, each of its scans
starts with the caches Stone Soup's scan left, which costs a small tracker more than its own work). With
``--airpicture-only`` Stone Soup's per-scan times and scores come from its cache (written by an earlier full run
on the same detections and configuration), so the speed ratio then compares runs made at different times.

Caches (in ``$AIRPICTURE_BENCH_CACHE``, default ``~/.cache/airpicture-bench``): the ``traffic`` wheel, the cleaned
truths, the detections (keyed by truth, radar, scans, seed and generator version) and Stone Soup's per-run results
(keyed by the detections, the truth, its configuration and the scoring). Results: ``benchmarks/results/
real_traffic.json`` (every per-epoch score and per-scan time) and ``real_traffic.csv`` (one row per regime, seed,
configuration).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import gc  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_traffic_airpicture as rap  # noqa: E402
import real_traffic_data as rtd  # noqa: E402
import real_traffic_radar as rtr  # noqa: E402
import real_traffic_scoring as rts  # noqa: E402
from real_traffic_scenes import DEFAULT_REGIMES, REGIMES, Regime, results_dir, scene_truth  # noqa: E402

SS_CACHE_VERSION = 3  # 2: Cartesian k-d tree pre-gate; 3: its radius bounds each track's gate


def _hash(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, sort_keys=True, default=str).encode())
    return h.hexdigest()[:20]


def detections_for(regime: Regime, n_scans: int, seed: int) -> tuple[rtd.Truth, dict, rtr.Detections, str]:
    """Truth, its description, the detections (cached) and the detections' cache key."""
    truth, info = scene_truth(regime.scene, n_scans * regime.radar.scan_period_s)
    key = _hash(truth.fingerprint(), regime.radar.to_dict(), n_scans, seed, rtr.GENERATOR_VERSION)
    folder = rtd.cache_dir() / "detections"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{regime.name}-s{seed}-{key}.npz"
    if path.exists():
        with np.load(path) as z:
            det = rtr.Detections(z["time_s"], z["range_m"], z["azimuth_deg"], z["elevation_deg"], z["target"])
    else:
        det = rtr.generate(truth, regime.radar, n_scans, seed)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **det.as_dict())
        tmp.replace(path)
    return truth, info, det, key


def stonesoup_key(det: rtr.Detections, truth: rtd.Truth, pregate: float | None) -> str:
    import real_traffic_stonesoup as rss

    return _hash(det.fingerprint(), truth.fingerprint(), rss.CONFIG, pregate, rts.CUTOFF_M, rts.ORDER_P,
                 SS_CACHE_VERSION)


def _ss_cache_path(regime: Regime, seed: int, key: str) -> Path:
    folder = rtd.cache_dir() / "stonesoup"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{regime.name}-s{seed}-{key}.json"


#: runs of each airpicture configuration on its own after the interleaved run (the best one is reported)
ALONE_REPEATS = 3


def timed(fn, *args) -> tuple[float, float]:
    """Wall and CPU time (s) of ``fn(*args)`` with the cyclic garbage collector off during the call (it runs
    between scans, outside the clock: :func:`run_case`). Otherwise a collection triggered by one side's
    allocations, traversing every object of both sides (Stone Soup keeps hundreds of thousands), could land in
    the other side's call and be charged to it."""
    gc.disable()
    try:
        w0, c0 = time.perf_counter(), time.process_time()
        fn(*args)
        return time.perf_counter() - w0, time.process_time() - c0
    finally:
        gc.enable()


def run_case(regime: Regime, n_scans: int, seed: int, configs: list[str], with_stonesoup: bool,
             pregate: float | None, work: Path, sequential: bool = False) -> dict:
    """One regime and seed: both sides (or airpicture only), scored; the record written to the JSON file."""
    truth, info, det, det_key = detections_for(regime, n_scans, seed)
    radar = regime.radar
    T = radar.scan_period_s
    ss_key = stonesoup_key(det, truth, pregate)
    ss_path = _ss_cache_path(regime, seed, ss_key)
    cached_ss = json.loads(ss_path.read_text()) if ss_path.exists() else None
    if not with_stonesoup and cached_ss is None:
        print(f"  (no cached Stone Soup result for {regime.name} seed {seed}: run without --airpicture-only once)")

    sides: dict[str, object] = {}
    sensor_files = {c: rap.load_sensors(radar, c, work) for c in configs}
    for c in configs:
        # first calls of every code path (Numba compilation or loads from its cache: ~0.6 s once per process,
        # like Stone Soup's imports) off the clock: a spare tracker runs the whole detections first -- its state is
        # discarded; a few scans would leave the deletion, coverage and recovery kernels to load on the clock
        spare = rap.SteppedAirpicture(det, sensor_files[c], T, n_scans)
        for k in range(n_scans):
            spare.scan(k, spare.inputs(k))
    for c in configs:
        sides[f"airpicture:{c}"] = rap.SteppedAirpicture(det, sensor_files[c], T, n_scans)
    if with_stonesoup:
        import real_traffic_stonesoup as rss

        sides["stonesoup"] = rss.SteppedStoneSoup(det, radar, n_scans, pregate)
    scores = {name: rts.RunScore() for name in sides}
    wall = {name: [] for name in sides}
    cpu = {name: [] for name in sides}
    names = list(sides)
    truth_at = [rts.truth_in_coverage(truth, radar, (k + 1) * T) for k in range(n_scans)]

    def step(name: str, k: int) -> None:
        side = sides[name]
        batch = side.inputs(k)
        w, c = timed(side.scan, k, batch)
        wall[name].append(w)
        cpu[name].append(c)
        pos, ids = side.confirmed()
        scores[name].add(*truth_at[k], pos, ids)

    if sequential:  # each side's whole run in turn, as a user runs one tracker
        for name in names:
            gc.collect()
            for k in range(n_scans):
                step(name, k)
    else:
        gc.collect()
        for k in range(n_scans):  # who runs first rotates with the order
            for name in names[k % len(names):] + names[:k % len(names)]:
                step(name, k)
    alone: dict[str, tuple[list[float], list[float]]] = {}
    if not sequential:
        # each airpicture configuration once more on its own, as a user runs it (the same detections, a fresh
        # tracker, every scan in turn): interleaved with Stone Soup, whose scans churn tens of megabytes, each of
        # airpicture's scans starts with cold caches
        # (the best of ALONE_REPEATS runs by CPU time, as timeit reports: this machine's speed varies by a third
        # from one run to the next)
        for c in configs:
            runs = []
            for _ in range(ALONE_REPEATS):
                side = rap.SteppedAirpicture(det, sensor_files[c], T, n_scans)
                batches = [side.inputs(k) for k in range(n_scans)]
                runs.append([timed(side.scan, k, batches[k]) for k in range(n_scans)])
            best = min(runs, key=lambda times: sum(c_ for _, c_ in times))
            alone[f"airpicture:{c}"] = ([w for w, _ in best], [c_ for _, c_ in best])

    entry = {"regime": regime.name, "description": regime.description, "scene": regime.scene, "seed": seed,
             "scans": n_scans, "radar": radar.to_dict(), "truth": {**info, "targets_in_scene": len(truth),
                                                                    "fingerprint": truth.fingerprint()},
             "detections": {"count": len(det), "false_alarms": int((det.target < 0).sum()),
                            "targets_detected": int(np.unique(det.target[det.target >= 0]).size), "key": det_key},
             "targets_scored": _targets_scored(truth, radar, n_scans), "sides": {}}
    for name in sides:
        if name.startswith("airpicture:"):
            c = name.split(":")[1]
            offline = rap.offline_pictures(det, sensor_files[c], T)
            mismatch = rap.check_same_as_offline(sides[name], offline)
            if mismatch:
                print(f"  WARNING: the stepped airpicture run differs from track_detections ({mismatch}); scores "
                      "below are the stepped run's")
            entry["sides"][name] = _side_record(scores[name], wall[name], cpu[name])
            if name in alone:
                entry["sides"][name]["summary"].update(
                    ms_per_scan_wall_alone=1e3 * float(np.mean(alone[name][0])),
                    ms_per_scan_cpu_alone=1e3 * float(np.mean(alone[name][1])))
            entry["sides"][name]["same_as_track_detections"] = not mismatch
            entry["sides"][name]["sensor_file"] = rap.sensor_toml(radar, c)
    if with_stonesoup:
        rec = _side_record(scores["stonesoup"], wall["stonesoup"], cpu["stonesoup"])
        import real_traffic_stonesoup as rss

        rec.update({"config": rss.CONFIG, "pregate_m": pregate, "measured_at": time.strftime("%Y-%m-%d %H:%M"),
                    "side_by_side": True, "sequential": sequential})
        tmp = ss_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rec))
        tmp.replace(ss_path)
        entry["sides"]["stonesoup"] = rec
    elif cached_ss is not None:
        entry["sides"]["stonesoup"] = {**cached_ss, "side_by_side": False}
    return entry


def _targets_scored(truth: rtd.Truth, radar: rtr.RadarSpec, n_scans: int) -> dict:
    seen: set[int] = set()
    counts = []
    for k in range(n_scans):
        tid, _ = rts.truth_in_coverage(truth, radar, (k + 1) * radar.scan_period_s)
        seen.update(int(i) for i in tid)
        counts.append(tid.size)
    return {"distinct": len(seen), "mean_at_once": float(np.mean(counts)), "max_at_once": int(np.max(counts))}


def _side_record(score: rts.RunScore, wall: list[float], cpu: list[float]) -> dict:
    return {"summary": {**rts.summary(score), "ms_per_scan_wall": 1e3 * float(np.mean(wall)),
                        "ms_per_scan_wall_median": 1e3 * float(np.median(wall)),
                        "ms_per_scan_cpu": 1e3 * float(np.mean(cpu))},
            "per_epoch": score.per_epoch(), "wall_s": wall, "cpu_s": cpu}


def export(regime: Regime, n_scans: int, seed: int, configs: list[str], folder: Path) -> None:
    """The run's inputs as a user of ``airpicture track`` would have them: ``detections.csv`` (time_s, range_m,
    azimuth_deg, elevation_deg; one radar) and one sensor file per configuration."""
    _, _, det, _ = detections_for(regime, n_scans, seed)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "detections.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time_s", "range_m", "azimuth_deg", "elevation_deg"])
        for row in zip(det.time_s, det.range_m, det.azimuth_deg, det.elevation_deg, strict=True):
            w.writerow([repr(float(v)) for v in row])
    for c in configs:
        (folder / f"radar-{c}.toml").write_text(rap.sensor_toml(regime.radar, c))
    print(f"  exported to {folder}: airpicture track {folder}/detections.csv --sensor {folder}/radar-<config>.toml "
          f"--picture-period {regime.radar.scan_period_s:g} --capacity 100000 --out <dir>")


def warm_up(configs: list[str], with_stonesoup: bool, pregate: float | None, work: Path) -> None:
    """A few scans of the first regime's scene so that compilation and first calls are out of the timing."""
    regime = REGIMES["5s"]
    truth, _ = scene_truth(regime.scene, 10 * regime.radar.scan_period_s)
    det = rtr.generate(truth, regime.radar, 10, 12345)
    for c in configs:
        side = rap.SteppedAirpicture(det, rap.load_sensors(regime.radar, c, work), regime.radar.scan_period_s, 10)
        for k in range(10):
            side.scan(k, side.inputs(k))
    if with_stonesoup:
        import real_traffic_stonesoup as rss

        ss = rss.SteppedStoneSoup(det, regime.radar, 10, pregate)
        for k in range(4):
            ss.scan(k, ss.inputs(k))


def rows_for(entries: list[dict], config: str) -> list[dict]:
    """One row per regime (seeds averaged: means of the per-seed figures, ID switches per seed)."""
    out = []
    for regime in dict.fromkeys(e["regime"] for e in entries):
        sel = [e for e in entries if e["regime"] == regime and f"airpicture:{config}" in e["sides"]]
        if not sel:
            continue
        a = [e["sides"][f"airpicture:{config}"]["summary"] for e in sel]
        s = [e["sides"]["stonesoup"]["summary"] for e in sel if "stonesoup" in e["sides"]]
        row = {"regime": regime, "config": config, "seeds": len(sel),
               "targets": sel[0]["targets_scored"]["distinct"],
               "targets_at_once": sel[0]["targets_scored"]["mean_at_once"],
               "side_by_side": all(e["sides"].get("stonesoup", {}).get("side_by_side", False) for e in sel)}
        for key in ("mean_gospa_m", "rmse_m", "rmse_up_m", "false_per_epoch", "missed_per_epoch", "id_switches",
                    "ms_per_scan_wall", "ms_per_scan_cpu"):
            row[f"ap_{key}"] = float(np.mean([x[key] for x in a]))
            row[f"ss_{key}"] = float(np.mean([x[key] for x in s])) if len(s) == len(sel) else None
        with_alone = all("ms_per_scan_cpu_alone" in x for x in a)
        row["ap_ms_per_scan_cpu_alone"] = (float(np.mean([x["ms_per_scan_cpu_alone"] for x in a])) if with_alone
                                           else None)
        row["speed_ratio_cpu_alone"] = (row["ss_ms_per_scan_cpu"] / row["ap_ms_per_scan_cpu_alone"]
                                        if with_alone and row["ss_ms_per_scan_cpu"] else None)
        row["gospa_ratio"] = row["ap_mean_gospa_m"] / row["ss_mean_gospa_m"] if row["ss_mean_gospa_m"] else None
        row["speed_ratio"] = (row["ss_ms_per_scan_wall"] / row["ap_ms_per_scan_wall"]
                              if row["ss_ms_per_scan_wall"] else None)
        row["speed_ratio_cpu"] = (row["ss_ms_per_scan_cpu"] / row["ap_ms_per_scan_cpu"]
                                  if row["ss_ms_per_scan_cpu"] else None)
        out.append(row)
    return out


def table(rows: list[dict]) -> str:
    def pair(r, key, fmt):
        a, s = r[f"ap_{key}"], r[f"ss_{key}"]
        return f"{a:{fmt}} / {s:{fmt}}" if s is not None else f"{a:{fmt}} / -"

    lines = ["| regime | targets (at once) | GOSPA airpicture / Stone Soup (ratio) | position RMSE (vertical) | "
             "false tracks/epoch | missed/epoch | ID switches | ms per scan, wall (CPU) | speed ratio, wall (CPU) | "
             "airpicture alone: ms per scan, CPU (ratio) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = f" ({r['gospa_ratio']:.3f}x)" if r["gospa_ratio"] else ""
        rmse = (f"{r['ap_rmse_m']:.0f} ({r['ap_rmse_up_m']:.0f}) / "
                + (f"{r['ss_rmse_m']:.0f} ({r['ss_rmse_up_m']:.0f})" if r["ss_rmse_m"] is not None else "-"))
        speed = f"{r['speed_ratio']:.0f}x ({r['speed_ratio_cpu']:.0f}x)" if r["speed_ratio"] else "-"
        if r["speed_ratio"] and not r["side_by_side"]:
            speed += " (cached Stone Soup times)"
        alone = "-"
        if r.get("ap_ms_per_scan_cpu_alone") is not None:
            alone = f"{r['ap_ms_per_scan_cpu_alone']:.2f}"
            if r.get("speed_ratio_cpu_alone"):
                alone += f" ({r['speed_ratio_cpu_alone']:.0f}x)"
        lines.append(f"| {r['regime']} | {r['targets']} ({r['targets_at_once']:.0f}) | "
                     f"{pair(r, 'mean_gospa_m', ',.0f')} m{ratio} | {rmse} m | {pair(r, 'false_per_epoch', '.2f')} | "
                     f"{pair(r, 'missed_per_epoch', '.2f')} | {pair(r, 'id_switches', '.0f')} | "
                     f"{pair(r, 'ms_per_scan_wall', '.1f')} ({pair(r, 'ms_per_scan_cpu', '.1f')}) | {speed} | "
                     f"{alone} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--regimes", nargs="+", choices=list(REGIMES), default=DEFAULT_REGIMES)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1], help="detection-noise seeds, one run each")
    ap.add_argument("--scans", type=int, default=None, help="scans per run (default: each regime's, ~15 min)")
    ap.add_argument("--configs", nargs="+", choices=list(rap.CONFIGS), default=list(rap.CONFIGS),
                    help="airpicture configurations")
    ap.add_argument("--airpicture-only", action="store_true",
                    help="do not run Stone Soup: take its scores and times from the cache")
    ap.add_argument("--stonesoup-no-pregate", action="store_true",
                    help="Stone Soup's plain GNNWith2DAssignment without its k-d tree (slower; same associations)")
    ap.add_argument("--stonesoup-missed-distance", type=float, default=None,
                    help="sensitivity check: Stone Soup's DistanceHypothesiser missed_distance (default 4.59, the "
                         "chi-square gate of probability 0.9999; the tutorials use 3)")
    ap.add_argument("--sequential", action="store_true",
                    help="time each side's whole run in turn (same process, same detections) instead of "
                         "interleaving them scan by scan: each keeps its working set in the caches between scans")
    ap.add_argument("--out", type=Path, default=results_dir() / "real_traffic.json")
    ap.add_argument("--export", type=Path, default=None, metavar="DIR",
                    help="also write each run's detections (CSV, as 'airpicture track' reads them) and sensor files "
                         "into DIR/<regime>-s<seed>/, to rerun airpicture's side with the command")
    args = ap.parse_args(argv)

    import real_traffic_stonesoup as rss

    pregate = None if args.stonesoup_no_pregate else rss.PREGATE_M
    if args.stonesoup_missed_distance is not None:
        rss.CONFIG["missed_distance"] = args.stonesoup_missed_distance
    work = rtd.cache_dir() / "sensor-files"
    with_ss = not args.airpicture_only
    env = {"python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine(),
           "cpus": os.cpu_count(), "threads": os.environ["OMP_NUM_THREADS"],
           "load_average_at_start": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M")}
    print(f"environment: {env}", flush=True)
    t0 = time.perf_counter()
    warm_up(args.configs, with_ss, pregate, work)
    print(f"warm-up {time.perf_counter() - t0:.1f} s", flush=True)

    entries = []
    for name in args.regimes:
        regime = REGIMES[name]
        n_scans = args.scans or regime.n_scans
        for seed in args.seeds:
            t0 = time.perf_counter()
            entry = run_case(regime, n_scans, seed, args.configs, with_ss, pregate, work, args.sequential)
            entries.append(entry)
            if args.export is not None:
                export(regime, n_scans, seed, args.configs, args.export / f"{name}-s{seed}")
            print(f"\n{name} seed {seed}: {entry['targets_scored']['distinct']} targets "
                  f"({entry['targets_scored']['mean_at_once']:.0f} at once), {entry['detections']['count']} "
                  f"detections, {n_scans} scans ({time.perf_counter() - t0:.0f} s)", flush=True)
            for c in args.configs:
                print(f"airpicture {c}:\n" + table(rows_for([entry], c)), flush=True)

    all_rows = []
    for c in args.configs:
        rows = rows_for(entries, c)
        all_rows.extend(rows)
        print(f"\n### airpicture {c} against Stone Soup 1.9.1"
              f"{' (seeds ' + ' '.join(map(str, args.seeds)) + ')' if len(args.seeds) > 1 else ''}\n")
        print(table(rows))
    out = {"environment": env, "args": {k: str(v) for k, v in vars(args).items()}, "rows": all_rows,
           "runs": entries, "load_average_at_end": os.getloadavg()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(_rounded(out)))
    with args.out.with_suffix(".csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(all_rows[0]))
        w.writeheader()
        w.writerows(all_rows)
    print(f"\nwrote {args.out} and {args.out.with_suffix('.csv')}")
    return 0


def _rounded(obj):
    if isinstance(obj, float):
        return float(f"{obj:.6g}")
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v) for v in obj]
    return obj


if __name__ == "__main__":
    raise SystemExit(main())
