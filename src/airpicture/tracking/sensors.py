"""What the tracker knows of each radar: where it stands, its axes, its coverage and its accuracy.

Geometry comes from :func:`airpicture.sensors.placement.radar_geometry`, the function the radar simulation uses,
so the measurement model matches the detections exactly. Detections are converted here from the file units
(degrees) to the kernel units (radians) with their standard deviations
(:func:`airpicture.sensors.accuracy.measurement_sigmas`, the same function that drew the noise).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit
from airpicture.detections import Detections
from airpicture.geodesy import LocalFrame
from airpicture.placement import antenna_height_m
from airpicture.scenario import FixedAccuracy, Radar
from airpicture.sensors.accuracy import measurement_sigmas
from airpicture.sensors.false_alarms import sector_width_deg
from airpicture.sensors.geometry import polar_to_cartesian
from airpicture.sensors.placement import radar_geometry
from airpicture.tracking.coverage import CoverageTable

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: False alarms' range rates are taken as uniform over +-RANGE_RATE_SPAN_MPS / 2 when the clutter density
#: of a detection with a measured range rate is needed (the configured density is per m^3 only).
RANGE_RATE_SPAN_MPS = 2000.0


@dataclass(frozen=True)
class SensorInfo:
    radar: Radar
    position: F64  # (3,) site ENU, m
    rotation: F64  # (3, 3) site axes -> sensor axes
    min_range_m: float
    max_range_m: float
    elevation_min_rad: float
    elevation_max_rad: float
    period_s: float


@dataclass(frozen=True)
class DetectionBatch:
    """Detections of one sensor in kernel units: time (s), z (K, 4) [r m, az rad, el rad, rr m/s or NaN],
    sigmas (K, 4), measurement dimension m (3 or 4) and ln clutter density (per m rad^2, or per m rad^2 m/s);
    and what the tracker reads of them several times per batch: the largest (r, az, el) sigmas, whether every
    detection has the same sigmas, whether any has a range rate (m = 4)."""

    index: I64  # rows of the caller's Detections
    time_s: F64
    z: F64
    sigma: F64
    dim: I64
    log_clutter: F64
    sigma_max: F64  # (3,) = sigma[:, :3].max(axis=0)
    uniform_sigma: bool  # every row of sigma is the same
    with_rr: bool  # any(dim == 4)


class SensorTable:
    """The radars feeding one tracker, looked up by ``sensor_id``."""

    def __init__(self, radars: Sequence[Radar], frame: LocalFrame) -> None:
        self.sensors: list[SensorInfo] = []
        self.earth_radius_m = float(frame.earth_radius_m)  # the site's spherical ground model
        for radar in radars:
            g = radar_geometry(radar, frame)
            self.sensors.append(SensorInfo(radar, np.ascontiguousarray(g.position, float),
                                           np.ascontiguousarray(g.rotation, float), radar.min_range_m,
                                           radar.max_range_m, math.radians(radar.elevation_min_deg),
                                           math.radians(radar.elevation_max_deg), radar.scan_period_s))
        self.coverage = CoverageTable([si.position for si in self.sensors], [r.max_range_m for r in radars],
                                      [antenna_height_m(r, frame) for r in radars], [r.refraction_k for r in radars],
                                      frame.earth_radius_m, [si.rotation for si in self.sensors],
                                      [si.elevation_max_rad for si in self.sensors])
        #: per sensor: the fixed measurement sigmas (r m, az rad, el rad, rr m/s) and ln of the noise false-alarm
        #: density per m rad^2 (see :func:`radar_clutter_log_density`), the common cases of :meth:`batch`
        self._fixed_sigma = [np.array(measurement_sigmas(r, np.zeros(1))).reshape(4) for r in radars]
        self._fixed_sigma_max = [sig[:3].copy() for sig in self._fixed_sigma]
        self._log_cell_density = [math.log(r.pfa / (r.range_resolution_m * math.radians(r.azimuth_cell_deg)
                                                    * math.radians(r.elevation_resolution_deg))) for r in radars]
        #: per sensor: whether its batches take the compiled common path (fixed accuracy, no clutter regions)
        self._plain = [isinstance(r.accuracy, FixedAccuracy) and not r.clutter for r in radars]
        ids = np.array([r.id for r in radars], dtype=np.int64)
        if len(set(ids.tolist())) != ids.shape[0]:
            raise ValueError("sensor ids must be unique")
        self._order = np.argsort(ids)
        self._sorted_ids = ids[self._order]
        self._position = {int(i): k for k, i in enumerate(ids.tolist())}

    def __len__(self) -> int:
        return len(self.sensors)

    def index_of(self, sensor_id: I64) -> I64:
        """Position in ``sensors`` of each id; -1 for unknown ids."""
        sensor_id = np.asarray(sensor_id, dtype=np.int64)
        if self._sorted_ids.shape[0] == 1:
            return np.where(sensor_id == self._sorted_ids[0], 0, -1)
        if self._sorted_ids.shape[0] == 0:
            return np.full(sensor_id.shape, -1, np.int64)
        pos = np.minimum(np.searchsorted(self._sorted_ids, sensor_id), self._sorted_ids.shape[0] - 1)
        found = self._sorted_ids[pos] == sensor_id
        return np.where(found, self._order[pos], -1).astype(np.int64)

    def position_of(self, sensor_id: int) -> int:
        """Position in ``sensors`` of one id; -1 if unknown."""
        return self._position.get(int(sensor_id), -1)

    def batch(self, k: int, det: Detections, rows: I64, clutter_density: float | None) -> DetectionBatch:
        """Detections ``rows`` of ``det`` (all from sensor number ``k``) in kernel units. ``clutter_density``:
        false alarms per m^3, or None to take the radar's own (:func:`radar_clutter_log_density`)."""
        s = self.sensors[k]
        n = rows.shape[0]
        if self._plain[k] and clutter_density is None:
            # the common case in one compiled pass: fixed accuracy, no clutter regions, no range rate
            z = np.empty((n, 4))
            sig = np.empty((n, 4))
            dim = np.empty(n, np.int64)
            log_clutter = np.empty(n)
            t = np.empty(n)
            if _plain_batch(rows, det.time_s, det.range_m, det.azimuth_deg, det.elevation_deg, det.range_rate_mps,
                            self._fixed_sigma[k], self._log_cell_density[k], t, z, sig, dim, log_clutter):
                return DetectionBatch(rows, t, z, sig, dim, log_clutter, self._fixed_sigma_max[k], True, False)
        z = np.empty((n, 4))
        z[:, 0] = det.range_m[rows]
        z[:, 1] = det.azimuth_deg[rows]
        z[:, 2] = det.elevation_deg[rows]
        np.radians(z[:, 1:3], out=z[:, 1:3])
        z[:, 3] = det.range_rate_mps[rows]
        r, az, el, rr = z[:, 0], z[:, 1], z[:, 2], z[:, 3]
        sig = np.empty((n, 4))
        uniform = isinstance(s.radar.accuracy, FixedAccuracy)
        if uniform:
            sig[:] = self._fixed_sigma[k]
            sig_max = self._fixed_sigma_max[k]
        else:
            for j, column in enumerate(measurement_sigmas(s.radar, det.snr_db[rows])):
                sig[:, j] = column
            sig_max = sig[:, :3].max(axis=0) if n else np.zeros(3)
        has_rr = np.isfinite(rr)
        if not has_rr.any():  # the common case: no range rate
            if clutter_density is None and not s.radar.clutter:
                log_clutter = np.full(n, self._log_cell_density[k])
            else:
                log_clutter = (radar_clutter_log_density(s.radar, r, az, el) if clutter_density is None else
                               math.log(clutter_density) + 2.0 * np.log(np.maximum(r, 1.0))
                               + np.log(np.maximum(np.cos(el), 1e-6)))
            return DetectionBatch(rows, det.time_s[rows], z, sig, np.full(n, 3, np.int64), log_clutter, sig_max,
                                  uniform, False)
        if clutter_density is None:
            log_clutter = radar_clutter_log_density(s.radar, r, az, el)
            rr_span = 2.0 * s.radar.max_range_rate_mps
        else:
            # clutter density in measurement units: per m^3 x |d(cartesian)/d(r, az, el)| = r^2 cos(el)
            log_clutter = (math.log(clutter_density) + 2.0 * np.log(np.maximum(r, 1.0))
                           + np.log(np.maximum(np.cos(el), 1e-6)))
            rr_span = RANGE_RATE_SPAN_MPS
        log_clutter = log_clutter - np.where(has_rr, math.log(rr_span), 0.0)
        return DetectionBatch(rows, det.time_s[rows], z, sig, np.where(has_rr, 4, 3).astype(np.int64), log_clutter,
                              sig_max, uniform, True)

    def false_alarms_per_scan(self, k: int, clutter_density: float | None) -> float:
        """Mean false alarms per scan over radar number ``k``'s coverage (range span, all azimuths, elevation
        limits): its noise false alarms (Pfa per resolution cell) plus its clutter regions' -- or, given a
        ``clutter_density`` per m^3, that density over the coverage volume."""
        s = self.sensors[k]
        r0, r1 = s.min_range_m, s.max_range_m
        if clutter_density is not None:
            volume = 2.0 * math.pi / 3.0 * (r1**3 - r0**3) * (math.sin(s.elevation_max_rad)
                                                                - math.sin(s.elevation_min_rad))
            return clutter_density * volume
        noise = math.exp(self._log_cell_density[k]) * (r1 - r0) * 2.0 * math.pi * (s.elevation_max_rad
                                                                                     - s.elevation_min_rad)
        return noise + sum(region.false_alarms_per_scan for region in s.radar.clutter)

    def site_positions(self, k: int, z: F64) -> F64:
        """Site-ENU positions (K, 3) of polar measurements ``z`` (K, >= 3: r m, az rad, el rad) of sensor k."""
        s = self.sensors[k]
        return polar_to_cartesian(z[:, 0], z[:, 1], z[:, 2]) @ s.rotation + s.position


