"""airpicture's tracker against Stone Soup 1.9.1 on the same detections: wall time per scan and mean GOSPA.

Both trackers get the detections of ``scenarios_bench`` (one 5 s rotating radar, N aircraft, Pd 0.9, polar
noise, uniform false alarms), configured from the same ``TrackerSettings`` (EKF, CV with the same process
noise, chi-square gate, single-point initiation with the same velocity prior, M-of-N confirmation, deletion
after K misses): see ``stonesoup_side`` and ``airpicture_side``. They are stepped scan by scan in turn (which
goes first alternates), so that both see the same load on a shared machine; only the tracker calls are timed
(detections are converted to each side's input types before the clock starts). After every scan the
confirmed tracks predicted to the scan end are scored against the truth with ``airpicture.metrics.gospa``
(p = 2, alpha = 2, cut-off c), the same function for both.

Stone Soup is slow at scale, so each of its runs has a budget: it stops after the scan that takes its total
past ``--stonesoup-budget-s``, and a scan still running when ``--stonesoup-scan-timeout-s`` expires is
interrupted and recorded as a lower bound. airpicture always runs every scan; the comparison uses the scans
both completed.

    python benchmarks/bench_vs_stonesoup.py                       # default: 100 and 1,000 targets, GNN + JPDA
    python benchmarks/bench_vs_stonesoup.py --sizes 100 1000 10000 --stonesoup-budget-s 1800

Writes ``benchmarks/results/vs_stonesoup.json`` (every per-scan time and GOSPA) and ``vs_stonesoup.csv``
(one row per size, association and tracker) and prints a Markdown table.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core per tracker, both sides alike

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from airpicture.metrics import gospa  # noqa: E402
from airpicture_side import AirpictureSide, clutter_density_m3  # noqa: E402
from scenarios_bench import BenchData, BenchScenario, generate  # noqa: E402
from stonesoup_side import PreGate, StoneSoupSide  # noqa: E402
from tracker_settings_bench import TrackerSettings  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


class ScanTimeout(Exception):
    """A Stone Soup scan ran past its time limit."""


@dataclass
class SideLog:
    """One tracker's run: per-scan wall and CPU seconds, and GOSPA per scored epoch."""

    name: str
    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    gospa_m: list[float] = field(default_factory=list)
    localisation_rms_m: list[float] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    false: list[int] = field(default_factory=list)
    initiation_s: list[float] = field(default_factory=list)  # Stone Soup: of wall_s, time in its initiator
    confirmed: list[int] = field(default_factory=list)
    stopped: str = ""  # why the run stopped early ("" = every scan)
    unfinished_scan_s: float | None = None  # time spent in an interrupted scan (a lower bound for it)


def score(log: SideLog, data: BenchData, positions: np.ndarray, t: float, s: TrackerSettings) -> None:
    g = gospa(data.fleet.positions(t), positions, s.gospa_cutoff_m, s.gospa_p)
    log.gospa_m.append(g.total_m)
    log.localisation_rms_m.append(float(np.sqrt(g.localisation_m2 / max(len(g.pairs), 1))))
    log.missed.append(g.n_missed)
    log.false.append(g.n_false)
    log.confirmed.append(int(positions.shape[0]))


def _alarm(_signum, _frame):
    raise ScanTimeout


