"""Splitting a large batch of a compiled kernel's rows across this machine's cores.

Kernels compiled with ``nogil=True`` release Python's lock while they run, so threads run them in parallel. The
tracker's gate is the one batch large enough to gain: in dense raids one call gates thousands of (track,
detection) pairs, each independent of the others. :func:`run_split` runs ``call(lo, hi)`` on contiguous spans
of the rows, one per core, the first in the calling thread; every row is computed by the same code as in one
call, so the results are the same bit for bit. Below :data:`MIN_ROWS_PER_THREAD` rows per thread the hand-over
costs more than it saves, and the call runs whole in the calling thread.

Why threads rather than Numba's ``parallel=True``: its threading layers are either not safe with several Python
threads (workqueue) or not safe across ``fork`` (GNU OpenMP), and the choice is process-wide; a pool of Python
threads is both, and only exists in the process that uses it. Sweeps run one battle per core and call
:func:`set_threads` (1) in their workers.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

#: Rows below which a thread is not worth its hand-over (tens of microseconds; a gated pair costs ~1.5).
MIN_ROWS_PER_THREAD = 256
#: Spans per thread, taken as the threads come free: rows of unequal cost (pairs inside the gate cost about twice
#: those outside) then still share the cores evenly.
SPANS_PER_THREAD = 4

_threads: int | None = None  # None: one per usable core
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_lock = threading.Lock()


def usable_cores() -> int:
    """CPUs this process may run on (its affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def set_threads(n: int | None) -> None:
    """Threads :func:`run_split` may use (``None``: one per usable core; 1: never split)."""
    global _threads
    _threads = None if n is None else max(1, int(n))


def threads() -> int:
    return usable_cores() if _threads is None else _threads


@contextmanager
def one_thread() -> Iterator[None]:
    """No splitting inside the block (a sweep's battle: the sweep already runs one per core)."""
    saved = _threads
    set_threads(1)
    try:
        yield
    finally:
        set_threads(saved)


def spans(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous spans (lo, hi) covering range(n), as equal as can be."""
    return [(n * i // parts, n * (i + 1) // parts) for i in range(parts)]


def _executor(workers: int) -> ThreadPoolExecutor:
    """This process's pool (a forked child builds its own: the parent's threads do not exist in it)."""
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid() or _pool._max_workers < workers:
        _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="airpicture")
        _pool_pid = os.getpid()
    return _pool


def run_split(n: int, call: Callable[[int, int], None]) -> None:
    """``call(lo, hi)`` over spans covering rows 0..n-1: in parallel threads when the rows are many, else one call.
    The rows are cut into up to :data:`SPANS_PER_THREAD` spans per thread, which the threads (the caller's among
    them) take one after the other as they finish the last, so that rows of unequal cost still share the cores
    evenly. Calls from several threads at once do not nest: while one split runs, another caller runs whole."""
    workers = min(threads(), n // MIN_ROWS_PER_THREAD)
    if workers <= 1 or not _lock.acquire(blocking=False):
        call(0, n)
        return
    try:
        pieces = spans(n, min(workers * SPANS_PER_THREAD, n // MIN_ROWS_PER_THREAD))
        taken = itertools.count()  # next(...) is atomic under the interpreter lock

        def work() -> None:
            for i in iter(lambda: next(taken), None):
                if i >= len(pieces):
                    return
                call(*pieces[i])

        pool = _executor(workers - 1)
        futures: list[Future[None]] = [pool.submit(work) for _ in range(workers - 1)]
        try:
            work()
        finally:
            for f in futures:
                f.result()
    finally:
        _lock.release()
