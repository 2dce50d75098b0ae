"""The engagement event log (``events.parquet``) and the per-step resource timeline (``timeline.parquet``).

Events are appended as they are decided and sorted at the end by (time, order of recording), so the table is
deterministic. Times are seconds from the scenario start; ``track_id``/``target_id`` are -1 where not
applicable; optional numbers are null where not applicable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike

from airpicture.columns import arrow_array
from airpicture.outputs import schema
from airpicture.vocab import EngagementEvent

#: Every value of the ``event`` column (meanings: :class:`airpicture.vocab.EngagementEvent`).
EVENT_KINDS: tuple[EngagementEvent, ...] = tuple(EngagementEvent)

EVENT_SCHEMA = schema("events")
TIMELINE_SCHEMA = schema("timeline")

_NAN = float("nan")


class EventLog:
    """Append-only columns of events; ``table()`` gives them sorted by time (stable)."""

    def __init__(self) -> None:
        self._cols: dict[str, list] = {f.name: [] for f in EVENT_SCHEMA}

    def __len__(self) -> int:
        return len(self._cols["time_s"])

    def add(self, time_s: float, battery: str, track_id: int | np.integer, target_id: int | np.integer,
            event: EngagementEvent, kind: str = "",
            interceptors: int = 0, intercept_time_s: float = _NAN, assessment_time_s: float = _NAN,
            miss_distance_m: float = _NAN, detail: str = "") -> None:
        c = self._cols
        c["time_s"].append(float(time_s))
        c["battery"].append(battery)
        c["track_id"].append(int(track_id))
        c["target_id"].append(int(target_id))
        c["event"].append(event)
        c["kind"].append(kind)
        c["interceptors"].append(int(interceptors))
        c["intercept_time_s"].append(float(intercept_time_s))
        c["assessment_time_s"].append(float(assessment_time_s))
        c["miss_distance_m"].append(float(miss_distance_m))
        c["detail"].append(detail)

    def extend(self, time_s: float, battery: str, track_id: ArrayLike, target_id: ArrayLike, event: EngagementEvent,
               kind: Sequence[str], detail: str = "") -> None:
        """Add one event per track (arrays of equal length), same time and type."""
        tid = np.asarray(track_id, np.int64).tolist()
        m = len(tid)
        if m == 0:
            return
        c = self._cols
        c["time_s"].extend([float(time_s)] * m)
        c["battery"].extend([battery] * m)
        c["track_id"].extend(tid)
        c["target_id"].extend(np.asarray(target_id, np.int64).tolist())
        c["event"].extend([event] * m)
        c["kind"].extend(list(kind))
        c["interceptors"].extend([0] * m)
        for name in ("intercept_time_s", "assessment_time_s", "miss_distance_m"):
            c[name].extend([_NAN] * m)
        c["detail"].extend([detail] * m)

    def times_of(self, events: Sequence[EngagementEvent]) -> list[float]:
        ev = self._cols["event"]
        return [t for t, e in zip(self._cols["time_s"], ev, strict=True) if e in events]

    def table(self, until_s: float = np.inf, first: int = 0) -> pa.Table:
        """The events up to ``until_s`` (e.g. launches planned after the end of the run are left out), of those
        recorded from the ``first``-th on."""
        c = self._cols
        times = np.asarray(c["time_s"], float)
        order = np.argsort(times, kind="stable")
        order = order[(times[order] <= until_s) & (order >= first)]
        arrays = []
        for f in EVENT_SCHEMA:
            values = c[f.name]
            if pa.types.is_floating(f.type):
                v = np.asarray(values, float)[order]
                arrays.append(arrow_array(v, f.type, mask=np.isnan(v) if f.name != "time_s" else None))
            elif pa.types.is_integer(f.type):
                arrays.append(arrow_array(np.asarray(values, np.int64)[order], f.type))
            else:
                arrays.append(arrow_array([values[i] for i in order.tolist()], f.type))
        return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)


class Timeline:
    """Per battery and step: resources in use (rows appended in time order)."""

    def __init__(self) -> None:
        self._rows: list[tuple] = []

    def add(self, time_s: float, battery: str, channels_busy: int, fire_channels: int, in_flight: int,
            max_in_flight: int, ready_rounds: int, inventory_left: int, tracks_held: int,
            track_capacity: int) -> None:
        self._rows.append((float(time_s), battery, channels_busy, fire_channels, in_flight, max_in_flight,
                           ready_rounds, inventory_left, tracks_held, track_capacity))

    def __len__(self) -> int:
        return len(self._rows)

    def table(self, first: int = 0) -> pa.Table:
        """The rows from the ``first``-th on (all by default)."""
        rows = self._rows[first:]
        cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in TIMELINE_SCHEMA]
        return pa.Table.from_arrays([_column(v, f.type) for v, f in zip(cols, TIMELINE_SCHEMA, strict=True)],
                                    schema=TIMELINE_SCHEMA)


def _column(values: Sequence[Any], type: pa.DataType) -> pa.Array:
    """One timeline column of Python values as an Arrow array of ``type`` (numbers through NumPy)."""
    if pa.types.is_floating(type):
        return arrow_array(np.asarray(values, np.float64), type)
    if pa.types.is_integer(type):
        return arrow_array(np.asarray(values, np.int64), type)
    return arrow_array(list(values), type)
