"""Start-up: each command imports what it needs (checked in fresh processes), and the first run on a machine is
told apart from later ones (the compiled kernels' on-disk cache)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HEAVY = ("numba", "llvmlite", "scipy", "plotly", "matplotlib", "dask", "distributed")

PROBE = textwrap.dedent("""
    import json, sys
    from airpicture.cli import main
    sys.argv = ["airpicture", *sys.argv[1:]]
    try:
        main()
    except SystemExit:
        pass
    sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
""")


def modules_after(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``airpicture ARGS`` in a fresh process; its output and the modules it had imported at the end."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES "))
    return proc, set(json.loads(line.removeprefix("MODULES ")))


@pytest.mark.parametrize("name", ["default", "teaching", "saturation", "ballistic"])
def test_validate_imports_no_kernels_nor_plotting(tmp_path: Path, name: str) -> None:
    proc, mods = modules_after("validate", name, cwd=tmp_path)
    assert "valid" in proc.stdout, proc.stderr
    assert not {m.split(".")[0] for m in mods} & set(HEAVY), sorted(m for m in mods if m.split(".")[0] in HEAVY)
    # nothing of sensing, tracking's kernels, fire control, the report; and no Parquet machinery without a replay
    assert not [m for m in mods if m.startswith(("airpicture.sensors", "airpicture.engagement", "airpicture.report",
                                                 "airpicture.tracking.kernels", "airpicture.metrics"))]
    assert "pyarrow" not in mods


def test_validate_of_a_replay_reads_its_file_without_kernels(tmp_path: Path) -> None:
    proc, mods = modules_after("validate", "air-traffic", cwd=tmp_path)
    assert "valid" in proc.stdout, proc.stderr
    assert "pyarrow" in mods  # the recorded flights are read
    assert not {m.split(".")[0] for m in mods} & set(HEAVY)


def test_help_imports_neither_numpy_nor_the_scenario_models(tmp_path: Path) -> None:
    proc, mods = modules_after("--help", cwd=tmp_path)
    assert "validate" in proc.stdout and proc.returncode == 0
    assert not {m.split(".")[0] for m in mods} & {*HEAVY, "numpy", "pyarrow", "pydantic"}
    assert "airpicture.scenario" not in mods


def test_run_imports_no_scipy_package_it_does_not_use_nor_pandas(tmp_path: Path) -> None:
    """A run takes its assignment solver, graph components and gate quantiles without importing scipy.optimize,
    scipy.sparse, scipy.special or scipy.spatial (~0.3 s of a process; Numba itself imports scipy.linalg's BLAS
    bindings when its first kernel loads), and builds and reads its tables without pandas (~0.25 s, ~40 MB)."""
    proc, mods = modules_after("run", "teaching", "--quiet", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "summary.json").is_file()
    assert "scipy.optimize._lsap" in mods  # the solver's extension module alone, loaded by airpicture.lsap
    assert not [m for m in mods - {"scipy.optimize._lsap"}
                if m.startswith(("scipy.optimize", "scipy.sparse", "scipy.special", "scipy.spatial", "scipy.stats"))]
    assert "pandas" not in mods and "pyarrow.dataset" not in mods


def test_report_imports_neither_plotly_nor_matplotlib(tmp_path: Path) -> None:
    """The report page is written without plotly.py (its JavaScript is read from the package's data files)."""
    from tests.test_report_support import write_full_run

    folder = write_full_run(tmp_path / "run")
    proc, mods = modules_after("report", str(folder), "-q", cwd=tmp_path)
    assert (folder / "report.html").is_file(), proc.stderr
    assert not {m.split(".")[0] for m in mods} & {"plotly", "_plotly_utils", "matplotlib"}


def test_scenario_models_stand_alone() -> None:
    """The scenario models (and the placement helpers their validation uses) import neither the truth models nor
    the sensors: no import circle between them."""
    code = ("import sys, airpicture.scenario, airpicture.placement; "
            "print(sorted(m for m in sys.modules if m.startswith('airpicture.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    scenario_modules = [f"airpicture.scenario.{m}" for m in ("base", "batteries", "loading", "model", "places",
                                                             "sensors", "threats", "tracker")]
    assert eval(out) == sorted(["airpicture.errors", "airpicture.geodesy", "airpicture.placement",
                                "airpicture.scenario", *scenario_modules, "airpicture.terrain",
                                "airpicture.terrain.config"])  # the [terrain] models only


