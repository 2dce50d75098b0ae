"""Compiling a first run's kernels ahead on two cores (airpicture.precompile): the signature table, the second
process, and the fallback when it fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

from airpicture import precompile
from airpicture.compiled import RUN_KERNEL_MODULES, TERRAIN_KERNEL_MODULES

ROOT = Path(__file__).resolve().parents[1]


def test_every_table_entry_names_a_kernel_and_decodes_to_its_types() -> None:
    table = precompile.load_table()
    assert table, "empty table"
    modules = set(RUN_KERNEL_MODULES + TERRAIN_KERNEL_MODULES)
    for name, sigs in table.items():
        module, _, qualname = name.partition(":")
        assert module in modules, name
        assert isinstance(precompile._dispatcher(name), numba.core.dispatcher.Dispatcher), name
        for sig in sigs:
            types = [precompile.decode_type(s) for s in sig]
            assert [precompile.encode_type(t) for t in types] == sig


def test_decoded_types_are_those_numba_gives_the_arguments() -> None:
    """Arrays (layouts, read-only), scalars and named tuples decode to the types Numba infers for such values."""
    from airpicture.engagement.kernels import Evaluation

    ro = np.zeros(3)
    ro.setflags(write=False)
    values = [np.zeros((2, 3)), np.zeros(4, np.int8), np.zeros((3, 3))[:, 0], ro, 1.5, 7, True,
              Evaluation(np.zeros(2, np.int8), np.zeros(2), np.zeros(2, np.int64), np.zeros(2))]
    for v in values:
        t = numba.typeof(v)
        spec = precompile.encode_type(t)
        assert json.loads(json.dumps(spec)) == spec
        assert precompile.decode_type(spec) == t, v


def test_kernels_for_picks_the_filter_of_the_motion_model_and_terrain_only_with_terrain() -> None:
    table = {"airpicture.tracking.kernels:_gate_imm": [], "airpicture.tracking.kernels:_gate_single": [],
             "airpicture.terrain.los:_first_clear": [], "airpicture.graph:connected_components": []}
    assert precompile.kernels_for(True, False, table) == ["airpicture.tracking.kernels:_gate_imm",
                                                          "airpicture.graph:connected_components"]
    assert precompile.kernels_for(False, True, table) == ["airpicture.tracking.kernels:_gate_single",
                                                          "airpicture.terrain.los:_first_clear",
                                                          "airpicture.graph:connected_components"]
    here, there = precompile.split(precompile.kernels_for(True, True, table))
    assert there == ["airpicture.tracking.kernels:_gate_imm"] and "airpicture.graph:connected_components" in here


def test_split_takes_whole_modules_and_single_kernels() -> None:
    names = ["airpicture.tracking.kernels:_gate_imm", "airpicture.tracking.management:swept_unhit",
             "airpicture.tracking.management:initial_states", "airpicture.graph:connected_components"]
    here, there = precompile.split(names, ("airpicture.tracking.kernels", "airpicture.tracking.management:swept_unhit"))
    assert there == names[:2] and here == names[2:]
    # the default split: the filter and the management kernels sharing its gate-edge helper go to the second process
    here, there = precompile.split(names)
    assert there == names[:2] and here == names[2:]


def test_the_table_lists_what_the_default_run_calls() -> None:
    """Every kernel the default scenario calls, with its argument types, is in the table (so a first run compiles
    nothing after the two processes are done). Collected as ``tools/kernel_signatures.py`` does, in one run: the
    session's cache holds the table's kernels (conftest compiles them ahead when cold), so a kernel missing from
    the table shows up here, with the helpers it compiled."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import kernel_signatures
    finally:
        sys.path.pop(0)
    table = precompile.load_table()
    for name, sigs in kernel_signatures.collect("default", warm_up=False).items():
        assert name in table, f"{name} is missing: run tools/kernel_signatures.py"
        for sig in sigs:
            assert sig in table[name], f"a signature of {name} is missing: run tools/kernel_signatures.py"


def test_second_process_compiles_into_the_shared_cache(tmp_path: Path) -> None:
    """The worker compiles the kernels it is given into NUMBA_CACHE_DIR and reports each; a new process then
    finds them cached. A kernel name it does not know is skipped, not fatal."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "airpicture.precompile", "airpicture.graph:connected_components",
                           "airpicture.graph:no_such_kernel"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("airpicture.graph:connected_components ")
    code = ("from airpicture.compiled import cold_modules; cold, _, _ = cold_modules(('airpicture.graph',)); "
            "print(cold)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr


def test_a_failing_second_process_leaves_its_kernels_to_this_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the second process fails, this process compiles (or loads) its kernels too; its report is followed."""
    compiled: list[list[str]] = []
    monkeypatch.setattr(precompile, "usable_cores", lambda: 2)
    monkeypatch.setattr(precompile, "compile_kernels", lambda names, table, done=None: compiled.append(list(names)))
    failing = [sys.executable, "-c", "print('airpicture.x:y 1.5', flush=True); raise SystemExit(3)"]
    monkeypatch.setattr(precompile, "start_worker", lambda names: subprocess.Popen(
        failing, stdout=subprocess.PIPE, text=True))
    told: list[tuple[str, float]] = []
    assert precompile.compile_ahead(True, False, there=lambda n, s: told.append((n, s)))
    mine, theirs = precompile.split(precompile.kernels_for(True, False))
    assert compiled == [mine, theirs]
    assert told == [("airpicture.x:y", 1.5)]


def test_one_core_compiles_nothing_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precompile, "usable_cores", lambda: 1)
    monkeypatch.setattr(precompile, "start_worker", lambda names: pytest.fail("no second process on one core"))
    assert precompile.compile_ahead(True, False) is False


