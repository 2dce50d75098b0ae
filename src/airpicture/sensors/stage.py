"""The sensing stage: every radar of a scenario, window by window, for the engine's time loop.

Whole scans are generated lazily (each from its own random stream), a block of consecutive scans in one pass,
and kept until the windows move past them, so what a window returns does not depend on how time is cut into
windows. Targets killed by the battery disappear from the detections from their kill time on (the detection's
label -- the strongest target of a merged echo -- decides).
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
from airpicture.sensors.radar import RadarSimulator, ScanBlock
from airpicture.sensors.truth_index import TruthIndex
from airpicture.truth import Truth

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

Scan = tuple[Detections, DetectionLabels]

#: Span of scans (s) each radar generates in one batched pass (:meth:`RadarSimulator.scans`), then serves window
#: by window: a radar's scans do not depend on the battle (kills only filter what is returned).
BLOCK_S = 64.0
_NEVER = np.full(1, np.inf)


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
        #: per radar, the block of rotations being served (generated :data:`BLOCK_S` of scans at a time)
        self._blocks: list[ScanBlock | None] = [None for _ in self.radars]
        self._block_rotations = [max(1, math.ceil(BLOCK_S / sim.period_s)) for sim in self.radars]
        self._end_rotation = [_rotations_before(scenario.duration_s, sim.period_s) for sim in self.radars]

    def _block(self, i: int, k: int) -> ScanBlock:
        """The block holding rotation ``k`` of radar ``i``: the current one, or the next ones from ``k`` on."""
        block = self._blocks[i]
        if block is None or not block.first <= k < block.end:
            end = max(k + 1, min(k + self._block_rotations[i], self._end_rotation[i]))  # none past the run's end
            block = self.radars[i].scans(k, end)
            self._blocks[i] = block
        return block

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
        n_scans = 0  # scans with rows in [t0, t1)
        for i, sim in enumerate(self.radars):
            period = sim.period_s
            k_lo = max(math.floor(t0 / period), 0)
            k_hi = math.floor(t1 / period)
            run: tuple[ScanBlock, int, int] | None = None  # rows of consecutive scans, contiguous in a block
            for k in range(k_lo, k_hi + 1):
                if k * period >= t1:
                    break
                block = self._block(i, k)
                a, b = block.offsets[k - block.first: k - block.first + 2].tolist()
                lo, hi = (a + np.searchsorted(block.det.time_s[a:b], (t0, t1))).tolist()  # a scan is sorted by time
                if hi <= lo:
                    continue
                n_scans += 1
                if run is not None and run[0] is block and run[2] == lo:
                    run = (block, run[1], hi)
                    continue
                if run is not None:
                    parts.append((run[0].det, run[0].lab, run[1], run[2]))
                run = (block, lo, hi)
            if run is not None:
                parts.append((run[0].det, run[0].lab, run[1], run[2]))
            sweep = min(360.0, 360.0 * max(t1 - t0, 0.0) / period)
            looks.append(Look(sim.radar.id, float(t0), float(t1), sim.beam_azimuth_at(float(t0)), sweep))
        det, lab = _rows_of(parts)
        # a false alarm (label -1) reads the leading inf: never killed
        killed = np.concatenate([_NEVER, kill_time_s])[lab.target_id + 1] <= det.time_s
        if n_scans == 1:  # one scan's rows: already sorted by time, one sensor
            order = np.flatnonzero(~killed)
        else:
            order = np.lexsort((det.sensor_id, det.time_s))
            if killed.any():
                order = order[~killed[order]]
        return det.take(order), lab.take(order), looks


def _rotations_before(t: float, period_s: float) -> int:
    """How many rotations start before ``t`` (s): the first k with ``k * period_s >= t``."""
    k = max(math.ceil(t / period_s), 0)
    while k > 0 and (k - 1) * period_s >= t:
        k -= 1
    while k * period_s < t:
        k += 1
    return k


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
