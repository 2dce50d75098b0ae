"""The engine's stage protocols (:mod:`airpicture.stages`): the tracker's "what happened since last asked"."""

from __future__ import annotations

import numpy as np

from airpicture.scenario import TrackerConfig
from airpicture.sensors.placement import radar_geometry
from airpicture.stages import TrackingStage
from airpicture.testing.detections import drive, linear_targets
from airpicture.tracking import Tracker
from tests.test_tracking_management import FRAME, radar, target_at


def test_take_refusals_hands_out_each_refusal_once_in_order() -> None:
    r = radar()
    tracker = Tracker(TrackerConfig(), [r], FRAME, capacity=2)
    stage: TrackingStage = tracker
    x0 = np.array([target_at(az, 60e3) for az in (20.0, 110.0, 200.0, 290.0)], dtype=float)
    taken: list[tuple[np.ndarray, np.ndarray]] = []
    drive(tracker, [r], [radar_geometry(r, FRAME)], linear_targets(x0), x0.shape[0], 40.0, 1.0,
          np.random.default_rng(0), after_window=lambda t1: taken.append(stage.take_refusals()))
    times = np.concatenate([t for t, _ in taken])
    ids = np.concatenate([i for _, i in taken])
    assert times.dtype == np.float64 and ids.dtype == np.int64
    assert ids.tolist() == tracker.refused_track_ids and times.tolist() == tracker.refused_times_s
    assert ids.size == tracker.stats()["refused"] >= 2
    assert sum(1 for _, i in taken if i.size) >= 1 and all(np.all(np.diff(t) >= 0) for t, _ in taken)
    later_s, later_ids = stage.take_refusals()
    assert later_s.size == 0 and later_ids.size == 0


def test_live_tracks_and_history_through_the_protocol() -> None:
    r = radar()
    stage: TrackingStage = Tracker(TrackerConfig(), [r], FRAME)
    x0 = np.array([target_at(45.0, 50e3)], dtype=float)
    drive(stage, [r], [radar_geometry(r, FRAME)], linear_targets(x0), 1, 20.0, 1.0, np.random.default_rng(0))
    live = stage.live_track_ids()
    assert live.dtype == np.int64 and live.size >= 1 and stage.track_slots() >= live.size
    n = stage.history_rows()
    early = stage.drain_history(8.0)
    assert early.num_rows + stage.history_rows() == n
    assert stage.history_table().num_rows == stage.history_rows()
    assert early.num_rows == 0 or max(early.column("time_s").to_pylist()) < 8.0