def test_a_cold_run_compiles_ahead_and_shows_the_second_core(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    """`airpicture run` with a cold cache announces the compile and compiles ahead for the scenario's tracker
    (IMM, no terrain for `teaching`) before running; the second process's kernels reach the compile line."""
    from airpicture import cli, compiled
    from airpicture.progress import CompileLine

    calls: list[tuple[bool, bool]] = []
    shown: list[tuple[str, bool]] = []

    def fake_ahead(imm: bool, terrain: bool, here=None, there=None) -> bool:
        calls.append((imm, terrain))
        there("airpicture.tracking.kernels:_gate_imm", 1.25)
        return True

    monkeypatch.setattr(compiled, "first_run_notice", lambda: "compiling the simulation's kernels (test)")
    monkeypatch.setattr(precompile, "compile_ahead", fake_ahead)
    end = CompileLine.end
    monkeypatch.setattr(CompileLine, "end", lambda self, name, seconds, second_core=False: (
        shown.append((name, second_core)), end(self, name, seconds, second_core))[1])
    monkeypatch.setattr(sys, "argv", ["airpicture", "run", "teaching", "--out", str(tmp_path / "run")])
    cli.main()
    err = capsys.readouterr().err
    assert "compiling the simulation's kernels (test)" in err
    assert calls == [(True, False)]
    assert ("airpicture.tracking.kernels:_gate_imm", True) in shown
    assert (tmp_path / "run" / "report.html").is_file()


@pytest.mark.parametrize("cold", [True, False])
def test_a_sweep_compiles_ahead_before_its_workers_only_when_cold(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                  cold: bool) -> None:
    import io

    from rich.console import Console

    from airpicture import compiled
    from airpicture.sweep.command import compile_before_workers
    from airpicture.sweep.spec import load_sweep
    from tests.sweep_support import write_sweep

    plan = load_sweep(write_sweep(tmp_path))
    calls: list[tuple[bool, bool]] = []
    monkeypatch.setattr(compiled, "first_run_notice", lambda: "compiling (test)" if cold else None)
    monkeypatch.setattr(precompile, "compile_ahead", lambda imm, terrain, here=None, there=None: calls.append(
        (imm, terrain)))
    err = io.StringIO()
    compile_before_workers(plan, False, Console(file=err, width=200))
    assert calls == ([(plan.base.tracker.model.kind == "imm", False)] if cold else [])
    assert ("compiling (test), before the workers start" in err.getvalue()) == cold


def test_an_interrupted_compile_ends_the_second_process_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[subprocess.Popen] = []

    def sleeper(names):
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], stdout=subprocess.PIPE,
                                text=True)
        started.append(proc)
        return proc

    def interrupted(names, table, done=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(precompile, "usable_cores", lambda: 2)
    monkeypatch.setattr(precompile, "start_worker", sleeper)
    monkeypatch.setattr(precompile, "compile_kernels", interrupted)
    with pytest.raises(KeyboardInterrupt):
        precompile.compile_ahead(True, False)
    assert started and started[0].poll() is not None  # killed, not waited for 120 s
    started[0].stdout.close()


@pytest.mark.parametrize("cold", [True, False])
def test_the_python_api_compiles_ahead_only_when_cold(monkeypatch: pytest.MonkeyPatch, cold: bool) -> None:
    import airpicture
    from airpicture import compiled

    calls: list[tuple[bool, bool]] = []
    monkeypatch.setattr(compiled, "first_run_notice", lambda: "compiling (test)" if cold else None)
    monkeypatch.setattr(precompile, "compile_ahead", lambda imm, terrain, here=None, there=None: calls.append(
        (imm, terrain)) or True)
    run = airpicture.run("teaching")
    assert run.summary["targets"]["total"] > 0
    assert calls == ([(True, False)] if cold else [])


def test_kernels_for_the_tracker_alone() -> None:
    names = precompile.kernels_for(True, False, only=precompile.TRACKER_MODULES)
    assert names and all(n.startswith(("airpicture.tracking.", "airpicture.graph:")) for n in names)
    assert "airpicture.tracking.kernels:_gate_imm" in names
    assert not any(n.startswith(("airpicture.sensors.", "airpicture.engagement.", "airpicture.metrics."))
                   for n in names)


@pytest.mark.parametrize("cold", [True, False])
def test_track_command_compiles_the_tracker_ahead_only_when_cold(monkeypatch: pytest.MonkeyPatch, cold: bool) -> None:
    from airpicture import compiled
    from airpicture.scenario import TrackerConfig

    calls: list[tuple] = []
    monkeypatch.setattr(compiled, "cold_modules", lambda modules: (list(modules) if cold else [], 0, 0))
    monkeypatch.setattr(precompile, "compile_ahead", lambda imm, terrain, here=None, there=None, only=(),
                        second_modules=(): calls.append((imm, terrain, only, second_modules)) or True)
    assert precompile.compile_tracker_ahead_if_cold(TrackerConfig()) is cold
    assert calls == ([(True, False, precompile.TRACKER_MODULES, precompile.TRACKER_SECOND_CORE_MODULES)] if cold
                     else [])


def test_a_silent_second_process_is_killed_at_the_timeout() -> None:
    """A second process that hangs without a word is stopped at the timeout, not waited for."""
    import time

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], stdout=subprocess.PIPE,
                            text=True)
    t0 = time.monotonic()
    assert precompile.wait_worker(proc, timeout_s=1.0) is False
    assert time.monotonic() - t0 < 30 and proc.poll() is not None
