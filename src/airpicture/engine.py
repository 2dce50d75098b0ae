"""The one engine that owns the time loop: scenario -> truth -> detections -> tracks -> engagements -> metrics.

``run_scenario`` returns every stage's output as Arrow tables plus the summary; ``write_run`` writes them into a
results folder atomically; ``run_into`` runs straight into a results folder, streaming the large tables (truth,
detections, tracks, picture) to disk as they grow, so memory follows the battle in the sky rather than the
length of the run. All are deterministic for a given scenario (seed included).

The loop. Truth is generated first (a pure function of the scenario). Then time advances in windows
``[t0, t1)`` of ``time_step_s`` (cut also at every picture epoch ``k * picture_period_s``). In each window:

1. sensing returns the detections of every radar whose beam swept a target in the window, and the looks (beam
   sweeps), omitting targets already destroyed (``kill_time_s``);
2. the tracker processes them in time order; the engine counts, for every track, the truth labels of the
   detections that built it (:mod:`airpicture.identity`) -- the tracker itself never sees labels;
3. at ``t1`` the tracker publishes the picture (confirmed tracks predicted to ``t1``); fire control acts on it
   at every ``time_step_s`` boundary, possibly scheduling kills, which remove targets from the sky for the
   sensors from the intercept time on;
4. at every picture epoch the picture is recorded (``picture.parquet``) and scored against the targets in the
   sky at that time (``metrics.parquet``).

The engine talks to the stages only through the protocols of :mod:`airpicture.stages` (sensing, tracking, fire
control): new capacity refusals come from ``TrackingStage.take_refusals``, never from the tracker's own lists.

Tables go through :class:`~airpicture.streams.Streams`: appended window by window (truth in time order at the
start, the track history once its rows can no longer change), into the results folder or memory.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import tomli_w

from airpicture import __version__, stages
from airpicture.decisions.summary import add_decision_summary
from airpicture.detections import DetectionLabels, Detections
from airpicture.identity import TrackFollowing
from airpicture.io import read_parquet, to_arrow, write_json
from airpicture.progress import Reporter, Silent
from airpicture.scenario import Scenario, scenario_to_toml_dict
from airpicture.streams import MemoryStream, Streams
from airpicture.tables import targets_table, truth_chunks
from airpicture.truth import Truth, frame_of, generate_truth
from airpicture.vocab import ALL_KINDS, EndReason

if TYPE_CHECKING:
    from airpicture.engagement import FireControl
    from airpicture.folders import Staging
    from airpicture.picture import Picture

_EPS = 1e-9
#: Scored rows (targets + tracks over epochs) per batch of the picture scorer: bounds the memory of one GOSPA
#: batch (its candidate pairs) whatever the run's length; results do not depend on it.
SCORING_BATCH_ROWS = 50_000
SCORING_BATCH_PAIRS = 500_000
#: Rows gathered before a streamed table (detections, picture) is appended to, or the track history drained.
STREAM_BATCH_ROWS = 1 << 16


@dataclass
class RunResult:
    """What a run produced: the tables kept in memory (``tables``; those streamed into a folder are named in
    ``written``) and the summary."""

    scenario: Scenario
    truth: Truth | None
    tables: dict[str, pa.Table] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)


def window_edges(duration_s: float, step_s: float, period_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window boundaries (0 .. duration) on the union of the step grid and the picture-epoch grid, and which
    boundaries are decision times (step grid) and picture epochs."""
    steps = np.arange(1, math.floor(duration_s / step_s + _EPS) + 1) * step_s
    epochs = np.arange(1, math.floor(duration_s / period_s + _EPS) + 1) * period_s
    edges = np.unique(np.round(np.concatenate([[0.0], steps, epochs, [duration_s]]), 9))
    is_step = np.isin(edges, np.round(steps, 9)) | (edges == edges[-1])
    is_epoch = np.isin(edges, np.round(epochs, 9))
    return edges, is_step, is_epoch


