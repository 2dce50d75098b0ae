"""The published picture: confirmed tracks the sensors support (``picture_max_misses``, ``picture_in_coverage``),
and the compiled look accounting behind the misses (``swept_unhit``) against a plain NumPy statement of it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from airpicture.geodesy import LocalFrame
from airpicture.scenario import FixedAccuracy, Radar, TrackerConfig
from airpicture.sensors.placement import radar_geometry
from airpicture.testing.detections import drive, linear_targets
from airpicture.tracking import Tracker
from airpicture.tracking.coverage import CoverageTable
from airpicture.tracking.management import swept, swept_unhit

FRAME = LocalFrame.at(10.0, 20.0, 0.0)
PERIOD = 4.0


def _radar(**kw) -> Radar:
    return Radar(id=2, scan_period_s=PERIOD, max_range_m=250e3,
                 accuracy=FixedAccuracy(range_m=30.0, azimuth_deg=0.1, elevation_deg=0.2), **kw)


def test_above_ceiling_against_hand_computed_elevations():
    """One radar at the origin looking up to 60 deg: a point at 63.4 deg elevation (1 km out, 2 km up) is above
    its ceiling, one at 45 deg is not; with a second radar 10 km east (the first point at 11.3 deg from it), no
    point but the third (76 deg from both) is above every ceiling."""
    pts = np.array([[1000.0, 0.0, 2000.0], [1000.0, 0.0, 1000.0], [5000.0, 0.0, 20000.0]])
    one = CoverageTable([np.zeros(3)], [100e3], [10.0], [4 / 3], 6.371e6, [np.eye(3)], [math.radians(60.0)])
    assert one.above_ceiling(pts).tolist() == [True, False, True]
    two = CoverageTable([np.zeros(3), np.array([10e3, 0.0, 0.0])], [100e3, 100e3], [10.0, 10.0], [4 / 3, 4 / 3],
                        6.371e6, [np.eye(3), np.eye(3)], [math.radians(60.0)] * 2)
    assert two.above_ceiling(pts).tolist() == [False, False, True]
    # a radar whose up axis leans 20 deg towards +east (site -> sensor rotation about north): the 45 deg point
    # is at 65.0 deg in its axes (d = (597.7, 0, 1281.7) m), above its ceiling
    c, s = math.cos(math.radians(20.0)), math.sin(math.radians(20.0))
    tilt = np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])
    tilted = CoverageTable([np.zeros(3)], [100e3], [10.0], [4 / 3], 6.371e6, [tilt], [math.radians(60.0)])
    assert tilted.above_ceiling(pts[1:2]).tolist() == [True]
    assert math.degrees(math.atan2(1281.7, 597.7)) == pytest.approx(65.0, abs=0.05)


def _numpy_swept_unhit(slots, t, x, P, q, gate_k, ta, tb, spos, srot, az0, sweep, rmin, rmax, elmin, elmax,
                       last_hit, half_period):
    """The rule as the tracker stated it in NumPy before it was compiled: swept, then not hit less than half a
    rotation before the beam's time at the track's azimuth (its current position, from the sensor)."""
    looked = np.zeros(slots.shape[0], dtype=bool)
    swept(slots, t, x, P, q, gate_k, ta, tb, spos, srot, az0, sweep, rmin, rmax, elmin, elmax, looked)
    d = (x[slots, :3] - spos) @ srot.T
    ahead = (np.arctan2(d[:, 0], d[:, 1]) / (2.0 * math.pi) - az0) % 1.0
    beam = ta + np.minimum(ahead / max(sweep, 1e-9), 1.0) * (tb - ta)
    return looked & (last_hit[slots] <= beam - half_period)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_swept_unhit_equals_its_numpy_statement(seed):
    rng = np.random.default_rng(seed)
    n = 300
    x = np.concatenate([rng.uniform(-100e3, 100e3, (n, 2)), rng.uniform(0.0, 12e3, (n, 1)),
                        rng.normal(0.0, 200.0, (n, 3))], axis=1)
    A = rng.normal(size=(n, 6, 6))
    P = A @ np.swapaxes(A, 1, 2) * 100.0 + np.eye(6) * 100.0
    t = rng.uniform(0.0, 4.0, n)
    last_hit = np.where(rng.random(n) < 0.3, -np.inf, rng.uniform(0.0, 8.0, n))
    slots = np.sort(rng.choice(n, 200, replace=False)).astype(np.int64)
    geo = radar_geometry(_radar(e_m=3000.0, n_m=-2000.0), FRAME)
    args = (slots, t, x, P, 4.0, 3.7, 4.0, 8.0, geo.position, geo.rotation, 0.3, 1.0, 2000.0, 90e3, -0.03, 1.0,
            last_hit, 2.0)
    out = np.empty(slots.shape[0], dtype=bool)
    swept_unhit(*args, out)
    expected = _numpy_swept_unhit(*args)
    assert expected.any() and (~expected).any()
    np.testing.assert_array_equal(out, expected)


def _picture_run(config: TrackerConfig, pattern: list[int]):
    """One target at 60 km; ``pattern[k]``: present in scan k. Returns the pictures' track ids after each scan."""
    r = _radar()
    x0 = np.array([[60e3 * math.sin(0.7), 60e3 * math.cos(0.7), 5e3, 150.0, 0.0, 0.0]])
    tracker = Tracker(config, [r], FRAME)
    ids: list[list[int]] = []

    def after(t1: float) -> None:
        if abs(t1 / PERIOD - round(t1 / PERIOD)) < 1e-9:
            ids.append(tracker.picture(t1).track_id.tolist())

    def alive(t: float) -> np.ndarray:
        k = round(t / PERIOD)
        return np.array([pattern[min(k, len(pattern) - 1)]], dtype=bool)

    drive(tracker, [r], [radar_geometry(r, FRAME)], linear_targets(x0), 1, PERIOD * len(pattern), 1.0,
          np.random.default_rng(3), alive=alive, after_window=after)
    return ids, tracker


