"""A small, self-contained detection generator for the tracker's tests and benchmarks.

Not the radar simulation (that is :mod:`airpicture.sensors`): targets are given as a function of time, a
rotating beam sweeps them (crossing time found by two fixed-point steps on the target's azimuth), each is
detected with probability ``pd`` and measured with Gaussian noise of the radar's fixed sigmas in the radar's
own axes, and ``false_alarms`` uniform false alarms (range, azimuth, elevation) are added per scan.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from airpicture.detections import Detections, Look
from airpicture.scenario import Radar
from airpicture.sensors.accuracy import measurement_sigmas
from airpicture.sensors.geometry import SensorGeometry, cartesian_to_polar, range_rate
from airpicture.tracking.tracker import Associations

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
StateFn = Callable[[I64, F64], F64]  # (target ids, times) -> (K, 6) site-ENU states


def linear_targets(x0: F64) -> StateFn:
    """Constant-velocity targets with states ``x0`` (N, 6) at time 0."""
    x0 = np.asarray(x0, dtype=float)

    def state(ids: I64, t: F64) -> F64:
        s = x0[ids].copy()
        s[:, :3] += s[:, 3:] * np.asarray(t, float)[:, None]
        return s

    return state


def scan(state: StateFn, n_targets: int, radar: Radar, geometry: SensorGeometry, k: int, rng: np.random.Generator,
         pd: float = 1.0, false_alarms: float = 0.0, with_range_rate: bool = False,
         alive: NDArray[np.bool_] | None = None) -> tuple[Detections, I64]:
    """Detections of rotation ``k`` (times ``[k T, (k+1) T)``) sorted by time, and the target id of each
    (-1 for false alarms). ``false_alarms`` is the Poisson mean per scan."""
    T = radar.scan_period_s
    t0 = k * T
    b0 = math.radians(radar.start_azimuth_deg)
    ids = np.arange(n_targets, dtype=np.int64)
    if alive is not None:
        ids = ids[alive]
    t = np.full(ids.shape[0], t0 + 0.5 * T)
    for _ in range(3):
        d = geometry.to_local(state(ids, t)[:, :3])
        az = np.mod(np.arctan2(d[:, 0], d[:, 1]), 2 * np.pi)
        frac = np.mod(az - b0 - 2 * np.pi * t0 / T, 2 * np.pi) / (2 * np.pi)
        t = t0 + frac * T
    s = state(ids, t)
    d = geometry.to_local(s[:, :3])
    v = s[:, 3:] @ geometry.rotation.T
    r, az, el = cartesian_to_polar(d)
    rr = range_rate(d, v)
    inside = (r >= radar.min_range_m) & (r <= radar.max_range_m)
    inside &= (el >= math.radians(radar.elevation_min_deg)) & (el <= math.radians(radar.elevation_max_deg))
    detected = inside & (rng.random(ids.shape[0]) < pd)
    snr = np.full(ids.shape[0], 20.0)
    sr, saz, sel, srr = measurement_sigmas(radar, snr)
    n = ids.shape[0]
    r_m = r + sr * rng.standard_normal(n)
    az_m = np.mod(az + saz * rng.standard_normal(n), 2 * np.pi)
    el_m = el + sel * rng.standard_normal(n)
    rr_m = rr + srr * rng.standard_normal(n) if with_range_rate else np.full(n, np.nan)
    nf = int(rng.poisson(false_alarms)) if false_alarms > 0 else 0
    f_r = rng.uniform(radar.min_range_m, radar.max_range_m, nf)
    f_az = rng.uniform(0.0, 2 * np.pi, nf)
    f_el = rng.uniform(max(math.radians(radar.elevation_min_deg), 0.0), math.radians(radar.elevation_max_deg), nf)
    f_t = t0 + np.mod(f_az - b0 - 2 * np.pi * t0 / T, 2 * np.pi) / (2 * np.pi) * T
    f_rr = rng.uniform(-300.0, 300.0, nf) if with_range_rate else np.full(nf, np.nan)
    time_s = np.concatenate([t[detected], f_t])
    order = np.argsort(time_s, kind="stable")
    det = Detections(
        time_s=time_s[order],
        sensor_id=np.full(time_s.shape[0], radar.id, np.int64),
        range_m=np.concatenate([r_m[detected], f_r])[order],
        azimuth_deg=np.degrees(np.concatenate([az_m[detected], f_az]))[order] % 360.0,
        elevation_deg=np.degrees(np.concatenate([el_m[detected], f_el]))[order],
        range_rate_mps=np.concatenate([rr_m[detected], f_rr])[order],
        snr_db=np.full(time_s.shape[0], 20.0),
    )
    labels = np.concatenate([ids[detected], np.full(nf, -1, np.int64)])[order]
    return det, labels


def full_look(radar: Radar, k: int) -> Look:
    """The look of rotation ``k``: a full turn from the beam's azimuth at k T."""
    T = radar.scan_period_s
    return Look(radar.id, k * T, (k + 1) * T, (radar.start_azimuth_deg + 360.0 * k) % 360.0, 360.0)


