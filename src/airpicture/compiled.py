"""The compiled (Numba) kernels of a run: whether this machine's on-disk cache already holds them, and a watch that
reports each kernel while Numba compiles it.

Numba compiles a kernel on its first call and keeps the machine code in its cache (``__pycache__`` beside the
sources, or ``NUMBA_CACHE_DIR``), keyed by the function's code and this machine's CPU. So the first run after an
installation (or an upgrade) spends most of its time compiling, and every later run loads the kernels in
milliseconds. :func:`uncached_kernels` tells the command line beforehand, so that it can say so;
:class:`CompileWatch` follows Numba's compile events, so that the progress display shows which kernel is being
compiled instead of a bar that does not move. :func:`njit` is the decorator of every kernel: Numba's own, with
LLVM's optimisation level lowered while airpicture's kernels compile (:data:`KERNEL_OPT`).
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numba
from numba.core import config as numba_config
from numba.core import event
from numba.core.dispatcher import Dispatcher
from numba.core.registry import cpu_target

#: Modules holding the kernels a full run (sensing, tracking, fire control, scoring) compiles.
RUN_KERNEL_MODULES = (
    "airpicture.sensors.truth_index",
    "airpicture.sensors.scan_timing",
    "airpicture.sensors.look_geometry",
    "airpicture.sensors.resolution",
    "airpicture.tracking.kernels",
    "airpicture.tracking.gating",
    "airpicture.tracking.association",
    "airpicture.tracking.management",
    "airpicture.tracking.store",
    "airpicture.tracking.history",
    "airpicture.tracking.coverage",
    "airpicture.tracking.sensors",
    "airpicture.engagement.kernels",
    "airpicture.metrics.neighbours",
    "airpicture.metrics.gospa",
    "airpicture.graph",
)

#: Modules of the kernels only some scenarios compile: line of sight over terrain.
TERRAIN_KERNEL_MODULES = ("airpicture.terrain.grid", "airpicture.terrain.los")

#: Compile time of every kernel of the default scenario's run on one core, seconds, as (fast, slow) machine: the first
#: run with an empty cache minus a later run (benchmarks/bench_first_run.py, bench_compile.py; see BENCHMARKS.md,
#: "First run"): 26 s on a quiet 2-core AMD EPYC (2026-12-07), 45-50 s on the 2-core Intel machine whose host took
#: time from it (2026-12-06). The announcement scales both by the share of kernels not yet cached.
REFERENCE_COMPILE_S = (26.0, 45.0)

#: The same compile shared by two processes (:mod:`airpicture.precompile`), before the run starts: 14 s on the AMD
#: machine, 28-30 s on the Intel one (BENCHMARKS.md, "First run: compiling on two cores").
REFERENCE_COMPILE_TWO_CORES_S = (14.0, 29.0)

#: LLVM optimisation level at which airpicture's kernels (and the Numba helpers they pull in) are compiled, instead
#: of Numba's default 3: about a quarter less LLVM time on a first run, and no measurable change of the run time nor
#: of any result (BENCHMARKS.md, "First run"). Not applied when the user chose a level with ``NUMBA_OPT``.
KERNEL_OPT = 2

_config: Any = numba_config  # its settings are set from the environment at run time: not seen by type checkers


class KernelOptLevel(event.Listener):
    """Numba compile-event listener that sets Numba's optimisation level (``numba.core.config.OPT``, which its
    CPU code generator reads at each compilation) to ``level`` while one of this package's kernels compiles, and
    restores it when that compilation ends: other code compiled in the process keeps its own level. Does nothing
    when ``NUMBA_OPT`` is set in the environment, or the level in force is not Numba's default 3."""

    def __init__(self, level: int, prefix: str = "airpicture.") -> None:
        self.level = level
        self._prefix = prefix
        self._saved: Any = None
        self._depth = 0  # compilations started (ours and those nested in it) since the level was changed

    def on_start(self, ev: event.Event) -> None:
        if self._saved is not None:
            self._depth += 1
            return
        module = getattr(getattr(ev.data.get("dispatcher"), "py_func", None), "__module__", None) or ""
        if (module + ".").startswith(self._prefix) and "NUMBA_OPT" not in os.environ and _config.OPT == 3 \
                and not _config.OPT.is_opt_max:
            self._saved = _config.OPT
            self._depth = 1
            _config.OPT = _config._OptLevel(self.level)

    def on_end(self, ev: event.Event) -> None:
        if self._saved is None:
            return
        self._depth -= 1
        if self._depth == 0:
            _config.OPT, self._saved = self._saved, None


_KERNEL_OPT_LEVEL = KernelOptLevel(KERNEL_OPT)
event.register("numba:compile", _KERNEL_OPT_LEVEL)


def njit(*args: Any, **options: Any) -> Any:
    """``numba.njit`` for this package's kernels (the same arguments); they compile at :data:`KERNEL_OPT` (the
    listener registered when this module is imported)."""
    return numba.njit(*args, **options)


