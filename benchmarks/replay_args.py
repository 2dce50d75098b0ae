"""The command line shared by the record-and-replay benchmarks (``bench_gate``, ``bench_assignment``,
``bench_slot_holders``): ``record SCENARIO PATH`` keeps a function's inputs from one run of the scenario
(:func:`record_calls`), ``time PATH`` replays them (``--repeat`` passes; ``--save``/``--check`` the outputs, to
compare two source trees)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any


def record_or_time(doc: str | None, repeat: int = 3,
                   compare: bool = True) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The parser of ``record``/``time`` (``--save``/``--check`` when ``compare``) with its ``time`` sub-parser
    returned for a benchmark's own options; call ``parse_args()`` on the first."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("scenario")
    r.add_argument("path", type=Path)
    t = sub.add_parser("time")
    t.add_argument("path", type=Path)
    t.add_argument("--repeat", type=int, default=repeat)
    if compare:
        t.add_argument("--save", type=Path, help="keep the outputs of the last pass")
        t.add_argument("--check", type=Path, help="compare the outputs with a saved set")
    return ap, t


def record_calls(module: ModuleType, name: str, scenario: str, keep: Callable[..., Any],
                 tables: tuple[str, ...] = ("events",)) -> list[Any]:
    """Run ``scenario`` (``run_scenario``, keeping ``tables``) with ``module.name`` wrapped: each call's arguments
    go through ``keep`` (which returns what to record, or None for nothing) before the function runs as before."""
    from airpicture.engine import run_scenario
    from airpicture.progress import Silent
    from airpicture.scenario import load_scenario

    original = getattr(module, name)
    calls: list[Any] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        kept = keep(*args, **kwargs)
        if kept is not None:
            calls.append(kept)
        return original(*args, **kwargs)

    setattr(module, name, recording)
    try:
        run_scenario(load_scenario(scenario), Silent(), keep=tables)
    finally:
        setattr(module, name, original)
    return calls
