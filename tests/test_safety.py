"""Never lose a user's data, never exit 0 on failure, refuse impossible work up front: one test (or a few) per
kind of failure -- folders airpicture did not write, interruptions, dead workers, work that needs terabytes,
output paths checked before the work, sweep names, killed runs' leftovers, seeds, deep nesting, odd files.

Interruptions start real processes and send real signals."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
import warnings
from pathlib import Path

import pytest
import tomli_w

import airpicture.engine as engine
from airpicture import cli
from airpicture.errors import InputError
from airpicture.folders import LOCK, check_replaceable, clean_leftovers, exchange, read_manifest
from airpicture.scenario import builtin_path
from tests.sweep_support import sweep_data, write_sweep, write_tiny

TEACHING = tomllib.loads(builtin_path("teaching").read_text(encoding="utf-8"))
ENV = {**os.environ, "PYTHONHASHSEED": "0", "NO_COLOR": "1", "COLUMNS": "200"}


def airpicture(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
               ) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["airpicture", *args])
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any simulation fail loudly: a check that must come first is proved to come first."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the simulation started before the input was checked")

    monkeypatch.setattr(engine, "run_scenario", refuse)


def scenario_file(folder: Path, filename: str = "s.toml", **changes: object) -> Path:
    data = json.loads(json.dumps(TEACHING))
    data.update(changes)
    path = folder / filename
    path.write_bytes(tomli_w.dumps(data).encode())
    return path


def detections_file(folder: Path) -> Path:
    path = folder / "plots.csv"
    path.write_text("time_s,range_m,azimuth_deg,elevation_deg\n1.0,20000,10.0,1.0\n5.0,19900,10.1,1.0\n")
    return path


def processes_in_group(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            pids.append(int(entry.name))
    return pids


def start(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "airpicture.cli", *args], cwd=cwd, env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def wait_for(predicate, timeout: float, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and not predicate():
        time.sleep(0.02)
    assert proc.poll() is None, f"ended too early: {proc.communicate()[1]}"
    assert predicate(), "the process did not get there in time"


def end(proc: subprocess.Popen) -> None:
    for pid in processes_in_group(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=30)


# ------------------------------------------------------------------------------------------------ --overwrite
@pytest.mark.usefixtures("no_simulation")
def test_overwrite_keeps_a_folder_airpicture_did_not_write(tmp_path, monkeypatch, capsys) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "thesis.txt").write_text("years of work")
    code, _, err = airpicture(monkeypatch, capsys, "run", "teaching", "--out", str(folder), "--overwrite")
    assert code == 2 and "not a folder airpicture wrote" in err and "Nothing was changed" in err
    code, _, err = airpicture(monkeypatch, capsys, "track", str(detections_file(tmp_path)), "--scan-period-s", "4",
                              "--out", str(folder), "--overwrite")
    assert code == 2 and "not a folder airpicture wrote" in err
    assert (folder / "thesis.txt").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "plots.csv"]


def test_overwrite_replaces_only_an_airpicture_folder_of_its_kind_holding_nothing_else(tmp_path, monkeypatch,
                                                                                      capsys) -> None:
    run_dir, track_dir = tmp_path / "run", tmp_path / "track"
    assert airpicture(monkeypatch, capsys, "run", "teaching", "--out", str(run_dir), "--no-report", "-q")[0] == 0
    assert read_manifest(run_dir)["kind"] == "run"
    names = {c["name"] for c in read_manifest(run_dir)["contents"]}
    assert {"truth.parquet", "summary.json", "scenario.toml", "tracks.parquet"} <= names
    plots = detections_file(tmp_path)
    assert airpicture(monkeypatch, capsys, "track", str(plots), "--scan-period-s", "4", "--out", str(track_dir),
                      "-q")[0] == 0
    assert read_manifest(track_dir)["kind"] == "track"
    # another kind of airpicture folder
    code, _, err = airpicture(monkeypatch, capsys, "run", "teaching", "--out", str(track_dir), "--overwrite")
    assert code == 2 and "holds airpicture track results" in err
    # the user's notes inside a results folder
    (run_dir / "notes.txt").write_text("mine")
    code, _, err = airpicture(monkeypatch, capsys, "run", "teaching", "--out", str(run_dir), "--overwrite")
    assert code == 2 and "notes.txt" in err and (run_dir / "notes.txt").exists()
    (run_dir / "notes.txt").unlink()
    # airpicture report added report.html and figures: still airpicture's own
    assert airpicture(monkeypatch, capsys, "report", str(run_dir), "-q")[0] == 0
    code, _, err = airpicture(monkeypatch, capsys, "run", "teaching", "--out", str(run_dir), "--overwrite", "-q",
                              "--seed", "3")
    assert code == 0, err
    assert json.loads((run_dir / "summary.json").read_text())["seed"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plots.csv", "run", "track"]


def test_overwrite_never_replaces_the_current_folder_its_parents_home_or_root(tmp_path, monkeypatch) -> None:
    def ours(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "manifest.json").write_text(json.dumps({"tool": "airpicture", "kind": "run", "contents": []}))
        (folder / "x.parquet").write_text("")
        return folder

    work = ours(tmp_path / "a" / "b")
    monkeypatch.chdir(work)
    with pytest.raises(InputError, match="is the current folder"):
        check_replaceable(Path.cwd(), "run", overwrite=True)
    with pytest.raises(InputError, match="contains the current folder"):
        check_replaceable(ours(tmp_path / "a"), "run", overwrite=True)
    home = ours(tmp_path / "home")
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(InputError, match="is your home folder"):
        check_replaceable(home, "run", overwrite=True)
    with pytest.raises(InputError, match="is the root folder"):
        check_replaceable(Path("/"), "run", overwrite=True)


def test_the_folder_swap_is_one_atomic_exchange(tmp_path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "new").write_text("new")
    (b / "old").write_text("old")
    if not exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here; two renames are used instead")
    assert (b / "new").exists() and (a / "old").exists()


# ------------------------------------------------------------------------------------------------ signals
@pytest.mark.parametrize(("sig", "code", "name"), [(signal.SIGINT, 130, "Ctrl-C"), (signal.SIGTERM, 143, "SIGTERM")])
def test_an_interrupted_run_says_so_in_one_line_and_leaves_nothing(tmp_path, sig, code, name) -> None:
    proc = start("run", "default", "--out", "runs/j", "--quiet", cwd=tmp_path)
    try:
        runs = tmp_path / "runs"
        wait_for(lambda: runs.exists() and any(p.name.startswith(".j.partial-") for p in runs.iterdir()), 120, proc)
        time.sleep(0.5)  # into the simulation
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        end(proc)
    assert proc.returncode == code, err
    assert "Traceback" not in err and err.strip().count("\n") == 0, err
    assert f"interrupted by {name}" in err and "nothing was written" in err
    assert list(tmp_path.iterdir()) == []  # not even the runs/ folder the run had created


def test_finalizers_failing_while_a_signal_unwinds_the_command_print_nothing() -> None:
    """A signal can cut an object's construction short (seen: llvmlite's, while Numba loads a cached kernel), and
    its ``__del__`` then fails while the command unwinds: the command still ends with its one line only. Without a
    signal, such errors are reported as Python reports them."""
    code = (
        "import os, signal, sys\n"
        "from airpicture import exits\n"
        "class Broken:\n"
        "    def __del__(self):\n"
        "        raise AttributeError('half built')\n"
        "with exits.handled_signals():\n"
        "    Broken()\n"  # no signal yet: reported
        "    try:\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        signal.pause()\n"  # the handler raises as soon as the signal is handled
        "    except exits.Interrupted:\n"
        "        Broken()\n"  # unwinding: not reported
        "        sys.stderr.write('unwound\\n')\n"
    )
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stderr
    assert err.count("Exception ignored") == 1 and err.count("half built") == 1, err
    assert err.index("half built") < err.index("unwound"), err


def test_ctrl_c_ends_a_sweep_and_its_workers_and_keeps_the_rows(tmp_path) -> None:
    spec = write_sweep(tmp_path, grid={"raids[0].count": [1, 2]}, fixed={"duration_s": 7200.0})
    proc = start("sweep", str(spec), "--out", "out", "--workers", "2", "--quiet", cwd=tmp_path)
    try:
        # main + resource tracker + forkserver + 2 workers
        wait_for(lambda: len(processes_in_group(proc.pid)) >= 5, 120, proc)
        time.sleep(1.0)  # the workers are inside their first runs
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: to the whole process group
        _, err = proc.communicate(timeout=60)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and processes_in_group(proc.pid):
            time.sleep(0.05)
        left = processes_in_group(proc.pid)
    finally:
        end(proc)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.strip().splitlines() == [
        "interrupted by Ctrl-C (SIGINT); finished runs are kept in out; run the same command again to resume"]
    assert not left, "worker processes outlived the interrupted sweep"
    assert (tmp_path / "out" / "rows").is_dir() and not (tmp_path / "out" / "sweep.parquet").exists()
    assert read_manifest(tmp_path / "out")["kind"] == "sweep"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the workers in Linux /proc")
def test_a_sweep_whose_worker_dies_exits_3(tmp_path) -> None:
    spec = write_sweep(tmp_path, grid={"raids[0].count": [1, 2]}, fixed={"duration_s": 7200.0})
    proc = start("sweep", str(spec), "--out", "out", "--workers", "2", "--quiet", cwd=tmp_path)

    def workers() -> list[int]:
        group = processes_in_group(proc.pid)
        forkserver = [p for p in group if b"forkserver" in Path(f"/proc/{p}/cmdline").read_bytes()]
        parent = {p: int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1]) for p in forkserver}
        return [p for p in forkserver if parent[p] in forkserver]

    try:
        wait_for(lambda: len(workers()) >= 2, 120, proc)
        os.kill(workers()[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    finally:
        end(proc)
    assert proc.returncode == 3, err
    assert "stopped: a worker process died" in err and "run the same command again to resume" in err


# ------------------------------------------------------------------------------------------------ budget
HUGE = {
    "a microsecond step for a day": ({"time_step_s": 1e-6, "duration_s": 86400.0}, "time_step_s: 1e-06 is below"),
    "a millisecond step for a day": ({"time_step_s": 1e-3, "duration_s": 86400.0}, "engine steps and picture epochs"),
    "a nanosecond picture period": ({"metrics": {"picture_period_s": 1e-9}}, "picture_period_s: 1e-09 is below"),
    "a trillion rounds": ({"batteries": [{**TEACHING["batteries"][0], "launchers": 10**12,
                                          "rounds_per_launcher": 10**12}]},
                          "launchers: 1,000,000,000,000 is above 10,000"),
    "a million airliners": ({"civil_traffic": [{**TEACHING["civil_traffic"][0], "count": 1_000_000}]},
                            "civil_traffic[].count"),
    "ten raids of a million": ({"raids": [{**TEACHING["raids"][0], "count": 1_000_000}] * 10}, "raids[].count"),
    "pfa 0.5": ({"sensors": [{**TEACHING["sensors"][0], "pfa": 0.5}]}, "pfa: 0.5 is above 0.01: a surveillance"),
    "millimetre resolution": ({"sensors": [{**TEACHING["sensors"][0], "range_resolution_m": 0.001}]},
                              "range_resolution_m: 0.001 is below 1: 1 m takes 150 MHz"),
    "a microsecond scan": ({"sensors": [{**TEACHING["sensors"][0], "scan_period_s": 1e-6}]},
                           "scan_period_s: 1e-06 is below 0.1"),
}


@pytest.mark.parametrize("case", list(HUGE))
def test_work_that_needs_terabytes_is_refused_by_validate_and_run(tmp_path, monkeypatch, capsys, case) -> None:
    changes, expected = HUGE[case]
    path = scenario_file(tmp_path, **changes)
    for command in ("validate", "run"):
        with monkeypatch.context() as m:
            m.setattr(engine, "run_scenario", lambda *a, **k: pytest.fail("simulated"))
            code, _, err = airpicture(monkeypatch, capsys, command, str(path), "--out" if command == "run" else
                                      "--max-memory", str(tmp_path / "out") if command == "run" else "12GB")
        assert code == 2, err
        assert expected in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_the_budget_message_names_the_fields_and_the_estimate(tmp_path, monkeypatch, capsys) -> None:
    path = scenario_file(tmp_path, raids=[{**TEACHING["raids"][0], "count": 1_000_000}] * 10)
    code, _, err = airpicture(monkeypatch, capsys, "validate", str(path), "--max-memory", "8GB")
    assert code == 2
    assert "(work budget)" in err and "more than --max-memory 8GB (8 GB)" in err
    assert "truth samples" in err and "raids[].count" in err and "--max-memory" in err


PEAK_PROBE = ("import atexit, re, runpy, sys\n"
              "def peak():\n"
              "    text = open('/proc/self/status').read()\n"
              "    sys.stderr.write('VmHWM ' + re.search(r'VmHWM:\\s+(\\d+)', text).group(1) + '\\n')\n"
              "atexit.register(peak)\n"
              "sys.argv = ['airpicture'] + sys.argv[1:]\n"
              "runpy.run_module('airpicture.cli', run_name='__main__')\n")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak memory from /proc")
def test_validate_never_allocates_the_work_it_refuses(tmp_path) -> None:
    # VmHWM: this process's own peak resident memory (kB). wait4's ru_maxrss would also count the test runner's
    # memory copied into the child before it started Python.
    path = scenario_file(tmp_path, raids=[{**TEACHING["raids"][0], "count": 1_000_000}] * 10)
    proc = subprocess.run([sys.executable, "-c", PEAK_PROBE, "validate", str(path)], cwd=tmp_path, env=ENV,
                          text=True, capture_output=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "work budget" in proc.stderr
    peak_kb = int(proc.stderr.rsplit("VmHWM ", 1)[1].split()[0])
    assert peak_kb < 600_000, f"validate used {peak_kb / 1024:.0f} MB"


def test_validate_prints_the_estimate_and_max_memory_is_checked(monkeypatch, capsys) -> None:
    code, out, _ = airpicture(monkeypatch, capsys, "validate", "teaching")
    assert code == 0 and "estimate: peak memory" in out and "truth samples: " in out
    code, _, err = airpicture(monkeypatch, capsys, "validate", "default", "--max-memory", "100MB")
    assert code == 2 and "more than --max-memory 100MB" in err
    code, _, err = airpicture(monkeypatch, capsys, "validate", "teaching", "--max-memory", "lots")
    assert code == 2 and "expected a size such as 8GB" in err


@pytest.mark.usefixtures("no_simulation")
def test_a_sweep_of_a_hundred_million_points_is_refused_before_it_is_expanded(tmp_path, monkeypatch,
                                                                              capsys) -> None:
    values = list(range(1, 101))
    spec = write_sweep(tmp_path, grid={"raids[0].count": values, "raids[1].count": values,
                                       "raids[0].speed_mps": [100.0 + v for v in values],
                                       "raids[1].speed_mps": [50.0 + v for v in values]}, seeds_per_point=1)
    t0 = time.perf_counter()
    for command in ("sweep", "validate"):
        code, _, err = airpicture(monkeypatch, capsys, command, str(spec))
        assert code == 2 and "100,000,000 grid points" in err, err
    assert time.perf_counter() - t0 < 20
    assert not (tmp_path / "sweeps").exists()


def test_a_sweep_whose_runs_do_not_fit_the_workers_is_refused(tmp_path, monkeypatch, capsys) -> None:
    spec = write_sweep(tmp_path, grid={"raids[0].count": [1, 200_000]}, seeds_per_point=1)
    code, _, err = airpicture(monkeypatch, capsys, "sweep", str(spec), "--workers", "2", "--max-memory", "4GB")
    assert code == 2 and "2 worker(s) running the largest grid point" in err, err


def test_track_picture_period_of_a_nanosecond_is_refused(tmp_path, monkeypatch, capsys) -> None:
    code, _, err = airpicture(monkeypatch, capsys, "track", str(detections_file(tmp_path)), "--scan-period-s", "4",
                              "--picture-period", "1e-9", "--out", str(tmp_path / "t"))
    assert code == 2 and "(work budget)" in err and "--picture-period" in err
    assert not (tmp_path / "t").exists()


# ------------------------------------------------------------------------------------------------ output paths
@pytest.mark.usefixtures("no_simulation")
@pytest.mark.parametrize(("out", "expected"), [
    (["/proc/x"], "virtual file system"),
    (["afile/sub"], "is a file, not a folder"),
    ([""], "--out is empty"),
    ([".", "--overwrite"], "must end in a folder name"),
    (["..", "--overwrite"], "must end in a folder name"),
    (["afile"], "exists and is a file"),
])
def test_output_paths_are_checked_before_any_work(tmp_path, monkeypatch, capsys, out, expected) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "afile").write_text("keep")
    plots = detections_file(work)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for command in (["run", "teaching"], ["track", str(plots), "--scan-period-s", "4"]):
        code, _, err = airpicture(monkeypatch, capsys, *command, "--out", *out)
        assert code == 2 and expected in err and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no ..partial-* or ..old-* anywhere
    assert (work / "afile").read_text() == "keep"


@pytest.mark.usefixtures("no_simulation")
def test_a_sweep_checks_its_output_path_before_any_work(tmp_path, monkeypatch, capsys) -> None:
    spec = write_sweep(tmp_path)
    for out, expected in (("/proc/x", "virtual file system"), ("", "--out is empty"), ("..", "folder name")):
        code, _, err = airpicture(monkeypatch, capsys, "sweep", str(spec), "--out", out)
        assert code == 2 and expected in err, err


# ------------------------------------------------------------------------------------------------ sweep names
@pytest.mark.parametrize("name", ["..", ".", "../escape", "/abs", "a/b", ".hidden", "a b", ""])
def test_a_sweep_name_cannot_escape_its_folder(tmp_path, monkeypatch, capsys, name) -> None:
    write_tiny(tmp_path)
    spec = tmp_path / "s.toml"
    spec.write_bytes(tomli_w.dumps(sweep_data(name=name)).encode())
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = airpicture(monkeypatch, capsys, "sweep", str(spec))
    assert code == 2 and "name" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_scenario_name_cannot_escape_its_folder(tmp_path, monkeypatch, capsys) -> None:
    code, _, err = airpicture(monkeypatch, capsys, "validate", str(scenario_file(tmp_path, name="../x")))
    assert code == 2 and "is not a usable name" in err


# ------------------------------------------------------------------------------------------------ leftovers
def test_the_leftover_of_a_killed_run_is_removed_by_the_next_run_into_the_same_parent(tmp_path, monkeypatch,
                                                                                      capsys) -> None:
    proc = start("run", "default", "--out", "runs/j", "--quiet", cwd=tmp_path)
    runs = tmp_path / "runs"
    try:
        wait_for(lambda: runs.exists() and any(p.name.startswith(".j.partial-") for p in runs.iterdir()), 120, proc)
        time.sleep(1.0)  # tables are being written into it
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        end(proc)
    (leftover,) = [p for p in runs.iterdir() if p.name.startswith(".j.partial-")]
    assert (leftover / LOCK).exists()
    # somebody else's hidden folder with a similar name, and a temporary a live process is writing
    foreign = runs / ".notes.partial-1"
    foreign.mkdir()
    (foreign / "x").write_text("x")
    busy = runs / ".other.partial-2"
    busy.mkdir()
    fd = os.open(busy / LOCK, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        code, _, err = airpicture(monkeypatch, capsys, "run", "teaching", "--out", str(runs / "k"), "--no-report")
    finally:
        os.close(fd)
    assert code == 0, err
    assert not leftover.exists() and f"removed {leftover}" in err and "killed" in err
    assert foreign.exists() and f"left {foreign} alone" in err
    assert busy.exists()
    assert sorted(p.name for p in runs.iterdir()) == [".notes.partial-1", ".other.partial-2", "k"]


def test_only_provably_ours_and_unused_leftovers_are_removed(tmp_path) -> None:
    dead = tmp_path / ".a.partial-x"
    dead.mkdir()
    (dead / LOCK).write_text("999999\n")
    old = tmp_path / ".a.old-y"
    (old / "old").mkdir(parents=True)
    (old / "old" / "manifest.json").write_text(json.dumps({"tool": "airpicture", "kind": "run", "contents": []}))
    plain = tmp_path / "a"
    plain.mkdir()
    found = {x.path.name: x for x in clean_leftovers(tmp_path)}
    assert found[".a.partial-x"].removed and found[".a.old-y"].removed and "a" not in found
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


# ------------------------------------------------------------------------------------------------ seeds
@pytest.mark.usefixtures("no_simulation")
def test_a_seed_of_2_63_or_more_is_refused_before_the_run(tmp_path, monkeypatch, capsys) -> None:
    code, _, err = airpicture(monkeypatch, capsys, "run", "teaching", "--seed", "99999999999999999999999",
                              "--out", str(tmp_path / "r"))
    assert code == 2 and "--seed must be an integer in [0, 2^63 - 1" in err
    code, _, err = airpicture(monkeypatch, capsys, "run", "teaching", "--seed", str(2**63), "--out",
                              str(tmp_path / "r"))
    assert code == 2
    code, _, err = airpicture(monkeypatch, capsys, "validate", str(scenario_file(tmp_path, seed=2**63)))
    assert code == 2 and "seed" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


# ------------------------------------------------------------------------------------------------ nesting, misc
@pytest.mark.parametrize(("depth", "expected"), [(100_000, "nested too deeply"), (40, "nested more than 32 levels")])
def test_deep_nesting_is_one_clear_message(tmp_path, monkeypatch, capsys, depth, expected) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * depth + "]" * depth + "\n")
    code, _, err = airpicture(monkeypatch, capsys, "validate", str(path))
    assert code == 2 and expected in err and "RecursionError" not in err


def test_an_absurd_launch_time_is_one_message_without_numpy_warnings(tmp_path, monkeypatch, capsys) -> None:
    path = scenario_file(tmp_path, raids=[{**TEACHING["raids"][0], "launch_start_s": 1e300}])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, _, err = airpicture(monkeypatch, capsys, "validate", str(path))
    assert code == 2 and "launch_start_s: 1e+300 is above 86,400: a scenario lasts" in err


def test_a_byte_order_mark_is_accepted(tmp_path, monkeypatch, capsys) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + builtin_path("teaching").read_bytes())
    code, out, err = airpicture(monkeypatch, capsys, "validate", str(path))
    assert code == 0 and "valid" in out, err


def test_huge_descriptions_are_refused(tmp_path, monkeypatch, capsys) -> None:
    huge = scenario_file(tmp_path, description="x" * 50_000_000)
    code, _, err = airpicture(monkeypatch, capsys, "validate", str(huge))
    assert code == 2 and "larger than 16 MiB" in err
    code, _, err = airpicture(monkeypatch, capsys, "validate", str(scenario_file(tmp_path, description="x" * 5000)))
    assert code == 2 and "description" in err and "2000" in err


def test_typer_exit_codes_reach_the_shell(monkeypatch, capsys) -> None:
    import typer

    @cli.app.command("fail-with-3", hidden=True)
    def fail() -> None:
        raise typer.Exit(3)

    try:
        code, _, _ = airpicture(monkeypatch, capsys, "fail-with-3")
    finally:
        cli.app.registered_commands = [c for c in cli.app.registered_commands if c.name != "fail-with-3"]
    assert code == 3
