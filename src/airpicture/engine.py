"""The one engine that owns the time loop: scenario -> truth -> detections -> tracks -> engagements -> metrics.

``run_scenario`` returns every stage's output as Arrow tables plus the summary; ``write_run`` writes them into a
results folder atomically. Both are deterministic for a given scenario (seed included).

The loop. Truth is generated first (a pure function of the scenario). Then time advances in windows
``[t0, t1)`` of ``time_step_s`` (cut also at every picture epoch ``k * picture_period_s``). In each window:

1. sensing returns the detections of every radar whose beam swept a target in the window, and the looks (beam
   sweeps), omitting targets already destroyed (``kill_time_s``);
2. the tracker processes them in time order; the engine counts, for every track, the truth labels of the
   detections that built it (:mod:`airpicture.identity`) -- the tracker itself never sees labels;
3. at ``t1`` the tracker publishes the picture (confirmed tracks predicted to ``t1``); fire control acts on it
   at every ``time_step_s`` boundary, possibly scheduling kills, which remove targets from the sky for the
   sensors from the intercept time on;
4. at every picture epoch the picture is recorded (``picture.parquet``) and later scored against the targets
   in the sky at that time (``metrics.parquet``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import tomli_w

from airpicture import __version__
from airpicture.decisions.summary import add_decision_summary
from airpicture.detections import DetectionLabels, Detections
from airpicture.identity import TrackFollowing
from airpicture.io import results_folder, to_arrow, write_json, write_parquet
from airpicture.progress import Reporter, Silent
from airpicture.scenario import ALL_KINDS, Scenario, scenario_to_toml_dict
from airpicture.tables import targets_table, truth_table
from airpicture.truth import Truth, frame_of, generate_truth

_EPS = 1e-9


@dataclass
class RunResult:
    """Everything a run produced, in memory."""

    scenario: Scenario
    truth: Truth
    tables: dict[str, pa.Table] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def window_edges(duration_s: float, step_s: float, period_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window boundaries (0 .. duration) on the union of the step grid and the picture-epoch grid, and which
    boundaries are decision times (step grid) and picture epochs."""
    steps = np.arange(1, math.floor(duration_s / step_s + _EPS) + 1) * step_s
    epochs = np.arange(1, math.floor(duration_s / period_s + _EPS) + 1) * period_s
    edges = np.unique(np.round(np.concatenate([[0.0], steps, epochs, [duration_s]]), 9))
    is_step = np.isin(edges, np.round(steps, 9)) | (edges == edges[-1])
    is_epoch = np.isin(edges, np.round(epochs, 9))
    return edges, is_step, is_epoch


def run_scenario(scenario: Scenario, progress: Reporter | None = None, source: str = "scenario") -> RunResult:
    """Simulate ``scenario`` end to end."""
    progress = progress or Silent()
    progress.stage("truth", total=1)
    truth = generate_truth(scenario, source)
    progress.update(1)
    result = RunResult(scenario, truth)
    result.tables["truth"] = truth_table(truth)
    result.tables["targets"] = targets_table(truth, scenario)
    result.summary = truth_summary(scenario, truth)
    if scenario.sensors:
        _run_chain(scenario, truth, result, progress)
    progress.done()
    return result


