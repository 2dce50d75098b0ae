"""Scenes and regimes of the real-traffic tracker benchmark: which recorded flights fly where, and which radar
looks at them.

Scenes (truth in the radar site's ENU frame, seconds from the scene start; see ``real_traffic_data``):

* ``quickstart@S``: the ``collections/quickstart`` sample (3 h over northern France, 1 s reports) from S seconds
  after its first report, as recorded, around a radar at 48.90 N 2.40 E (north-east of Paris, between the
  Paris airports, in the middle of the traffic); every flight in the data lies within ~200 km of it.
* ``quickstart-xK``: a dense picture of K copies of the quickstart traffic: copy j is the traffic of the window
  starting at 600 + j * 380 s (different flights, or the same flights at other moments), turned about the radar
  by j * 137.508 degrees (the golden angle, so no two copies share an orientation). No two copies coincide: they
  differ in orientation and, where they hold the same flight, in its time.
* ``calibration``: the flight-inspection aircraft of ``calibration/*.json.gz`` (one per file, circling a
  beacon): each cleaned segment longer than the run is used twice, at two moments of its flight (30 % and 70 %
  through it), each laid around its own point, 25-100 km from the radar (low fliers: inside the radar horizon),
  bearings spread by the golden angle (:func:`real_traffic_data.truth_from_placed`).
* ``gliders``: the gliders of ``gliders/*.json.gz`` the same way (each cleaned segment longer than the run, once,
  from 20 % into it), 15-80 km from the radar.

Regimes pair a scene with a radar (:class:`real_traffic_radar.RadarSpec`) and a number of scans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

import real_traffic_data as rtd
from real_traffic_radar import RadarSpec

SITE_LAT_DEG = 48.90
SITE_LON_DEG = 2.40
GOLDEN_ANGLE_DEG = 137.50776405003785
DENSE_FIRST_S = 600.0
DENSE_SHIFT_S = 380.0


@dataclass(frozen=True)
class Regime:
    name: str
    scene: str
    radar: RadarSpec
    n_scans: int
    description: str


RADAR_5S = RadarSpec()
# The quickstart recordings cover a box (47.7-50.0 N, 0.8-4.1 E) whose edges are 118-128 km from the site: a
# flight leaving the box stops being recorded in mid-air. A radar reaching further would still see it, and both
# trackers would be scored against a truth that vanishes where a real aircraft flies on. The radar over the
# quickstart scenes therefore reaches 110 km: inside the box, so a flight ends in the truth only where it leaves
# the radar's coverage (or lands, or its recording has a gap).
QUICKSTART_RANGE_M = 110_000.0
RADAR_QS = replace(RADAR_5S, max_range_m=QUICKSTART_RANGE_M)
REGIMES: dict[str, Regime] = {r.name: r for r in [
    Regime("5s", "quickstart@3600", RADAR_QS, 180, "5 s 3-D radar, Pd 0.9, 20 false alarms/scan"),
    Regime("5s-late", "quickstart@7200", RADAR_QS, 180, "the same radar, another 15 minutes of traffic"),
    Regime("pd07-fa100", "quickstart@3600", replace(RADAR_QS, detection_probability=0.7, false_alarms_per_scan=100.0),
           180, "Pd 0.7, 100 false alarms/scan"),
    Regime("10s", "quickstart@3600", replace(RADAR_QS, scan_period_s=10.0), 90, "10 s scan"),
    Regime("dense", "quickstart-x24", RADAR_QS, 180, "24 rotated, time-shifted copies of the traffic"),
    Regime("turning", "calibration", RADAR_5S, 180, "flight-inspection aircraft circling (sustained turns)"),
    Regime("gliders", "gliders", RADAR_5S, 180, "gliders: slow, thermalling, sparse reports"),
]}
DEFAULT_REGIMES = list(REGIMES)


def _cached_truth(key: str, build) -> tuple[rtd.Truth, dict]:
    """A truth built by ``build()`` -> (Truth, report dict), cached in the cache folder under ``key``."""
    folder = rtd.cache_dir() / "truth"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}-v{rtd.CLEANING_VERSION}.npz"
    rep_path = path.with_suffix(".json")
    if path.exists() and rep_path.exists():
        return rtd.Truth.load(path), json.loads(rep_path.read_text())
    truth, report = build()
    truth.save(path)
    tmp = rep_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=1))
    tmp.replace(rep_path)
    return truth, report


def quickstart_truth() -> tuple[rtd.Truth, dict]:
    """The whole 3 h quickstart traffic in the site frame, times from its first report (whole second)."""
    def build():
        cols = rtd.read_sample("collections/quickstart.json.gz")
        rules = rtd.RULES["collections"]
        segs, rep = rtd.clean(cols, rules)
        t_ref = float(np.floor(np.nanmin(cols["time_s"])))
        truth = rtd.truth_from_segments(segs, rules, SITE_LAT_DEG, SITE_LON_DEG, t_ref, rep)
        return truth, {"source": "collections/quickstart.json.gz", "t_ref_unix_s": t_ref, "cleaning": rep.__dict__}
    return _cached_truth("quickstart", build)


def _single_flights(collection: str, min_duration_s: float, phases: list[float], r_min: float, r_max: float):
    rules = rtd.RULES[collection]
    rep = rtd.CleaningReport()
    segments: list[rtd.Segment] = []
    files = rtd.sample_names(collection)
    for name in files:
        segs, r = rtd.clean(rtd.read_sample(name), rules)
        rep.add(r)
        segments.extend(s for s in segs if s.time_s[-1] - s.time_s[0] >= min_duration_s)
    placed, offsets = [], []
    for phase in phases:
        for seg in segments:
            placed.append(seg)
            span = seg.time_s[-1] - seg.time_s[0] - min_duration_s
            offsets.append(float(np.floor(seg.time_s[0] + phase * span)))
    n = len(placed)
    j = np.arange(n)
    rng_km = r_min + (r_max - r_min) * ((j * 0.618034) % 1.0)
    bearing = np.radians(j * GOLDEN_ANGLE_DEG)
    centres = np.stack([rng_km * np.sin(bearing), rng_km * np.cos(bearing)], axis=1)
    truth = rtd.truth_from_placed(placed, centres, np.array(offsets), rules, rep)
    return truth, {"source": f"{collection}/*.json.gz ({len(files)} files)",
                   "segments_longer_than_run": len(segments), "placed": n, "cleaning": rep.__dict__}


def scene_truth(scene: str, duration_s: float) -> tuple[rtd.Truth, dict]:
    """The truth of a scene over [0, duration_s] (targets cut to it) and a description of how it was made."""
    stop = duration_s + 1.0
    if scene.startswith("quickstart@"):
        start = float(scene.split("@")[1])
        full, rep = quickstart_truth()
        return full.window(start, start + stop), {**rep, "window_start_s": start}
    if scene.startswith("quickstart-x"):
        k = int(scene.split("-x")[1])
        full, rep = quickstart_truth()
        copies = []
        for j in range(k):
            start = DENSE_FIRST_S + j * DENSE_SHIFT_S
            copies.append(full.window(start, start + stop).rotated(np.radians(j * GOLDEN_ANGLE_DEG),
                                                                   suffix=f"#copy{j}"))
        return rtd.concatenate(copies), {**rep, "copies": k, "first_window_s": DENSE_FIRST_S,
                                        "window_shift_s": DENSE_SHIFT_S, "turn_deg": GOLDEN_ANGLE_DEG}
    if scene == "calibration":
        truth, rep = _cached_truth(f"calibration-{int(duration_s)}", lambda: _single_flights(
            "calibration", stop + 10.0, [0.3, 0.7], 25e3, 100e3))
        return truth.window(0.0, stop), rep
    if scene == "gliders":
        truth, rep = _cached_truth(f"gliders-{int(duration_s)}", lambda: _single_flights(
            "gliders", stop + 10.0, [0.2], 15e3, 80e3))
        return truth.window(0.0, stop), rep
    raise ValueError(f"unknown scene {scene!r}")


def results_dir() -> Path:
    return Path(__file__).resolve().parent / "results"