def radar_clutter_log_density(radar: Radar, r: F64, az: F64, el: F64) -> F64:
    """ln of the false-alarm density (per m rad^2 per scan) a radar produces at polar points (r m, az, el rad).

    A constant-false-alarm-rate radar crosses its threshold with probability ``pfa`` in every resolution cell
    (range resolution x azimuth cell x elevation resolution), so its noise false alarms are uniform in
    (range, azimuth, elevation) with density pfa / cell volume -- far denser per m^3 near the radar than far
    away, which no single per-m^3 figure describes. Clutter regions add their mean count per scan spread over
    their range span, sector and the lowest elevation cell (as the radar simulation draws them).
    """
    d_az = math.radians(radar.azimuth_cell_deg)
    d_el = math.radians(radar.elevation_resolution_deg)
    density = np.full(np.shape(r), radar.pfa / (radar.range_resolution_m * d_az * d_el))
    for region in radar.clutter:
        width_deg = sector_width_deg(region.azimuth_min_deg, region.azimuth_max_deg)
        el_lo = math.radians(radar.elevation_min_deg)
        el_hi = math.radians(min(radar.elevation_min_deg + radar.elevation_resolution_deg, radar.elevation_max_deg))
        inside = ((r >= region.range_min_m) & (r <= region.range_max_m)
                  & (np.mod(np.degrees(az) - region.azimuth_min_deg, 360.0) <= width_deg)
                  & (el >= el_lo - 1e-9) & (el <= el_hi + 1e-9))
        volume = (region.range_max_m - region.range_min_m) * math.radians(width_deg) * max(el_hi - el_lo, 1e-9)
        density = density + np.where(inside, region.false_alarms_per_scan / volume, 0.0)
    return np.log(density)


@njit(cache=True)
def _plain_batch(rows, time_s, range_m, azimuth_deg, elevation_deg, range_rate_mps, sigma, log_density, t, z, sig,
                 dim, log_clutter) -> bool:
    """:meth:`SensorTable.batch` for fixed accuracy and noise false alarms only: the rows' times, polar
    measurements (degrees to radians), sigmas, dimension 3 and the cell density. False (outputs incomplete) if a
    row has a range rate: the caller takes the general path."""
    deg = math.pi / 180.0
    for k in range(rows.shape[0]):
        i = rows[k]
        rr = range_rate_mps[i]
        if math.isfinite(rr):
            return False
        t[k] = time_s[i]
        z[k, 0] = range_m[i]
        z[k, 1] = azimuth_deg[i] * deg
        z[k, 2] = elevation_deg[i] * deg
        z[k, 3] = rr
        for j in range(4):
            sig[k, j] = sigma[j]
        dim[k] = 3
        log_clutter[k] = log_density
    return True
