"""Progress reporting for long work: a rich progress bar per stage, plus a line while Numba compiles kernels (the
first run on a machine), or nothing (``--quiet``, library use)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class Reporter(Protocol):
    compiling: CompileLine | None  # the line of kernels compiled by a second process, if shown

    def stage(self, name: str, total: float | None = None, unit: str = "") -> None: ...
    def update(self, completed: float) -> None: ...
    def done(self) -> None: ...


class Silent:
    """Reports nothing."""

    compiling: CompileLine | None = None

    def stage(self, name: str, total: float | None = None, unit: str = "") -> None:
        pass

    def update(self, completed: float) -> None:
        pass

    def done(self) -> None:
        pass


class Bar:
    """One rich progress line per stage; ``update`` takes the completed amount (e.g. simulated seconds)."""

    def __init__(self, progress: Progress, compiling: CompileLine | None = None) -> None:
        self._p = progress
        self._task: TaskID | None = None
        self.compiling = compiling  # the compile line, for kernels compiled elsewhere (a second process)

    def stage(self, name: str, total: float | None = None, unit: str = "") -> None:
        self.done()
        self._task = self._p.add_task(name, total=total, unit=unit)

    def update(self, completed: float) -> None:
        if self._task is not None:
            self._p.update(self._task, completed=completed)

    def done(self) -> None:
        if self._task is not None:
            task = next(t for t in self._p.tasks if t.id == self._task)
            if task.total is not None:
                self._p.update(self._task, completed=task.total)
            self._task = None


class CompileLine:
    """A progress line of its own while Numba compiles kernels (the first run on a machine): how many are done,
    which one is compiling, the seconds spent so far (here, and in a second process when one shares the work).
    Appears only if something is compiled."""

    def __init__(self, progress: Progress) -> None:
        self._p = progress
        self._task: TaskID | None = None
        self._seconds = 0.0
        self._elsewhere = 0.0

    def _spent(self) -> str:
        here = f"{self._seconds:.1f} s"
        return f"{here} here, {self._elsewhere:.1f} s on a second core" if self._elsewhere else here

    def start(self, name: str) -> None:
        if self._task is None:
            self._task = self._p.add_task("compile kernels", total=None, unit="")
        self._p.update(self._task, unit=f"once for this machine · {name}")

    def end(self, name: str, seconds: float, second_core: bool = False) -> None:
        if second_core:
            self._elsewhere += seconds
        else:
            self._seconds += seconds
        if self._task is not None:
            self._p.update(self._task, advance=1, unit=f"once for this machine · {self._spent()} so far")

    def close(self) -> None:
        if self._task is not None:
            task = next(t for t in self._p.tasks if t.id == self._task)
            self._p.update(self._task, total=task.completed, unit=f"once for this machine · {self._spent()}")
            self._p.stop_task(self._task)


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
    from airpicture.compiled import watching  # loads Numba: only for work that compiles kernels

    compiling = CompileLine(progress)
    with progress, watching(compiling.start, compiling.end):
        bar = Bar(progress, compiling)
        try:
            yield bar
        finally:
            bar.done()
            compiling.close()
