"""The engagement timeline: one row per engaged target (engage -> launch -> intercept -> outcome), from
``events.parquet``.

A target is *engaged* if it has an ``engage`` or a ``launch`` event. Rows are ordered by the first such event.
The outcome of a row is ``kill`` if any interceptor killed it, else ``leak`` if it reached its asset, else
``survived`` (still flying at the end), else ``miss`` (every shot missed and it was not seen again), else
``open`` (no outcome recorded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airpicture.report.load import Columns
from airpicture.report.style import KIND_NAMES

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

OUTCOMES = ("kill", "leak", "survived", "miss", "open")
ROW_EVENTS = ("engage", "launch", "kill", "miss", "leak", "survived")


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

    def __len__(self) -> int:
        return int(self.target_id.size)


def engagement_timeline(events: Columns, targets: Columns) -> Timeline:
    """Build the timeline from the events and targets tables."""
    ev_t, ev_name, ev_tid = events["time_s"], events["event"], events["target_id"]
    n_targets = len(targets["target_id"])
    engaged = np.isin(ev_name, ("engage", "launch")) & (ev_tid >= 0)
    first = np.full(n_targets, np.inf)
    np.minimum.at(first, ev_tid[engaged], ev_t[engaged])
    rows_tid = np.flatnonzero(np.isfinite(first))
    rows_tid = rows_tid[np.lexsort((rows_tid, first[rows_tid]))]
    row_of = np.full(n_targets, -1, dtype=np.int64)
    row_of[rows_tid] = np.arange(rows_tid.size)

    on_row = (ev_tid >= 0) & (row_of[np.maximum(ev_tid, 0)] >= 0)
    row = np.where(on_row, row_of[np.maximum(ev_tid, 0)], -1)
    # the engagement span ends with the last shot's intercept or outcome (not a later leak or the scenario's end)
    fire = on_row & np.isin(ev_name, ("engage", "launch", "kill", "miss"))
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

    launch = on_row & (ev_name == "launch")
    if ends is not None:
        launch &= np.isfinite(ends)
    li = np.flatnonzero(launch)
    rounds = events["interceptors"][li] if "interceptors" in events else np.ones(li.size)

    detail = events.get("detail")
    mark_row, mark_time, mark_detail = {}, {}, {}
    for name in ROW_EVENTS:
        m = np.flatnonzero(on_row & (ev_name == name))
        mark_row[name] = row[m]
        mark_time[name] = ev_t[m]
        mark_detail[name] = [str(detail[i]) for i in m] if detail is not None else [""] * m.size

    callsign = targets.get("callsign")
    labels = []
    for tid in rows_tid:
        name = str(callsign[tid]) if callsign is not None and str(callsign[tid]) else f"target {tid}"
        kind = str(targets["kind"][tid])
        labels.append(f"{name} · {KIND_NAMES.get(kind, kind).lower()}")
    return Timeline(
        target_id=rows_tid.astype(np.int64), label=labels, hostile=targets["hostile"][rows_tid], outcome=outcome,
        first_s=first[rows_tid], last_s=last, flyout_row=row[li], flyout_start_s=ev_t[li],
        flyout_end_s=ends[li] if ends is not None else ev_t[li], flyout_rounds=np.asarray(rounds, dtype=float),
        mark_row=mark_row, mark_time_s=mark_time, mark_detail=mark_detail,
    )
