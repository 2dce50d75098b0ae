"""The decision log of a run (``decisions.parquet``): one row per decision of the tracker and fire control, with
its reason and the numbers behind it, plus each target's first visibility and detection and each threat's outcome
with its first cause.

``decision_table`` assembles it after the run from what the stages recorded: the tracker's history and the
associations (:mod:`airpicture.tracking.decisions`), fire control's own rows
(:mod:`airpicture.engagement.decisions`), the radars' geometry on the truth (:mod:`.visibility`), and the
outcome rules (:mod:`.outcomes`). Schema, vocabulary and units: :mod:`.schema`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from airpicture.columns import numpy_of
from airpicture.decisions.schema import COLUMNS, EVENTS, OUTCOME_CAUSES, concat, from_table, sort_rows, to_table

if TYPE_CHECKING:
    from airpicture.detections import DetectionLabels, Detections
    from airpicture.engagement import FireControl
    from airpicture.geodesy import LocalFrame
    from airpicture.identity import TrackFollowing
    from airpicture.scenario import Scenario
    from airpicture.truth import Truth

__all__ = ["COLUMNS", "EVENTS", "OUTCOME_CAUSES", "decision_table", "first_detections", "from_table"]


def first_detections(det: Detections, lab: DetectionLabels, n_targets: int) -> dict[str, NDArray[Any]]:
    """Per target: time (inf if never), radar, row of detections.parquet and range of its first detection."""
    out = {"time_s": np.full(n_targets, np.inf), "sensor_id": np.full(n_targets, -1, np.int64),
           "detection_index": np.full(n_targets, -1, np.int64), "range_m": np.full(n_targets, np.nan)}
    real = np.flatnonzero(lab.target_id >= 0)
    if real.size == 0:
        return out
    order = real[np.lexsort((det.time_s[real], lab.target_id[real]))]
    tg, first = np.unique(lab.target_id[order], return_index=True)
    j = order[first]
    out["time_s"][tg] = det.time_s[j]
    out["sensor_id"][tg] = det.sensor_id[j]
    out["detection_index"][tg] = j
    out["range_m"][tg] = det.range_m[j]
    return out


def decision_table(scenario: Scenario, truth: Truth, frame: LocalFrame, tracks: pa.Table,
                   assoc: tuple[NDArray[Any], ...], det: Detections,
                   lab: DetectionLabels, following: TrackFollowing, fire: FireControl | None,
                   capacity: int | None) -> pa.Table:
    """``decisions.parquet`` of a run: ``tracks`` is the tracker's history table, ``assoc`` the run's
    associations (detection index, track id, started), ``fire`` fire control after ``finish`` (or None)."""
    from airpicture.decisions.outcomes import outcome_rows, sensing_rows
    from airpicture.decisions.visibility import first_visibility
    from airpicture.placement import asset_positions
    from airpicture.tracking.decisions import tracker_decisions

    n = truth.n_targets
    longest = max((r.scan_period_s for r in scenario.sensors), default=scenario.time_step_s)
    ids = np.unique(np.asarray(numpy_of(tracks.column("track_id")), np.int64))
    fol = following.followed(ids)

    def followed(track_id: NDArray[np.int64]) -> NDArray[np.int64]:
        pos = np.clip(np.searchsorted(ids, track_id), 0, max(ids.size - 1, 0))
        return np.where((ids.size > 0) & (ids[pos] == track_id), fol[pos], -1) if ids.size else \
            np.full(np.shape(track_id), -1, np.int64)

    tr = tracker_decisions(tracks, assoc[0], assoc[1], assoc[2], det.time_s, lab.target_id, followed,
                           t_end=scenario.duration_s, capacity=capacity,
                           capacity_rule=scenario.tracker.capacity_rule,
                           assets_en=asset_positions(scenario, frame), coast_gap_s=2.5 * longest,
                           delete_misses=int(getattr(scenario.tracker, "delete_misses", -1)),
                           confirm_score=(float(scenario.tracker.confirm_score)
                                          if getattr(scenario.tracker, "confirmation", "m_of_n") == "score"
                                          else None))
    kill = fire.kill_time_s if fire is not None else np.full(n, np.inf)
    terrain, step = None, 100.0
    if scenario.terrain is not None:
        from airpicture.terrain.load import profile_step_m, terrain_grid

        terrain = terrain_grid(scenario)
        step = profile_step_m(scenario, terrain) if terrain is not None else step
    vis = first_visibility(list(scenario.sensors), frame, truth, until_s=kill, terrain=terrain, step_m=step)
    first = first_detections(det, lab, n)
    sensing = sensing_rows(vis, first, {r.id: r.name for r in scenario.sensors}).arrays()
    parts = [sensing, tr]
    if fire is not None:
        parts.append(fire.decisions_columns())
        cols = concat(parts)
        tg = truth.targets
        names = [a.name for a in scenario.assets]
        battery_of: dict[int, str] = {}
        reaction: dict[int, float] = {}
        for b in scenario.batteries:
            for a in b.defends:
                battery_of.setdefault(names.index(a), b.name)
                reaction.setdefault(names.index(a), b.reaction_time_s)
        asset = np.asarray(tg.asset_index, np.int64)
        target_battery = [battery_of.get(int(a), "") for a in asset.tolist()]
        react = [reaction.get(int(a), 0.0) for a in asset.tolist()]
        outcome = outcome_rows(cols, fire.outcomes(), vis, first["time_s"], np.asarray(tg.start_s, float),
                               target_battery, scenario.duration_s, scenario.time_step_s, react,
                               getattr(scenario.tracker, "confirm_n", 4) * longest).arrays()
        parts.append(outcome)
    return to_table(sort_rows(concat(parts)))