def run_scenario(scenario: Scenario, progress: Reporter | None = None, source: str = "scenario", *,
                 folder: Path | None = None, keep: Iterable[str] | None = None) -> RunResult:
    """Simulate ``scenario`` end to end.

    With ``folder`` (an existing folder), every table is written there as ``NAME.parquet``, the large ones while
    the run goes on; without, tables are kept in memory -- all of them, or those named in ``keep`` (a sweep keeps
    ``events`` only: the others are then not even built).
    """
    windows = simulate(scenario, progress, source, folder=folder, keep=keep)
    with gc_frozen():
        while True:
            try:
                next(windows)
            except StopIteration as end:
                return end.value  # type: ignore[no-any-return]


def simulate(scenario: Scenario, progress: Reporter | None = None, source: str = "scenario", *,
             folder: Path | None = None, keep: Iterable[str] | None = None) -> Generator[Window, None, RunResult]:
    """:func:`run_scenario` one engine window at a time: yields a :class:`Window` after each (none for a scenario
    without sensors) and returns the :class:`RunResult` when exhausted. Closing it early discards the run."""
    progress = progress or Silent()
    if scenario.terrain is not None:  # radars without a ground altitude stand on the terrain
        from airpicture.terrain.load import with_terrain_altitudes

        scenario = with_terrain_altitudes(scenario, source)
    streams = Streams(folder, keep)
    try:
        progress.stage("truth", total=1)
        truth = generate_truth(scenario, source)
        progress.update(1)
        result = RunResult(scenario, truth)
        if streams.wants("truth"):
            for chunk in truth_chunks(truth):
                streams["truth"].append(chunk)
            streams.close("truth")
        if folder is not None:
            release_memory()  # what building the truth and writing its table freed
        streams.put("targets", targets_table(truth, scenario))
        if scenario.terrain is not None and streams.wants("terrain"):
            streams.put("terrain", _terrain_table(scenario, source))
        result.summary = truth_summary(scenario, truth)
        if scenario.sensors:
            yield from chain_windows(scenario, truth, result, progress, streams)
        streams.close_all()
    except BaseException:
        streams.abort()
        raise
    result.tables = streams.tables
    result.written = streams.written
    progress.done()
    return result


class _SensingTally:
    """Running counts of the detections for ``summary.json`` (the detections themselves are streamed)."""

    def __init__(self, scenario: Scenario, n_targets: int) -> None:
        self.ids = np.array([r.id for r in scenario.sensors], np.int64)
        self.names = [r.name for r in scenario.sensors]
        self.per_sensor = np.zeros(self.ids.size, np.int64)
        self.per_sensor_false = np.zeros(self.ids.size, np.int64)
        self.detected = np.zeros(n_targets, bool)
        self.total = self.real = self.merged = 0
        self._by_id = np.argsort(self.ids)  # sensor ids in ascending order -> their index
        self._sorted_ids = self.ids[self._by_id]

    def add(self, det: Detections, lab: DetectionLabels) -> None:
        real = lab.target_id >= 0
        self.total += len(det)
        self.real += int(np.count_nonzero(real))
        self.merged += int(np.count_nonzero(lab.merged > 1))
        self.detected[lab.target_id[real]] = True
        which = self._by_id[np.searchsorted(self._sorted_ids, det.sensor_id)]
        self.per_sensor += np.bincount(which, minlength=self.ids.size)
        self.per_sensor_false += np.bincount(which[~real], minlength=self.ids.size)

    def summary(self) -> dict[str, Any]:
        per_sensor = [{"sensor_id": int(i), "name": name, "detections": int(n), "false_alarms": int(f)}
                      for i, name, n, f in zip(self.ids, self.names, self.per_sensor, self.per_sensor_false,
                                               strict=True)]
        return {
            "detections": self.total,
            "target_detections": self.real,
            "false_alarms": self.total - self.real,
            "merged_detections": self.merged,
            "targets_detected": int(self.detected.sum()),
            "sensors": per_sensor,
        }


