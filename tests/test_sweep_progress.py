"""The sweep's progress line: runs done, failures and battles (runs) per minute."""

from __future__ import annotations

import io

from rich.console import Console

from airpicture.sweep import InProcess, load_sweep, run_sweep
from airpicture.sweep.runner import BarProgress, battles_per_minute
from tests.sweep_support import write_sweep


def test_battles_per_minute_counts_runs_per_minute_of_wall_time():
    assert battles_per_minute(0, 0.0) == "--"
    assert battles_per_minute(5, 0.0) == "--"
    assert battles_per_minute(120, 60.0) == "120"
    assert battles_per_minute(1000, 300.0) == "200"  # the 1,000-run goal: 5 minutes
    assert battles_per_minute(3, 40.0) == "4.5"


def test_the_progress_line_shows_battles_per_minute(tmp_path):
    plan = load_sweep(write_sweep(tmp_path))
    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    result = run_sweep(plan, tmp_path / "out", InProcess(), BarProgress("sweep tiny", console), figures=False)
    text = console.file.getvalue()
    assert result.ran == plan.n_runs
    assert f"{plan.n_runs}/{plan.n_runs}" in text
    rate = text.split(" battles/min")[0].split()[-1]
    assert rate != "--" and float(rate) > 0, text
