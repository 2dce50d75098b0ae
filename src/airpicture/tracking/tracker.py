"""The multi-target tracker: predict, gate, associate, update, initiate, confirm, delete -- in time order.

Composition of the stages of this package (:mod:`.gating`, :mod:`.association`, :mod:`.kernels`,
:mod:`.management`); the tracker never sees truth labels.

Order of processing. ``process(det, looks)`` receives one window of detections from any of the radars. It
cuts them into *batches*: one per :class:`~airpicture.detections.Look` (the detections of that sensor inside
the look's ``[start_s, end_s)``), in order of the looks' start times (then sensor id); detections no look
covers form one batch per sensor after the others (counting hits, but no misses). Within a batch, every
(track, detection) pair is evaluated with the track predicted to *that detection's* time, and every update is
made at the detection's time, so each detection is handled at its own timestamp. A rotating beam sweeps a
target once per look, so a track takes at most one detection (GNN) or one mixture update (JPDA) per batch.
With ``confirmed_first`` (the default) the settled confirmed tracks (``SETTLED_HITS`` hits or more) associate
first, jointly (GNN or JPDA); the tentative tracks and the young confirmed ones then take the detections they
left (with JPDA: summed association probability < 0.5) by GNN, and detections nobody took start new tracks.

Manoeuvre recovery. A settled confirmed track that the look swept without a detection in its gate -- a target
turning harder than the motion model expects lags out of its gate -- gets a second chance before the
tentative tracks: gated again against the detections nobody took with the process noise raised to
``manoeuvre_recovery_accel_mps2`` (each model's own where larger), GNN over the pairs more likely the target's
than clutter's, and the Kalman update with that noise, which re-centres the track and widens its velocity.
Without it the target's detection would start a new track, and the old one would coast as a false track
until deleted: a break, an identity change and a few missed epochs per turn.

Track score. Every track carries the log likelihood ratio of "target" against "false alarms" over its looks
(Blackman & Popoli 1999, sec. 6.2): a hit adds ln Pd + ln N(nu; 0, S) - ln lambda, a miss ln(1 - Pd). With
``confirmation = "score"`` (the default) the confirmation and deletion decisions are a sequential test on it
(:func:`~.management.score_decisions`). Pd is each radar's estimate from the looks at confirmed tracks
(:meth:`Tracker.detection_probability`), so a low Pd makes misses cheaper and deletion slower.

Background density. A pair's score weighs "this track's detection" against "clutter or a new target" (see
:mod:`.association`). The clutter density comes from each radar (or the configuration); with ``new_targets =
"adaptive"`` the background is at least the density of the detections that started new tracks over the radar's
last rotation (a leaky count with a time constant of one rotation) spread uniformly over its coverage in
measurement space. When a raid appears at once, most detections are new targets, not clutter, and an uncertain
candidate track would otherwise take a neighbour's detection rather than leave it to start its own track.

Window ends. A window may end while the beam is still inside a new track's azimuth gate -- wide, as a track
born of one or two detections has no good velocity yet. Two new targets close together would then be mixed up
by where the cut falls: the candidate of the target seen second takes the detection of the one seen first
because it came before the cut, and the same happens at every rotation. With ``defer_at_window_end`` (the
default, with ``confirmed_first``), the second stage holds back the gated clusters that contain a track with
fewer than ``SETTLED_HITS`` hits whose gate's trailing edge the beam has not yet passed: their detections are
carried into the same radar's first batch of the next call and associated there with the detections that
follow; a look of more than half a turn is then split in two at half a turn, so that the carried detections
never meet their targets' next detections of the following rotation (only detections of a look's last half turn
are held). Settled confirmed tracks never wait, so the published picture loses little; a carried detection is
never carried twice, a held track's miss (if the look swept it) is counted with its carried detections, and
:meth:`Tracker.flush` processes what is left at the end.

Coverage. At the end of each call, a track whose predicted position has left every radar's instrumented range or
gone below every radar's horizon is deleted (``delete_outside_coverage``, :mod:`.coverage`).

Out of order. Batches of different radars can interleave in time: a track updated by radar A at 0.8 s may
then meet a detection of radar B at 0.3 s. It is then retrodicted (predicted by a negative dt, see
:mod:`.kernels`: mean moved back, covariance grown, never shrunk), updated, and its time becomes 0.3 s. This
loses a little information (the exact out-of-sequence update would also use the cross-covariance) but is
never overconfident; within a 1 s window the effect is small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from airpicture.detections import Detections, Look
from airpicture.geodesy import LocalFrame
from airpicture.picture import Picture
from airpicture.scenario import Radar, TrackerConfig
from airpicture.tracking import kernels
from airpicture.tracking.association import assign_gnn, assign_gnn_leftovers, clusters, jpda_marginals
from airpicture.tracking.coverage import sigma_from_trace
from airpicture.tracking.gating import PREGATE_MARGIN, candidate_pairs, gate_thresholds, polar_boxes
from airpicture.tracking.history import DELETED, History
from airpicture.tracking.management import (
    confirmation_threshold,
    gate_open,
    initial_states,
    resolve_capacity,
    status_decisions,
    swept_unhit,
)
from airpicture.tracking.models import motion_models
from airpicture.tracking.sensors import DetectionBatch, SensorTable
from airpicture.tracking.store import CONFIRMED, TENTATIVE, TrackStore, without
from airpicture.vocab import TrackEvent

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

_EMPTY = np.zeros(0, np.int64)
#: tracks with fewer hits associate with the tentative ones (GNN after the settled confirmed tracks, held over a
#: window end while their gate is open): two points fix a velocity only roughly
SETTLED_HITS = 3
#: margins of the coverage test, in standard deviations of the predicted position (see :mod:`.coverage`): beyond
#: the range by one sigma (measured on recorded traffic leaving a 110 km radar: fewer false tracks, no more missed
#: targets); below the horizon by two (a low flier's height is the least certain part of its track: with one
#: sigma, tracks of circling low fliers near the horizon were deleted while their targets were still seen)
COVERAGE_MARGIN_SIGMA = 2.0
COVERAGE_RANGE_MARGIN_SIGMA = 1.0
#: manoeuvre recovery takes a detection only if its score (log likelihood ratio against clutter) exceeds this
RECOVERY_MIN_SCORE = 0.0


@dataclass(frozen=True)
class Associations:
    """Which detection updated or started which track. ``detection_index`` counts every detection given to
    ``process`` since the tracker was made (0 = the first row of the first call); ``first_index`` is the index
    of the first row of this call: a detection of this call is row ``detection_index - first_index`` of its
    ``Detections``, one carried from the previous call (see the module doc) has a negative row there.

    GNN: every assigned pair and every new track. JPDA: for each track more likely detected than not
    (1 - beta_0 >= 0.5), its most probable detection; and every new track. Sorted by detection index."""

    detection_index: I64
    track_id: I64
    started: NDArray[np.bool_]
    first_index: int = 0

    def __len__(self) -> int:
        return int(self.detection_index.shape[0])


class Tracker:
    """Multi-target tracker over the radars ``radars`` in site frame ``frame``.

    ``capacity``: most confirmed tracks held (None: ``config.capacity``, unlimited if that is None too);
    ``assets_en``: (K, 2) east/north of the defended assets, metres (for ``capacity_rule = keep_threatening``);
    ``record_history``: keep the rows of :meth:`history_table` (on by default).
    """

    def __init__(self, config: TrackerConfig, radars: Sequence[Radar], frame: LocalFrame,
                 capacity: int | None = None, assets_en: np.ndarray | None = None, *,
                 record_history: bool = True) -> None:
        self.config = config
        self.sensors = SensorTable(radars, frame)
        self.models = motion_models(config.model)
        self.capacity = capacity if capacity is not None else config.capacity
        self.assets_en = None if assets_en is None else np.asarray(assets_en, dtype=float).reshape(-1, 2)
        self.store = TrackStore(self.models.count, len(self.sensors))
        self.history = History(record_history)
        self.gamma = gate_thresholds(config.gate_probability)
        self._gate_k3 = math.sqrt(float(self.gamma[3]))  # gate half-width in sigmas (3-D detections)
        longest_scan = max((r.scan_period_s for r in radars), default=1.0)
        self._longest_scan_s = longest_scan
        #: per sensor: looks at confirmed tracks and their hits, for the Pd estimate (see :meth:`detection_probability`)
        self._pd_looks = np.zeros(len(self.sensors))
        self._pd_hits = np.zeros(len(self.sensors))
        self._set_pd(config.detection_probability)
        #: per model: process noise of a manoeuvre recovery update (m^2/s^3), None when recovery is off
        a = config.manoeuvre_recovery_accel_mps2
        self._q_recovery = None if a is None else np.maximum(self.models.q, a * a)
        self._time = -math.inf
        self._seen = 0  # detections given to process so far
        self._carry = Detections.empty()  # detections held back at the end of the last call
        self._carry_index = _EMPTY  # ... and their detection indices
        #: per sensor: (slots, track ids) of held tracks the last look swept, whose miss waits for the next batch
        self._pending_miss: dict[int, tuple[I64, I64]] = {}
        #: per sensor: new tracks per rotation (leaky count) and coverage in measurement space, m rad^2
        self._births_per_turn = np.zeros(len(self.sensors))
        self._false_alarms_per_scan = [self.sensors.false_alarms_per_scan(k, config.clutter_density)
                                       for k in range(len(self.sensors))]
        self._coverage = np.array([(si.max_range_m - si.min_range_m) * 2.0 * math.pi
                                   * max(si.elevation_max_rad - si.elevation_min_rad, 1e-6)
                                   for si in self.sensors.sensors])
        self.counters = {"started": 0, "confirmed": 0, "updates": 0, "deleted_misses": 0, "deleted_m_of_n": 0,
                         "deleted_score": 0, "deleted_coverage": 0, "deleted_sigma": 0, "deleted_coast": 0,
                         "refused": 0, "dropped": 0, "max_confirmed": 0,
                         "jpda_approximated_clusters": 0, "carried_detections": 0, "recovered": 0}
        #: Every refusal and drop at capacity, in order: the time (s) and the id of the refused/dropped track.
        self.refused_times_s: list[float] = []
        self.refused_track_ids: list[int] = []
        self.dropped_times_s: list[float] = []
        self.dropped_track_ids: list[int] = []

    # ------------------------------------------------------------------------------------------ public API
    def process(self, det: Detections, looks: Sequence[Look] = ()) -> Associations:
        """Track one window of detections (any radars) with the looks of that window; see the module doc."""
        first = self._seen
        self._seen += len(det)
        n_carry = len(self._carry)
        index = first + np.arange(len(det), dtype=np.int64)
        if n_carry:
            index = np.concatenate([self._carry_index, index])
            det = Detections.concat([self._carry, det])
        carried = np.arange(len(det)) < n_carry
        sidx = self.sensors.index_of(det.sensor_id)
        if len(det) and np.count_nonzero(sidx < 0):
            bad = int(det.sensor_id[np.argmax(sidx < 0)])
            raise ValueError(f"detection from unknown sensor id {bad}")
        out: list[tuple[I64, I64, NDArray[np.bool_]]] = []
        held: list[I64] = []
        t_end = -math.inf
        for k, rows, look, may_hold in self._plan(det, sidx, looks, carried):
            di, ti, st, hold = self._batch(k, det, rows, look, carried, may_hold)
            out.append((di, ti, st))
            held.append(hold)
            if rows.size:  # rows are in time order
                t_end = max(t_end, float(det.time_s[rows[-1]]))
            if look is not None:
                t_end = max(t_end, float(look.end_s))
        hold = np.sort(np.concatenate(held)) if held else _EMPTY
        if hold.size:
            self._carry, self._carry_index = det.take(hold), index[hold]
            self.counters["carried_detections"] += int(hold.shape[0])
        else:
            self._carry, self._carry_index = _NO_DETECTIONS, _EMPTY
        if math.isfinite(t_end):
            self._prune(t_end)
            self._time = max(self._time, t_end)
        if out:
            di, ti, st = out[0] if len(out) == 1 else (np.concatenate([o[c] for o in out]) for c in range(3))
            order = np.argsort(index[di], kind="stable")
            return Associations(index[di[order]], ti[order], st[order], first)
        return Associations(_EMPTY, _EMPTY, np.zeros(0, bool), first)

    def flush(self) -> Associations:
        """Process the detections held back at the end of the last call (see the module doc); call it once
        after the last window so that every detection is used."""
        return self.process(Detections.empty())

    def picture(self, t: float) -> Picture:
        """Confirmed tracks predicted to ``t`` (s), sorted by track id -- those the sensors support: missed by at
        most ``picture_max_misses`` looks in a row, updated within ``picture_max_age_scans`` scans of the slowest
        radar, and (``picture_in_coverage``) not predicted above every radar's highest elevation. Does not change
        the tracker."""
        s = self.store
        n = s.size
        shown = s.alive[:n] & (s.status[:n] == CONFIRMED)  # masks over all slots: no gathers of the live ones
        if self.config.picture_max_misses is not None:
            shown &= s.misses[:n] <= self.config.picture_max_misses
        if self.config.picture_max_age_scans is not None:
            shown &= (float(t) - s.last_update_s[:n]) <= self.config.picture_max_age_scans * self._longest_scan_s
        conf = shown.nonzero()[0].astype(np.int64, copy=False)
        conf = conf[np.argsort(s.track_id[conf], kind="stable")]
        if conf.size == 0:
            return Picture.empty(float(t))
        x, P = self._predict(conf, float(t))
        if self.config.picture_in_coverage:
            hidden = self.sensors.coverage.above_ceiling(x[:, :3])
            if np.count_nonzero(hidden):
                keep = ~hidden
                conf, x, P = conf[keep], x[keep], P[keep]
                if conf.size == 0:
                    return Picture.empty(float(t))
        return Picture(float(t), s.track_id[conf], x, P, s.last_update_s[conf])

    def history_table(self) -> pa.Table:
        """``tracks.parquet``: one row per track event (see :mod:`.history`)."""
        return self.history.table()

    def stats(self) -> dict:
        """Counters for ``summary.json``: tracks started/confirmed/deleted (by reason), refusals and drops at
        capacity with their times, most confirmed tracks at once, tracks live now."""
        s = self.store
        act = s.active()
        return {
            **self.counters,
            "deleted": (self.counters["deleted_misses"] + self.counters["deleted_m_of_n"]
                        + self.counters["deleted_score"] + self.counters["deleted_coverage"]
                        + self.counters["deleted_sigma"] + self.counters["deleted_coast"]
                        + self.counters["refused"] + self.counters["dropped"]),
            "capacity": self.capacity,
            "capacity_rule": self.config.capacity_rule,
            "refused_times_s": list(self.refused_times_s),
            "dropped_times_s": list(self.dropped_times_s),
            "pd_estimate": [self.detection_probability(k) for k in range(len(self.sensors))],
            "live_tentative": int(np.sum(s.status[act] == TENTATIVE)),
            "live_confirmed": int(np.sum(s.status[act] == CONFIRMED)),
        }

    # ------------------------------------------------------------ the engine's protocol (airpicture.stages)
    _refusals_taken: int = 0  # refusals handed out by take_refusals so far

    def take_refusals(self) -> tuple[F64, I64]:
        """Capacity refusals since the last call, in order: (times s, ids of the refused candidate tracks)."""
        n = self._refusals_taken
        self._refusals_taken = len(self.refused_track_ids)
        return (np.asarray(self.refused_times_s[n:], np.float64),
                np.asarray(self.refused_track_ids[n:], np.int64))

    def live_track_ids(self) -> I64:
        """Ids of the tracks held now (tentative or confirmed)."""
        s = self.store
        return s.track_id[s.active()]

    def track_slots(self) -> int:
        """Slots of the track store now (at least the live tracks)."""
        return int(self.store.capacity)

    def history_rows(self) -> int:
        """Rows of the track history held in memory."""
        return len(self.history)

    def drain_history(self, before_s: float) -> pa.Table:
        """Remove and return the history rows earlier than ``before_s`` (see :meth:`.History.drain`)."""
        return self.history.drain(before_s)

    def coast_limit_s(self) -> float:
        """A track not updated for this long (s) is deleted: no radar is looking at it any more.
        ``delete_coast_s`` if set; otherwise one scan of the slowest radar more than the misses that delete a
        confirmed track -- ``delete_misses`` (M-of-N), or those that take its score ``delete_score_drop`` down at
        the lowest current Pd estimate (score)."""
        cfg = self.config
        if cfg.delete_coast_s is not None:
            return cfg.delete_coast_s
        misses = float(cfg.delete_misses)
        if cfg.confirmation == "score":
            pd = min((self.detection_probability(k) for k in range(len(self.sensors))),
                     default=cfg.detection_probability)
            misses = math.ceil(cfg.delete_score_drop / -math.log1p(-min(max(pd, 1e-3), 1.0 - 1e-3)))
        return (misses + 1.0) * self._longest_scan_s

    def detection_probability(self, k: int) -> float:
        """Pd of sensor number ``k`` used in the track score and JPDA: with ``detection_probability_estimate``,
        hits / looks at confirmed tracks with ``detection_probability`` as a prior worth
        ``detection_probability_prior_looks`` looks (a Beta posterior mean); otherwise the configured figure."""
        cfg = self.config
        if not cfg.detection_probability_estimate:
            return cfg.detection_probability
        w = cfg.detection_probability_prior_looks
        return float((cfg.detection_probability * w + self._pd_hits[k]) / (w + self._pd_looks[k]))

    # ------------------------------------------------------------------------------------------ internals
    def _set_pd(self, pd: float) -> None:
        """The score terms of a detection probability: ln(Pd / (1 - Pd)) of a hit and ln(1 - Pd) of a miss."""
        pd = min(max(pd, 1e-3), 1.0 - 1e-3)
        self._ln_pd_ratio = math.log(pd) - math.log1p(-pd)
        self._ln_miss = math.log1p(-pd)

    def _plan(self, det: Detections, sidx: I64, looks: Sequence[Look],
              carried: NDArray[np.bool_]) -> list[tuple[int, I64, Look | None, bool]]:
        """Batches (sensor, rows of ``det`` in time order, look or None, whether it may hold detections back):
        one per look, in order of the looks' start (then sensor id); a sensor's carried detections join its first
        look (split at half a turn if longer: its first half never holds back, or what it held would meet its
        targets' next detections in the next call); detections no look covers form one batch per sensor after
        the others."""
        t = det.time_s
        taken = np.zeros(len(det), dtype=bool)
        items: list[tuple[tuple[float, int, int], int, I64, Look | None, bool]] = []
        has_carry = set(np.unique(sidx[carried]).tolist()) if np.count_nonzero(carried) else set()
        n_taken = 0
        seen: set[int] = set()  # sensors with a batch so far: only their own batches take their rows
        split: list[Look] = []
        first_halves: set[int] = set()  # ids of the first parts of split looks: they never hold detections back
        for look in looks:
            k = self.sensors.position_of(look.sensor_id)
            if k in has_carry and look.sweep_deg > 180.0:
                # carried detections meet the first half turn only, never the same targets one turn later
                mid = look.start_s + (look.end_s - look.start_s) * 180.0 / look.sweep_deg
                head = Look(look.sensor_id, look.start_s, mid, look.az_start_deg, 180.0)
                first_halves.add(id(head))
                split.append(head)
                split.append(Look(look.sensor_id, mid, look.end_s, (look.az_start_deg + 180.0) % 360.0,
                                  look.sweep_deg - 180.0))
            else:
                split.append(look)
        for look in sorted(split, key=lambda lk: (lk.start_s, lk.sensor_id)):
            k = self.sensors.position_of(look.sensor_id)
            if k < 0:
                raise ValueError(f"look of unknown sensor id {look.sensor_id}")
            sel = (sidx == k) & (t >= look.start_s) & (t < look.end_s)
            if has_carry:
                sel |= (sidx == k) & carried
            if k in seen:
                sel &= ~taken
            seen.add(k)
            rows = sel.nonzero()[0]
            rows = rows[np.argsort(t[rows], kind="stable")]
            taken[rows] = True
            n_taken += rows.shape[0]
            items.append(((look.start_s, 0, look.sensor_id), k, rows, look, id(look) not in first_halves))
        if n_taken < taken.shape[0]:
            for k in np.unique(sidx[~taken]).tolist():
                rows = ((sidx == k) & ~taken).nonzero()[0]
                rows = rows[np.argsort(t[rows], kind="stable")]
                items.append(((float(t[rows[0]]), 1, self.sensors.sensors[k].radar.id), k, rows, None, False))
        items.sort(key=lambda it: it[0])
        return [(k, rows, look, may_hold) for _, k, rows, look, may_hold in items]

    def _predict(self, slots: I64, t: float) -> tuple[F64, F64]:
        s = self.store
        x = np.empty((slots.shape[0], 6))
        P = np.empty((slots.shape[0], 6, 6))
        kernels.predict(slots, s, t, self.models, x, P)
        return x, P

    def _batch(self, k: int, det: Detections, rows: I64, look: Look | None, carried: NDArray[np.bool_],
               may_hold: bool = True) -> tuple[I64, I64, NDArray[np.bool_], I64]:
        """One batch: associate and update, count hits and misses, start tracks, decide. Returns (rows of
        ``det`` that updated or started a track, those tracks' ids, started flags, rows held back)."""
        cfg = self.config
        s = self.store
        sensor = self.sensors.sensors[k]
        pre = s.active()
        out_det: list[I64] = []
        out_trk: list[I64] = []
        hit = _EMPTY
        hit_time = _NO_SCORE
        self._set_pd(self.detection_probability(k))
        b = self.sensors.batch(k, det, rows, cfg.clutter_density) if rows.size else None
        if b is not None and cfg.new_targets == "adaptive" and self._births_per_turn[k] > 0.0:
            log_birth: float | F64 = math.log(self._births_per_turn[k] / self._coverage[k])
            if b.with_rr and np.count_nonzero(b.dim == 4):
                log_birth = log_birth - np.where(b.dim == 4, math.log(2.0 * sensor.radar.max_range_rate_mps), 0.0)
            np.maximum(b.log_clutter, log_birth, out=b.log_clutter)  # the batch's own array
        used = np.zeros(rows.shape[0], dtype=bool)
        hold = np.zeros(rows.shape[0], dtype=bool)
        held = _EMPTY
        pending = self._pending_miss.pop(k, None)
        if b is not None and pre.size:
            hit, hit_time, used, hold, held = self._associate_and_update(k, b, pre, look, carried[rows], may_hold,
                                                                         out_det, out_trk)
        # hits
        if hit.size:
            s.hit(hit, hit_time, k)
        # misses: tracks the look swept over without a hit
        missed = _EMPTY
        if look is not None and pre.size:
            others = without(pre, hit, s.size)
            if others.size:
                missed = others[self._swept_unhit(others, look, k)]
                if held.size:  # a held track's miss waits for its carried detections
                    wait = _member(missed, held, s.size)
                    self._pending_miss[k] = (missed[wait], s.track_id[missed[wait]])
                    missed = missed[~wait]
        if pending is not None:
            # held tracks the previous look swept: missed unless a carried detection has now updated them
            slots, ids = pending
            late = slots[s.alive[slots] & (s.track_id[slots] == ids)]
            missed = np.concatenate([missed, late[~_member(late, hit, s.size)]])
        n_hit, n_missed = s.miss(missed, hit, self._ln_miss)
        if look is not None:  # looks at confirmed tracks, for the Pd estimate
            self._pd_hits[k] += n_hit
            self._pd_looks[k] += n_hit + n_missed
        # births from detections no track took
        born = _EMPTY
        new = (~used & ~hold if held.size else ~used).nonzero()[0]  # nothing held back: hold is all False
        if b is not None and new.size:
            born = self._initiate(k, b, new)
            out_det.append(b.index[new])
            out_trk.append(s.track_id[born])
        if look is not None:
            # new tracks per rotation: a leaky count with a time constant of one rotation
            self._births_per_turn[k] = (self._births_per_turn[k] * math.exp(-float(look.sweep_deg) / 360.0)
                                        + born.shape[0])
        elif born.size:
            self._births_per_turn[k] += born.shape[0]
        t_event = float(look.end_s) if look is not None else float(b.time_s.max()) if b is not None else self._time
        self._decide(np.concatenate([hit, missed, born]), t_event, k)
        n_born = born.shape[0]
        if out_det:
            di = np.concatenate(out_det)
            ti = np.concatenate(out_trk)
            started = np.zeros(di.shape[0], dtype=bool)
            started[di.shape[0] - n_born:] = True
            return di, ti, started, rows[hold]
        return _EMPTY, _EMPTY, np.zeros(0, bool), rows[hold]

    def _associate_and_update(self, k: int, b: DetectionBatch, pre: I64, look: Look | None, carried: NDArray,
                              may_hold: bool, out_det: list, out_trk: list):
        """Gate, associate and update the tracks ``pre`` with batch ``b`` (``carried``: its detections carried
        from the previous call; ``may_hold``: whether the batch may hold detections back). Returns (hit slots,
        their detection times, mask of detections taken by tracks, mask of detections held back to the next call,
        slots of the tracks held with them)."""
        cfg = self.config
        s = self.store
        sensor = self.sensors.sensors[k]
        n_det = b.time_s.shape[0]
        used = np.zeros(n_det, dtype=bool)
        hold = np.zeros(n_det, dtype=bool)
        t_lo, t_hi = float(b.time_s[0]), float(b.time_s[-1])  # a batch is in time order (see _plan)
        n = pre.shape[0]
        lo = np.empty((n, 3))
        hi = np.empty((n, 3))
        with_rr = b.with_rr
        gamma = self.gamma[4] if with_rr else self.gamma[3]
        polar_boxes(pre, s.t, s.x, s.P, self.models.q_max, t_lo, t_hi, sensor.position, sensor.rotation,
                    b.sigma_max, gamma, PREGATE_MARGIN, lo, hi)
        pt, pd = candidate_pairs(lo, hi, b.z)
        if pt.size == 0:
            return _EMPTY, np.zeros(0), used, hold, _EMPTY
        pslot = pre[pt]
        d2 = np.empty(pt.shape[0])
        lnn = np.empty(pt.shape[0])
        kernels.gate(pslot, pd, s, b, sensor, self.models, d2, lnn, self.gamma)
        ok = d2 <= (self.gamma[b.dim[pd]] if with_rr else self.gamma[3])
        pt, pd, pslot, lnn = pt[ok], pd[ok], pslot[ok], lnn[ok]
        if pt.size == 0:
            return _EMPTY, np.zeros(0), used, hold, _EMPTY
        score = lnn + self._ln_pd_ratio - b.log_clutter[pd]
        gnn = cfg.association == "gnn"
        if not cfg.confirmed_first:
            if gnn:
                return (*self._apply_gnn(k, b, *self._choose_gnn(b, pt, pd, pslot, score, n), out_det, out_trk),
                        hold, _EMPTY)
            return (*self._update_jpda(k, b, pt, pd, pslot, score, n, out_det, out_trk), hold, _EMPTY)
        # confirmed tracks first; tentative tracks take what they leave by GNN. With GNN both stages are chosen
        # first and updated in one call (their tracks are distinct, and neither choice reads an updated state)
        conf = (s.status[pslot] == CONFIRMED) & (s.n_hits[pslot] >= SETTLED_HITS)
        if gnn:
            cs_c, cd_c, inc_c = self._choose_gnn(b, pt[conf], pd[conf], pslot[conf], score[conf], n)
            hit_c = cs_c
            used_c = np.zeros(n_det, dtype=bool)
            used_c[cd_c] = True
            all_used = cd_c.shape[0] == n_det  # GNN gives a detection to one track at most
        else:
            hit_c, time_c, used_c = self._update_jpda(k, b, pt[conf], pd[conf], pslot[conf], score[conf], n, out_det,
                                                      out_trk)
            all_used = bool(used_c.all())
        hit_r = _EMPTY
        if self._q_recovery is not None and look is not None and not all_used:
            hit_r, time_r, used_r = self._recover(k, b, pre, look, hit_c, used_c, out_det, out_trk)
            if hit_r.size:
                used_c = used_c | used_r
                if not gnn:
                    time_c = np.concatenate([time_c, time_r])
        rest = (~conf & ~used_c[pd]).nonzero()[0]
        held = _EMPTY
        if rest.size and look is not None and may_hold and cfg.defer_at_window_end:
            keep = self._not_held(k, look, pt[rest], pd[rest], pslot[rest], n, b.time_s, carried)
            hold[pd[rest[~keep]]] = True
            held = _slots_in(pslot[rest[~keep]], s.size)
            rest = rest[keep]
        cs_t, cd_t, inc_t = self._choose_gnn(b, pt[rest], pd[rest], pslot[rest], score[rest], n)
        if not gnn:
            hit_t, time_t, used_t = self._apply_gnn(k, b, cs_t, cd_t, inc_t, out_det, out_trk)
            return (np.concatenate([hit_c, hit_r, hit_t]), np.concatenate([time_c, time_t]), used_c | used_t, hold,
                    held)
        hit_t, time_t, used_t = self._apply_gnn(k, b, np.concatenate([cs_c, cs_t]), np.concatenate([cd_c, cd_t]),
                                                np.concatenate([inc_c, inc_t]), out_det, out_trk)
        if hit_r.size == 0:  # hits (and their times and detections) of the confirmed tracks, then the tentative
            return hit_t, time_t, used_t, hold, held
        # keep the order hit by stage: confirmed, recovered, tentative
        n_c = cs_c.shape[0]
        return (np.concatenate([hit_c, hit_r, hit_t[n_c:]]), np.concatenate([time_t[:n_c], time_r, time_t[n_c:]]),
                used_c | used_t, hold, held)

    def _recover(self, k: int, b: DetectionBatch, pre: I64, look: Look, hit: I64, used: NDArray[np.bool_],
                 out_det: list, out_trk: list) -> tuple[I64, F64, NDArray[np.bool_]]:
        """Manoeuvre recovery (see the module doc): the confirmed tracks of ``pre`` that this look swept without
        a detection try the detections nobody took (``~used``) again with the manoeuvre process noise; GNN over
        the pairs more likely target than clutter, and the Kalman update with that noise. Returns (updated slots,
        their detection times, mask of the detections they took -- empty when none was updated)."""
        s = self.store
        sensor = self.sensors.sensors[k]
        n_det = b.time_s.shape[0]
        none = _NO_RECOVERY
        cand = s.settled_unhit(pre, hit, SETTLED_HITS)
        if cand.size == 0:
            return none
        cand = cand[self._swept_unhit(cand, look, k)]
        free = (~used).nonzero()[0]
        if cand.size == 0 or free.size == 0:
            return none
        q = self._q_recovery
        assert q is not None  # only called with manoeuvre recovery on
        lo = np.empty((cand.shape[0], 3))
        hi = np.empty((cand.shape[0], 3))
        gamma = self.gamma[4] if b.with_rr and np.count_nonzero(b.dim[free] == 4) else self.gamma[3]
        sig_max = b.sigma_max if b.uniform_sigma else b.sigma[free, :3].max(axis=0)
        polar_boxes(cand, s.t, s.x, s.P, float(q.max()), float(b.time_s[free[0]]), float(b.time_s[free[-1]]),
                    sensor.position, sensor.rotation, sig_max, gamma, PREGATE_MARGIN, lo, hi)
        ct, cd = candidate_pairs(lo, hi, b.z[free])
        if ct.size == 0:
            return none
        pslot, pd = cand[ct], free[cd]
        d2 = np.empty(ct.shape[0])
        lnn = np.empty(ct.shape[0])
        kernels.gate(pslot, pd, s, b, sensor, self.models, d2, lnn, self.gamma, q)
        score = lnn + self._ln_pd_ratio - b.log_clutter[pd]
        ok = (d2 <= self.gamma[b.dim[pd]]) & (score > RECOVERY_MIN_SCORE)
        ct, pslot, pd, score = ct[ok], pslot[ok], pd[ok], score[ok]
        if ct.size == 0:
            return none
        ch = assign_gnn(ct, pd, score, cand.shape[0], n_det)
        cs, cdet = pslot[ch], pd[ch]
        kernels.update(cs, cdet, s, b, sensor, self.models, q)
        s.score_hits(cs, self._ln_miss + score[ch])
        used_r = np.zeros(n_det, dtype=bool)
        used_r[cdet] = True
        self.counters["updates"] += int(cs.shape[0])
        self.counters["recovered"] += int(cs.shape[0])
        self.history.add_slots(s, cs, TrackEvent.UPDATE, sensor.radar.id)
        out_det.append(b.index[cdet])
        out_trk.append(s.track_id[cs])
        return cs, b.time_s[cdet], used_r

    def _swept_unhit(self, slots: I64, look: Look, k: int) -> NDArray[np.bool_]:
        """Mask of ``slots`` the look of sensor number ``k`` swept (see :func:`~.management.swept`) and that
        were not hit by that sensor less than half a rotation before the beam pointed at them (a track hit just
        before was hit by the previous look, not missed by this one): see
        :func:`~.management.swept_unhit`."""
        s = self.store
        sensor = self.sensors.sensors[k]
        out = np.empty(slots.shape[0], dtype=bool)
        swept_unhit(slots, s.t, s.x, s.P, self.models.q_max, self._gate_k3, float(look.start_s), float(look.end_s),
                    sensor.position, sensor.rotation, float(look.az_start_deg) / 360.0, float(look.sweep_deg) / 360.0,
                    sensor.min_range_m, sensor.max_range_m, sensor.elevation_min_rad, sensor.elevation_max_rad,
                    s.last_hit_s[:, k], 0.5 * sensor.period_s, out)
        return out

    def _not_held(self, k: int, look: Look, pt: I64, pd: I64, pslot: I64, n: int, t_det: F64,
                  carried: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """Mask of the gated pairs (tentative stage) to associate now: the others form clusters holding a track
        with one hit whose azimuth gate the beam has not left at the look's end, and no carried detection."""
        s = self.store
        sensor = self.sensors.sensors[k]
        first = _slots_in(pslot[s.n_hits[pslot] < SETTLED_HITS], s.size)
        if first.size == 0:
            return np.ones(pt.shape[0], dtype=bool)
        is_open = np.zeros(first.shape[0], dtype=bool)
        gate_open(first, s.t, s.x, s.P, self.models.q_max, math.sqrt(self.gamma[3]), float(look.end_s),
                  (float(look.az_start_deg) + float(look.sweep_deg)) / 360.0, sensor.position, sensor.rotation,
                  is_open)
        if not np.count_nonzero(is_open):
            return np.ones(pt.shape[0], dtype=bool)
        open_slot = np.zeros(s.size, dtype=bool)
        open_slot[first[is_open]] = True
        # only clusters whose detections all lie in the look's last half turn: in a longer look, a gate just past
        # the look's start is also "ahead of the beam" at its end, but its detections were swept a turn earlier,
        # and the same target's next detection would meet them in the next call
        late = t_det[pd] >= float(look.end_s) - 0.5 * sensor.period_s
        label, n_cl = clusters(pt, pd, n, t_det.shape[0])
        held = np.zeros(n_cl, dtype=bool)
        held[label[open_slot[pslot] & late]] = True
        held[label[carried[pd] | ~late]] = False  # a cluster with an earlier detection is decided now
        return ~held[label]

    def _choose_gnn(self, b: DetectionBatch, pt: I64, pd: I64, pslot: I64, score: F64,
                    n: int) -> tuple[I64, I64, F64]:
        """Global-nearest-neighbour assignment of the gated pairs: the best joint assignment, then the gated
        leftovers (see :func:`~.association.assign_gnn_leftovers`). Returns (chosen slots, their detections,
        their score increments)."""
        if pt.size == 0:
            return _EMPTY, _EMPTY, _NO_SCORE
        ch = assign_gnn_leftovers(pt, pd, score, score - self._ln_pd_ratio + b.log_clutter[pd], n,
                                  b.time_s.shape[0])
        return pslot[ch], pd[ch], self._ln_miss + score[ch]

    def _apply_gnn(self, k: int, b: DetectionBatch, cs: I64, cd: I64, inc: F64, out_det: list,
                   out_trk: list) -> tuple[I64, F64, NDArray[np.bool_]]:
        """The Kalman update of the chosen pairs (slots ``cs``, detections ``cd``, score increments ``inc``).
        Returns (updated slots, their detection times, mask of the detections they took)."""
        s = self.store
        used = np.zeros(b.time_s.shape[0], dtype=bool)
        if cs.size == 0:
            return _EMPTY, _NO_SCORE, used
        sensor = self.sensors.sensors[k]
        kernels.update(cs, cd, s, b, sensor, self.models)
        s.score_hits(cs, inc)
        used[cd] = True
        self.counters["updates"] += int(cs.shape[0])
        self.history.add_slots(s, cs, TrackEvent.UPDATE, sensor.radar.id)
        out_det.append(b.index[cd])
        out_trk.append(s.track_id[cs])
        return cs, b.time_s[cd], used

    def _update_jpda(self, k: int, b: DetectionBatch, pt: I64, pd: I64, pslot: I64, score: F64, n: int,
                     out_det: list, out_trk: list) -> tuple[I64, F64, NDArray[np.bool_]]:
        """Exact JPDA per cluster of the gated pairs (sorted by track) and the mixture update of every gated
        track. Returns (tracks whose detection probability is >= 0.5, the time of their most probable
        detection, mask of the detections whose summed association probability is >= 0.5)."""
        s = self.store
        sensor = self.sensors.sensors[k]
        n_det = b.time_s.shape[0]
        if pt.size == 0:
            return _EMPTY, np.zeros(0), np.zeros(n_det, dtype=bool)
        beta, beta0, n_approx = jpda_marginals(pt, pd, score, n, n_det)
        self.counters["jpda_approximated_clusters"] += n_approx
        starts = np.concatenate(([0], np.flatnonzero(np.diff(pt)) + 1))
        tptr = np.concatenate((starts, [pt.shape[0]])).astype(np.int64)
        kernels.update_pda(tptr, pslot, pd, beta, beta0[starts], s, b, sensor, self.models)
        upd = pslot[starts]
        s.score_hits(upd, self._ln_miss + _log1p_sum_exp(score, starts))
        self.counters["updates"] += int(upd.shape[0])
        self.history.add_slots(s, upd, TrackEvent.UPDATE, sensor.radar.id)
        used = np.bincount(pd, weights=beta, minlength=n_det) >= 0.5
        detected = (1.0 - beta0[starts]) >= 0.5
        # most probable detection of each detected track
        best = np.maximum.reduceat(beta, starts)
        is_best = beta == np.repeat(best, np.diff(tptr))
        first_best = np.zeros(pt.shape[0], dtype=bool)
        cand = np.flatnonzero(is_best)
        grp = np.searchsorted(starts, cand, side="right") - 1
        keep = np.ones(cand.shape[0], dtype=bool)
        keep[1:] = grp[1:] != grp[:-1]
        first_best[cand[keep]] = True
        sel = np.flatnonzero(first_best & np.repeat(detected, np.diff(tptr)))
        out_det.append(b.index[pd[sel]])
        out_trk.append(s.track_id[pslot[sel]])
        return pslot[sel], b.time_s[pd[sel]], used

    def _initiate(self, k: int, b: DetectionBatch, new: I64) -> I64:
        cfg = self.config
        s = self.store
        sensor = self.sensors.sensors[k]
        x0 = np.empty((new.shape[0], 6))
        P0 = np.empty((new.shape[0], 6, 6))
        initial_states(b.z[new], b.sigma[new], sensor.position, sensor.rotation, cfg.initial_speed_sigma_mps,
                       cfg.vertical_speed_prior_mps, self.sensors.earth_radius_m, x0, P0)
        slots = s.new_slots(new.shape[0])
        s.start(slots, b.time_s[new], x0, P0, self.models.initial_mode_probabilities, k)
        self.counters["started"] += int(slots.shape[0])
        self.history.add_slots(s, slots, TrackEvent.START, sensor.radar.id)
        return slots

    def _delete(self, slots: I64, t: float, event: TrackEvent) -> None:
        if slots.size == 0:
            return
        s = self.store
        x, P = self._predict(slots, t)
        self.history.add(t, s.track_id[slots], DELETED, event, -1, x, P, s.llr[slots])
        self.counters[event] += int(slots.shape[0])
        s.free(slots)

    def confirm_threshold(self, k: int) -> float:
        """The score confirming a tentative track at a look of sensor number ``k`` (see
        :func:`~.management.confirmation_threshold`; false alarms per scan from the radar's model,
        :meth:`~.sensors.SensorTable.false_alarms_per_scan`)."""
        cfg = self.config
        return confirmation_threshold(cfg.confirm_score, self._false_alarms_per_scan[k], cfg.confirm_false_rate)

    def _decide(self, touched: I64, t_event: float, k: int) -> None:
        cfg = self.config
        s = self.store
        if touched.size == 0:
            return
        # hit, missed and new tracks are disjoint sets of slots
        confirm, fail, lost = status_decisions(s, touched, cfg, self.confirm_threshold(k))
        if cfg.confirmation == "score":
            if fail.size or lost.size:
                self._delete(np.concatenate([fail, lost]), t_event, TrackEvent.DELETED_SCORE)
        else:
            self._delete(fail, t_event, TrackEvent.DELETED_M_OF_N)
            self._delete(lost, t_event, TrackEvent.DELETED_MISSES)
        if confirm.size == 0:
            return
        accept, refused, dropped = resolve_capacity(s, confirm, self.capacity, cfg.capacity_rule, self.assets_en)
        if dropped.size:
            self.dropped_times_s.extend([float(t_event)] * int(dropped.shape[0]))
            self.dropped_track_ids.extend(s.track_id[dropped].tolist())
            self._delete(dropped, t_event, TrackEvent.DROPPED)
        if refused.size:
            self.refused_times_s.extend(s.t[refused].tolist())
            self.refused_track_ids.extend(s.track_id[refused].tolist())
            self.history.add_slots(s, refused, TrackEvent.REFUSED, -1, DELETED)
            self.counters["refused"] += int(refused.shape[0])
            s.free(refused)
        if accept.size:
            s.status[accept] = CONFIRMED
            self.counters["confirmed"] += int(accept.shape[0])
            self.history.add_slots(s, accept, TrackEvent.CONFIRM, -1)
            act = s.active()
            self.counters["max_confirmed"] = max(self.counters["max_confirmed"],
                                                 int(np.sum(s.status[act] == CONFIRMED)))

    def _prune(self, t: float) -> None:
        """Delete tracks not updated for longer than the coast limit, then those whose predicted position sigma
        at ``t`` exceeds the configured bound."""
        s = self.store
        act = s.active()
        if act.size == 0:
            return
        stale = act[t - s.last_update_s[act] > self.coast_limit_s()]
        if stale.size:
            self._delete(stale, t, TrackEvent.DELETED_COAST)
            act = s.active()
            if act.size == 0:
                return
        lim = self.config.delete_position_sigma_m
        pos = np.empty((act.shape[0], 3))
        var = np.empty(act.shape[0])
        speed = np.empty(act.shape[0])
        kernels.coarse_prediction(act, s.t, s.x, s.P, t, 0.0, self.models.q_max, pos, var, speed)
        if self.config.delete_outside_coverage:
            gone = self.sensors.coverage.outside(pos, sigma_from_trace(var), COVERAGE_MARGIN_SIGMA,
                                                 COVERAGE_RANGE_MARGIN_SIGMA)
            if np.count_nonzero(gone):
                self._delete(act[gone], t, TrackEvent.DELETED_COVERAGE)
                act, var = act[~gone], var[~gone]
        cand = act[var > lim * lim]  # trace bounds the largest eigenvalue
        if cand.size == 0:
            return
        sig = np.empty(cand.shape[0])
        kernels.worst_sigma(cand, s, t, self.models, sig)
        self._delete(cand[sig > lim], t, TrackEvent.DELETED_SIGMA)


#: no score increments, no times (read only)
_NO_SCORE = np.zeros(0)
#: no detections carried to the next call (read only)
_NO_DETECTIONS = Detections.empty()
#: what :meth:`Tracker._recover` returns when it updates no track (read only)
_NO_RECOVERY = (_EMPTY, np.zeros(0), np.zeros(0, dtype=bool))


def _slots_in(slots: I64, size: int) -> I64:
    """``np.unique(slots)`` for slot numbers below ``size`` (a mask: no sort)."""
    mark = np.zeros(size, dtype=bool)
    mark[slots] = True
    return mark.nonzero()[0]


def _member(slots: I64, of: I64, size: int) -> NDArray[np.bool_]:
    """``np.isin(slots, of)`` for slot numbers below ``size`` (a mask look-up: ~10x faster on short arrays)."""
    mark = np.zeros(size, dtype=bool)
    mark[of] = True
    return mark[slots]


def _log1p_sum_exp(score: F64, starts: I64) -> F64:
    """ln(1 + sum exp(score)) over each group of pairs starting at ``starts``."""
    mx = np.maximum(np.maximum.reduceat(score, starts), 0.0)
    rep = np.repeat(mx, np.diff(np.append(starts, score.shape[0])))
    return mx + np.log(np.exp(-mx) + np.add.reduceat(np.exp(score - rep), starts))