@dataclass
class Window:
    """What the engine did in one window ``[start_s, end_s)``, yielded by :func:`chain_windows` after the window:
    its detections and their truth labels, and -- at decision times and picture epochs -- the published picture
    with the target each track follows. ``fire`` is the fire-control stage (None without batteries)."""

    start_s: float
    end_s: float
    is_step: bool
    is_epoch: bool
    detections: Detections
    labels: DetectionLabels
    picture: Picture | None
    followed: np.ndarray | None
    fire: FireControl | None


def chain_windows(scenario: Scenario, truth: Truth, result: RunResult, progress: Reporter,
                  streams: Streams) -> Iterator[Window]:
    """The sense-track-engage loop as a generator: one :class:`Window` per engine window, then (once exhausted)
    the end-of-run tables and summary sections in ``streams`` and ``result``. Consuming it whole is the run."""
    # imported here so that a truth-only run does not pay for compiling the tracker
    from airpicture.engagement import FireControl
    from airpicture.metrics import PictureScorer
    from airpicture.placement import asset_positions
    from airpicture.sensors.stage import SensingStage
    from airpicture.tracking import Tracker

    frame = frame_of(scenario)
    n_targets = truth.n_targets
    sensing: stages.SensingStage = SensingStage(scenario, truth, frame)
    tracker: stages.TrackingStage = Tracker(scenario.tracker, scenario.sensors, frame,
                                            capacity=scenario.track_capacity,
                                            assets_en=asset_positions(scenario, frame))
    fire = FireControl(scenario, frame, truth, scenario.seed) if scenario.batteries else None
    engagement: stages.EngagementStage | None = fire
    kill_time = engagement.kill_time_s if engagement is not None else np.full(n_targets, np.inf)
    following = TrackFollowing()
    scorer = PictureScorer(scenario.metrics.gospa_cutoff_m, batch_rows=SCORING_BATCH_ROWS,
                           batch_pairs=SCORING_BATCH_PAIRS)
    tally = _SensingTally(scenario, n_targets)
    start_s, end_s = truth.targets.start_s, truth.targets.end_s
    edges, is_step, is_epoch = window_edges(scenario.duration_s, scenario.time_step_s,
                                            scenario.metrics.picture_period_s)
    keep_detections = streams.wants("detections")
    keep_picture = streams.wants("picture")
    batches = _Batches(streams)
    # the decision log reads the whole track history and a few columns of every detection at the end
    history = streams["tracks"] if streams.wants("tracks") else MemoryStream()
    det_columns = _DetectionColumns()
    assoc_parts: list[Any] = []  # every window's associations, for the decision log
    prev_target_id = np.zeros(0, np.int64)  # labels of the previous window's detections
    window_starts: list[float] = []
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
            tally.add(det, lab)
            det_columns.add(det, lab)
            scorer.add_detections(det.time_s, lab.target_id)
            if keep_detections:
                batches.add_detections(det, lab)
        refused_s, refused_ids = tracker.take_refusals()
        if engagement is not None and refused_ids.size:
            for when, target in zip(refused_s.tolist(), following.followed(refused_ids).tolist(), strict=True):
                if target >= 0:
                    engagement.record_capacity_refused(float(when), int(target))
        if len(following) > 2 * tracker.track_slots() + 10_000:  # forget tracks deleted since (never reused)
            following.retain(tracker.live_track_ids())
        if is_step[w] or is_epoch[w]:
            picture = tracker.picture(t1)
            followed = following.followed(picture.track_id)
            if engagement is not None and is_step[w]:
                engagement.step(t1, picture, followed)
            if is_epoch[w]:
                alive = np.flatnonzero((start_s <= t1) & (t1 <= end_s) & ~(kill_time <= t1))
                scorer.add_epoch(t1, alive, sensing.states_at(alive, np.full(alive.size, t1)), picture.track_id,
                                 picture.x)
                if keep_picture:
                    pos_sigma = np.sqrt(np.clip(np.trace(picture.P[:, :3, :3], axis1=1, axis2=2), 0.0, None))
                    batches.add_picture(t1, picture.track_id, picture.x, followed, pos_sigma)
        # track events older than the window before last can no longer change: write them out now and then
        window_starts.append(t0)
        if len(window_starts) >= 3 and tracker.history_rows() >= STREAM_BATCH_ROWS:
            history.append(tracker.drain_history(window_starts[-3]))
        progress.update(round(t1))
        published = bool(is_step[w] or is_epoch[w])
        yield Window(t0, t1, bool(is_step[w]), bool(is_epoch[w]), det, lab, picture if published else None,
                     followed if published else None, fire)
    assoc = tracker.flush()  # detections held back at the last window's end
    assoc_parts.append(assoc)
    following.add(assoc.track_id, prev_target_id[assoc.detection_index - assoc.first_index + prev_target_id.size])
    if engagement is not None:
        engagement.finish(scenario.duration_s)

    progress.stage("metrics", total=1)
    scores = scorer.finish(truth.targets.target_id)
    progress.update(1)

    batches.flush()
    if keep_detections:
        if batches.written == 0:  # the files exist with their columns even without a row
            streams["detections"].append(Detections.empty().to_table())
            streams["detection_labels"].append(DetectionLabels.concat([]).to_table(Detections.empty()))
        streams.close("detections")
        streams.close("detection_labels")
    history.append(tracker.history_table())
    if streams.wants("tracks"):
        streams.close("tracks")
        tracks = (read_parquet(streams.folder / "tracks.parquet", DECISION_TRACK_COLUMNS)
                  if streams.folder is not None else streams.tables["tracks"])
    else:
        tracks = history.close()
    if keep_picture:
        if streams["picture"].rows == 0:
            streams["picture"].append(_picture_rows(0.0, np.zeros(0, np.int64), np.zeros((0, 6)),
                                                    np.zeros(0, np.int64), np.zeros(0)))
        streams.close("picture")
    streams.put("metrics", scores.metrics)
    streams.put("target_metrics", scores.targets)
    if engagement is not None:
        streams.put("events", engagement.events_table())
        streams.put("timeline", engagement.timeline_table())
    summary = result.summary
    summary["sensing"] = tally.summary()
    if scenario.terrain is not None:
        masked = sensing.masked_looks()
        summary["sensing"]["terrain_masked_looks"] = int(sum(masked))
        for entry, n in zip(summary["sensing"]["sensors"], masked, strict=True):
            entry["terrain_masked_looks"] = int(n)
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
    if engagement is not None:
        summary["engagement"] = engagement.summary()
    # the decision log is built last: what it does not need goes first (the track store, the radars' state)
    del tracker, sensing, scorer, scores, batches, history
    if streams.folder is not None:
        release_memory()
    det, lab = det_columns.detections()
    decisions = _decisions(scenario, truth, frame, tracks, assoc_parts, det, lab, following, fire)
    del tracks, det, lab, assoc_parts
    add_decision_summary(summary, decisions, terrain=scenario.terrain is not None)
    streams.put("decisions", decisions)