def _run_chain(scenario: Scenario, truth: Truth, result: RunResult, progress: Reporter) -> None:
    # imported here so that a truth-only run does not pay for compiling the tracker
    from airpicture.engagement import FireControl
    from airpicture.metrics import PictureScorer, truth_at_epochs
    from airpicture.sensors.stage import SensingStage
    from airpicture.tracking import Tracker
    from airpicture.truth.threats import asset_positions

    frame = frame_of(scenario)
    n_targets = truth.n_targets
    sensing = SensingStage(scenario, truth, frame)
    tracker = Tracker(scenario.tracker, scenario.sensors, frame, capacity=scenario.track_capacity,
                      assets_en=asset_positions(scenario, frame))
    fire = FireControl(scenario, frame, truth, scenario.seed) if scenario.batteries else None
    kill_time = fire.kill_time_s if fire is not None else np.full(n_targets, np.inf)
    following = TrackFollowing()
    edges, is_step, is_epoch = window_edges(scenario.duration_s, scenario.time_step_s,
                                            scenario.metrics.picture_period_s)
    det_parts: list[Detections] = []
    lab_parts: list[DetectionLabels] = []
    pictures: list[tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    n_refused = 0
    assoc_parts: list[Any] = []  # every window's associations, for the decision log
    prev_target_id = np.zeros(0, np.int64)  # labels of the previous window's detections
    progress.stage("sense · track · engage", total=round(scenario.duration_s), unit="simulated s")
    for w in range(1, edges.size):
        t0, t1 = float(edges[w - 1]), float(edges[w])
        det, lab, looks = sensing.between(t0, t1, kill_time)
        assoc = tracker.process(det, looks)
        assoc_parts.append(assoc)
        # rows of this window's detections; negative rows: carried from the previous window (at most one back)
        recent = np.concatenate([prev_target_id, lab.target_id])
        following.add(assoc.track_id, recent[assoc.detection_index - assoc.first_index + prev_target_id.size])
        prev_target_id = lab.target_id
        if len(det):
            det_parts.append(det)
            lab_parts.append(lab)
        refused_ids = tracker.refused_track_ids
        if fire is not None and len(refused_ids) > n_refused:
            new = np.asarray(refused_ids[n_refused:], np.int64)
            for when, target in zip(tracker.refused_times_s[n_refused:], following.followed(new).tolist(),
                                    strict=True):
                if target >= 0:
                    fire.record_capacity_refused(float(when), int(target))
        n_refused = len(refused_ids)
        if is_step[w] or is_epoch[w]:
            picture = tracker.picture(t1)
            followed = following.followed(picture.track_id)
            if fire is not None and is_step[w]:
                fire.step(t1, picture, followed)
            if is_epoch[w]:
                pos_sigma = np.sqrt(np.clip(np.trace(picture.P[:, :3, :3], axis1=1, axis2=2), 0.0, None))
                pictures.append((t1, picture.track_id, picture.x, followed, pos_sigma))
        progress.update(round(t1))
    assoc = tracker.flush()  # detections held back at the last window's end
    assoc_parts.append(assoc)
    following.add(assoc.track_id, prev_target_id[assoc.detection_index - assoc.first_index + prev_target_id.size])
    if fire is not None:
        fire.finish(scenario.duration_s)

    progress.stage("metrics", total=1)
    det = Detections.concat(det_parts)
    lab = DetectionLabels.concat(lab_parts)
    epochs = np.array([p[0] for p in pictures], dtype=float)
    p_epoch = np.concatenate([np.full(p[1].size, i, np.int64) for i, p in enumerate(pictures)]) if pictures \
        else np.zeros(0, np.int64)
    p_id = np.concatenate([p[1] for p in pictures]) if pictures else np.zeros(0, np.int64)
    p_x = np.concatenate([p[2] for p in pictures]) if pictures else np.zeros((0, 6))
    p_tgt = np.concatenate([p[3] for p in pictures]) if pictures else np.zeros(0, np.int64)
    p_sig = np.concatenate([p[4] for p in pictures]) if pictures else np.zeros(0)
    scorer = PictureScorer(scenario.metrics.gospa_cutoff_m)
    scorer.add_detections(det.time_s, lab.target_id)
    t_epoch, t_id, t_x = truth_at_epochs(truth, epochs, kill_time)
    scorer.add_epochs(epochs, t_epoch, t_id, t_x, p_epoch, p_id, p_x)
    scores = scorer.finish(truth.targets.target_id)
    progress.update(1)

    tables = result.tables
    tables["detections"] = det.to_table()
    tables["detection_labels"] = lab.to_table(det)
    tables["tracks"] = tracker.history_table()
    tables["picture"] = to_arrow({
        "time_s": epochs[p_epoch], "track_id": p_id,
        "e_m": p_x[:, 0], "n_m": p_x[:, 1], "u_m": p_x[:, 2],
        "ve_mps": p_x[:, 3], "vn_mps": p_x[:, 4], "vu_mps": p_x[:, 5],
        "position_sigma_m": p_sig, "target_id": p_tgt,
    })
    tables["metrics"] = scores.metrics
    tables["target_metrics"] = scores.targets
    if fire is not None:
        tables["events"] = fire.events_table()
        tables["timeline"] = fire.timeline_table()
    summary = result.summary
    summary["sensing"] = sensing_summary(scenario, det, lab)
    stats = tracker.stats()
    summary["tracking"] = {
        **scores.summary,
        "tracks_started": stats["started"],
        "tracks_confirmed": stats["confirmed"],
        "capacity": stats["capacity"],
        "capacity_refusals": stats["refused"],
        "capacity_drops": stats["dropped"],
        "peak_confirmed_tracks": stats["max_confirmed"],
    }
    if fire is not None:
        summary["engagement"] = fire.summary()
    tables["decisions"] = _decisions(scenario, truth, frame, tables["tracks"], assoc_parts, det, lab, following, fire)
    add_decision_summary(summary, tables["decisions"])


def _decisions(scenario: Scenario, truth: Truth, frame: Any, tracks: pa.Table, assoc_parts: list[Any],
               det: Detections, lab: DetectionLabels, following: TrackFollowing, fire: Any) -> pa.Table:
    """``decisions.parquet`` (:mod:`airpicture.decisions`) from the run's associations and stages."""
    from airpicture.decisions import decision_table

    assoc = tuple(np.concatenate([getattr(a, f) for a in assoc_parts]) if assoc_parts else np.zeros(0, dtype)
                  for f, dtype in (("detection_index", np.int64), ("track_id", np.int64), ("started", bool)))
    return decision_table(scenario, truth, frame, tracks, assoc, det, lab, following, fire,
                          scenario.track_capacity)


def truth_summary(scenario: Scenario, truth: Truth) -> dict[str, Any]:
    t = truth.targets
    by_kind = {k: int(np.sum(t.kind == k)) for k in ALL_KINDS if np.any(t.kind == k)}
    hostile = int(np.sum(t.hostile))
    return {
        "airpicture_version": __version__,
        "scenario": scenario.name,
        "seed": scenario.seed,
        "duration_s": scenario.duration_s,
        "targets": {
            "total": len(t),
            "threats": hostile,
            "civil": len(t) - hostile,
            "by_kind": by_kind,
            "threats_reaching_asset_unopposed": int(np.sum(t.hostile & (t.end_reason == "impact"))),
        },
        "truth_rows": len(truth.samples),
    }


def sensing_summary(scenario: Scenario, det: Detections, lab: DetectionLabels) -> dict[str, Any]:
    real = lab.target_id >= 0
    per_sensor = []
    for radar in scenario.sensors:
        mine = det.sensor_id == radar.id
        per_sensor.append({"sensor_id": radar.id, "name": radar.name, "detections": int(mine.sum()),
                           "false_alarms": int(np.sum(mine & ~real))})
    return {
        "detections": len(det),
        "target_detections": int(real.sum()),
        "false_alarms": int((~real).sum()),
        "merged_detections": int(np.sum(lab.merged > 1)),
        "targets_detected": int(np.unique(lab.target_id[real]).size),
        "sensors": per_sensor,
    }


def write_run(result: RunResult, out: Path, overwrite: bool = False, report: bool = True,
              progress: Reporter | None = None) -> Path:
    """Write ``result`` into ``out`` atomically (tables, resolved scenario, summary and, with ``report``,
    ``report.html``); return ``out``."""
    progress = progress or Silent()
    progress.stage("write results" + (" · report" if report else ""), total=1)
    with results_folder(out, overwrite=overwrite) as tmp:
        for name, table in result.tables.items():
            write_parquet(tmp / f"{name}.parquet", table)
        (tmp / "scenario.toml").write_bytes(tomli_w.dumps(scenario_to_toml_dict(result.scenario)).encode())
        write_json(tmp / "summary.json", result.summary)
        if report:
            from airpicture.report import build_report

            build_report(tmp)
    progress.update(1)
    progress.done()
    return out
