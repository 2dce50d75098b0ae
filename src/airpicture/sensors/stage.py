"""The sensing stage: every radar of a scenario, window by window, for the engine's time loop.

Whole scans are generated lazily (each from its own random stream) and cached until the windows move past
them, so what a window returns does not depend on how time is cut into windows. Targets killed by the battery
disappear from the detections from their kill time on (the detection's label -- the strongest target of a
merged echo -- decides).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from airpicture.detections import DETECTION_COLUMNS, DetectionLabels, Detections, Look
from airpicture.geodesy import LocalFrame
from airpicture.placement import frame_of
from airpicture.scenario import Scenario
from airpicture.sensors.radar import RadarSimulator
from airpicture.sensors.truth_index import TruthIndex
from airpicture.truth import Truth

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

Scan = tuple[Detections, DetectionLabels]


class SensingStage:
    """All sensors of ``scenario`` looking at ``truth`` (site frame ``frame``)."""

    def __init__(self, scenario: Scenario, truth: Truth, frame: LocalFrame) -> None:
        self.scenario = scenario
        self.truth = truth
        index = TruthIndex.of(truth)
        self.truth_index = index  # also used by the engine to score the picture against the truth
        terrain, step = None, 0.0
        if scenario.terrain is not None:  # imported here: without terrain, sensing does not load its kernels
            from airpicture.terrain.load import profile_step_m, terrain_grid

            terrain = terrain_grid(scenario)
            step = profile_step_m(scenario, terrain) if terrain is not None else 0.0
        self.radars = [RadarSimulator(radar, frame, truth, scenario.seed, i, index, terrain, step)
                       for i, radar in enumerate(scenario.sensors)]
        self._scans: list[dict[int, Scan]] = [{} for _ in self.radars]

    def _scan(self, i: int, k: int) -> Scan:
        cache = self._scans[i]
        if k not in cache:
            cache[k] = self.radars[i].scan(k)
        return cache[k]

    def states_at(self, target_id: I64, t: F64) -> F64:
        """(K, 6) true ENU states (m, m/s) of targets ``target_id`` at times ``t`` (K,), as the radars see them."""
        return self.truth_index.state_at(target_id, t)

    def masked_looks(self) -> list[int]:
        """Per radar: looks masked by the terrain so far."""
        return [int(sim.masked_looks) for sim in self.radars]

    def between(self, t0: float, t1: float, kill_time_s: F64) -> tuple[Detections, DetectionLabels, list[Look]]:
        """Detections of every sensor with ``t0 <= time_s < t1``, sorted by (time_s, sensor_id), without those
        of targets killed at or before their time (``kill_time_s``: (n_targets,), inf if alive); and one
        :class:`Look` per sensor: its beam's sweep over ``[t0, t1)`` (azimuths in the sensor's own axes)."""
        kill_time_s = np.asarray(kill_time_s, dtype=float)
        if kill_time_s.shape != (self.truth.n_targets,):
            raise ValueError(f"kill_time_s has shape {kill_time_s.shape}; expected ({self.truth.n_targets},)")
        parts: list[tuple[Detections, DetectionLabels, int, int]] = []  # scans and their rows in [t0, t1)
        looks: list[Look] = []
        for i, sim in enumerate(self.radars):
            period = sim.period_s
            k_lo = max(math.floor(t0 / period), 0)
            k_hi = math.floor(t1 / period)
            cache = self._scans[i]
            for k in [k for k in cache if k < k_lo]:
                del cache[k]
            for k in range(k_lo, k_hi + 1):
                if k * period >= t1:
                    break
                det, lab = self._scan(i, k)
                lo, hi = np.searchsorted(det.time_s, (t0, t1)).tolist()  # a scan is sorted by time
                if hi > lo:
                    parts.append((det, lab, lo, hi))
            sweep = min(360.0, 360.0 * max(t1 - t0, 0.0) / period)
            looks.append(Look(sim.radar.id, float(t0), float(t1), sim.beam_azimuth_at(float(t0)), sweep))
        det, lab = _rows_of(parts)
        target = lab.target_id
        real = target >= 0
        killed = np.zeros(len(lab), dtype=bool)
        killed[real] = kill_time_s[target[real]] <= det.time_s[real]
        if len(parts) == 1:  # one scan's rows: already sorted by time, one sensor
            order = np.flatnonzero(~killed)
        else:
            order = np.lexsort((det.sensor_id, det.time_s))
            order = order[~killed[order]]
        return det.take(order), lab.take(order), looks


def _rows_of(parts: list[tuple[Detections, DetectionLabels, int, int]]) -> Scan:
    """The rows ``lo:hi`` of each scan, end to end (one copy of each column; views of a single part)."""
    if not parts:
        return Detections.concat([]), DetectionLabels.concat([])
    if len(parts) == 1:  # views: the caller's final reordering copies them
        det, lab, lo, hi = parts[0]
        return (Detections(*(getattr(det, f)[lo:hi] for f in DETECTION_COLUMNS)),
                DetectionLabels(lab.target_id[lo:hi], lab.merged[lo:hi]))

    def column(obj: int, name: str) -> NDArray[Any]:
        return np.concatenate([getattr(p[obj], name)[p[2]:p[3]] for p in parts])

    return (Detections(*(column(0, f) for f in DETECTION_COLUMNS)),
            DetectionLabels(column(1, "target_id"), column(1, "merged")))


def simulate_detections(scenario: Scenario, truth: Truth) -> tuple[Detections, DetectionLabels]:
    """Every detection of the whole scenario (no kills), sorted by (time_s, sensor_id)."""
    stage = SensingStage(scenario, truth, frame_of(scenario))
    det, lab, _ = stage.between(0.0, scenario.duration_s, np.full(truth.n_targets, np.inf))
    return det, lab