def _decisions(scenario: Scenario, truth: Truth, frame: Any, tracks: pa.Table, assoc_parts: list[Any],
               det: Detections, lab: DetectionLabels, following: TrackFollowing, fire: Any) -> pa.Table:
    """``decisions.parquet`` (:mod:`airpicture.decisions`) from the run's associations and stages."""
    from airpicture.decisions import decision_table

    assoc = tuple(np.concatenate([getattr(a, f) for a in assoc_parts]) if assoc_parts else np.zeros(0, dtype)
                  for f, dtype in (("detection_index", np.int64), ("track_id", np.int64), ("started", bool)))
    return decision_table(scenario, truth, frame, tracks, assoc, det, lab, following, fire,
                          scenario.track_capacity)


#: Columns of tracks.parquet the decision log reads (read back from the results folder of a streamed run).
DECISION_TRACK_COLUMNS = ("time_s", "track_id", "status", "event", "sensor_id", "e_m", "n_m", "ve_mps", "vn_mps",
                          "pee_m2", "pnn_m2", "puu_m2", "pen_m2", "peu_m2", "pnu_m2", "quality")


class _DetectionColumns:
    """The columns of every detection the decision log reads (time, radar, range, label: 32 bytes a detection,
    where the whole tables take about 90) while the tables themselves are streamed to disk."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, ...]] = []

    def add(self, det: Detections, lab: DetectionLabels) -> None:
        self._parts.append((det.time_s, det.sensor_id, det.range_m, lab.target_id))

    def detections(self) -> tuple[Detections, DetectionLabels]:
        """Detections and labels holding these columns; the others are zeros that take no memory (broadcast)."""
        if not self._parts:
            return Detections.empty(), DetectionLabels.concat([])
        t, sensor, rng, target = (np.concatenate([p[k] for p in self._parts]) for k in range(4))
        self._parts = []
        zeros = np.broadcast_to(np.zeros(1), t.shape)
        return (Detections(t, sensor, rng, zeros, zeros, zeros, zeros),
                DetectionLabels(target, np.broadcast_to(np.zeros(1, np.int64), t.shape)))


class _Batches:
    """Each window's detections and picture rows, gathered into appends of about :data:`STREAM_BATCH_ROWS` rows:
    a few large Arrow tables instead of one small one per window (the rows and their order are the same)."""

    def __init__(self, streams: Streams) -> None:
        self.streams = streams
        self.written = 0  # detections appended so far (the row of detections.parquet the next one goes to)
        self._det: list[Detections] = []
        self._lab: list[DetectionLabels] = []
        self._det_rows = 0
        self._pic: list[tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._pic_rows = 0

    def add_detections(self, det: Detections, lab: DetectionLabels) -> None:
        self._det.append(det)
        self._lab.append(lab)
        self._det_rows += len(det)
        if self._det_rows >= STREAM_BATCH_ROWS:
            self._flush_detections()

    def add_picture(self, t: float, track_id: np.ndarray, x: np.ndarray, followed: np.ndarray,
                    pos_sigma: np.ndarray) -> None:
        self._pic.append((t, track_id, x, followed, pos_sigma))
        self._pic_rows += track_id.size
        if self._pic_rows >= STREAM_BATCH_ROWS:
            self._flush_picture()

    def _flush_detections(self) -> None:
        if not self._det:
            return
        det, lab = Detections.concat(self._det), DetectionLabels.concat(self._lab)
        self.streams["detections"].append(det.to_table())
        self.streams["detection_labels"].append(lab.to_table(det, first_index=self.written))
        self.written += len(det)
        self._det, self._lab, self._det_rows = [], [], 0

    def _flush_picture(self) -> None:
        if not self._pic:
            return
        sizes = [p[1].size for p in self._pic]
        self.streams["picture"].append(_picture_rows(
            np.repeat([p[0] for p in self._pic], sizes), np.concatenate([p[1] for p in self._pic]),
            np.concatenate([p[2] for p in self._pic]), np.concatenate([p[3] for p in self._pic]),
            np.concatenate([p[4] for p in self._pic])))
        self._pic, self._pic_rows = [], 0

    def flush(self) -> None:
        self._flush_detections()
        self._flush_picture()


def _picture_rows(t: float | np.ndarray, track_id: np.ndarray, x: np.ndarray, followed: np.ndarray,
                  pos_sigma: np.ndarray) -> pa.Table:
    """Rows of ``picture.parquet``: epoch time (one, or one per row), track, state, sigma, followed target."""
    return to_arrow({
        "time_s": np.broadcast_to(np.asarray(t, float), (track_id.size,)).copy(),
        "track_id": np.asarray(track_id, np.int64),
        "e_m": x[:, 0], "n_m": x[:, 1], "u_m": x[:, 2],
        "ve_mps": x[:, 3], "vn_mps": x[:, 4], "vu_mps": x[:, 5],
        "position_sigma_m": pos_sigma, "target_id": np.asarray(followed, np.int64),
    })


def _terrain_table(scenario: Scenario, source: str) -> pa.Table:
    """``terrain.parquet``: the relief and each radar's low-altitude coverage (:mod:`airpicture.terrain.coverage`)."""
    from airpicture.terrain.coverage import coverage_table
    from airpicture.terrain.load import profile_step_m, terrain_grid

    grid = terrain_grid(scenario, source)
    assert grid is not None
    return coverage_table(scenario, frame_of(scenario), grid, profile_step_m(scenario, grid))


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
            "threats_reaching_asset_unopposed": int(np.sum(t.hostile & (t.end_reason == EndReason.IMPACT))),
        },
        "truth_rows": len(truth.samples),
    }