def drive(tracker, radars: list[Radar], geometries: list[SensorGeometry], state: StateFn, n_targets: int,
          duration_s: float, window_s: float, rng: np.random.Generator, pd: float = 1.0, false_alarms: float = 0.0,
          alive: Callable[[float], NDArray[np.bool_]] | None = None,
          after_window: Callable[[float], None] | None = None) -> list[tuple[float, Detections, I64, object]]:
    """Run ``tracker`` over windows ``[k w, (k+1) w)`` the way the engine does: each radar's scans are drawn
    whole (``alive(scan start)`` selects the targets), cut into windows, with one sector look per radar and
    window; ``after_window(t1)`` is called after each. Returns per window: (end time, detections, their target
    labels, the tracker's associations)."""
    scans: list[dict[int, tuple[Detections, I64]]] = [{} for _ in radars]
    out = []
    n_windows = round(duration_s / window_s)
    for w in range(n_windows):
        t0, t1 = w * window_s, (w + 1) * window_s
        parts, labs, looks = [], [], []
        for i, (radar, geo) in enumerate(zip(radars, geometries, strict=True)):
            T = radar.scan_period_s
            for k in range(math.floor(t0 / T), math.floor(t1 / T) + 1):
                if k * T >= t1:
                    break
                if k not in scans[i]:
                    a = alive(k * T) if alive is not None else None
                    scans[i][k] = scan(state, n_targets, radar, geo, k, rng, pd, false_alarms, alive=a)
                det, lab = scans[i][k]
                inside = np.flatnonzero((det.time_s >= t0) & (det.time_s < t1))
                parts.append(det.take(inside))
                labs.append(lab[inside])
            az0 = (radar.start_azimuth_deg + 360.0 * t0 / T) % 360.0
            looks.append(Look(radar.id, t0, t1, az0, min(360.0, 360.0 * (t1 - t0) / T)))
        det = Detections.concat(parts)
        lab = np.concatenate(labs) if labs else np.zeros(0, np.int64)
        order = np.lexsort((det.sensor_id, det.time_s))
        det, lab = det.take(order), lab[order]
        out.append((t1, det, lab, tracker.process(det, looks)))
        if after_window is not None:
            after_window(t1)
    if out:  # the detections held back at the last window's end, with the last window's associations
        t1, det, lab, last = out[-1]
        rest = tracker.flush()
        out[-1] = (t1, det, lab, Associations(np.concatenate([last.detection_index, rest.detection_index]),
                                              np.concatenate([last.track_id, rest.track_id]),
                                              np.concatenate([last.started, rest.started]), last.first_index))
    return out


def all_labels(out: list[tuple[float, Detections, I64, object]]) -> I64:
    """Target labels of every detection :func:`drive` gave the tracker, indexed like
    ``Associations.detection_index``."""
    return np.concatenate([lab for _, _, lab, _ in out]) if out else np.zeros(0, np.int64)
