"""What a worker does with one run: simulate the scenario, flatten its summary, add the arrival times the
figures need, catch and record any error.

Kept small and import-light on purpose: local worker processes preload this module, and Dask workers import it
by name, so it must not pull in the store, the figures or the command line.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from airpicture.engine import RunResult, run_scenario
from airpicture.scenario import Scenario
from airpicture.sweep.rows import GridCell, encode_row, row_table
from airpicture.threads import one_thread
from airpicture.vocab import EngagementEvent

Number = int | float | bool

#: Events that mark a threat's arrival at a battery (the first step its track is engageable there): it is
#: engaged at once, or waits for a fire channel or an interceptor. One arrival per (battery, track).
ARRIVAL_EVENTS = (EngagementEvent.ENGAGE, EngagementEvent.NO_CHANNEL, EngagementEvent.NO_INTERCEPTOR)
#: Row columns derived from the run's events (when the summary does not have them): times of the first and last
#: arrivals, and the 10th and 90th percentiles of the arrival times (linear interpolation), seconds.
ARRIVAL_COLUMNS = {
    "engagement.first_arrival_s": 0.0,
    "engagement.arrival_p10_s": 10.0,
    "engagement.arrival_p90_s": 90.0,
    "engagement.last_arrival_s": 100.0,
}
#: Seconds between checks that the sweep process is alive, where no pidfd can wait for it.
WATCH_PERIOD_S = 0.5


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep: grid point ``point``, replication ``replication``, scenario seed ``seed``; ``grid``
    holds the point's values as its row stores them; ``source`` names the sweep file in error messages."""

    point: int
    replication: int
    seed: int
    source: str
    grid: tuple[GridCell, ...] = ()


@dataclass(frozen=True)
class RunRecord:
    """What a run produced: its flattened numeric summary, or the error it raised; wall time of the run in
    seconds; ``row``, the run's row as Parquet file bytes."""

    point: int
    replication: int
    seed: int
    summary: dict[str, Number] = field(default_factory=dict)
    wall_time_s: float = 0.0
    error: str | None = None
    row: bytes = field(default=b"", repr=False)


def flatten_summary(summary: Mapping[str, Any], prefix: str = "") -> dict[str, Number]:
    """Nested numeric fields as ``{"engagement.leakers": 3, ...}``; text, lists and None are left out."""
    out: dict[str, Number] = {}
    for key, value in summary.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(flatten_summary(value, name))
        elif isinstance(value, bool | int | float):
            out[name] = value
    return out


def arrival_times(events: pa.Table) -> NDArray[np.float64]:
    """Sorted arrival times at the batteries, seconds: per (battery, track), its first arrival event."""
    marked = events.filter(pc.is_in(events["event"], pa.array(ARRIVAL_EVENTS)))
    if marked.num_rows == 0:
        return np.zeros(0)
    first = marked.group_by(["battery", "track_id"], use_threads=False).aggregate([("time_s", "min")])
    return np.sort(first["time_s_min"].to_numpy())


def arrival_summary(result: RunResult) -> dict[str, float]:
    """:data:`ARRIVAL_COLUMNS` of a run with at least one arrival (empty otherwise), from its events table."""
    events = result.tables.get("events")
    if events is None:
        return {}
    t = arrival_times(events)
    if t.size == 0:
        return {}
    return {name: float(np.percentile(t, q)) for name, q in ARRIVAL_COLUMNS.items()}


def describe_error(exc: BaseException) -> str:
    """``Type: message (at file:line in function)`` — enough to find the failure without the full traceback."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {last.filename}:{last.lineno} in {last.name})"
    return text


def execute_run(task: RunTask, scenario: Scenario) -> RunRecord:
    """Run ``scenario`` with ``task.seed``; never raises for a failing run (the error is recorded instead). The run
    keeps to one thread: a sweep runs one battle per core."""
    t0 = time.perf_counter()
    try:
        with one_thread():
            result = run_scenario(scenario.model_copy(update={"seed": task.seed}), source=task.source,
                                  keep=("events",))
        summary = flatten_summary(result.summary)
        for name, value in arrival_summary(result).items():
            summary.setdefault(name, value)
        error = None
    except Exception as exc:
        summary = {}
        error = describe_error(exc)
    wall = time.perf_counter() - t0
    row = encode_row(row_table(task.point, task.replication, task.seed, task.grid, summary, wall, error))
    return RunRecord(task.point, task.replication, task.seed, summary, wall, error, row)


def die_with_sweep(sweep_pid: int) -> None:
    """Worker-process initializer: ignore Ctrl-C (the sweep process ends its workers) and exit as soon as the
    sweep process ``sweep_pid`` is gone, even after SIGKILL.

    A thread waits on a pidfd of the sweep (Linux >= 5.3; elsewhere on POSIX it polls every
    ``WATCH_PERIOD_S``) and ends the worker with ``os._exit``, so no orphan keeps computing runs nobody will
    record. The kernel's parent-death signal cannot do this: a worker's parent is the forkserver, which stays
    up as long as any worker does. Does nothing on Windows.
    """
    if os.name != "posix":
        return
    # Ctrl-C reaches the whole process group: the sweep process ends the workers itself (no traceback from each)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    fd: int | None = None
    try:
        fd = os.pidfd_open(sweep_pid)
    except ProcessLookupError:  # the sweep died before this worker started
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd_open (older kernel, other POSIX system): poll instead
        fd = None
    threading.Thread(target=_watch_sweep, args=(sweep_pid, fd), name="airpicture-sweep-watch", daemon=True).start()


def _watch_sweep(sweep_pid: int, fd: int | None) -> None:
    if fd is not None:
        select.select([fd], [], [])  # a pidfd turns readable when its process exits
    else:
        while True:
            try:
                os.kill(sweep_pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:  # the pid now belongs to another user's process: the sweep is gone
                break
            time.sleep(WATCH_PERIOD_S)
    os._exit(1)