def write_run(result: RunResult, out: Path, overwrite: bool = False, report: bool = True,
              progress: Reporter | None = None) -> Path:
    """Write an in-memory ``result`` into the results folder ``out`` atomically (tables, resolved scenario,
    summary, manifest and, with ``report``, ``report.html``); return ``out``. ``overwrite`` replaces a results
    folder airpicture wrote (see :mod:`airpicture.folders`)."""
    from airpicture.folders import StagedFolder, staged

    progress = progress or Silent()
    progress.stage("write results" + (" · report" if report else ""), total=1)
    staging = staged(Path(out), "run", overwrite)
    with StagedFolder(staging, _about(result.scenario)) as tmp:
        streams = Streams(tmp)
        for name, table in result.tables.items():
            streams.put(name, table)
        _finish_folder(result, tmp, report)
    progress.update(1)
    progress.done()
    return staging.final


def run_into(scenario: Scenario, staging: Staging, source: str = "scenario", report: bool = True,
             progress: Reporter | None = None) -> RunResult:
    """Run ``scenario`` straight into the results folder of ``staging`` (checked; started here if not yet): tables are
    streamed into its temporary folder as the run goes, which is renamed into place only when everything,
    ``report.html`` included, is written; on any failure or interruption nothing is left behind."""
    from airpicture.exits import on_interrupt
    from airpicture.folders import StagedFolder

    progress = progress or Silent()
    if staging.tmp is None:
        staging.start()
    note = f"nothing was written (the unfinished results folder for {staging.final} was removed)"
    with gc_frozen(), on_interrupt(note), StagedFolder(staging, _about(scenario)) as tmp:
        result = run_scenario(scenario, progress, source, folder=tmp)
        result.truth = None  # the tables are on disk: the report reads them, and needs the room
        release_memory()
        progress.stage("write results" + (" · report" if report else ""), total=1)
        _finish_folder(result, tmp, report)
        progress.update(1)
        progress.done()
    return result


