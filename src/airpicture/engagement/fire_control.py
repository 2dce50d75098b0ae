"""The engagement stage: batteries act on the published air picture, interceptors fly, the truth decides.

Each step (time ``t``, the picture predicted to ``t``):

1. Engagements whose intercepts have passed report ``kill``/``miss``; those whose kill assessment is due free
   their fire channel (a kill assessed marks the track destroyed for every battery).
2. For each battery in scenario order: identify the tracks (abstractly, see below), keep the threats -- tracks
   closing on one of its defended assets (:mod:`.threat`) that nobody is engaging, not destroyed, shots left --
   and solve the intercept of an interceptor launched after the reaction time (:mod:`.intercept`). Threats whose
   intercept point is inside the envelope and before they reach the asset are engageable; they are engaged in
   threat order while a fire channel and a salvo's interceptors are free; the rest wait (``no-channel`` /
   ``no-interceptor`` mark the start of each waiting episode). Batteries share one picture: a track engaged by
   one is not engageable by another until that engagement's kill assessment.

Identification is abstract: a track that follows a hostile target is hostile; one following a civil target is
civil unless misidentified (one draw per battery and track with ``misidentification_probability``); a track born
of false alarms (``track_target_id == -1``) is unknown and engaged only with ``engage_unknown``. The kind used
for the envelope and Pk is the followed target's kind (abstract classification), ``unknown_kind`` for unknown
tracks.

Outcomes come from the truth: interceptor ``j`` aims at the constant-velocity predicted point; it can only hit
if the true target is alive at the intercept time, has not yet reached its asset, and lies within
``correction_radius_m`` of the aim point; then it hits with the kind's single-shot Pk (independent draws). The
salvo kills at its earliest hit; ``kill_time_s[target]`` is set to that time at the launch decision (the truth
is known in advance), so the target vanishes from the sensors from then on. Several engagements of one target
(through duplicate tracks) are settled by the earliest scheduled kill.

Leakers are settled from the truth at the end: a threat that comes within its asset's ``radius_m`` before being
destroyed. Frame and units: local ENU metres, m/s, seconds from the scenario start.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from airpicture.engagement.battery import BatteryUnit, Engagement
from airpicture.engagement.decisions import CHANNELS, IN_FLIGHT, READY_ROUNDS, FireDecisions
from airpicture.engagement.events import EventLog, Timeline
from airpicture.engagement.intercept import solve_intercept
from airpicture.engagement.kernels import (
    ENGAGEABLE,
    NOT_THREAT,
    OUT_OF_ENVELOPE,
    TOO_LATE,
    Evaluation,
    evaluate_tracks,
)
from airpicture.engagement.leakers import leak_times
from airpicture.engagement.threat import KIND_PRIORITY_BY_INDEX, threat_order
from airpicture.engagement.trackbook import NO_CHANNEL, NO_INTERCEPTOR, NOT_WAITING, TrackBook
from airpicture.geodesy import LocalFrame
from airpicture.picture import Picture
from airpicture.placement import asset_positions
from airpicture.scenario import Scenario
from airpicture.truth import Truth
from airpicture.vocab import ALL_KINDS, SATURATION_EVENTS, EngagementEvent, Identity, InterceptResult

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B1 = NDArray[np.bool_]

#: ``_BLOCKED[status]``: a threat evaluated outside the envelope or too late (indexed by the kernel's status)
_BLOCKED = np.zeros(max(NOT_THREAT, OUT_OF_ENVELOPE, TOO_LATE, ENGAGEABLE) + 1, bool)
_BLOCKED[[OUT_OF_ENVELOPE, TOO_LATE]] = True
#: ``_BINDS[reason]``: the resource that binds a wait (decision-log code) by its waiting reason, while some round is
#: ready; ``_BINDS_NO_ROUND`` when none is
_BINDS = np.zeros(max(NOT_WAITING, NO_CHANNEL, NO_INTERCEPTOR) + 1, np.int8)
_BINDS[[NO_CHANNEL, NO_INTERCEPTOR]] = CHANNELS, IN_FLIGHT
_BINDS_NO_ROUND = _BINDS.copy()
_BINDS_NO_ROUND[NO_INTERCEPTOR] = READY_ROUNDS


class _Identified(NamedTuple):
    """Per track (K,) of a picture: abstract identification (hostile, misidentifiable civil, unknown) and, per
    battery, the kind index used for the envelope and Pk."""

    hostile: B1
    civil: B1
    unknown: B1
    kind: list[I64]


def _order_rank(time_to_go_s: F64, kind: I64, track_id: I64) -> tuple[I64, I64]:
    """Engagement order of the threats (:func:`.threat.threat_order`) and each one's rank in it (1 = first)."""
    order = threat_order(time_to_go_s, KIND_PRIORITY_BY_INDEX[kind], track_id)
    rank = np.empty(order.size, np.int64)
    rank[order] = np.arange(1, order.size + 1)
    return order, rank


