"""The plan-position view: one radar's detections over one antenna rotation, in that radar's polar coordinates
(slant range, azimuth clockwise from north in its own local axes), with the truth it should have seen.

Which scan: the first radar (in scenario order) that has detections, and of its rotations
``[k T, (k + 1) T)`` (T = ``scan_period_s``, rotation 0 starting at time 0) the one with the most detections of
real targets (of any detections if there are no labels); ties go to the earliest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airpicture.geodesy import LocalFrame, ecef_to_enu, enu_to_ecef
from airpicture.placement import antenna_height_m
from airpicture.report.load import RunData
from airpicture.report.mapdata import SortedTruth
from airpicture.scenario import Radar

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Scan:
    """One rotation's detections and the truth at mid-rotation, in the radar's polar coordinates."""

    sensor: Radar
    index: int
    start_s: float
    end_s: float
    range_km: F64
    azimuth_deg: F64
    elevation_deg: F64
    snr_db: F64
    target_id: I64 | None  # None when there are no labels; -1 = false alarm
    truth_range_km: F64  # truth: every target in the sky during the rotation, at mid-rotation (clamped to its life)
    truth_azimuth_deg: F64
    truth_elevation_deg: F64
    truth_target_id: I64

    @property
    def n_false(self) -> int:
        return int(np.sum(self.target_id < 0)) if self.target_id is not None else 0


def choose_scan(run: RunData) -> tuple[Radar, int] | None:
    """The radar and rotation index shown in the PPI (see the module doc), or None without detections."""
    det = run.get("detections")
    labels = run.get("detection_labels")["target_id"] if run.has("detection_labels") else None
    for s in run.scenario.sensors:
        m = det["sensor_id"] == s.id
        if not m.any():
            continue
        k = np.floor(det["time_s"][m] / s.scan_period_s).astype(np.int64)
        weight = (labels[m] >= 0).astype(np.int64) if labels is not None else np.ones(k.size, dtype=np.int64)
        if labels is not None and weight.sum() == 0:
            weight = np.ones(k.size, dtype=np.int64)
        k0 = k.min()
        counts = np.bincount(k - k0, weights=weight)
        return s, int(k0 + np.argmax(counts))
    return None


def choose_scans(run: RunData) -> list[tuple[Radar, int]]:
    """For every radar with detections (scenario order): the rotation the PPI shows (see :func:`choose_scan`)."""
    out = []
    for s in run.scenario.sensors:
        one = RunData(run.run_dir, run.scenario.model_copy(update={"sensors": [s]}), run.frame, run.summary,
                      run.tables)
        chosen = choose_scan(one)
        if chosen is not None:
            out.append((s, chosen[1]))
    return out


def scan_view(run: RunData, st: SortedTruth, sensor: Radar, index: int) -> Scan:
    """Detections of ``sensor`` in rotation ``index`` and every truth target in the sky during the rotation and
    within the radar's instrumented range, at mid-rotation (or the nearest moment of its flight), converted to the
    radar's polar coordinates."""
    from airpicture.placement import place_en
    from airpicture.report.mapdata import position_at

    det = run.get("detections")
    t0 = index * sensor.scan_period_s
    t1 = t0 + sensor.scan_period_s
    m = (det["sensor_id"] == sensor.id) & (det["time_s"] >= t0) & (det["time_s"] < t1)
    labels = run.get("detection_labels")["target_id"][m] if run.has("detection_labels") else None
    snr = det["snr_db"][m] if "snr_db" in det else np.full(int(m.sum()), np.nan)

    t_mid = 0.5 * (t0 + t1)
    alive = np.unique(st.target_id)
    alive = alive[_alive_during(st, alive, t0, t1)]
    e_km, n_km, h_km = position_at(st, alive, np.full(alive.size, t_mid))
    u = run.frame.up_from_height(e_km * 1e3, n_km * 1e3, h_km * 1e3)
    e, n = place_en(sensor, run.frame)
    antenna = np.array([e, n, float(run.frame.up_from_height(e, n, antenna_height_m(sensor, run.frame)))])
    r, az, el = sensor_polar(run.frame, antenna, np.column_stack([e_km * 1e3, n_km * 1e3, u]))
    inside = r <= sensor.max_range_m
    return Scan(sensor, index, t0, t1, det["range_m"][m] * 1e-3, det["azimuth_deg"][m], det["elevation_deg"][m], snr,
                labels, r[inside] * 1e-3, np.degrees(az[inside]), np.degrees(el[inside]), alive[inside])


def _alive_during(st: SortedTruth, target_id: I64, t0: float, t1: float) -> NDArray[np.bool_]:
    """Targets whose (kill-cut) truth overlaps the interval [t0, t1)."""
    first = np.searchsorted(st.target_id, target_id, side="left")
    last = np.searchsorted(st.target_id, target_id, side="right") - 1
    return (st.time_s[first] < t1) & (st.time_s[last] >= t0)


def sensor_polar(frame: LocalFrame, antenna_enu: F64, points_enu: F64) -> tuple[F64, F64, F64]:
    """Slant range (m), azimuth (rad, [0, 2 pi), clockwise from north) and elevation (rad) of site-ENU points
    (K, 3) in the local ENU axes at the antenna (site-ENU position ``antenna_enu``), through ECEF.

    The same axes as :class:`airpicture.sensors.geometry.SensorGeometry` (the tests check they agree), computed
    with :mod:`airpicture.geodesy` alone so that drawing a report does not import the sensing stage (and SciPy's
    statistics with it, about a second).
    """
    lat, lon, alt = frame.to_geodetic(*antenna_enu)
    p = np.asarray(points_enu, dtype=float).reshape(-1, 3)
    x, y, z = enu_to_ecef(p[:, 0], p[:, 1], p[:, 2], frame.latitude_deg, frame.longitude_deg, frame.altitude_m)
    e, n, u = ecef_to_enu(x, y, z, float(lat), float(lon), float(alt))
    r = np.sqrt(e * e + n * n + u * u)
    az = np.mod(np.arctan2(e, n), 2 * np.pi)
    el = np.arcsin(np.clip(u / np.maximum(r, 1e-9), -1.0, 1.0))
    return r, az, el
