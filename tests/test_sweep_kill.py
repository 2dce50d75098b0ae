"""A sweep killed with SIGKILL keeps every finished row intact, and resuming it gives the same rows as a sweep
that was never interrupted (wall times aside)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq

from airpicture.io import write_parquet
from airpicture.sweep import InProcess, load_sweep, run_sweep
from airpicture.sweep.store import ROWS_DIR
from tests.sweep_support import without_wall_time, write_sweep

GRID = {"raids[0].count": [1, 3], "batteries[0].doctrine": ["salvo", "shoot_look_shoot"]}


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