class FireControl:
    """Fire control of every battery in the scenario, driven step by step by the engine."""

    def __init__(self, scenario: Scenario, frame: LocalFrame, truth: Truth, seed: int) -> None:
        self.scenario = scenario
        self.frame = frame
        self.truth = truth
        self.seed = int(seed)
        #: every battery acts on the one shared picture, so each reports that picture's capacity
        cap = scenario.track_capacity
        self._picture_capacity = int(cap) if cap is not None else -1
        tg = truth.targets
        n = truth.n_targets
        #: (N,) time each target is destroyed (s), inf until a kill is scheduled. Kills are entered at the launch
        #: decision with the intercept time, so the sensors stop seeing the target from then on.
        self.kill_time_s: F64 = np.full(n, np.inf)
        self._killer = np.full(n, -1, np.int64)  # engagement credited with the scheduled kill
        code: dict[str, int] = {k: i for i, k in enumerate(ALL_KINDS)}
        self._kind_index = np.array([code[str(k)] for k in tg.kind.tolist()], np.int64)
        self._hostile = np.asarray(tg.hostile, bool)
        asset_en = asset_positions(scenario, frame)
        radius = np.array([a.radius_m for a in scenario.assets], float)
        self._leak_time_s = leak_times(truth, asset_en, radius)
        self._units = [BatteryUnit.build(i, b, scenario, frame, self.seed) for i, b in enumerate(scenario.batteries)]
        self._book = TrackBook([u.identity_rng for u in self._units])
        self._events = EventLog()
        self._timeline = Timeline()
        #: the decisions behind the events, for decisions.parquet
        self.decisions = FireDecisions(len(self._units), n)
        self._reloads_seen = [0] * len(self._units)
        self._engagements: list[Engagement] = []
        self._refusing = np.zeros(n, bool)  # a capacity-refused episode is open for the target
        self._followed = np.zeros(n, bool)  # some track of the last picture follows the target
        self._last_track = np.full(n, -1, np.int64)  # last track seen following each target
        self._asset_battery = [next((u.name for u in self._units if a in u.asset_index), "")
                               for a in range(len(scenario.assets))]
        self._arrivals = np.zeros(len(self._units), np.int64)
        self._blocked = np.zeros(len(self._units), np.int64)
        self._t_end: float | None = None
        self._outcome: dict[str, Any] = {}
        # What changes only on events, kept from step to step: the identification of the picture's tracks (for
        # the track ids and followed targets of ``_tt_key``), each battery's candidate mask (None: to redo), the
        # time of the next intercept or kill assessment, the last waiting threats of each battery.
        self._tt_key: bytes | None = None
        self._identified = _Identified(np.zeros(0, bool), np.zeros(0, bool), np.zeros(0, bool), [])
        self._candidates: list[B1 | None] = [None] * len(self._units)
        self._next_due_s = np.inf
        self._waits_key: list[tuple[bytes, bytes, bytes] | None] = [None] * len(self._units)
        self._evaluation = Evaluation.empty(0)

    # ----------------------------------------------------------------------------------------------- engine API
    def step(self, t: float, picture: Picture, track_target_id: I64) -> None:
        """Act on ``picture`` (confirmed tracks predicted to ``t``); ``track_target_id`` (K,) is the truth target
        each track mostly follows, -1 for a track born of false alarms."""
        if self._t_end is not None:
            raise RuntimeError("step() after finish()")
        t = float(t)
        tt = np.asarray(track_target_id, np.int64).reshape(-1)
        k = len(picture)
        if tt.shape[0] != k:
            raise ValueError(f"track_target_id has {tt.shape[0]} entries for {k} tracks")
        x = np.asarray(picture.x, float)
        if k and picture.time_s != t:  # predict to t at constant velocity
            x = x.copy()
            x[:, :3] += x[:, 3:] * (t - picture.time_s)
        if t >= self._next_due_s:
            self._resolve(t)
        slots = self._book.slots(picture.track_id)
        tt_key = tt.tobytes()
        if not (self._book.repeated and tt_key == self._tt_key):  # other tracks, or they follow other targets
            self._tt_key = tt_key
            self._identified = self._identify(t, picture.track_id, tt)
            self._forget_candidates()
        ident = self._identified
        for unit in self._units:
            unit.magazine.advance(t)
            self._battery_step(unit, t, picture.track_id, x, tt, slots, ident, picture.P)
            c = unit.config
            self._timeline.add(t, unit.name, unit.channels_busy(t), c.fire_channels, unit.in_flight(t),
                               c.max_in_flight, unit.magazine.ready_total, unit.magazine.inventory_left, k,
                               self._picture_capacity)

    def record_capacity_refused(self, t: float, target_id: int) -> None:
        """The tracker refused a track for ``target_id`` because it was at capacity. Records the start of each
        refusal episode of a threat that no track of the last picture follows (the episode ends when a track
        follows it); refusals of civil targets, false alarms and already-tracked threats are not saturation."""
        target_id = int(target_id)
        if not (0 <= target_id < self.truth.n_targets) or not self._hostile[target_id]:
            return
        if self._refusing[target_id] or self._followed[target_id]:
            return
        self._refusing[target_id] = True
        asset = int(self.truth.targets.asset_index[target_id])
        battery = self._asset_battery[asset] if asset >= 0 else ""
        self._events.add(t, battery, -1, target_id, EngagementEvent.CAPACITY_REFUSED,
                         kind=ALL_KINDS[self._kind_index[target_id]], detail="no track slot free")
        self.decisions.slot_wait(t, battery, target_id, self._picture_capacity)

    def finish(self, t_end: float) -> None:
        """Settle the run at ``t_end``: outcomes of engagements whose intercepts have passed, then every threat
        (hostile target flying by ``t_end``) as killed, leaked or survived."""
        if self._t_end is not None:
            return
        t_end = float(t_end)
        self._resolve(t_end)
        for unit in self._units:  # salvos with interceptors still flying: a kill already made still counts
            for g in unit.active:
                if not g.resolved and g.target_id >= 0 and self._killer[g.target_id] == g.id \
                        and self.kill_time_s[g.target_id] <= t_end:
                    self._report_outcome(unit, g)
        self._t_end = t_end
        for unit in self._units:
            self._record_reloads(unit, t_end)
        self.decisions.finish(t_end, self._leak_time_s)
        tg = self.truth.targets
        threat = self._hostile & (tg.start_s <= t_end)
        killed = self.kill_time_s <= t_end
        leaked = threat & ~killed & (self._leak_time_s <= t_end)
        survived = threat & ~killed & ~leaked
        for target in np.flatnonzero(leaked | survived):
            leak = bool(leaked[target])
            asset = int(tg.asset_index[target])
            self._events.add(self._leak_time_s[target] if leak else t_end,
                             self._asset_battery[asset] if asset >= 0 else "", self._last_track[target], target,
                             EngagementEvent.LEAK if leak else EngagementEvent.SURVIVED,
                             kind=ALL_KINDS[self._kind_index[target]],
                             detail=(f"within {self.scenario.assets[asset].radius_m:g} m of "
                                     f"{self.scenario.assets[asset].name}") if leak else "")
        self._outcome = {
            "threat": threat,
            "killed": threat & killed,
            "leaked": leaked,
            "survived": survived,
            "civil_killed": ~self._hostile & killed,
        }

    def outcomes(self) -> dict[str, NDArray[Any]]:
        """Per target (N,), after ``finish``: masks ``threat``, ``killed``, ``leaked``, ``survived`` and the times
        ``kill_time_s`` and ``leak_time_s`` (inf when it did not happen; the leak time is when the truth reaches the
        asset's radius, whether or not the threat was killed before)."""
        if self._t_end is None:
            raise RuntimeError("outcomes() before finish()")
        o = self._outcome
        return {"threat": o["threat"], "killed": o["killed"], "leaked": o["leaked"], "survived": o["survived"],
                "kill_time_s": np.where(self.kill_time_s <= self._t_end, self.kill_time_s, np.inf),
                "leak_time_s": self._leak_time_s.copy()}

    def decisions_columns(self) -> dict[str, NDArray[Any]]:
        """Fire control's rows of the decision log (unsorted columns, see :mod:`airpicture.decisions.schema`);
        rows after the end of the run (launches and intercepts planned past it) are left out."""
        cols = self.decisions.rows.arrays()
        if self._t_end is not None:
            keep = cols["time_s"] <= self._t_end
            cols = {k: v[keep] for k, v in cols.items()}
        return cols

    def events_table(self) -> pa.Table:
        """``events.parquet``: one row per event, sorted by time (then order of recording); after ``finish``,
        events up to the end time only (rounds allotted to launches after the end are not expended)."""
        return self._events.table(np.inf if self._t_end is None else self._t_end)

    def timeline_table(self) -> pa.Table:
        """``timeline.parquet``: per battery and step, the resources in use at that time."""
        return self._timeline.table()

    def recorded(self) -> tuple[int, int]:
        """How many events and timeline rows have been recorded so far (marks for :meth:`recorded_since`)."""
        return len(self._events), len(self._timeline)

    def recorded_since(self, marks: tuple[int, int]) -> tuple[pa.Table, pa.Table]:
        """The events (sorted by time) and timeline rows recorded after ``marks`` (from :meth:`recorded`)."""
        return self._events.table(first=marks[0]), self._timeline.table(first=marks[1])

    def summary(self) -> dict[str, Any]:
        """The ``engagement`` section of ``summary.json`` (JSON-safe: null where undefined). Needs ``finish``."""
        if self._t_end is None:
            raise RuntimeError("summary() before finish()")
        t_end = self._t_end
        o = self._outcome
        per_battery = [self._battery_summary(u, t_end) for u in self._units]
        expended = sum(b["interceptors_expended"] for b in per_battery)
        kills = int(o["killed"].sum())
        sat = [t for t in self._events.times_of(SATURATION_EVENTS) if t <= t_end]
        engs = [g for g in self._engagements if g.start_s <= t_end]
        hold = [g.release_s - g.start_s for g in engs if g.release_s <= t_end]
        return {
            "threats": int(o["threat"].sum()),
            "threats_would_hit": int(np.sum(o["threat"] & (self._leak_time_s <= t_end))),
            "kills": kills,
            "leakers": int(o["leaked"].sum()),
            "survived": int(o["survived"].sum()),
            "engagements": len(engs),
            "interceptors_expended": expended,
            "kills_per_interceptor": kills / expended if expended else None,
            "peak_channels_busy": _peak(np.array([g.start_s for g in engs]), np.array([g.release_s for g in engs]),
                                        t_end),
            "peak_in_flight": self._peak_in_flight(engs, t_end),
            "first_saturation_s": min(sat) if sat else None,
            "civil_engaged": sum(1 for g in engs if g.identity == Identity.MISIDENTIFIED_CIVIL),
            "civil_killed": int(o["civil_killed"].sum()),
            "unknown_engaged": sum(1 for g in engs if g.identity == Identity.UNKNOWN),
            "unresolved_engagements": sum(1 for g in engs if not g.resolved),
            "threat_arrivals": int(self._arrivals.sum()),
            "blocked_no_channel": int(self._blocked.sum()),
            "mean_channel_holding_s": float(np.mean(hold)) if hold else None,
            "observation_s": t_end,
            "batteries": per_battery,
        }

    # ----------------------------------------------------------------------------------------------- internals
    def _identify(self, t: float, track_id: I64, tt: I64) -> _Identified:
        """Identification of the picture's tracks (``tt`` (K,): followed target, -1 none); ends the track-slot
        waits of the targets now followed. Done again only when the tracks or the targets they follow change."""
        followed = tt >= 0
        targets = tt[followed]
        self._refusing[targets] = False
        self.decisions.slot_wait_end(t, targets)
        self._followed[:] = False
        self._followed[targets] = True
        self._last_track[targets] = track_id[followed]
        safe = np.where(followed, tt, 0)
        hostile = followed & (self._hostile[safe] if self.truth.n_targets else False)
        kind_of = self._kind_index[safe] if self.truth.n_targets else 0
        return _Identified(hostile, followed & ~hostile, ~followed,
                           [np.where(followed, kind_of, u.unknown_kind_index) for u in self._units])

    def _forget_candidates(self) -> None:
        """The tracks or their engagement state changed: every battery's candidate mask is to be redone."""
        self._candidates = [None] * len(self._units)

    def _battery_step(self, unit: BatteryUnit, t: float, track_id: I64, x: F64, tt: I64, slots: I64,
                      ident: _Identified, cov: F64) -> None:
        """One battery's decisions at ``t`` on the picture's tracks (``x`` predicted to ``t``, covariances
        ``cov``)."""
        c = unit.config
        b = unit.index
        book = self._book
        kind = ident.kind[b]
        cand = self._candidates[b]
        if cand is None:  # after a new picture or an engagement, release or abandon
            cand = ident.hostile | (ident.civil & (book.misid_draw[b, slots] < c.misidentification_probability))
            if c.engage_unknown:
                cand |= ident.unknown
            cand &= (book.engaged_by[slots] < 0) & (book.shots[b, slots] < unit.max_engagements)
            cand &= ~(book.destroyed[slots] | book.abandoned[b, slots])
            self._candidates[b] = cand
        k = track_id.shape[0]
        if self._evaluation.status.shape[0] != k:
            self._evaluation = Evaluation.empty(k)
        ev = self._evaluation
        evaluate_tracks(x, cand, kind, t, t + c.reaction_time_s, unit.tables, ev)
        status, tgo, asset, t_int = ev
        blocked = _BLOCKED[status].nonzero()[0]
        paused = slots[blocked]
        if blocked.size:
            first = blocked[~book.out_reported[b, paused]]
            if first.size:
                book.out_reported[b, slots[first]] = True
                for code, why in ((OUT_OF_ENVELOPE, "intercept point outside the envelope"),
                                  (TOO_LATE, "no intercept before the threat reaches its asset")):
                    j = first[status[first] == code]
                    if j.size:
                        self._events.extend(t, unit.name, track_id[j], tt[j], EngagementEvent.OUT_OF_ENVELOPE,
                                            [ALL_KINDS[q] for q in kind[j].tolist()], why)
                        self.decisions.out_of_envelope(t, unit.name, track_id[j], tt[j], code == TOO_LATE, tgo[j],
                                                       t_int[j])
        engageable = status == ENGAGEABLE
        sigma = c.firm_track_velocity_sigma_mps
        if sigma is not None:
            # fire-control quality: the velocity known well enough once; a firm track stays firm
            was = book.firm[b, slots]
            fresh = (engageable & ~was).nonzero()[0]  # engageable, not (yet) firm
            engageable &= was
            if fresh.size:
                cov = np.asarray(cov, float).reshape(k, 6, 6)
                var = np.maximum(cov[fresh, 3, 3] + cov[fresh, 4, 4] + cov[fresh, 5, 5], 0.0) / 3.0  # m^2/s^2
                ok = var <= sigma ** 2
                became, held = fresh[ok], fresh[~ok]
                book.firm[b, slots[became]] = True
                engageable[became] = True
                book.unfirm_since[b, slots[held[np.isnan(book.unfirm_since[b, slots[held]])]]] = t
                since = book.unfirm_since[b, slots[became]]
                for j, s0, v in zip(became.tolist(), since.tolist(), var[ok].tolist(), strict=True):
                    if s0 == s0:  # a track that waited for a firm velocity and has it now
                        self.decisions.firm(t, unit.name, int(track_id[j]), int(tt[j]), s0, float(np.sqrt(v)),
                                            float(sigma))
        elig = engageable.nonzero()[0]
        e_slots = slots[elig]
        reason = np.zeros(elig.size, np.int8)
        order = rank = np.zeros(0, np.int64)  # threat order and ranks, worked out only when needed
        if elig.size:
            arrived = book.arrived[b]
            new = (~arrived[e_slots]).nonzero()[0]
            free = c.fire_channels - unit.channels_busy(t)
            salvo = unit.salvo_now(t) if free > 0 else 0
            if new.size or salvo:  # the threat order is needed now (else only for new waiting rows)
                order, rank = _order_rank(tgo[elig], kind[elig], track_id[elig])
            if new.size:
                arrived[e_slots[new]] = True
                e_new = elig[new]
                self.decisions.ranked(t, unit.name, track_id[e_new], tt[e_new], rank[new], tgo[e_new], t_int[e_new],
                                      int(elig.size))
            if free <= 0:
                reason[:] = NO_CHANNEL
            elif salvo == 0:
                reason[:] = NO_INTERCEPTOR
            else:
                # Python loop over the few engagements started this step (at most the free channels)
                for pos, j in enumerate(order.tolist()):
                    if free <= 0:
                        reason[order[pos:]] = NO_CHANNEL
                        break
                    n_int = unit.salvo_now(t)
                    if n_int == 0:
                        reason[order[pos:]] = NO_INTERCEPTOR
                        break
                    i = int(elig[j])
                    identity = (Identity.HOSTILE if ident.hostile[i] else Identity.MISIDENTIFIED_CIVIL
                                if ident.civil[i] else Identity.UNKNOWN)
                    self._engage(unit, t, n_int, int(track_id[i]), int(slots[i]), int(tt[i]), int(kind[i]), x[i],
                                 identity, int(unit.asset_index[asset[i]]), float(tgo[i]), (int(rank[j]), elig.size))
                    free -= 1
            if new.size:
                self._arrivals[b] += new.size
                self._blocked[b] += int(np.count_nonzero(reason[new] == NO_CHANNEL))
        # The waiting threats, what binds them and the paused ones: when they are those of the battery's last step,
        # no episode starts or ends (the decision log and the episodes go on), only the give-ups remain to check.
        w = reason != NOT_WAITING
        binding = self._wait_codes(unit, reason[w])
        key = (e_slots[w].tobytes(), binding.tobytes(), paused.tobytes())
        if key != self._waits_key[b]:
            self._waits_key[b] = key
            if elig.size and not rank.size:
                rank = _order_rank(tgo[elig], kind[elig], track_id[elig])[1]
            self._record_waits(unit, t, elig, e_slots, w, binding, rank, paused, track_id, tt, tgo)
            self._update_waiting(unit, t, elig, e_slots, reason, paused, track_id, tt, kind)
        elif c.max_wait_s is not None:
            self._give_up(unit, t, c.max_wait_s, elig[w], e_slots[w], track_id, tt, kind)

    def _wait_codes(self, unit: BatteryUnit, reason: NDArray[np.int8]) -> NDArray[np.int8]:
        """The resource that binds each wait (``reason`` codes): fire channels, or -- for ``no-interceptor`` --
        ready rounds when none is left on the launchers, else the in-flight limit."""
        if reason.size == 0:
            return np.zeros(0, np.int8)
        return (_BINDS_NO_ROUND if unit.magazine.ready_total == 0 else _BINDS)[reason]

    def _record_waits(self, unit: BatteryUnit, t: float, elig: I64, e_slots: I64, w: B1, code: NDArray[np.int8],
                      rank: I64, paused: I64, track_id: I64, tt: I64, tgo: F64) -> None:
        """Waiting threats (``w`` of ``elig``) into the decision log, with the resource that bound (``code``) and
        its load and limit."""
        c = unit.config
        if code.size == 0 and paused.size == 0 and not self.decisions.has_open(unit.index):
            return
        in_use = np.zeros(code.size, np.int64)
        limit = np.zeros(code.size, np.int64)
        if code.size:
            chan = code == CHANNELS
            ready = unit.magazine.ready_total
            if ready == 0:  # no ready round: what binds a wait that is not for a channel
                other_use, other_limit = ready, c.launchers * c.rounds_per_launcher
            else:
                other_use, other_limit = unit.committed(t), c.max_in_flight
            if chan.all():
                in_use[:], limit[:] = unit.channels_busy(t), c.fire_channels
            elif not chan.any():
                in_use[:], limit[:] = other_use, other_limit
            else:
                in_use[:] = np.where(chan, unit.channels_busy(t), other_use)
                limit[:] = np.where(chan, c.fire_channels, other_limit)
        j = elig[w]
        self.decisions.waits(t, unit.index, unit.name, e_slots[w], code, track_id[j], tt[j], rank[w] if rank.size
                             else np.zeros(code.size, np.int64), int(elig.size), tgo[j], in_use, limit, paused)

    def _record_reloads(self, unit: BatteryUnit, t_end: float) -> None:
        """Reloads started since the last call (up to ``t_end``) into the decision log."""
        log = unit.magazine.reloads
        for i, start, done, rounds in log[self._reloads_seen[unit.index]:]:
            if start <= t_end:
                self.decisions.reload(start, unit.name, i + 1, rounds, done)
        self._reloads_seen[unit.index] = len(log)

    def _update_waiting(self, unit: BatteryUnit, t: float, elig: I64, e_slots: I64, reason: NDArray[np.int8],
                        paused: I64, track_id: I64, tt: I64, kind: I64) -> None:
        """Open/close waiting episodes; record the start of each; give up threats waiting past ``max_wait_s``.

        An episode ends when the threat is engaged, leaves the picture or stops closing on the battery's assets;
        a threat still closing but momentarily unengageable (``paused`` slots: outside the envelope, as happens
        with noisy low fliers) stays in its episode, so one wait is recorded once."""
        book = self._book
        b = unit.index
        row_reason = book.wait_reason[b]
        row_since = book.waiting_since[b]
        w = reason != NOT_WAITING
        wk = elig[w]
        wr = reason[w]
        ws = e_slots[w]
        if unit.waiting:
            still = np.zeros(book.n, bool)
            still[ws] = True
            still[paused] = True
            stopped = (row_reason[: book.n] != NOT_WAITING) & ~still
            row_reason[: book.n][stopped] = NOT_WAITING
            row_since[: book.n][stopped] = np.nan
        if wk.size == 0:
            unit.waiting = bool(paused.size) and bool(np.any(row_reason[paused] != NOT_WAITING))
            return
        unit.waiting = True
        started = row_reason[ws] != wr
        for code, name in ((NO_CHANNEL, EngagementEvent.NO_CHANNEL), (NO_INTERCEPTOR, EngagementEvent.NO_INTERCEPTOR)):
            m = started & (wr == code)
            if m.any():
                j = wk[m]
                self._events.extend(t, unit.name, track_id[j], tt[j], name, [ALL_KINDS[q] for q in kind[j].tolist()])
        row_reason[ws] = wr
        fresh = np.isnan(row_since[ws])
        row_since[ws[fresh]] = t
        if unit.config.max_wait_s is not None:
            self._give_up(unit, t, unit.config.max_wait_s, wk, ws, track_id, tt, kind)

    def _give_up(self, unit: BatteryUnit, t: float, max_wait: float, wk: I64, ws: I64, track_id: I64, tt: I64,
                 kind: I64) -> None:
        """Abandon the waiting threats (tracks ``wk``, slots ``ws``) that have waited ``max_wait`` (s) by ``t``."""
        book = self._book
        b = unit.index
        row_since = book.waiting_since[b]
        give_up = (t - row_since[ws]) >= max_wait
        if give_up.any():
            g = ws[give_up]
            j = wk[give_up]
            book.abandoned[b, g] = True
            book.wait_reason[b, g] = NOT_WAITING
            row_since[g] = np.nan
            self._events.extend(t, unit.name, track_id[j], tt[j], EngagementEvent.ABANDON,
                                [ALL_KINDS[q] for q in kind[j].tolist()], f"waited {max_wait:g} s")
            self.decisions.abandon(t, b, unit.name, g, track_id[j], tt[j], max_wait)
            self._waits_key[b] = None  # the episodes changed (the abandoned also leave the candidates)
            self._forget_candidates()

    def _engage(self, unit: BatteryUnit, t: float, n: int, track_id: int, slot: int, target: int, kind: int,
                state: F64, identity: Identity, asset: int, tgo: float, rank: tuple[int, int] = (1, 1)) -> None:
        c = unit.config
        launch: F64 = t + c.reaction_time_s + c.launch_interval_s * np.arange(n, dtype=np.float64)
        rep = np.repeat(state[None, :], n, axis=0)
        sol = solve_intercept(rep[:, :3], rep[:, 3:], t, launch, unit.launcher_m, c.interceptor_speed_mps)
        t_int = sol.intercept_time_s.copy()
        aim = sol.point_m.copy()
        late = ~sol.feasible  # a later round of the salvo cannot catch the prediction: it flies to the first aim point
        if late.any():
            aim[late] = aim[0]
            t_int[late] = launch[late] + np.linalg.norm(aim[0] - unit.launcher_m) / c.interceptor_speed_mps
        launchers = unit.magazine.take(t, n)
        draw = unit.outcome_rng.random(n)
        if target >= 0:
            tg = self.truth.targets
            start, end = float(tg.start_s[target]), float(tg.end_s[target])
            alive = (t_int >= start) & (t_int <= end)
            true = self.truth.state_at(np.full(n, target, np.int64), np.clip(t_int, start, end))
            miss = np.linalg.norm(true[:, :3] - aim, axis=1)
            before_leak = t_int < self._leak_time_s[target]
        else:
            alive = np.zeros(n, bool)
            miss = np.full(n, np.nan)
            before_leak = np.ones(n, bool)
        hit = alive & before_leak & (miss <= c.correction_radius_m) & (draw < unit.pk[kind])
        g = Engagement(
            id=len(self._engagements), battery=unit.index, track_id=track_id, slot=slot, target_id=target,
            kind=ALL_KINDS[kind], identity=identity, asset=asset, start_s=t, launch_s=launch, intercept_s=t_int,
            aim_m=aim, launcher=launchers, alive=alive, before_leak=before_leak, miss_distance_m=miss, hit=hit,
            draw=draw, pk=float(unit.pk[kind]), release_s=float(t_int.max()) + c.kill_assessment_s,
        )
        scheduled = hit & (t_int <= self.scenario.duration_s)
        if scheduled.any():
            g.kill_s = float(t_int[scheduled].min())
            if g.kill_s < self.kill_time_s[target]:
                self.kill_time_s[target] = g.kill_s
                self._killer[target] = g.id
        self._book.engaged_by[slot] = unit.index
        self._book.shots[unit.index, slot] += 1
        self._forget_candidates()
        self._next_due_s = min(self._next_due_s, g.last_intercept_s, g.release_s)
        unit.active.append(g)
        self._engagements.append(g)
        ev = self._events
        threatened = self.scenario.assets[asset].name
        ev.add(t, unit.name, track_id, target, EngagementEvent.ENGAGE, kind=g.kind, interceptors=n,
               intercept_time_s=t_int[0], assessment_time_s=g.release_s,
               detail=f"{identity}; {threatened} in {tgo:.0f} s")
        for j in range(n):
            ev.add(launch[j], unit.name, track_id, target, EngagementEvent.LAUNCH, kind=g.kind, interceptors=1,
                   intercept_time_s=t_int[j], detail=f"launcher {int(launchers[j]) + 1}")
        d = self.decisions
        d.engage(t, unit.name, track_id, target, rank[0], rank[1], tgo, n, float(t_int[0]), identity, threatened)
        for j in range(n):
            d.launch(float(launch[j]), unit.name, track_id, target, int(launchers[j]) + 1, float(t_int[j]))
        self._record_reloads(unit, np.inf)

    def _resolve(self, t: float) -> None:
        """Report outcomes of intercepts passed by ``t``; free channels whose kill assessment is due. Notes the
        time of the next such event."""
        due = np.inf
        for unit in self._units:
            keep = []
            for g in unit.active:
                if not g.resolved and g.last_intercept_s <= t:
                    self._report_outcome(unit, g)
                if g.release_s <= t:
                    self._book.engaged_by[g.slot] = -1
                    if g.killed:
                        self._book.destroyed[g.slot] = True
                    self._forget_candidates()
                else:
                    keep.append(g)
                    due = min(due, g.release_s, np.inf if g.resolved else g.last_intercept_s)
            unit.active = keep
        self._next_due_s = due

    def _report_outcome(self, unit: BatteryUnit, g: Engagement) -> None:
        g.resolved = True
        tgt = g.target_id
        c = unit.config
        self._record_intercepts(unit, g)
        if tgt >= 0 and self._killer[tgt] == g.id:
            g.killed = True
            j = int(np.flatnonzero(g.hit & (g.intercept_s == g.kill_s))[0])
            self._events.add(g.kill_s, unit.name, g.track_id, tgt, EngagementEvent.KILL, kind=g.kind,
                             interceptors=g.interceptors,
                             intercept_time_s=g.kill_s, assessment_time_s=g.release_s,
                             miss_distance_m=g.miss_distance_m[j], detail=f"interceptor {j + 1} of {g.interceptors}")
            self.decisions.assessed(g.release_s, unit.name, g.track_id, tgt, True, g.interceptors,
                                    f"kill by interceptor {j + 1} of {g.interceptors} at {g.kill_s:.1f} s")
            return
        if tgt < 0:
            why = "no target behind the track"
        elif self._killer[tgt] >= 0 and self.kill_time_s[tgt] <= g.last_intercept_s:
            why = f"target destroyed at {self.kill_time_s[tgt]:.1f} s by another engagement"
        elif not g.alive.any():
            why = "target no longer in the sky at intercept"
        elif not (g.alive & g.before_leak).any():
            why = "threat reached its asset before intercept"
        elif not (g.miss_distance_m[g.alive] <= c.correction_radius_m).any():
            why = (f"true target {np.nanmin(g.miss_distance_m):.0f} m from the aim point "
                   f"(correction radius {c.correction_radius_m:g} m)")
        elif g.hit.any():  # hits scheduled after the end of the scenario are not kills
            why = "intercept after the end of the scenario"
        else:
            why = f"interceptors failed (single-shot Pk {unit.pk[ALL_KINDS.index(g.kind)]:g})"
        miss = float(np.nanmin(g.miss_distance_m)) if np.isfinite(g.miss_distance_m).any() else float("nan")
        self._events.add(g.last_intercept_s, unit.name, g.track_id, tgt, EngagementEvent.MISS, kind=g.kind,
                         interceptors=g.interceptors, intercept_time_s=g.last_intercept_s,
                         assessment_time_s=g.release_s, miss_distance_m=miss, detail=why)
        self.decisions.assessed(g.release_s, unit.name, g.track_id, tgt, False, g.interceptors, f"miss: {why}")

    def _record_intercepts(self, unit: BatteryUnit, g: Engagement) -> None:
        """Each interceptor of ``g`` into the decision log with the truth's verdict on it."""
        tgt = g.target_id
        radius = unit.config.correction_radius_m
        reasons: list[InterceptResult] = []
        for j in range(g.interceptors):
            t_j = float(g.intercept_s[j])
            if t_j > self.scenario.duration_s:
                why = InterceptResult.AFTER_END
            elif tgt >= 0 and self.kill_time_s[tgt] < t_j:
                why = InterceptResult.DESTROYED
            elif g.hit[j]:
                why = (InterceptResult.KILL if tgt >= 0 and self._killer[tgt] == g.id and t_j == g.kill_s
                       else InterceptResult.DESTROYED)
            elif not g.alive[j]:
                why = InterceptResult.TARGET_GONE
            elif not g.before_leak[j]:
                why = InterceptResult.REACHED_ASSET
            elif not g.miss_distance_m[j] <= radius:
                why = InterceptResult.CORRECTION_RADIUS
            else:
                why = InterceptResult.PK_DRAW
            reasons.append(why)
        self.decisions.intercepts(unit.name, g.track_id, tgt, g.intercept_s, reasons, g.miss_distance_m, radius,
                                  g.pk, g.draw)

    def _peak_in_flight(self, engs: list[Engagement], t_end: float) -> int:
        if not engs:
            return 0
        return _peak(np.concatenate([g.launch_s for g in engs]), np.concatenate([g.intercept_s for g in engs]),
                     t_end)

    def _battery_summary(self, unit: BatteryUnit, t_end: float) -> dict[str, Any]:
        engs = [g for g in self._engagements if g.battery == unit.index and g.start_s <= t_end]
        launches = np.concatenate([g.launch_s for g in engs]) if engs else np.zeros(0)
        hold = [g.release_s - g.start_s for g in engs if g.release_s <= t_end]
        c = unit.config
        return {
            "name": unit.name,
            "engagements": len(engs),
            "interceptors_expended": int(np.count_nonzero(launches <= t_end)),
            "kills": sum(1 for g in engs if g.killed and self._hostile[g.target_id]),
            "peak_channels_busy": _peak(np.array([g.start_s for g in engs]), np.array([g.release_s for g in engs]),
                                        t_end),
            "fire_channels": c.fire_channels,
            "peak_in_flight": self._peak_in_flight(engs, t_end),
            "max_in_flight": c.max_in_flight,
            "inventory_left": unit.magazine.inventory_left,
            "threat_arrivals": int(self._arrivals[unit.index]),
            "blocked_no_channel": int(self._blocked[unit.index]),
            "mean_channel_holding_s": float(np.mean(hold)) if hold else None,
        }


def _peak(start: F64, end: F64, t_end: float) -> int:
    """Most half-open intervals [start, end) overlapping at any instant up to ``t_end``."""
    start = np.asarray(start, float)
    keep = start <= t_end
    if not keep.any():
        return 0
    s, e = start[keep], np.asarray(end, float)[keep]
    times = np.concatenate([s, e])
    delta = np.concatenate([np.ones(s.size, np.int64), -np.ones(e.size, np.int64)])
    order = np.lexsort((delta, times))  # at equal times, ends (-1) before starts (+1)
    return int(np.cumsum(delta[order]).max())
