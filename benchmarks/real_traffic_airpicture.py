"""airpicture side of the real-traffic benchmark: the detections tracked the way a user tracks a detection file.

A user runs ``airpicture track detections.csv --sensor radar.toml --picture-period T`` with a sensor file holding
the radar's facts. Here the same sensor file is written (:func:`sensor_toml`) and read back with airpicture's own
loader (``load_sensor_file``), and the detections go to ``airpicture.tracking.offline.track_detections`` (what the
command calls), without a track capacity (Stone Soup has none; ``--capacity 100000`` on the command line). Two
configurations:

* ``same-q``: the sensor file plus ``[tracker] model = { kind = "cv", accel_sigma_mps2 = 1.41421356 }``
  (q = sigma^2 = 2 m^2/s^3 per axis, Stone Soup's process noise);
* ``defaults``: the sensor file only (no ``[tracker]`` table): every tracker setting airpicture's default.

The sensor file says where the radar is (the site, the radar at its origin), how it scans (period, start
azimuth), its accuracy (sigmas), its coverage (ranges, elevation limits, 4/3-Earth refraction) and its false-alarm
level as a probability per resolution cell: mean false alarms per scan / number of cells, cells = (max - min
range) / 150 m x 360 / 1.5 deg x elevation span / 2 deg. Nothing that knows the truth.

For side-by-side timing :class:`SteppedAirpicture` runs the same loop as ``track_detections`` (windows of at most
``window_limit_s`` -- half a rotation --, shorter so that every picture epoch is a window boundary, each with the
radar's look; the picture published at every epoch) one scan at a time; :func:`check_same_as_offline` checks that it gives exactly the pictures of
``track_detections``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from airpicture.detections import Detections as ApDetections
from airpicture.geodesy import LocalFrame
from airpicture.tracking.offline import looks_between, picture_rows, track_detections, window_limit_s
from airpicture.tracking.sensorfile import SensorFile, load_sensor_file
from airpicture.tracking.tracker import Tracker
from real_traffic_radar import Detections, RadarSpec
from real_traffic_scenes import SITE_LAT_DEG, SITE_LON_DEG

F64 = NDArray[np.float64]
SENSOR_ID = 1
RANGE_CELL_M = 150.0
AZIMUTH_CELL_DEG = 1.5
ELEVATION_CELL_DEG = 2.0
CONFIGS = ("same-q", "defaults")


def pfa(radar: RadarSpec) -> float:
    """The radar's false-alarm probability per resolution cell that gives its mean false alarms per scan."""
    cells = ((radar.max_range_m - radar.min_range_m) / RANGE_CELL_M * 360.0 / AZIMUTH_CELL_DEG
             * (radar.elevation_max_deg - radar.elevation_min_deg) / ELEVATION_CELL_DEG)
    return radar.false_alarms_per_scan / cells


def sensor_toml(radar: RadarSpec, config: str) -> str:
    """The sensor file a user would write for this radar (``config`` = "same-q" adds the process noise)."""
    text = f"""# The radar's facts: where it is, how it scans, how accurate it is, what it covers, its false-alarm level.
[site]
latitude_deg = {SITE_LAT_DEG}
longitude_deg = {SITE_LON_DEG}

[[sensors]]
id = {SENSOR_ID}
name = "bench-3d"
e_m = 0.0
n_m = 0.0
antenna_height_m = {radar.antenna_height_m}
scan_period_s = {radar.scan_period_s}
start_azimuth_deg = {radar.start_azimuth_deg}
min_range_m = {radar.min_range_m}
max_range_m = {radar.max_range_m}
elevation_min_deg = {radar.elevation_min_deg}
elevation_max_deg = {radar.elevation_max_deg}
refraction_k = {radar.refraction_k!r}
range_resolution_m = {RANGE_CELL_M}
azimuth_beamwidth_deg = {AZIMUTH_CELL_DEG}
elevation_resolution_deg = {ELEVATION_CELL_DEG}
pfa = {pfa(radar)!r}
accuracy = {{ kind = "fixed", range_m = {radar.sigma_range_m}, azimuth_deg = {radar.sigma_azimuth_deg}, elevation_deg = {radar.sigma_elevation_deg} }}
"""
    if config == "same-q":
        text += f"""
[tracker]
model = {{ kind = "cv", accel_sigma_mps2 = {math.sqrt(2.0)!r} }}
"""
    elif config != "defaults":
        raise ValueError(f"unknown airpicture configuration {config!r}; expected one of {CONFIGS}")
    return text


