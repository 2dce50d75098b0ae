"""Exit codes of the ``airpicture`` command and how interruptions end it.

Exit codes (documented in the README):

* ``0`` -- success, and only then;
* ``1`` -- the work failed (out of memory, disk full, an unexpected error);
* ``2`` -- bad input: a file, a field, a command-line value, an output folder, or work above the budget;
* ``3`` -- a sweep stopped because a worker process died or the cluster failed a run (finished runs are kept:
  running the same command again resumes);
* ``128 + signal`` -- interrupted: ``130`` for Ctrl-C (SIGINT), ``143`` for SIGTERM, ``129`` for SIGHUP.

Interruptions. :func:`handled_signals` makes SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` (a
``KeyboardInterrupt``) in the main thread, once: the work unwinds through its ``finally`` blocks and context
managers (temporary folders removed, worker processes ended) and a second signal during that clean-up is
ignored, so the clean-up is not itself cut short. SIGINT is handled even when the process started with it
ignored (a background job of a script), so ``kill -INT`` always interrupts; an ignored SIGHUP (``nohup``) stays
ignored. Commands add a line about what they kept with :func:`on_interrupt`. Errors of finalizers while the
command unwinds from a signal are not printed (:func:`_unwinding_hook`).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

OK = 0
FAILED = 1
BAD_INPUT = 2
STOPPED = 3

SIGNAL_NAMES: dict[int, str] = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread by a handled signal; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(SIGNAL_NAMES.get(signum, f"signal {signum}"))
        self.signum = signum


_state: dict[str, object] = {"signum": None, "note": None}


def received() -> int | None:
    """The signal that interrupted this process, if any."""
    value = _state["signum"]
    return value if isinstance(value, int) else None


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state["signum"] is not None:
        return  # already unwinding: let the clean-up finish
    _state["signum"] = signum
    sys.unraisablehook = _unwinding_hook
    raise Interrupted(signum)


def _unwinding_hook(unraisable: Any) -> None:
    """``sys.unraisablehook`` once a signal has interrupted the command: errors raised by finalizers while it
    unwinds (an object whose construction the signal cut short, e.g. one of llvmlite's while Numba loads a kernel,
    fails in its ``__del__``) are not reported -- the command ends with its one-line message, not a traceback."""


@contextmanager
def handled_signals() -> Iterator[None]:
    """While the block runs, SIGINT, SIGTERM and SIGHUP (unless ignored) raise :class:`Interrupted`; the
    previous handlers come back afterwards. Main thread only."""
    _state["signum"] = None
    _state["note"] = None
    hook = sys.unraisablehook
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        old = signal.getsignal(sig)
        if sig == signal.SIGHUP and old is signal.SIG_IGN:
            continue
        previous[sig] = old
        signal.signal(sig, _handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
        if _state["signum"] is None:
            sys.unraisablehook = hook
        # after a signal the quiet hook stays: the command is ending, and finalizers may run until it has


def exit_code_for(signum: int) -> int:
    return 128 + int(signum)


@contextmanager
def on_interrupt(note: str) -> Iterator[None]:
    """While the block runs, an interruption's one-line message ends with ``note`` (what was kept or removed)."""
    before = _state["note"]
    _state["note"] = note
    try:
        yield
    finally:
        if _state["signum"] is None:
            _state["note"] = before


def interrupt_message(signum: int | None) -> str:
    """The one line printed when an interruption ends the command."""
    what = SIGNAL_NAMES.get(signum, f"signal {signum}") if signum is not None else "Ctrl-C (SIGINT)"
    note = _state["note"]
    return f"interrupted by {what}; " + (str(note) if note else "nothing was written")
