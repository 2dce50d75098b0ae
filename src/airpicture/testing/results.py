"""Synthetic later-stage tables for a results folder that has only the truth stage's output.

This is a test and benchmark fixture for the report, not a model: detections are truth plus Gaussian noise with
a flat detection probability, tracks follow the truth they were started on, and a greedy first-come battery fires
two-round salvos. It writes every table in the results-folder schemas (``detections.parquet`` ...
``metrics.parquet``) so the report can be exercised at full size before the real stages exist. Deterministic
for a given generator.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from airpicture.io import write_parquet
from airpicture.report.load import RunData, load_run
from airpicture.report.mapdata import battery_positions, kill_times, position_at, sorted_truth
from airpicture.sensors.geometry import cartesian_to_polar
from airpicture.sensors.placement import radar_geometry
from airpicture.vocab import (
    Cause,
    Decision,
    EndReason,
    EngagementEvent,
    InterceptResult,
    Stage,
    TrackStatus,
    WaitReason,
)

F64 = NDArray[np.float64]


def synthesize_stages(run_dir: str | Path, rng: np.random.Generator, pd: float = 0.9,
                      false_per_scan: float = 4.0) -> None:
    """Add synthetic detections, labels, tracks, picture, events, timeline and metrics tables to ``run_dir``."""

    run = load_run(run_dir)
    d = Path(run_dir)
    sc = run.scenario
    st = sorted_truth(run)
    n_targets = len(run.get("targets")["target_id"])

    # ---- detections: each target once per rotation (position at the rotation start), noisy, plus false alarms
    det_parts: list[dict[str, F64]] = []
    for s in sc.sensors:
        geo = radar_geometry(s, run.frame)
        on = np.abs(st.time_s / s.scan_period_s - np.round(st.time_s / s.scan_period_s)) < 1e-6
        up = run.frame.up_from_height(st.e_m[on], st.n_m[on], st.height_km[on] * 1e3)
        r, az, el = cartesian_to_polar(geo.to_local(np.column_stack([st.e_m[on], st.n_m[on], up])))
        seen = (r < s.max_range_m) & (r > s.min_range_m) & (np.degrees(el) > s.elevation_min_deg + 0.5)
        seen &= rng.random(r.size) < pd
        k = int(seen.sum())
        t = st.time_s[on][seen] + np.degrees(az[seen]) / 360.0 * s.scan_period_s
        det_parts.append({
            "time_s": t, "sensor_id": np.full(k, s.id), "range_m": r[seen] + rng.normal(0, 50.0, k),
            "azimuth_deg": np.mod(np.degrees(az[seen]) + rng.normal(0, 0.2, k), 360.0),
            "elevation_deg": np.degrees(el[seen]) + rng.normal(0, 0.3, k), "range_rate_mps": np.full(k, np.nan),
            "snr_db": rng.uniform(12, 30, k), "target_id": st.target_id[on][seen].astype(np.int64),
        })
        scans = int(sc.duration_s // s.scan_period_s)
        nf = rng.poisson(false_per_scan, scans)
        f = int(nf.sum())
        tf = np.repeat(np.arange(scans) * s.scan_period_s, nf)
        azf = rng.uniform(0, 360, f)
        det_parts.append({
            "time_s": tf + azf / 360.0 * s.scan_period_s, "sensor_id": np.full(f, s.id),
            "range_m": rng.uniform(s.min_range_m, s.max_range_m, f), "azimuth_deg": azf,
            "elevation_deg": rng.uniform(0, 5, f), "range_rate_mps": np.full(f, np.nan),
            "snr_db": rng.uniform(12, 15, f), "target_id": np.full(f, -1, dtype=np.int64),
        })
    det = {c: np.concatenate([p[c] for p in det_parts]) for c in det_parts[0]} if det_parts else None
    if det is not None:
        order = np.lexsort((det["sensor_id"], det["time_s"]))
        det = {c: v[order] for c, v in det.items()}
        labels = det.pop("target_id")
        write_parquet(d / "detections.parquet", det)
        write_parquet(d / "detection_labels.parquet", {
            "detection_index": np.arange(labels.size), "time_s": det["time_s"], "sensor_id": det["sensor_id"],
            "target_id": labels, "merged_targets": (labels >= 0).astype(np.int64)})
        first_seen = np.full(n_targets, np.inf)
        m = labels >= 0
        np.minimum.at(first_seen, labels[m], det["time_s"][m])
    else:
        first_seen = np.full(n_targets, np.inf)

    # ---- tracks and picture: one track per detected target, on the 1 s truth grid, tentative for 12 s
    grid = np.abs(st.time_s - np.round(st.time_s)) < 1e-9
    tid = st.target_id[grid]
    t = st.time_s[grid]
    tracked = t >= np.ceil(first_seen[tid])
    tid, t = tid[tracked], t[tracked]
    noise = rng.normal(0, 150.0, (tid.size, 3))
    e = st.e_m[grid][tracked] + noise[:, 0]
    n = st.n_m[grid][tracked] + noise[:, 1]
    u = st.u_m[grid][tracked] + noise[:, 2]
    status = np.where(t < np.ceil(first_seen[tid]) + 12.0, TrackStatus.TENTATIVE, TrackStatus.CONFIRMED).astype(object)
    last = np.ones(tid.size, dtype=bool)
    last[:-1] = tid[1:] != tid[:-1]
    status[last] = TrackStatus.DELETED
    track_id = tid + 1000
    zeros = np.zeros(tid.size)
    write_parquet(d / "tracks.parquet", {
        "time_s": t, "track_id": track_id, "status": status, "e_m": e, "n_m": n, "u_m": u,
        "ve_mps": zeros, "vn_mps": zeros, "vu_mps": zeros, "pee_m2": zeros + 150**2, "pnn_m2": zeros + 150**2,
        "puu_m2": zeros + 150**2, "pen_m2": zeros, "peu_m2": zeros, "pnu_m2": zeros, "quality": zeros + 1.0})
    conf = status == TrackStatus.CONFIRMED
    ve = st.ve_mps[grid][tracked][conf] if st.ve_mps is not None else zeros[conf]
    vn = st.vn_mps[grid][tracked][conf] if st.vn_mps is not None else zeros[conf]
    pic_t, pic_id, pic_tgt = t[conf], track_id[conf], tid[conf]
    write_parquet(d / "picture.parquet", {
        "time_s": pic_t, "track_id": pic_id, "e_m": e[conf], "n_m": n[conf], "u_m": u[conf],
        "ve_mps": ve, "vn_mps": vn, "vu_mps": zeros[conf], "target_id": pic_tgt})

    # ---- metrics: GOSPA (p = 2, alpha = 2) with every picture track assigned to its own target
    c = sc.metrics.gospa_cutoff_m
    times = np.arange(0.0, sc.duration_s + 1e-9, 1.0)
    alive_t, n_truth = np.unique(st.time_s[grid], return_counts=True)
    n_truth_at = np.zeros(times.size)
    n_truth_at[np.searchsorted(times, alive_t)] = n_truth
    sq = np.sum(noise[conf] ** 2, axis=1)
    loc_at = np.bincount(np.searchsorted(times, pic_t), weights=np.minimum(sq, c * c), minlength=times.size)
    n_tracks = np.bincount(np.searchsorted(times, pic_t), minlength=times.size).astype(float)
    n_missed = n_truth_at - n_tracks
    missed = c * c / 2 * n_missed
    write_parquet(d / "metrics.parquet", {
        "time_s": times, "gospa_m": np.sqrt(loc_at + missed), "localisation_m2": loc_at, "missed_m2": missed,
        "false_m2": np.zeros(times.size), "n_truth": n_truth_at, "n_tracks": n_tracks, "n_missed": n_missed,
        "n_false": np.zeros(times.size)})

    _synthesize_engagement(run, d, rng, pic_t, pic_tgt, times, n_tracks)
    if det is not None:  # a killed target is no longer seen: drop its later detections
        kill = kill_times(load_run(d))
        keep = (labels < 0) | (det["time_s"] <= kill[np.maximum(labels, 0)])
        write_parquet(d / "detections.parquet", {c: v[keep] for c, v in det.items()})
        labels = labels[keep]
        write_parquet(d / "detection_labels.parquet", {
            "detection_index": np.arange(labels.size), "time_s": det["time_s"][keep],
            "sensor_id": det["sensor_id"][keep], "target_id": labels, "merged_targets": (labels >= 0).astype(np.int64)})
    _synthesize_decisions(load_run(d), d)


def _synthesize_engagement(run: RunData, d: Path, rng: np.random.Generator, pic_t: F64, pic_tgt: NDArray,
                           times: F64, n_tracks: F64) -> None:
    """A greedy battery: engage the confirmed threat nearest its asset when a channel, two rounds in flight and
    two rounds in store are free; kill with the scenario's Pk at the planned intercept."""
    sc = run.scenario
    if not sc.batteries:
        return
    b = sc.batteries[0]
    be, bn = battery_positions(run)[b.name]
    st = sorted_truth(run)
    tg = run.get("targets")
    hostile, kinds = tg["hostile"], tg["kind"]
    rows: list[tuple] = []
    busy_until: list[float] = []
    flights: list[tuple[float, float]] = []
    inventory = b.launchers * b.rounds_per_launcher
    state = np.zeros(hostile.size, dtype=np.int64)  # 0 free, 1 engaged, 2 killed
    refused = np.zeros(hostile.size, dtype=bool)
    timeline = []
    pending: list[tuple[float, int, bool, int]] = []  # (time, target, kill, track)
    order = np.argsort(pic_t, kind="stable")
    pic_t, pic_tgt = pic_t[order], pic_tgt[order]
    for t in times:
        lo, hi = np.searchsorted(pic_t, [t - 1e-9, t + 1e-9])
        seen = pic_tgt[lo:hi]
        for (ti, tgt, kill, trk) in [p for p in pending if p[0] <= t]:
            pending.remove((ti, tgt, kill, trk))
            rows.append((ti, b.name, trk, tgt, EngagementEvent.KILL if kill else EngagementEvent.MISS, kinds[tgt],
                         0.0, np.nan, ""))
            state[tgt] = 2 if kill else 0
        busy_until = [x for x in busy_until if x > t]
        flights = [f for f in flights if f[1] > t]
        cand = seen[hostile[seen] & (state[seen] == 0)]
        if cand.size:
            e, n, _ = position_at(st, cand, np.full(cand.size, t))
            rng_km = np.hypot(e - be, n - bn)
            reach = np.array([b.envelopes[str(kinds[c])].max_range_m * 1e-3 for c in cand])
            inside = rng_km < reach
            for c, r_km in sorted(zip(cand[inside], rng_km[inside], strict=True), key=lambda x: x[1]):
                if len(busy_until) >= b.fire_channels:
                    if not refused[c]:
                        rows.append((t, b.name, c + 1000, c, EngagementEvent.NO_CHANNEL, kinds[c], 0.0, np.nan,
                                     "all channels busy"))
                        refused[c] = True
                    continue
                if len(flights) + b.salvo_size > b.max_in_flight or inventory < b.salvo_size:
                    continue
                t_launch = t + b.reaction_time_s
                t_hit = t_launch + r_km * 1e3 / b.interceptor_speed_mps
                kill = bool(rng.random() < b.pk.get(str(kinds[c]), 0.7))
                rows.append((t, b.name, c + 1000, c, EngagementEvent.ENGAGE, kinds[c], float(b.salvo_size), t_hit, ""))
                dt = b.launch_interval_s
                for j in range(b.salvo_size):  # one launch row per interceptor
                    rows.append((t_launch + j * dt, b.name, c + 1000, c, EngagementEvent.LAUNCH, kinds[c], 1.0,
                                 t_hit + j * dt,
                                 f"launcher {j + 1}"))
                    flights.append((t_launch + j * dt, t_hit + j * dt))
                inventory -= b.salvo_size
                t_last = t_hit + (b.salvo_size - 1) * dt
                busy_until.append(t_last + b.kill_assessment_s)
                pending.append((t_last, int(c), kill, int(c) + 1000))
                state[c] = 1
        in_flight = sum(1 for f in flights if f[0] <= t < f[1])
        timeline.append((t, b.name, len(busy_until), b.fire_channels, in_flight, b.max_in_flight, inventory,
                         inventory + b.reload_rounds, n_tracks[round(t)], b.track_capacity))
    for tgt in np.flatnonzero(hostile & (state != 2)).tolist():
        reason = str(tg["end_reason"][tgt]) if "end_reason" in tg else ""
        if reason == EndReason.IMPACT:
            rows.append((float(tg["end_s"][tgt]), "", -1, tgt, EngagementEvent.LEAK, kinds[tgt], 0.0, np.nan,
                         "reached asset"))
        elif tg["end_s"][tgt] >= sc.duration_s:
            rows.append((sc.duration_s, "", -1, tgt, EngagementEvent.SURVIVED, kinds[tgt], 0.0, np.nan, ""))
    rows.sort(key=lambda r: (r[0], r[3]))
    cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[]] * 9
    write_parquet(d / "events.parquet", {
        "time_s": np.array(cols[0], float), "battery": np.array(cols[1], object),
        "track_id": np.array(cols[2], np.int64), "target_id": np.array(cols[3], np.int64),
        "event": np.array(cols[4], object), "kind": np.array(cols[5], object),
        "interceptors": np.array(cols[6], float), "intercept_time_s": np.array(cols[7], float),
        "detail": np.array(cols[8], object)})
    tl = list(zip(*timeline, strict=True))
    names = ("time_s", "battery", "channels_busy", "fire_channels", "in_flight", "max_in_flight", "ready_rounds",
             "inventory_left", "tracks_held", "track_capacity")
    write_parquet(d / "timeline.parquet", {k: np.array(v, object if k == "battery" else float)
                                           for k, v in zip(names, tl, strict=True)})


