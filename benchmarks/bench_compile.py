"""Where a first run's compile time goes, kernel by kernel, and what loading the kernels from the cache costs.

Usage::

    python benchmarks/bench_compile.py [--scenario default] [--runs 3] [--cache DIR] [--top 40]

Runs the scenario ``--runs`` times in one process (``run_into``, as ``airpicture run`` does) with
``NUMBA_CACHE_DIR`` pointed at ``--cache`` (default: a new empty folder, so the first run compiles every kernel;
give the same folder again to time a warm start). Printed: wall and CPU (process) seconds of each run; every
compilation Numba did (airpicture kernels and Numba's own helpers they pulled in), with its signature, CPU seconds
exclusive of the compilations nested in it, and of those the LLVM part (function passes, module passes, machine
code); and every kernel loaded from the cache with its CPU seconds. A kernel compiled twice (two signatures) is
marked. Set ``NUMBA_OPT`` in the environment to measure another LLVM optimisation level (process-wide: for
measuring only).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="default")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache", help="NUMBA_CACHE_DIR to use (default: a new empty folder)")
    ap.add_argument("--top", type=int, default=40, help="compilations listed (the most expensive first)")
    args = ap.parse_args()
    cache = args.cache or tempfile.mkdtemp(prefix="bench-compile-cache-")
    os.environ["NUMBA_CACHE_DIR"] = cache
    c_start = time.process_time()
    t_start = time.perf_counter()

    from numba.core import caching, codegen, event

    stack: list[list[Any]] = []  # [name, signature, cpu at start, cpu of nested compiles, llvm cpu]
    done: list[tuple[str, str, float, float]] = []  # name, signature, exclusive cpu, llvm cpu
    parents: dict[str, set[str]] = defaultdict(set)  # helper -> the airpicture kernels it was compiled for
    loads: list[tuple[str, float]] = []

    def qualname(disp: Any) -> str:
        func = getattr(disp, "py_func", None)
        return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(disp))}"

    class Listener(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            sig = ", ".join(str(a) for a in ev.data.get("args", ()))
            stack.append([qualname(ev.data.get("dispatcher")), sig, time.process_time(), 0.0, 0.0])

        def on_end(self, ev: event.Event) -> None:
            name, sig, c0, nested, llvm = stack.pop()
            total = time.process_time() - c0
            done.append((name, sig, total - nested, llvm))
            if stack:
                stack[-1][3] += total
                if not name.startswith("airpicture."):
                    parents[name] |= {f[0] for f in stack if f[0].startswith("airpicture.")}

    passes: dict[str, float] = defaultdict(float)
    pass_stack: list[list[Any]] = []  # [pass name, cpu at start, cpu of nested passes]

    class PassListener(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            pass_stack.append([ev.data["name"].split(" [")[0], time.process_time(), 0.0])

        def on_end(self, ev: event.Event) -> None:
            name, c0, nested = pass_stack.pop()
            total = time.process_time() - c0
            passes[name] += total - nested
            if pass_stack:
                pass_stack[-1][2] += total

    llvm_parts: dict[str, float] = defaultdict(float)

    def charge_llvm(owner: Any, attr: str) -> None:
        original: Callable[..., Any] = getattr(owner, attr)

        def timed(*a: Any, **k: Any) -> Any:
            c0 = time.process_time()
            try:
                return original(*a, **k)
            finally:
                dt = time.process_time() - c0
                llvm_parts[attr] += dt
                if stack:
                    stack[-1][4] += dt

        setattr(owner, attr, timed)

    for attr in ("_optimize_functions", "_optimize_final_module", "_finalize_specific"):
        charge_llvm(codegen.JITCodeLibrary, attr)
    original_load = caching.Cache.load_overload

    def timed_load(self: Any, sig: Any, target_context: Any) -> Any:
        c0 = time.process_time()
        try:
            return original_load(self, sig, target_context)
        finally:
            loads.append((f"{self._name}", time.process_time() - c0))

    caching.Cache.load_overload = timed_load  # type: ignore[method-assign]

    from airpicture.engine import run_into
    from airpicture.folders import staged
    from airpicture.scenario import load_scenario

    print(f"imports: {time.perf_counter() - t_start:.2f} s wall, {time.process_time() - c_start:.2f} s CPU; "
          f"NUMBA_OPT={os.environ.get('NUMBA_OPT', '(default)')}, cache {cache}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-compile-out-"))
    sc = load_scenario(args.scenario)
    with event.install_listener("numba:compile", Listener()), event.install_listener("numba:run_pass",
                                                                                     PassListener()):
        for i in range(args.runs):
            n_done, n_loads = len(done), len(loads)
            t0, c0 = time.perf_counter(), time.process_time()
            run_into(sc, staged(tmp / f"run-{i}", "run", False), report=True)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            comp = done[n_done:]
            ld = loads[n_loads:]
            print(f"run {i}: {wall:6.2f} s wall, {cpu:6.2f} s CPU; {len(comp)} compilations "
                  f"{sum(c[2] for c in comp):.2f} s CPU (LLVM {sum(c[3] for c in comp):.2f}); "
                  f"{len(ld)} cache loads {sum(x[1] for x in ld):.2f} s CPU", flush=True)
    ours = [c for c in done if c[0].startswith("airpicture.")]
    sigs: dict[str, set[str]] = defaultdict(set)
    for name, sig, _, _ in ours:
        sigs[name].add(sig)
    print(f"\n{len(done)} compilations, {len(ours)} of airpicture functions "
          f"({sum(c[2] for c in ours):.2f} s CPU, LLVM {sum(c[3] for c in ours):.2f}); "
          f"Numba's helpers {sum(c[2] for c in done if c not in ours):.2f} s "
          f"(LLVM {sum(c[3] for c in done if c not in ours):.2f})")
    print("LLVM by phase (CPU s): " + ", ".join(f"{k.strip('_')} {v:.2f}" for k, v in llvm_parts.items())
          + "  (_finalize_specific: machine code)")
    print(f"{'CPU s':>7s} {'LLVM s':>7s}  compilation")
    for name, sig, cpu, llvm in sorted(done, key=lambda c: -c[2])[:args.top]:
        twice = "  [SEVERAL SIGNATURES]" if len(sigs.get(name, ())) > 1 else ""
        print(f"{cpu:7.2f} {llvm:7.2f}  {name}({sig[:110]}){twice}")
    helpers: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for name, _, cpu, _ in done:
        if not name.startswith("airpicture."):
            helpers[name][0] += 1
            helpers[name][1] += cpu
    print("\nNumba's helpers by name (count, CPU s):")
    for name, (n, cpu) in sorted(helpers.items(), key=lambda kv: -kv[1][1]):
        within = ", ".join(sorted(p.removeprefix("airpicture.") for p in parents.get(name, ())))
        print(f"  {n:3d} {cpu:6.2f}  {name}  [{within}]")
    print("\nNumba's compiler passes, CPU s exclusive of nested passes (LLVM work inside the lowering passes):")
    for name, cpu in sorted(passes.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {cpu:6.2f}  {name}")
    if loads:
        print(f"\ncache loads: {len(loads)}, {sum(x[1] for x in loads):.2f} s CPU")
        for name, cpu in sorted(loads, key=lambda x: -x[1])[:args.top]:
            print(f"  {cpu:6.3f}  {name}")
    print(f"\nwhole process: {time.perf_counter() - t_start:.2f} s wall, {time.process_time() - c_start:.2f} s CPU")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