def _dispatchers(module_names: Sequence[str]) -> list[Any]:
    found = []
    for name in module_names:
        module = importlib.import_module(name)
        found += [v for v in vars(module).values() if isinstance(v, Dispatcher) and v.__module__ == name]
    return found


def _cached_here(dispatcher: Any, magic: tuple) -> bool | None:
    """Whether the on-disk cache holds at least one compiled version of ``dispatcher`` for this machine and this
    source (None if that cannot be told: caching off, or a Numba whose cache is laid out differently)."""
    try:
        index = dispatcher._cache._cache_file._load_index()
    except (AttributeError, OSError, EOFError, ValueError, TypeError):
        return None
    return any(len(key) > 1 and key[1] == magic for key in index)


def uncached_kernels(module_names: Sequence[str] = RUN_KERNEL_MODULES) -> tuple[int, int]:
    """(kernels without a compiled version in this machine's cache, kernels) of the given modules; (0, n) when
    the cache cannot be inspected. Importing the modules compiles nothing."""
    magic = cpu_target.target_context.codegen().magic_tuple()
    kernels = _dispatchers(module_names)
    states = [_cached_here(d, magic) for d in kernels]
    return sum(s is False for s in states), len(kernels)


def cold_modules(module_names: Sequence[str] = RUN_KERNEL_MODULES) -> tuple[list[str], int, int]:
    """(modules none of whose kernels this machine's cache holds, their kernels, kernels of all the modules).

    Counted by module, not by kernel: some kernels are never compiled on their own (helpers inlined into their
    callers) or only by some configurations (JPDA, terrain), so a cache filled by earlier runs never holds every
    kernel. A module without any cached kernel has not been compiled on this machine (or its source changed).
    None of it is decided when the cache cannot be inspected."""
    magic = cpu_target.target_context.codegen().magic_tuple()
    cold: list[str] = []
    cold_kernels = total = 0
    for name in module_names:
        states = [_cached_here(d, magic) for d in _dispatchers([name])]
        total += len(states)
        if states and all(s is False for s in states):
            cold.append(name)
            cold_kernels += len(states)
    return cold, cold_kernels, total


def first_run_notice(module_names: Sequence[str] = RUN_KERNEL_MODULES) -> str | None:
    """The sentence announcing the compilation a run is about to do, or None when the kernels are cached (every
    module has compiled kernels in the cache, see :func:`cold_modules`)."""
    from airpicture.precompile import usable_cores

    _, cold, total = cold_modules(module_names)
    if cold == 0 or total == 0:
        return None
    two = usable_cores() >= 2
    reference = REFERENCE_COMPILE_TWO_CORES_S if two else REFERENCE_COMPILE_S
    fast, slow = (max(1, round(seconds * cold / total)) for seconds in reference)
    estimate = f"{fast}" if fast == slow else f"{fast}-{slow}"
    return (f"compiling the simulation's kernels once for this machine, ~{estimate} s{' on two cores' if two else ''}"
            " (later runs load them from the cache)")


class CompileWatch(event.Listener):
    """Numba compile-event listener: calls ``on_start(name)`` when a kernel of this package starts compiling (not
    the helpers it calls, which compile inside it) and ``on_end(name, seconds)`` when it is done."""

    def __init__(self, on_start: Callable[[str], None], on_end: Callable[[str, float], None],
                 prefix: str = "airpicture.") -> None:
        self._prefix = prefix
        self._on_start = on_start
        self._on_end = on_end
        self._depth = 0
        self._t0 = 0.0
        self.count = 0
        self.seconds = 0.0

    def _name(self, ev: event.Event) -> str | None:
        """The kernel's name without the prefix (``tracking.kernels._gate_imm``); None for another package's."""
        func = getattr(ev.data.get("dispatcher"), "py_func", None)
        module = getattr(func, "__module__", None) or ""
        if func is None or not (module + ".").startswith(self._prefix):
            return None
        return f"{(module + '.').removeprefix(self._prefix)}{func.__qualname__}"

    def on_start(self, ev: event.Event) -> None:
        self._depth += 1
        if self._depth == 1:
            self._t0 = time.perf_counter()
            name = self._name(ev)
            if name is not None:
                self._on_start(name)

    def on_end(self, ev: event.Event) -> None:
        self._depth -= 1
        if self._depth == 0:
            name = self._name(ev)
            if name is not None:
                dt = time.perf_counter() - self._t0
                self.count += 1
                self.seconds += dt
                self._on_end(name, dt)


@contextmanager
def watching(on_start: Callable[[str], None], on_end: Callable[[str, float], None],
             prefix: str = "airpicture.") -> Iterator[CompileWatch]:
    """Follow the compilations of the kernels in modules under ``prefix`` for the duration of the block."""
    watch = CompileWatch(on_start, on_end, prefix)
    with event.install_listener("numba:compile", watch):
        yield watch
