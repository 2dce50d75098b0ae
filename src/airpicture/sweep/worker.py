"""What a worker does with one run: simulate the scenario, flatten its summary, catch and record any error.

Kept small and import-light on purpose: local worker processes preload this module, and Dask workers import it
by name, so it must not pull in the store, the figures or the command line.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airpicture.engine import run_scenario
from airpicture.scenario import Scenario
from airpicture.sweep.rows import GridCell, encode_row, row_table

Number = int | float | bool


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


def describe_error(exc: BaseException) -> str:
    """``Type: message (at file:line in function)`` — enough to find the failure without the full traceback."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {last.filename}:{last.lineno} in {last.name})"
    return text


def execute_run(task: RunTask, scenario: Scenario) -> RunRecord:
    """Run ``scenario`` with ``task.seed``; never raises for a failing run (the error is recorded instead)."""
    t0 = time.perf_counter()
    try:
        result = run_scenario(scenario.model_copy(update={"seed": task.seed}), source=task.source)
        summary = flatten_summary(result.summary)
        error = None
    except Exception as exc:
        summary = {}
        error = describe_error(exc)
    wall = time.perf_counter() - t0
    row = encode_row(row_table(task.point, task.replication, task.seed, task.grid, summary, wall, error))
    return RunRecord(task.point, task.replication, task.seed, summary, wall, error, row)