@contextmanager
def gc_frozen() -> Iterator[None]:
    """Keep the objects that exist now (modules, compiled kernels, the scenario: a few hundred thousand) out of
    the garbage collector's full passes until the block ends: the collections a run triggers, and those of
    :func:`release_memory`, then visit only the objects the run made (a full pass over everything costs ~0.1 s
    each). Does nothing inside an enclosing block (or a caller's own ``gc.freeze``); the objects are handed back
    to the collector at the end, so garbage among them is collected later as usual."""
    global _FREEZING
    if _FREEZING or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    _FREEZING = True
    try:
        yield
    finally:
        _FREEZING = False
        gc.unfreeze()


_FREEZING = False


def release_memory() -> None:
    """Give the memory freed by a finished stage back to the system: collect garbage (inside :func:`gc_frozen`,
    only what was made since the last call), then ask glibc to return free heap pages (large NumPy arrays raise
    its mmap threshold, after which freed blocks stay in the heap), and Arrow's memory pool to return what it
    keeps for reuse (~60 MB after the saturation scenario's run). Does nothing where ``malloc_trim`` does not
    exist."""
    import ctypes
    import ctypes.util

    gc.collect()
    if _FREEZING:  # what survived (modules imported by the run, say) need not be visited again in this run
        gc.freeze()
    pa.default_memory_pool().release_unused()  # Arrow's own allocator keeps freed blocks for reuse otherwise
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _about(scenario: Scenario) -> dict[str, Any]:
    return {"description": "results of one airpicture run", "scenario": scenario.name, "seed": scenario.seed}


def _finish_folder(result: RunResult, folder: Path, report: bool) -> None:
    (folder / "scenario.toml").write_bytes(tomli_w.dumps(scenario_to_toml_dict(result.scenario)).encode())
    write_json(folder / "summary.json", result.summary)
    if report:
        from airpicture.report import build_report

        build_report(folder)