def test_a_track_missed_too_often_leaves_the_picture_and_comes_back_under_its_id():
    """At an assumed Pd of 0.7 the score keeps a confirmed track through four misses; with picture_max_misses = 2
    it is shown through two, hidden through the next two, and back -- same id -- when its target is seen again."""
    cfg = TrackerConfig(detection_probability=0.7, detection_probability_estimate=False, picture_max_misses=2)
    pattern = [1] * 8 + [0] * 4 + [1] * 4
    ids, _ = _picture_run(cfg, pattern)
    tid = ids[7]
    assert len(tid) == 1
    assert ids[8] == tid and ids[9] == tid  # one and two misses: shown
    assert ids[10] == [] and ids[11] == []  # three and four misses: hidden
    assert ids[12] == tid and ids[15] == tid  # seen again: the same track
    unfiltered, _ = _picture_run(cfg.model_copy(update={"picture_max_misses": None, "picture_max_age_scans": None}),
                                 pattern)
    assert unfiltered[10] == tid and unfiltered[11] == tid


def test_a_track_no_look_sweeps_leaves_the_picture_after_picture_max_age_scans():
    """A target flying over the radar at 8 km crosses its cone of silence (above 45 degrees of elevation): no look
    sweeps its track there, so no miss is counted and picture_max_misses never hides it; it coasts. With
    picture_max_age_scans = 4 it is published while its last update is at most 4 scans old, then left out while
    the tracker still holds it (up to the coast limit); without the age limit it is published throughout."""
    r = _radar(elevation_max_deg=45.0)
    x0 = np.array([[0.0, -40e3, 8e3, 0.0, 200.0, 0.0]])
    cfg = TrackerConfig(detection_probability=0.7, detection_probability_estimate=False, picture_max_misses=2,
                        picture_max_age_scans=4.0)

    def run(config: TrackerConfig):
        tracker = Tracker(config, [r], FRAME)
        shown: list[tuple[float, list[int], list[int]]] = []

        def after(t1: float) -> None:
            if abs(t1 / PERIOD - round(t1 / PERIOD)) < 1e-9:
                live = tracker.store.track_id[tracker.store.active()].tolist()
                shown.append((t1, tracker.picture(t1).track_id.tolist(), live))

        drive(tracker, [r], [radar_geometry(r, FRAME)], linear_targets(x0), 1, 60 * PERIOD, 1.0,
              np.random.default_rng(5), after_window=after)
        return shown, tracker

    shown, tracker = run(cfg)
    last_seen = 32e3 / 200.0  # the target enters the cone (elevation 45 degrees at 8 km) after 160 s
    tid = [ids for t, ids, _ in shown if t <= last_seen - PERIOD][-1]
    assert len(tid) == 1
    coasting = [(t, ids, live) for t, ids, live in shown if t > last_seen and tid[0] in live]
    young = [ids for t, ids, _ in coasting if t - last_seen < 4.0 * PERIOD - 1.0]
    old = [ids for t, ids, _ in coasting if t - last_seen > 4.0 * PERIOD + 1.0]
    assert young and all(ids == tid for ids in young)  # coasting without misses: still shown
    assert old and all(ids == [] for ids in old)  # too old: left out, though the tracker holds it
    unlimited, _ = run(cfg.model_copy(update={"picture_max_age_scans": None}))
    assert all(ids == tid for t, ids, live in unlimited if t > last_seen and tid[0] in live)
