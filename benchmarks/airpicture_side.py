"""airpicture side of the Stone Soup comparison: ``airpicture.tracking.Tracker`` configured from the same
settings, fed the benchmark detections window by window (the engine's step), as the engine feeds it.

The radar sits at the site origin, so its local axes are the site's and the generator's flat ENU polar
measurements are exactly what the tracker's measurement model expects. Its accuracy is ``FixedAccuracy`` with the
generator's sigmas (the tracker's R); SNR is then irrelevant and set to a constant.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from airpicture.detections import Detections, Look
from airpicture.geodesy import LocalFrame
from airpicture.picture import Picture
from airpicture.scenario import CvModel, FixedAccuracy, Radar, TrackerConfig
from airpicture.tracking import Tracker
from scenarios_bench import BenchData, windows
from tracker_settings_bench import TrackerSettings

F64 = NDArray[np.float64]

SITE = LocalFrame.at(45.0, 5.0, 0.0)  # any site: the radar is at its origin, so nothing depends on it
SENSOR_ID = 0


def clutter_density_m3(data: BenchData) -> float | None:
    """The clutter density airpicture's tracker is given, as ``TrackerConfig.clutter_density``.

    False alarms uniform in measurement space (``polar``, what a constant false-alarm probability per radar cell
    gives): None, i.e. derived from the radar's Pfa and resolution cell, as airpicture does by default; the bench
    radar's Pfa is set so that its cells give the generator's density (see ``radar``). False alarms uniform in
    volume (``cartesian``): one number per m^3, false alarms per scan over the coverage volume. (Stone Soup takes
    one density in measurement space in both cases.)"""
    if data.scenario.false_alarm_model == "polar":
        return None
    return data.scenario.clutter_density_m3()


RANGE_CELL_M = 150.0
AZIMUTH_CELL_DEG = 1.5
ELEVATION_CELL_DEG = 2.0


def radar(data: BenchData) -> Radar:
    """The bench radar as airpicture's ``Radar``; its Pfa per cell gives the generator's false-alarm density in
    measurement space (per m rad^2), which the tracker derives back when its clutter density is None."""
    sc = data.scenario
    cell = RANGE_CELL_M * np.radians(AZIMUTH_CELL_DEG) * np.radians(ELEVATION_CELL_DEG)
    return Radar(id=SENSOR_ID, name="bench", e_m=0.0, n_m=0.0, antenna_height_m=sc.antenna_height_m,
                 scan_period_s=sc.scan_period_s, start_azimuth_deg=0.0, min_range_m=sc.coverage_min_range_m,
                 pfa=float(sc.clutter_density_polar() * cell), range_resolution_m=RANGE_CELL_M,
                 azimuth_beamwidth_deg=AZIMUTH_CELL_DEG, elevation_resolution_deg=ELEVATION_CELL_DEG,
                 max_range_m=max(sc.coverage_max_range_m, 250e3),
                 accuracy=FixedAccuracy(range_m=sc.sigma_range_m, azimuth_deg=sc.sigma_azimuth_deg,
                                        elevation_deg=sc.sigma_elevation_deg))


def tracker_config(s: TrackerSettings, clutter_density_m3: float | None) -> TrackerConfig:
    """The tracker settings as airpicture's ``TrackerConfig``, mirrored to Stone Soup's: CV, M-of-N confirmation
    and deletion, the same velocity prior on every axis, a fixed Pd, no manoeuvre recovery, no coverage test; no
    track capacity (Stone Soup has none). (The real-traffic benchmark compares the trackers as each one's
    documentation sets them up instead.)"""
    return TrackerConfig(model=CvModel(accel_sigma_mps2=s.accel_sigma_mps2), association=s.association,
                         gate_probability=s.gate_probability, detection_probability=s.detection_probability,
                         detection_probability_estimate=False, clutter_density=clutter_density_m3,
                         initial_speed_sigma_mps=s.initial_speed_sigma_mps,
                         initial_vertical_speed_sigma_mps=s.initial_speed_sigma_mps, confirmation="m_of_n",
                         confirm_m=s.confirm_m, confirm_n=s.confirm_n, delete_misses=s.delete_misses,
                         manoeuvre_recovery_accel_mps2=None, delete_outside_coverage=False,
                         delete_position_sigma_m=s.delete_position_sigma_m, capacity=None)


def to_detections(data: BenchData, idx: NDArray) -> Detections:
    d = data.detections.take(idx)
    n = len(d)
    return Detections(time_s=d.time_s, sensor_id=np.full(n, SENSOR_ID, np.int64), range_m=d.range_m,
                      azimuth_deg=d.azimuth_deg, elevation_deg=d.elevation_deg, range_rate_mps=np.full(n, np.nan),
                      snr_db=np.full(n, 20.0))


def look(data: BenchData, t0: float, t1: float) -> Look:
    """The beam's sweep over [t0, t1)."""
    return Look(sensor_id=SENSOR_ID, start_s=t0, end_s=t1, az_start_deg=float(data.beam_azimuth_deg(t0)),
                sweep_deg=360.0 * (t1 - t0) / data.scenario.scan_period_s)


class AirpictureSide:
    """airpicture's tracker stepped one scan at a time: the scan's windows of ``step_s`` (the engine's step),
    each with the beam's look, then the confirmed picture at the scan end."""

    name = "airpicture"

    def __init__(self, data: BenchData, settings: TrackerSettings, clutter_density_m3: float | None,
                 step_s: float = 1.0) -> None:
        self.data = data
        self.tracker = Tracker(tracker_config(settings, clutter_density_m3), [radar(data)], SITE)
        self.per_scan = round(data.scenario.scan_period_s / step_s)
        if not np.isclose(self.per_scan * step_s, data.scenario.scan_period_s):
            raise ValueError(f"window step {step_s} s must divide the scan period")
        self._windows = windows(data, step_s)
        self._picture: Picture | None = None

    def inputs(self, k: int) -> list[tuple[Detections, list[Look]]]:
        """Scan k's windows as (Detections, looks) (built before the clock starts)."""
        wins = self._windows[k * self.per_scan:(k + 1) * self.per_scan]
        return [(to_detections(self.data, idx), [look(self.data, t0, t1)]) for t0, t1, idx in wins]

    def scan(self, k: int, batch: list[tuple[Detections, list[Look]]]) -> None:
        """Track scan k and publish the picture at its end (the timed part)."""
        for det, looks in batch:
            self.tracker.process(det, looks)
        self._picture = self.tracker.picture((k + 1) * self.data.scenario.scan_period_s)

    def confirmed_positions(self, t: float) -> F64:
        pic = self._picture if self._picture is not None and self._picture.time_s == t else self.tracker.picture(t)
        return np.asarray(pic.x, float)[:, :3].reshape(-1, 3)
