"""A sweep killed with SIGKILL keeps every finished row intact, and resuming it gives the same rows as a sweep
that was never interrupted (wall times aside); killing only its main process leaves no worker computing."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from airpicture.io import write_parquet
from airpicture.sweep import InProcess, load_sweep, run_sweep
from airpicture.sweep.store import ROWS_DIR
from tests.sweep_support import without_wall_time, write_sweep

GRID = {"raids[0].count": [1, 3], "batteries[0].doctrine": ["salvo", "shoot_look_shoot"]}


def _live_processes_in_group(pgid: int) -> list[int]:
    """Processes of process group ``pgid`` that are alive (zombies, already dead, are left out), from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            pids.append(int(entry.name))
    return pids


def _start(spec, out) -> subprocess.Popen:
    env = {**os.environ, "PYTHONHASHSEED": "0", "NO_COLOR": "1"}
    return subprocess.Popen([sys.executable, "-m", "airpicture.cli", "sweep", str(spec), "--out", str(out),
                             "--workers", "2", "--quiet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def test_sigkill_then_resume_equals_an_uninterrupted_sweep(tmp_path):
    spec = write_sweep(tmp_path, grid=GRID, seeds_per_point=4)
    plan = load_sweep(spec)
    out = tmp_path / "killed"
    rows = out / ROWS_DIR
    proc = _start(spec, out)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if rows.exists() and sum(1 for p in rows.iterdir() if not p.name.startswith(".")) >= 4:
                break
            time.sleep(0.002)
        assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read().decode()}"
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes, mid-way
    finally:
        proc.wait(timeout=60)
        proc.stdout.close()
        proc.stderr.close()
    finished = [p for p in rows.iterdir() if not p.name.startswith(".")]
    assert 4 <= len(finished) < plan.n_runs
    for p in finished:  # every finished row is complete and readable
        assert pq.read_table(p).num_rows == 1
    assert not (out / "sweep.parquet").exists()

    resumed = _start(spec, out)
    _, err = resumed.communicate(timeout=300)
    resumed.stdout.close()
    assert resumed.returncode == 0, err.decode()
    table = pq.read_table(out / "sweep.parquet")
    assert table.num_rows == plan.n_runs
    assert not list(rows.glob(".*"))

    whole = run_sweep(plan, tmp_path / "whole", InProcess(), figures=False)
    write_parquet(tmp_path / "a.parquet", without_wall_time(table))
    write_parquet(tmp_path / "b.parquet", without_wall_time(whole.table))
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads processes from Linux /proc")
def test_sigkill_of_the_main_process_alone_leaves_no_worker_running(tmp_path):
    # Runs of ten simulated hours (many seconds each): an orphaned worker would still be computing when checked.
    spec = write_sweep(tmp_path, grid={"raids[0].count": [1, 2]}, fixed={"duration_s": 36000.0})
    proc = _start(spec, tmp_path / "out")
    try:
        deadline = time.monotonic() + 60
        # main + forkserver + resource tracker + 2 workers
        while time.monotonic() < deadline and proc.poll() is None and len(_live_processes_in_group(proc.pid)) < 5:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()
        assert len(_live_processes_in_group(proc.pid)) >= 5
        time.sleep(0.5)  # the workers are inside their first run
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, as an out-of-memory killer or a user would
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _live_processes_in_group(proc.pid):
            time.sleep(0.05)
        left = _live_processes_in_group(proc.pid)
        assert not left, [Path(f"/proc/{p}/cmdline").read_text().replace("\0", " ") for p in left]
    finally:
        for pid in _live_processes_in_group(proc.pid):  # never leave a stray process behind a failed test
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert not (tmp_path / "out" / "sweep.parquet").exists()
