"""Compiling a run's kernels ahead of it, on two cores, the first time on a machine.

Numba compiles one function at a time in a process, and compiles a kernel when it is first called, so the first
run on a machine compiles ~45 kernels one after the other on one core. Their argument types do not depend on the
data (fixed dtypes and dimensions), only on the configuration, so they are known beforehand:
``kernel_signatures.json`` lists, for every kernel a built-in scenario calls, the signatures it is called with
(written by ``tools/kernel_signatures.py``; a test checks it against the kernels a run really compiles). With a
cold cache, :func:`compile_ahead` starts a second Python process that compiles the filter kernels
(``airpicture.tracking.kernels``, about half of the compile time) while this process compiles the others; both
write Numba's on-disk cache, and the run then loads every kernel from it. A missing, stale or failing list costs
nothing but time: whatever was not compiled ahead is compiled when called, as before.

Why by hand: Numba has no parallel or ahead-of-time compilation of cached kernels for a set of signatures
(``numba.pycc`` builds a separate extension module and is deprecated); ``Dispatcher.compile(signature)`` with
``cache=True`` is its documented way to compile and cache one signature eagerly.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

from airpicture.threads import usable_cores

if TYPE_CHECKING:
    from airpicture.scenario import Scenario, TrackerConfig

#: Kernels compiled by the second process, by module or as ``module:function``: the filter (prediction, gate,
#: update: its helpers are in the same module, so that the two processes compile disjoint code) and the track
#: management kernels that share the gate-edge helper. About half of a first run's compile time (measured on a
#: 2-core AMD EPYC: 13.0-13.3 s of compile there, 12.5-12.8 s here; with all of track management there, 14.0 s
#: against 11.8 s, and the run waited for the second process).
SECOND_CORE_MODULES = ("airpicture.tracking.kernels", "airpicture.tracking.management:swept_unhit",
                       "airpicture.tracking.management:gate_open")

#: Modules of the kernels ``airpicture track`` (the tracker alone) calls, and those of them the second process
#: compiles then (the filter: about half of the tracker's compile).
TRACKER_MODULES = ("airpicture.tracking.", "airpicture.graph")
TRACKER_SECOND_CORE_MODULES = ("airpicture.tracking.kernels",)

#: Seconds the run waits for the second process before compiling what is left itself.
WORKER_TIMEOUT_S = 600.0

TABLE = "kernel_signatures.json"


# ---------------------------------------------------------------------------------------------- signatures
def encode_type(t: Any) -> Any:
    """A Numba argument type as JSON: ``"float64"``; ``["float64", 2, "C"]`` for an array (``"readonly"``
    appended for a read-only one); ``{"tuple": "module:Class", "fields": [...]}`` for a named tuple."""
    from numba.core import types

    if isinstance(t, types.Array):
        return [str(t.dtype), t.ndim, t.layout] + ([] if t.mutable else ["readonly"])
    if isinstance(t, types.BaseNamedTuple):
        nt: Any = t  # NamedTuple or NamedUniTuple: both have instance_class and types
        cls = nt.instance_class
        return {"tuple": f"{cls.__module__}:{cls.__qualname__}", "fields": [encode_type(f) for f in nt.types]}
    if isinstance(t, types.Integer | types.Float | types.Boolean):
        return str(t)
    raise ValueError(f"no JSON form for the Numba type {t!r}")


def decode_type(spec: Any) -> Any:
    """The Numba type of :func:`encode_type`'s JSON."""
    import numpy as np
    from numba import from_dtype
    from numba.core import types

    if isinstance(spec, str):
        return from_dtype(np.dtype(spec))
    if isinstance(spec, list):
        dtype, ndim, layout, *flags = spec
        return types.Array(from_dtype(np.dtype(dtype)), int(ndim), layout, readonly="readonly" in flags)
    module, _, name = spec["tuple"].partition(":")
    cls = getattr(importlib.import_module(module), name)
    return types.BaseTuple.from_types([decode_type(f) for f in spec["fields"]], cls)


def load_table() -> dict[str, list[list[Any]]]:
    """``{"module:function": [signature, ...]}``, each signature a list of :func:`encode_type` specs."""
    text = resources.files("airpicture").joinpath(TABLE).read_text(encoding="utf-8")
    return json.loads(text)["kernels"]


def kernels_for(imm: bool, terrain: bool, table: dict[str, list[list[Any]]] | None = None,
                only: tuple[str, ...] = ("airpicture.",)) -> list[str]:
    """The kernels of the table a run compiles: all of them but the filter's loops for the other kind of motion
    model (``_imm`` for an IMM tracker, ``_single`` for one model), and the line-of-sight kernels only with
    terrain; only those whose module starts with one of ``only`` (e.g. :data:`TRACKER_MODULES`)."""
    from airpicture.compiled import TERRAIN_KERNEL_MODULES

    table = load_table() if table is None else table
    skip = "_single" if imm else "_imm"
    return [name for name in table if not name.endswith(skip) and name.startswith(only)
            and (terrain or name.partition(":")[0] not in TERRAIN_KERNEL_MODULES)]


def _dispatcher(name: str) -> Any:
    module, _, qualname = name.partition(":")
    return getattr(importlib.import_module(module), qualname)


