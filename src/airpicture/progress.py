"""Progress reporting for long work: a rich progress bar per stage, or nothing (``--quiet``, library use)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class Reporter(Protocol):
    def stage(self, name: str, total: float | None = None, unit: str = "") -> None: ...
    def update(self, completed: float) -> None: ...
    def done(self) -> None: ...


class Silent:
    """Reports nothing."""

    def stage(self, name: str, total: float | None = None, unit: str = "") -> None:
        pass

    def update(self, completed: float) -> None:
        pass

    def done(self) -> None:
        pass


class Bar:
    """One rich progress line per stage; ``update`` takes the completed amount (e.g. simulated seconds)."""

    def __init__(self, progress: Progress) -> None:
        self._p = progress
        self._task: TaskID | None = None

    def stage(self, name: str, total: float | None = None, unit: str = "") -> None:
        self.done()
        self._task = self._p.add_task(name, total=total, unit=unit)

    def update(self, completed: float) -> None:
        if self._task is not None:
            self._p.update(self._task, completed=completed)

    def done(self) -> None:
        if self._task is not None:
            task = self._p.tasks[-1]
            if task.total is not None:
                self._p.update(self._task, completed=task.total)
            self._task = None


@contextmanager
def reporter(quiet: bool, console: Console | None = None) -> Iterator[Reporter]:
    if quiet:
        yield Silent()
        return
    progress = Progress(
        TextColumn("[bold]{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
        transient=False,
    )
    with progress:
        bar = Bar(progress)
        try:
            yield bar
        finally:
            bar.done()
