"""The engagement timeline: one row per engaged target (engage -> launch -> intercept -> outcome), from
``events.parquet``; with the run's decision log, also one row per threat never engaged, each row showing when the
threat was tracked and when it waited (and for which limit), and a row of launcher reloads per battery.

A target is *engaged* if it has an ``engage`` or a ``launch`` event. Rows are ordered by the first such event;
never-engaged threats follow, in order of their end (leak, or the end of the run). The outcome of a row is
``kill`` if any interceptor killed it, else ``leak`` if it reached its asset, else ``survived`` (still flying at
the end), else ``miss`` (every shot missed and it was not seen again), else ``open`` (no outcome recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from airpicture.report.load import Columns
from airpicture.report.style import KIND_NAMES
from airpicture.vocab import Decision, EngagementEvent

if TYPE_CHECKING:
    from airpicture.explain.battle import Battle

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

OUTCOMES: tuple[str, ...] = (EngagementEvent.KILL, EngagementEvent.LEAK, EngagementEvent.SURVIVED, EngagementEvent.MISS,
                             "open")
ROW_EVENTS = (EngagementEvent.ENGAGE, EngagementEvent.LAUNCH, EngagementEvent.KILL, EngagementEvent.MISS,
              EngagementEvent.LEAK, EngagementEvent.SURVIVED)


@dataclass(frozen=True)
class Timeline:
    """Rows (engaged targets) and what happened on each, times in seconds from the scenario start."""

    target_id: I64  # (R,)
    label: list[str]  # (R,) 'callsign · kind'
    hostile: NDArray[np.bool_]  # (R,)
    outcome: NDArray[np.object_]  # (R,) one of OUTCOMES
    first_s: F64  # (R,) first engage/launch
    last_s: F64  # (R,) last engage/launch/intercept/kill/miss on the target
    flyout_row: I64  # (K,) one per launch event with a planned intercept time
    flyout_start_s: F64
    flyout_end_s: F64
    flyout_rounds: F64
    mark_row: dict[str, I64]  # event -> rows (one per event)
    mark_time_s: dict[str, F64]
    mark_detail: dict[str, list[str]]
    # from the decision log (empty without it): tracked spans, waits (limit waited for), launcher reloads
    tracked_row: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    tracked_start_s: F64 = field(default_factory=lambda: np.zeros(0))
    tracked_end_s: F64 = field(default_factory=lambda: np.zeros(0))
    wait_row: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    wait_start_s: F64 = field(default_factory=lambda: np.zeros(0))
    wait_end_s: F64 = field(default_factory=lambda: np.zeros(0))
    wait_reason: list[str] = field(default_factory=list)
    reload_battery: list[str] = field(default_factory=list)
    reload_start_s: F64 = field(default_factory=lambda: np.zeros(0))
    reload_end_s: F64 = field(default_factory=lambda: np.zeros(0))
    reload_text: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.target_id.size)


def engagement_timeline(events: Columns, targets: Columns, battle: Battle | None = None) -> Timeline:
    """Build the timeline from the events and targets tables (and, when given, the battle's decision log)."""
    ev_t, ev_name, ev_tid = events["time_s"], events["event"], events["target_id"]
    n_targets = len(targets["target_id"])
    engaged = np.isin(ev_name, (EngagementEvent.ENGAGE, EngagementEvent.LAUNCH)) & (ev_tid >= 0)
    first = np.full(n_targets, np.inf)
    np.minimum.at(first, ev_tid[engaged], ev_t[engaged])
    rows_tid = np.flatnonzero(np.isfinite(first))
    rows_tid = rows_tid[np.lexsort((rows_tid, first[rows_tid]))]
    if battle is not None:
        th = battle.threats
        rest = np.flatnonzero(th.threat & ~np.isfinite(first))
        end = np.where(np.isfinite(th.outcome_s[rest]), th.outcome_s[rest], np.inf)
        rows_tid = np.concatenate([rows_tid, rest[np.lexsort((rest, end))]])
    row_of = np.full(n_targets, -1, dtype=np.int64)
    row_of[rows_tid] = np.arange(rows_tid.size)

    on_row = (ev_tid >= 0) & (row_of[np.maximum(ev_tid, 0)] >= 0)
    row = np.where(on_row, row_of[np.maximum(ev_tid, 0)], -1)
    # the engagement span ends with the last shot's intercept or outcome (not a later leak or the scenario's end)
    fire = on_row & np.isin(ev_name, (EngagementEvent.ENGAGE, EngagementEvent.LAUNCH,
                                                    EngagementEvent.KILL, EngagementEvent.MISS))
    last = np.full(rows_tid.size, -np.inf)
    np.maximum.at(last, row[fire], ev_t[fire])
    ends = events.get("intercept_time_s")
    if ends is not None:
        has_end = fire & np.isfinite(ends)
        np.maximum.at(last, row[has_end], ends[has_end])

    seen = {}
    for name in OUTCOMES[:-1]:
        flag = np.zeros(rows_tid.size, dtype=bool)
        flag[row[on_row & (ev_name == name)]] = True
        seen[name] = flag
    outcome = np.full(rows_tid.size, "open", dtype=object)
    for name in reversed(OUTCOMES[:-1]):  # earlier names in OUTCOMES take precedence
        outcome[seen[name]] = name

    launch = on_row & (ev_name == EngagementEvent.LAUNCH)
    if ends is not None:
        launch &= np.isfinite(ends)
    li = np.flatnonzero(launch)
    rounds = events["interceptors"][li] if "interceptors" in events else np.ones(li.size)

    detail = events.get("detail")
    mark_row: dict[str, I64] = {}
    mark_time: dict[str, F64] = {}
    mark_detail: dict[str, list[str]] = {}
    for event in ROW_EVENTS:
        m = np.flatnonzero(on_row & (ev_name == event))
        mark_row[event] = row[m]
        mark_time[event] = ev_t[m]
        mark_detail[event] = [str(detail[i]) for i in m] if detail is not None else [""] * m.size

    callsign = targets.get("callsign")
    labels = []
    for tid in rows_tid:
        name = str(callsign[tid]) if callsign is not None and str(callsign[tid]) else f"target {tid}"
        kind = str(targets["kind"][tid])
        labels.append(f"{name} · {KIND_NAMES.get(kind, kind).lower()}")
    extra = _from_decisions(battle, row_of) if battle is not None else {}
    return Timeline(
        target_id=rows_tid.astype(np.int64), label=labels, hostile=targets["hostile"][rows_tid], outcome=outcome,
        first_s=first[rows_tid], last_s=last, flyout_row=row[li], flyout_start_s=ev_t[li],
        flyout_end_s=ends[li] if ends is not None else ev_t[li], flyout_rounds=np.asarray(rounds, dtype=float),
        mark_row=mark_row, mark_time_s=mark_time, mark_detail=mark_detail, **extra,
    )


def _from_decisions(battle: Battle, row_of: I64) -> dict:
    """Tracked spans and waits of every row's target, and every reload, from the decision log."""
    d = battle.d
    th = battle.threats
    end = battle.run.scenario.duration_s
    n = row_of.size
    rows = np.flatnonzero(row_of >= 0)
    tracked = rows[np.isfinite(th.first_track_s[rows])]
    stop = np.where(np.isfinite(th.outcome_s[tracked]), th.outcome_s[tracked], end)
    w = np.flatnonzero((d["event"] == Decision.WAIT) & (d["target_id"] >= 0) & (d["target_id"] < n))
    w = w[row_of[d["target_id"][w]] >= 0]
    until = np.where(np.isfinite(d["until_s"][w]), d["until_s"][w], end)
    r = np.flatnonzero(d["event"] == Decision.RELOAD)
    return {
        "tracked_row": row_of[tracked], "tracked_start_s": th.first_track_s[tracked], "tracked_end_s": stop,
        "wait_row": row_of[d["target_id"][w]], "wait_start_s": d["time_s"][w], "wait_end_s": until,
        "wait_reason": [str(x) for x in d["reason"][w].tolist()],
        "reload_battery": [str(x) for x in d["battery"][r].tolist()], "reload_start_s": d["time_s"][r],
        "reload_end_s": np.minimum(np.where(np.isfinite(d["until_s"][r]), d["until_s"][r], end), end),
        "reload_text": [f"launcher {int(lau)}: {int(k)} rounds ready at {float(u):.0f} s"
                        for lau, k, u in zip(d["launcher"][r].tolist(), d["interceptors"][r].tolist(),
                                             d["until_s"][r].tolist(), strict=True)],
    }