def compile_kernels(names: Iterable[str], table: dict[str, list[list[Any]]],
                    done: Callable[[str, float], None] | None = None) -> None:
    """Compile (or load from the cache) each kernel of ``names`` for its signatures in ``table``; ``done(name,
    seconds)`` after each. A kernel or signature that no longer exists is skipped: it compiles when called."""
    for name in names:
        t0 = time.perf_counter()
        try:
            dispatcher = _dispatcher(name)
            for sig in table.get(name, []):
                dispatcher.compile(tuple(decode_type(s) for s in sig))
        except Exception:  # a stale entry: the run compiles what it calls
            continue
        if done is not None:
            done(name, time.perf_counter() - t0)


# -------------------------------------------------------------------------------------------- two processes
def split(names: Sequence[str], second_modules: Sequence[str] = SECOND_CORE_MODULES) -> tuple[list[str], list[str]]:
    """(kernels compiled here, kernels compiled by the second process: those of ``second_modules``, each entry a
    module or one ``module:function``)."""
    second = [n for n in names if n in second_modules or n.partition(":")[0] in second_modules]
    return [n for n in names if n not in second], second


def start_worker(names: Sequence[str]) -> subprocess.Popen[str] | None:
    """A second Python process compiling ``names`` into the same cache (``python -m airpicture.precompile``); None
    when it cannot be started."""
    if not names:
        return None
    try:
        return subprocess.Popen([sys.executable, "-m", "airpicture.precompile", *names], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=os.environ.copy())
    except OSError:
        return None


def wait_worker(worker: subprocess.Popen[str], done: Callable[[str, float], None] | None = None,
                timeout_s: float = WORKER_TIMEOUT_S) -> bool:
    """Follow the second process's report line by line (``done(name, seconds)`` for each kernel) until it ends;
    True if it finished in time and succeeded. At ``timeout_s`` it is killed, silent or not (a timer: reading its
    output would otherwise wait for a line that never comes): the run compiles what is left."""
    assert worker.stdout is not None
    timer = threading.Timer(timeout_s, worker.kill)
    timer.daemon = True
    timer.start()
    try:
        for line in worker.stdout:  # ends when the process exits or is killed
            name, _, seconds = line.strip().rpartition(" ")
            try:
                spent = float(seconds)
            except ValueError:
                continue
            if name and done is not None:
                done(name, spent)
        worker.wait()
    finally:
        timer.cancel()
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        worker.stdout.close()
    return worker.returncode == 0


def compile_ahead(imm: bool, terrain: bool, here: Callable[[str, float], None] | None = None,
                  there: Callable[[str, float], None] | None = None, only: tuple[str, ...] = ("airpicture.",),
                  second_modules: Sequence[str] = SECOND_CORE_MODULES) -> bool:
    """Compile a run's kernels on two cores: the filter kernels in a second process, the rest here, then wait for
    the second process (of the kernels whose module starts with one of ``only``). ``here``/``there`` are told of
    each kernel done (name, seconds). Returns False when the
    table cannot be read or only one core is usable (nothing is compiled ahead then). Call it only when the cache
    is cold (:func:`airpicture.compiled.first_run_notice`): with a warm cache it only loads kernels, which the run
    would do anyway."""
    if usable_cores() < 2:
        return False  # one core: the run compiles each kernel when it first calls it, as fast as ahead
    try:
        table = load_table()
    except (OSError, ValueError, KeyError):
        return False
    mine, theirs = split(kernels_for(imm, terrain, table, only), second_modules)
    worker = start_worker(theirs)
    try:
        compile_kernels(mine, table, here)
    except BaseException:  # interrupted: the second process goes too, at once
        if worker is not None:
            worker.kill()
            worker.wait()
        raise
    ok = worker is not None and wait_worker(worker, there)
    if not ok:
        compile_kernels(theirs, table, here)  # loads what the second process cached, compiles the rest
    return True


def compile_ahead_for(scenario: Scenario, here: Callable[[str, float], None] | None = None,
                      there: Callable[[str, float], None] | None = None) -> bool:
    """:func:`compile_ahead` for the kernels ``scenario`` calls (its tracker's kind of motion model, terrain)."""
    return compile_ahead(scenario.tracker.model.kind == "imm", scenario.terrain is not None, here, there)


def compile_ahead_if_cold(scenario: Scenario) -> bool:
    """For the Python API: compile ahead (silently) if the scenario has radars and this machine's kernel cache is
    cold; True if it did."""
    if not scenario.sensors:
        return False
    from airpicture.compiled import first_run_notice

    return first_run_notice() is not None and compile_ahead_for(scenario)


def compile_tracker_ahead_if_cold(config: TrackerConfig) -> bool:
    """For ``airpicture track``: compile the tracker's kernels ahead if none of them is in this machine's cache;
    True if it did."""
    from airpicture.compiled import RUN_KERNEL_MODULES, cold_modules

    modules = tuple(m for m in RUN_KERNEL_MODULES if m.startswith(TRACKER_MODULES))
    cold, _, _ = cold_modules(modules)
    return bool(cold) and compile_ahead(config.model.kind == "imm", False, only=TRACKER_MODULES,
                                        second_modules=TRACKER_SECOND_CORE_MODULES)


def main(argv: Sequence[str] | None = None) -> int:
    """The second process: compile the kernels named on the command line, one line ``name seconds`` each."""
    names = list(sys.argv[1:] if argv is None else argv)
    table = load_table()

    def report(name: str, seconds: float) -> None:
        sys.stdout.write(f"{name} {seconds:.3f}\n")
        sys.stdout.flush()

    compile_kernels(names, table, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
