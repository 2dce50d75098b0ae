"""Shared test helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the ``airpicture`` command in a fresh Python process."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "airpicture.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env=env)


@pytest.fixture
def cli():
    return run_cli


def pytest_sessionstart(session: pytest.Session) -> None:
    """On a machine whose kernel cache is cold (a fresh CI machine), compile the kernels on two cores before the
    first test, as a first ``airpicture run`` does (airpicture.precompile), instead of one by one in whichever
    test calls them first."""
    from airpicture.compiled import first_run_notice

    if first_run_notice():
        from airpicture.precompile import compile_ahead

        compile_ahead(True, True)