def load_sensors(radar: RadarSpec, config: str, folder: Path) -> SensorFile:
    """Write the sensor file into ``folder`` and read it back with airpicture's loader, as the command does."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"radar-{config}.toml"
    path.write_text(sensor_toml(radar, config))
    return load_sensor_file(path)


def to_airpicture(det: Detections) -> ApDetections:
    """The detections as airpicture reads them from a file (no range rate, no SNR)."""
    n = len(det)
    return ApDetections(det.time_s.copy(), np.full(n, SENSOR_ID, np.int64), det.range_m.copy(),
                        det.azimuth_deg.copy(), det.elevation_deg.copy(), np.full(n, np.nan), np.full(n, np.nan))


def frame_of(sf: SensorFile) -> LocalFrame:
    return LocalFrame.at(sf.site.latitude_deg, sf.site.longitude_deg, sf.site.altitude_m)


def offline_pictures(det: Detections, sf: SensorFile, period_s: float) -> pa.Table:
    """``picture.parquet`` of ``track_detections`` (what ``airpicture track --picture-period`` writes)."""
    res = track_detections(to_airpicture(det), list(sf.sensors), frame_of(sf), sf.tracker, None, period_s)
    assert res.picture is not None
    return res.picture


class SteppedAirpicture:
    """``track_detections``'s loop, one scan (picture epoch) at a time, for timing beside Stone Soup."""

    name = "airpicture"

    def __init__(self, det: Detections, sf: SensorFile, period_s: float, n_scans: int) -> None:
        self.sf = sf
        self.radars = list(sf.sensors)
        self.tracker = Tracker(sf.tracker, self.radars, frame_of(sf), capacity=None)
        self.period = period_s
        self.per_epoch = max(math.ceil(period_s / window_limit_s(self.radars) - 1e-9), 1)
        n_windows = n_scans * self.per_epoch
        self.bounds = np.arange(n_windows + 1) * period_s / self.per_epoch
        self.det = to_airpicture(det)
        self.cut = np.searchsorted(self.det.time_s, self.bounds, side="left")
        self.pictures: list = []

    def inputs(self, k: int) -> list:
        """Scan k's windows: (detections, looks), built before the clock starts."""
        out = []
        for w in range(k * self.per_epoch, (k + 1) * self.per_epoch):
            t0, t1 = float(self.bounds[w]), float(self.bounds[w + 1])
            out.append((self.det.take(np.arange(self.cut[w], self.cut[w + 1])),
                        looks_between(self.radars, t0, t1)))
        return out

    def scan(self, k: int, batch: list) -> None:
        """Track scan k and publish the picture at its end (the timed part)."""
        for det, looks in batch:
            self.tracker.process(det, looks)
        self.pictures.append(self.tracker.picture((k + 1) * self.period))

    def confirmed(self) -> tuple[F64, list]:
        """The last published picture: positions (K, 3) and track ids."""
        p = self.pictures[-1]
        return np.asarray(p.x, float)[:, :3].reshape(-1, 3), [int(i) for i in p.track_id]

    def picture_table(self) -> pa.Table:
        return picture_rows(self.pictures)


def check_same_as_offline(stepped: SteppedAirpicture, offline: pa.Table) -> str:
    """"" if the stepped run published exactly the pictures of ``track_detections`` over its epochs, else what
    differs."""
    mine = stepped.picture_table()
    t_last = float(stepped.pictures[-1].time_s) if stepped.pictures else 0.0
    theirs = offline.filter(pc.less_equal(offline["time_s"], t_last + 1e-9))
    if mine.num_rows != theirs.num_rows:
        return f"{mine.num_rows} picture rows stepped against {theirs.num_rows} from track_detections"
    for col in ("time_s", "track_id", "e_m", "n_m", "u_m"):
        a = mine[col].to_numpy()
        b = theirs[col].to_numpy()
        if not np.array_equal(a, b):
            return f"column {col} differs"
    return ""