PROBE_MODULE = textwrap.dedent("""
    from numba import njit

    @njit(cache=True)
    def twice(x):
        return 2.0 * x
""")

CACHE_PROBE = textwrap.dedent("""
    import json, sys
    from airpicture.compiled import uncached_kernels, watching
    before = uncached_kernels(["probe_kernels"])
    seen = []
    with watching(lambda name: seen.append(("start", name)), lambda name, s: seen.append(("end", name)),
                  prefix="probe_kernels."):
        import probe_kernels
        probe_kernels.twice(1.5)
    print(json.dumps({"before": before, "after": uncached_kernels(["probe_kernels"]), "seen": seen}))
""")


def test_cache_state_and_compile_events(tmp_path: Path) -> None:
    """A kernel absent from an empty cache is counted as uncached, its compilation is reported once, and it
    counts as cached afterwards -- also in a new process, which then compiles nothing."""
    (tmp_path / "probe_kernels.py").write_text(PROBE_MODULE)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}

    def probe() -> dict:
        out = subprocess.run([sys.executable, "-c", CACHE_PROBE], capture_output=True, text=True, env=env,
                             cwd=tmp_path, timeout=120)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    first = probe()
    assert first["before"] == [1, 1] and first["after"] == [0, 1]
    assert first["seen"] == [["start", "twice"], ["end", "twice"]]
    second = probe()
    assert second == {"before": [0, 1], "after": [0, 1], "seen": []}


def test_first_run_notice_with_an_empty_cache(tmp_path: Path) -> None:
    code = "from airpicture.compiled import first_run_notice; print(first_run_notice())"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "empty")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         timeout=120).stdout
    assert out.startswith("compiling the simulation's kernels once for this machine, ~")
    from airpicture.precompile import usable_cores

    where = " on two cores" if usable_cores() >= 2 else ""
    assert f" s{where} (later runs load them from the cache)" in out
    # a range from a fast to a slow machine, the fast end first
    low, high = (int(v) for v in re.search(r"~(\d+)-(\d+) s", out).groups())  # type: ignore[union-attr]
    assert 1 <= low < high


@pytest.mark.parametrize(("given", "kept"), [(None, "__all__"), ("", ""), ("some_plugin", "some_plugin")])
def test_pydantic_plugin_lookup_off_unless_the_environment_says(tmp_path: Path, given: str | None, kept: str) -> None:
    """The command turns pydantic's plugin lookup off for itself; a value the environment gives is kept."""
    code = ("import os, sys\nfrom airpicture.cli import main\nsys.argv = ['airpicture', 'validate', 'teaching']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('PLUGINS ' + repr(os.environ.get('PYDANTIC_DISABLE_PLUGINS')) + '\\n')\n")
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if given is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = given
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=120)
    assert "valid" in proc.stdout, proc.stderr
    assert f"PLUGINS {kept!r}" in proc.stderr


@pytest.mark.parametrize(("prefix", "numba_opt", "expected"), [("match", None, 1), ("other.", None, 3),
                                                               ("match", "3", 3)])
def test_kernel_opt_level_scoped(monkeypatch: pytest.MonkeyPatch, prefix: str, numba_opt: str | None,
                                 expected: int) -> None:
    """The package's kernels compile at the lowered level, other code at Numba's, and a ``NUMBA_OPT`` the user set
    wins; the level is restored when the compilation ends."""
    import numba
    from numba.core import config, event

    from airpicture.compiled import KernelOptLevel

    if numba_opt is None:
        monkeypatch.delenv("NUMBA_OPT", raising=False)
    else:
        monkeypatch.setenv("NUMBA_OPT", numba_opt)
    seen: set[int] = set()

    class Passes(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            seen.add(int(config.OPT))

        def on_end(self, ev: event.Event) -> None:
            pass

    @numba.njit
    def probe(x: float) -> float:
        return 3.0 * x

    level = KernelOptLevel(1, prefix=(__name__ + ".") if prefix == "match" else prefix)
    with event.install_listener("numba:compile", level), event.install_listener("numba:run_pass", Passes()):
        assert probe(2.0) == 6.0
    assert seen == {expected}
    assert int(config.OPT) == 3
