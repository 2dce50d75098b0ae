"""Run a planned sweep into its folder: skip finished runs, execute the rest on a backend, record each row as
it arrives, then write ``sweep.parquet`` and the figures."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from airpicture.sweep.backends import Backend
from airpicture.sweep.spec import SweepPlan
from airpicture.sweep.store import SweepStore
from airpicture.sweep.worker import RunTask


class SweepProgress(Protocol):
    def start(self, total: int, done: int, failed: int) -> None: ...
    def advance(self, failed: bool) -> None: ...
    def close(self) -> None: ...


class NoProgress:
    """Reports nothing (``--quiet``, library use)."""

    def start(self, total: int, done: int, failed: int) -> None:
        pass

    def advance(self, failed: bool) -> None:
        pass

    def close(self) -> None:
        pass


def battles_per_minute(runs: int, elapsed_s: float) -> str:
    """Runs finished per minute of wall time, as the progress line shows it ("--" before the first)."""
    if runs <= 0 or elapsed_s <= 0:
        return "--"
    rate = 60.0 * runs / elapsed_s
    return f"{rate:.0f}" if rate >= 10 else f"{rate:.1f}"


class BarProgress:
    """A rich progress line: runs done of total (resumed ones included), runs failed in this session, battles
    (runs) per minute in this session, elapsed and estimated time left."""

    def __init__(self, label: str, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs, [red]{task.fields[failed]} failed[/],"),
            TextColumn("{task.fields[rate]} battles/min"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
        )
        self._label = label
        self._task: TaskID | None = None
        self._failed = 0
        self._ran = 0
        self._t0 = 0.0

    def start(self, total: int, done: int, failed: int) -> None:
        self._failed = failed
        self._ran = 0
        self._t0 = time.perf_counter()
        self._progress.start()
        self._task = self._progress.add_task(self._label, total=total, completed=done, failed=failed,
                                             rate=battles_per_minute(0, 0.0))

    def advance(self, failed: bool) -> None:
        if self._task is None:
            return
        self._failed += int(failed)
        self._ran += 1
        self._progress.update(self._task, advance=1, failed=self._failed,
                              rate=battles_per_minute(self._ran, time.perf_counter() - self._t0))

    def close(self) -> None:
        self._progress.stop()


@dataclass
class SweepResult:
    """What a sweep call did and produced."""

    folder: Path
    table_path: Path
    table: pa.Table = field(repr=False)
    figures: list[Path]
    total_runs: int
    resumed: int
    ran: int
    failed: int
    elapsed_s: float
    backend: str
    retried: int = 0  #: runs among ``ran`` whose earlier row recorded an error (``retry_failed``)


def pending_tasks(plan: SweepPlan, finished: set[tuple[int, int]]) -> list[RunTask]:
    """Runs without a row yet, replication-major so that a partial sweep already covers the whole grid."""
    cells = {gp.index: tuple((p, plan.grid_cell(p, gp.values[p]), plan.grid_types[p]) for p in plan.grid_paths)
             for gp in plan.points}
    return [
        RunTask(gp.index, rep, plan.run_seed(gp.index, rep), f"{plan.source} (grid point {gp.index})",
                cells[gp.index])
        for rep in range(plan.spec.seeds_per_point)
        for gp in plan.points
        if (gp.index, rep) not in finished
    ]


def run_sweep(plan: SweepPlan, out: Path, backend: Backend, progress: SweepProgress | None = None,
              figures: bool = True, retry_failed: bool = False) -> SweepResult:
    """Run every unfinished (grid point, replication) of ``plan`` into the folder ``out``.

    A run whose row recorded an error counts as finished, unless ``retry_failed``: then it runs again and its
    new row replaces the failed one. The caller owns ``backend`` (and closes it). Raises
    :class:`~airpicture.errors.InputError` if ``out`` holds another sweep.
    """
    progress = progress or NoProgress()
    t0 = time.perf_counter()
    with SweepStore.open(out, plan) as store:
        finished = store.finished()
        if retry_failed:
            planned = {(gp.index, r) for gp in plan.points for r in range(plan.spec.seeds_per_point)}
            again = store.failed(finished & planned)
            finished -= again
        else:
            again = set()
        tasks = pending_tasks(plan, finished)
        resumed = plan.n_runs - len(tasks)
        progress.start(plan.n_runs, resumed, 0)
        ran = 0
        try:
            for record in backend.run(tasks, [gp.scenario for gp in plan.points]):
                store.append(record)
                ran += 1
                progress.advance(record.error is not None)
        finally:
            progress.close()
        table_path, table = store.write_table()
        figure_paths: list[Path] = []
        if plan.sensitivity is not None:  # Sobol' indices (table, figure, summary) instead of saturation curves
            from airpicture.sweep.sobol import write_sensitivity

            figure_paths = write_sensitivity(plan, table, out, figures=figures)
        elif figures:
            from airpicture.sweep.figures import write_figures  # plotting imports only when drawing

            figure_paths = write_figures(plan, table, out / "figures")
    failed = len(table) - table.column("error").null_count
    return SweepResult(out, table_path, table, figure_paths, plan.n_runs, resumed, ran, failed,
                       time.perf_counter() - t0, backend.description, len(again))