def _synthesize_decisions(run: RunData, d: Path) -> None:
    """``decisions.parquet`` read off the synthetic tables: each target in view from its start and first detected
    at its first labelled detection; each track born at its first row and confirmed at its first confirmed row;
    the battery's events as decisions (a no-channel wait lasting until the threat's next engagement, its leak or
    the end); each threat's outcome, the first cause of a leak being its wait, else its missed shot, else 'not
    closing' (the synthetic battery gives no other reason)."""
    from airpicture.decisions.schema import Rows, sort_rows, to_table

    sc = run.scenario
    tg = run.get("targets")
    n = len(tg["target_id"])
    rows = Rows()
    rows.extend(n, time_s=tg["start_s"], stage=Stage.SENSING, event=Decision.VISIBLE, target_id=np.arange(n),
                detail="in view from its start")
    if run.has("detections") and run.has("detection_labels"):
        lab = run.get("detection_labels")["target_id"]
        t = run.get("detections")["time_s"]
        first = np.full(n, np.inf)
        m = lab >= 0
        np.minimum.at(first, lab[m], t[m])
        seen = np.flatnonzero(np.isfinite(first))
        rows.extend(int(seen.size), time_s=first[seen], stage=Stage.SENSING, event=Decision.DETECTED, target_id=seen,
                    detail="first detection")
    if run.has("tracks"):
        tk = run.get("tracks")
        order = np.lexsort((tk["time_s"], tk["track_id"]))
        trk, tt, stt = tk["track_id"][order], tk["time_s"][order], tk["status"][order]
        new = np.ones(trk.size, bool)
        new[1:] = trk[1:] != trk[:-1]
        rows.extend(int(new.sum()), time_s=tt[new], stage=Stage.TRACKER, event=Decision.BORN, track_id=trk[new],
                    target_id=trk[new] - 1000, detail="tentative track from one detection")
        conf = stt == TrackStatus.CONFIRMED
        first_conf = conf & np.concatenate([[True], ~(conf[:-1] & (trk[1:] == trk[:-1]))])
        rows.extend(int(first_conf.sum()), time_s=tt[first_conf], stage=Stage.TRACKER, event=Decision.CONFIRMED,
                    track_id=trk[first_conf], target_id=trk[first_conf] - 1000, detail="confirmed")
    if not run.has("events"):
        write_parquet(d / "decisions.parquet", to_table(sort_rows(rows.arrays())))
        return
    ev = run.get("events")
    name, tid, t = ev["event"], ev["target_id"], ev["time_s"]
    end = sc.duration_s
    reaches = (tg["end_reason"] == EndReason.IMPACT) & (tg["end_s"] <= end) if "end_reason" in tg else np.zeros(n, bool)
    impact = np.where(reaches, tg["end_s"], np.nan)
    engaged_at: dict[int, list[float]] = {}
    for i in np.flatnonzero(name == EngagementEvent.ENGAGE).tolist():
        engaged_at.setdefault(int(tid[i]), []).append(float(t[i]))
    leak_t = {int(tid[i]): float(t[i]) for i in np.flatnonzero(name == EngagementEvent.LEAK).tolist()}
    waited: dict[int, float] = {}
    engaged_ok: set[int] = set()
    for i in range(len(t)):
        e, ti, g, track = str(name[i]), float(t[i]), int(tid[i]), int(ev["track_id"][i])
        battery = str(ev["battery"][i])
        if e == EngagementEvent.NO_CHANNEL:
            later = [x for x in engaged_at.get(g, []) if x > ti]
            until = min([*later, leak_t.get(g, end), end])
            waited.setdefault(g, ti)
            rows.add(time_s=ti, stage=Stage.FIRE_CONTROL, event=Decision.WAIT, reason=WaitReason.CHANNELS,
                     battery=battery,
                     target_id=g, track_id=track, until_s=until, detail="all fire channels busy")
        elif e == EngagementEvent.ENGAGE:
            rows.add(time_s=ti, stage=Stage.FIRE_CONTROL, event=Decision.ENGAGE, battery=battery, target_id=g,
                     track_id=track,
                     interceptors=int(ev["interceptors"][i]), intercept_time_s=float(ev["intercept_time_s"][i]),
                     detail="engaged")
        elif e == EngagementEvent.LAUNCH:
            rows.add(time_s=ti, stage=Stage.FIRE_CONTROL, event=Decision.LAUNCH, battery=battery, target_id=g,
                     track_id=track,
                     interceptors=1, launcher=1, detail="launch")
        elif e in (EngagementEvent.KILL, EngagementEvent.MISS):
            rows.add(time_s=ti, stage=Stage.FIRE_CONTROL, event=Decision.INTERCEPT,
                     reason=InterceptResult.KILL if e == EngagementEvent.KILL else InterceptResult.CORRECTION_RADIUS,
                     battery=battery, target_id=g,
                     track_id=track, detail=e)
            rows.add(time_s=ti, stage=Stage.FIRE_CONTROL, event=Decision.ASSESSED, reason=e, battery=battery,
                     target_id=g,
                     track_id=track, detail=e)
            engaged_ok.add(g)
            if e == EngagementEvent.KILL:
                rows.add(time_s=ti, stage=Stage.OUTCOME, event=Decision.KILLED, battery=battery, target_id=g,
                         track_id=track,
                         impact_s=float(impact[g]), detail="destroyed")
        elif e in (EngagementEvent.LEAK, EngagementEvent.SURVIVED):
            code, since = (Cause.CHANNELS, waited[g]) if g in waited else (
                (Cause.CORRECTION_RADIUS, engaged_at[g][0]) if g in engaged_ok else (Cause.NOT_CLOSING, ti))
            rows.add(time_s=ti, stage=Stage.OUTCOME,
                     event=Decision.LEAKED if e == EngagementEvent.LEAK else Decision.SURVIVED, reason=code,
                     battery=battery, target_id=g, cause_s=since, impact_s=float(impact[g]),
                     detail=f"got through: {code.replace('_', ' ')}")
    write_parquet(d / "decisions.parquet", to_table(sort_rows(rows.arrays())))
