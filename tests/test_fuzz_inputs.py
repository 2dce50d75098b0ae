"""Fuzzing the input files: random mutations of the built-in scenario and sweep files (wrong types, extreme
values, deletions, duplications, unknown keys, deep nesting, garbage bytes) go through ``airpicture validate``
in this process. Every case either validates or raises :class:`InputError` -- never another exception, never a
numpy warning. Derandomized with no example database, so CI runs the same cases every time."""

from __future__ import annotations

import copy
import math
import tomllib
import warnings
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airpicture import cli
from airpicture.errors import InputError
from airpicture.scenario import builtin_names, builtin_path
from airpicture.sweep.spec import builtin_sweep_names, builtin_sweep_path

#: A small budget keeps every case quick: a mutation that blows the work up is refused by the estimate.
BUDGET = "1GB"


def _scenario(name: str) -> dict[str, Any]:
    path = builtin_path(name)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for replay in data.get("replays", []):  # the mutated copy lives elsewhere: make its data file findable
        replay["file"] = str((path.parent / replay["file"]).resolve())
    terrain = data.get("terrain")
    if isinstance(terrain, dict) and "file" in terrain:  # likewise for the DEM of the terrain scenario
        terrain["file"] = str((path.parent / terrain["file"]).resolve())
    return data


SCENARIOS = {name: _scenario(name) for name in builtin_names()}
SWEEPS = {name: tomllib.loads(builtin_sweep_path(name).read_text(encoding="utf-8")) for name in builtin_sweep_names()}

ODD_VALUES: list[Any] = [
    0, -1, 1, 3, 2**31, 2**63, -(2**63), 10**30, 0.0, -0.0, 0.5, -1.5, 1e-300, 1e300, -1e300, math.nan, math.inf,
    -math.inf, True, False, "", "x", "1e5", "x" * 3000, "../..", [], [1, 2], ["a"], [[[]]], {}, {"kind": "x"},
    {"bogus": 1},
]


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys and indices) to a value inside ``doc``."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def _parent(doc: Any, path: tuple) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated(draw: st.DrawFn, documents: dict[str, dict[str, Any]]) -> bytes:
    """A built-in file with one to three random mutations, as file bytes (sometimes with garbage bytes)."""
    doc = copy.deepcopy(documents[draw(st.sampled_from(sorted(documents)))])
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(doc, path), path[-1]
        kind = draw(st.sampled_from(["delete", "replace", "replace", "duplicate", "unknown key", "nest", "scale"]))
        if kind == "delete":
            del parent[key]
        elif kind == "replace":
            parent[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
        elif kind == "duplicate":
            if isinstance(parent, list):
                parent.append(copy.deepcopy(parent[key]))
            else:
                parent[f"{key}_copy"] = copy.deepcopy(parent[key])
        elif kind == "unknown key":
            target = parent[key] if isinstance(parent[key], dict) else parent
            if isinstance(target, dict):
                target[draw(st.sampled_from(["bogus", "Name", "seed ", "count", "kind"]))] = draw(
                    st.sampled_from(ODD_VALUES[:20]))
        elif kind == "nest":
            parent[key] = _nested(draw(st.sampled_from([2, 33, 200])))
        elif kind == "scale" and isinstance(parent[key], int | float) and not isinstance(parent[key], bool):
            factor = draw(st.sampled_from([-1, 0, 1e-9, 1e3, 1e9]))
            value = parent[key] * factor
            parent[key] = int(value) if isinstance(parent[key], int) and abs(value) < 2**62 else float(value)
    text = tomli_w.dumps(doc).encode()
    if draw(st.integers(0, 5)) == 0:  # garbage bytes somewhere in the file
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=6)) + text[at:]
    return text


def _validate(path: Path) -> None:
    """``airpicture validate PATH`` in this process: returns (valid) or raises InputError; warnings are errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            cli.validate(str(path), max_memory=BUDGET, workers=1)
        except InputError:
            pass


FUZZ = settings(max_examples=60, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])


@FUZZ
@given(text=mutated(SCENARIOS))
def test_mutated_scenarios_validate_or_give_an_input_error(tmp_path_factory: pytest.TempPathFactory,
                                                           text: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "scenario.toml"
    path.write_bytes(text)
    _validate(path)


@FUZZ
@given(text=mutated(SWEEPS))
def test_mutated_sweeps_validate_or_give_an_input_error(tmp_path_factory: pytest.TempPathFactory,
                                                        text: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "sweep.toml"
    path.write_bytes(text)
    _validate(path)