def timed(fn, *args, timeout_s: float | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of fn(*args); raises ScanTimeout past ``timeout_s`` (wall)."""
    if timeout_s is not None:
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
    w0, c0 = time.perf_counter(), time.process_time()
    try:
        fn(*args)
    finally:
        if timeout_s is not None:
            signal.setitimer(signal.ITIMER_REAL, 0.0)
    return time.perf_counter() - w0, time.process_time() - c0


def compare(data: BenchData, s: TrackerSettings, step_s: float, budget_s: float, scan_timeout_s: float,
            feed: str | None, pregate: PreGate | None) -> tuple[SideLog, SideLog | None]:
    """Run both trackers over ``data`` scan by scan, interleaved (Stone Soup fed per ``feed``, or not run if
    None); return their logs."""
    ours = AirpictureSide(data, s, clutter_density_m3(data), step_s)
    ss = StoneSoupSide(data, s, feed, step_s, pregate) if feed else None
    log_a = SideLog(ours.name)
    log_s = SideLog(ss.name if ss else "Stone Soup 1.9.1")
    T = data.scenario.scan_period_s
    for k in range(data.scenario.n_scans):
        epoch = (k + 1) * T
        order = ("ss", "ap") if k % 2 == 0 else ("ap", "ss")
        for who in order:
            if who == "ap":
                w, c = timed(ours.scan, k, ours.inputs(k))
                log_a.wall_s.append(w)
                log_a.cpu_s.append(c)
                score(log_a, data, ours.confirmed_positions(epoch), epoch, s)
            elif ss is not None and not log_s.stopped:
                spent = float(np.sum(log_s.wall_s))
                batches = ss.inputs(k)
                init0 = ss.initiation_s
                try:
                    w, c = timed(ss.scan, k, batches, timeout_s=scan_timeout_s)
                except ScanTimeout:
                    log_s.stopped = f"scan {k + 1} interrupted after {scan_timeout_s:.0f} s"
                    log_s.unfinished_scan_s = scan_timeout_s
                    continue
                log_s.wall_s.append(w)
                log_s.cpu_s.append(c)
                log_s.initiation_s.append(ss.initiation_s - init0)
                score(log_s, data, ss.confirmed_positions(epoch), epoch, s)
                if spent + w > budget_s and k + 1 < data.scenario.n_scans:
                    log_s.stopped = f"budget of {budget_s:.0f} s reached after {k + 1} scans"
    return log_a, (log_s if ss is not None else None)


def warm_up(step_s: float) -> dict[str, float]:
    """Run both trackers once on a small sky so that compilation (Numba; airpicture caches it on disk) and
    first-call costs are out of the timed runs. Returns the warm-up wall seconds per side and association."""
    data = generate(BenchScenario(n_targets=20, n_scans=5, seed=99))
    out = {}
    for assoc in ("gnn", "jpda"):
        s = TrackerSettings(association=assoc)
        t0 = time.perf_counter()
        ours = AirpictureSide(data, s, clutter_density_m3(data), step_s)
        for k in range(data.scenario.n_scans):
            ours.scan(k, ours.inputs(k))
        out[f"airpicture_{assoc}_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        ss = StoneSoupSide(data, s, default_feed(assoc), step_s)
        for k in range(data.scenario.n_scans):
            ss.scan(k, ss.inputs(k))
        out[f"stonesoup_{assoc}_s"] = time.perf_counter() - t0
    return out


def default_feed(assoc: str) -> str:
    """Stone Soup's mixture (JPDA) tracker stamps each track's combined update with the batch time, which with
    a whole scan per batch misdates it by up to a scan period; windows of the engine step keep that below 1 s.
    GNN updates at each detection's own time and is fastest (at 100 targets) fed whole scans."""
    return "scan" if assoc == "gnn" else "window"


def summarise(log: SideLog, n_common: int) -> dict:
    wall = np.array(log.wall_s[:n_common])
    cpu = np.array(log.cpu_s[:n_common])
    gos = np.array(log.gospa_m[:n_common])
    return {
        "tracker": log.name,
        "scans": int(n_common),
        "ms_per_scan_mean": float(wall.mean() * 1e3) if wall.size else None,
        "ms_per_scan_median": float(np.median(wall) * 1e3) if wall.size else None,
        "cpu_ms_per_scan_mean": float(cpu.mean() * 1e3) if cpu.size else None,
        "total_s": float(wall.sum()),
        "mean_gospa_m": float(gos.mean()) if gos.size else None,
        "mean_gospa_last_half_m": float(gos[n_common // 2:].mean()) if gos.size else None,
        "mean_missed": float(np.mean(log.missed[:n_common])) if n_common else None,
        "mean_false": float(np.mean(log.false[:n_common])) if n_common else None,
        "mean_localisation_rms_m": float(np.mean(log.localisation_rms_m[:n_common])) if n_common else None,
        "initiation_share": (float(np.sum(log.initiation_s[:n_common]) / wall.sum())
                             if log.initiation_s and wall.sum() > 0 else None),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], help="simultaneous targets")
    ap.add_argument("--assoc", nargs="+", choices=["gnn", "jpda"], default=["gnn", "jpda"])
    ap.add_argument("--scans", type=int, default=24, help="radar scans per run")
    ap.add_argument("--scan-period", type=float, default=5.0, help="seconds per rotation")
    ap.add_argument("--step", type=float, default=1.0, help="airpicture's window (the engine's step), s")
    ap.add_argument("--false-alarms", type=float, default=None, help="per scan (default max(20, 0.1 N))")
    ap.add_argument("--false-alarm-model", choices=["polar", "cartesian"], default="polar",
                    help="false alarms uniform in (range, azimuth, elevation) or in volume")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1], help="one run per seed")
    ap.add_argument("--stonesoup-budget-s", type=float, default=120.0,
                    help="stop a Stone Soup run after the scan that takes its total past this")
    ap.add_argument("--stonesoup-scan-timeout-s", type=float, default=None,
                    help="interrupt a Stone Soup scan after this long (default: the budget)")
    ap.add_argument("--no-stonesoup", action="store_true", help="time airpicture only")
    ap.add_argument("--no-pregate", action="store_true", help="Stone Soup without its k-d tree pre-gate")
    ap.add_argument("--stonesoup-feed", choices=["auto", "scan", "window"], default="auto",
                    help="Stone Soup batches: whole scans or --step windows (auto: scans for GNN, windows for JPDA)")
    ap.add_argument("--out", type=Path, default=RESULTS / "vs_stonesoup.json")
    args = ap.parse_args(argv)
    timeout = args.stonesoup_scan_timeout_s or args.stonesoup_budget_s
    pregate = PreGate(None, None) if args.no_pregate else None

    import stonesoup

    env = {"python": platform.python_version(), "numpy": np.__version__, "stonesoup": stonesoup.__version__,
           "machine": platform.machine(), "processor": platform.processor() or platform.machine(),
           "cpus": os.cpu_count(), "threads": os.environ["OMP_NUM_THREADS"],
           "load_average_at_start": os.getloadavg()}
    print(f"environment: {env}", flush=True)
    warm = warm_up(args.step)
    print(f"warm-up (first calls, Numba compile or cache load): {warm}", flush=True)

    runs = []
    rows = []
    for n in args.sizes:
        for seed in args.seeds:
            sc = BenchScenario(n_targets=n, n_scans=args.scans, scan_period_s=args.scan_period,
                               false_alarms_per_scan=args.false_alarms, false_alarm_model=args.false_alarm_model,
                               seed=seed)
            t0 = time.perf_counter()
            data = generate(sc)
            gen_s = time.perf_counter() - t0
            for assoc in args.assoc:
                print(f"\n{n} targets, seed {seed}, {assoc.upper()}: {len(data.detections)} detections over "
                      f"{sc.n_scans} scans (generated in {gen_s:.1f} s)", flush=True)
                feed = None if args.no_stonesoup else (
                    default_feed(assoc) if args.stonesoup_feed == "auto" else args.stonesoup_feed)
                entry = run_case(data, TrackerSettings(association=assoc), args.step, args.stonesoup_budget_s,
                                 timeout, feed, pregate)
                runs.append(entry)
                new_rows = table_rows(entry)
                rows.extend(new_rows)
                print(table(new_rows), flush=True)

    out = {"environment": env, "warm_up_s": warm, "args": {k: str(v) for k, v in vars(args).items()}, "runs": runs,
           "load_average_at_end": os.getloadavg()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(_rounded(out), indent=1))
    with args.out.with_suffix(".csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print("\n" + table(rows))
    if len(args.seeds) > 1:
        print("\n" + seed_summary(runs))
    print(f"\nwrote {args.out} and {args.out.with_suffix('.csv')}")
    return 0


def run_case(data: BenchData, s: TrackerSettings, step_s: float, budget_s: float, timeout_s: float,
             feed: str | None, pregate: PreGate | None) -> dict:
    """Compare the trackers on one generated sky; the record written to the JSON file."""
    sc = data.scenario
    log_a, log_s = compare(data, s, step_s, budget_s, timeout_s, feed, pregate)
    used_pregate = pregate or PreGate.for_feed(feed or "scan")
    n_common = len(log_s.wall_s) if log_s else len(log_a.wall_s)
    entry = {"targets": sc.n_targets, "seed": sc.seed, "association": s.association,
             "false_alarms_per_scan": sc.false_alarm_rate, "detections": len(data.detections),
             "scenario": sc.to_dict(), "settings": s.to_dict(), "stonesoup_feed": feed,
             "stonesoup_pregate": {"confirmed_m": used_pregate.confirmed_m, "holding_m": used_pregate.holding_m},
             "airpicture_clutter_density_m3": clutter_density_m3(data),  # None: derived from the radar's Pfa
             "stonesoup_clutter_density_polar": sc.clutter_density_polar(),
             "airpicture": {**summarise(log_a, n_common), "full_run": summarise(log_a, len(log_a.wall_s)),
                            "per_scan": log_a.__dict__}}
    if log_s:
        entry["stonesoup"] = {**summarise(log_s, n_common), "stopped": log_s.stopped,
                              "unfinished_scan_s": log_s.unfinished_scan_s, "per_scan": log_s.__dict__}
        a, b = entry["airpicture"], entry["stonesoup"]
        if n_common:
            entry["speed_ratio_mean"] = b["ms_per_scan_mean"] / a["ms_per_scan_mean"]
            entry["speed_ratio_median"] = b["ms_per_scan_median"] / a["ms_per_scan_median"]
            entry["speed_ratio_cpu"] = b["cpu_ms_per_scan_mean"] / a["cpu_ms_per_scan_mean"]
        if log_s.unfinished_scan_s is not None:
            # the interrupted scan took at least the timeout: a lower bound on Stone Soup's time for it
            k = len(log_s.wall_s)
            lower = log_s.unfinished_scan_s / log_a.wall_s[k] if k < len(log_a.wall_s) else None
            entry["speed_ratio_interrupted_scan_lower_bound"] = lower
    return entry


def table_rows(entry: dict) -> list[dict]:
    rows = []
    for side in ("airpicture", "stonesoup"):
        if side in entry:
            e = entry[side]
            ours = side == "airpicture"
            rows.append({"targets": entry["targets"], "seed": entry["seed"], "association": entry["association"],
                         "tracker": e["tracker"], "scans": e["scans"], "ms_per_scan_mean": e["ms_per_scan_mean"],
                         "ms_per_scan_median": e["ms_per_scan_median"],
                         "cpu_ms_per_scan_mean": e["cpu_ms_per_scan_mean"], "mean_gospa_m": e["mean_gospa_m"],
                         "speed_ratio_mean": entry.get("speed_ratio_mean") if ours else None,
                         "speed_ratio_cpu": entry.get("speed_ratio_cpu") if ours else None,
                         "stopped": e.get("stopped", ""),
                         "interrupted_scan_ratio_lower_bound":
                             None if ours else entry.get("speed_ratio_interrupted_scan_lower_bound")})
    full = entry["airpicture"]["full_run"]
    if full["scans"] > entry["airpicture"]["scans"]:  # Stone Soup stopped early: airpicture over every scan too
        rows.append({**rows[0], "tracker": f"airpicture (all {full['scans']} scans)", "scans": full["scans"],
                     "ms_per_scan_mean": full["ms_per_scan_mean"], "ms_per_scan_median": full["ms_per_scan_median"],
                     "cpu_ms_per_scan_mean": full["cpu_ms_per_scan_mean"], "mean_gospa_m": full["mean_gospa_m"],
                     "speed_ratio_mean": None, "speed_ratio_cpu": None})
    return rows


def seed_summary(runs: list[dict]) -> str:
    """Across seeds, per size and association: mean GOSPA of each side and their relative difference."""
    lines = ["| targets | assoc | seeds | airpicture mean GOSPA | Stone Soup mean GOSPA | difference | "
             "speed ratio (wall) range |", "|" + "---|" * 7]
    keys = sorted({(r["targets"], r["association"]) for r in runs if "stonesoup" in r})
    for n, assoc in keys:
        sel = [r for r in runs if r["targets"] == n and r["association"] == assoc and "stonesoup" in r
               and r["stonesoup"]["mean_gospa_m"] is not None]
        if not sel:
            continue
        a = np.mean([r["airpicture"]["mean_gospa_m"] for r in sel])
        b = np.mean([r["stonesoup"]["mean_gospa_m"] for r in sel])
        ratios = [r["speed_ratio_mean"] for r in sel if r.get("speed_ratio_mean")]
        lines.append(f"| {n:,} | {assoc.upper()} | {len(sel)} | {a:.0f} | {b:.0f} | {100 * (a - b) / b:+.1f} % | "
                     f"{min(ratios):.0f}-{max(ratios):.0f}x |")
    return "\n".join(lines)


def _rounded(obj):
    """Floats to 6 significant digits, to keep the results file small."""
    if isinstance(obj, float):
        return float(f"{obj:.6g}")
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v) for v in obj]
    return obj


def table(rows: list[dict]) -> str:
    head = ("| targets | seed | assoc | tracker | scans | ms/scan mean | ms/scan median | CPU ms/scan | speed ratio "
            "(wall, CPU) | mean GOSPA (m) |")
    lines = [head, "|" + "---|" * 10]

    def num(v, fmt):
        return "-" if v is None else format(v, fmt)

    for r in rows:
        ratio = f"{r['speed_ratio_mean']:.0f}x, {r['speed_ratio_cpu']:.0f}x" if r["speed_ratio_mean"] else ""
        note = f" ({r['stopped']})" if r["stopped"] else ""
        if r.get("interrupted_scan_ratio_lower_bound"):
            note = f"{note[:-1]}: >= {r['interrupted_scan_ratio_lower_bound']:.0f}x airpicture's time on it)"
        lines.append(f"| {r['targets']:,} | {r['seed']} | {r['association'].upper()} | {r['tracker']}{note} | "
                     f"{r['scans']} | "
                     f"{num(r['ms_per_scan_mean'], '.1f')} | {num(r['ms_per_scan_median'], '.1f')} | "
                     f"{num(r['cpu_ms_per_scan_mean'], '.1f')} | {ratio} | {num(r['mean_gospa_m'], '.0f')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
