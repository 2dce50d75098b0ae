"""Sweep files: a base scenario, fixed and swept field-path overrides, seeds per grid point.

A sweep file (TOML)::

    name = "raid-size"
    scenario = "teaching"          # built-in scenario name, or a path relative to this file
    seed = 1                       # sweep seed: every run seed derives from (seed, grid point, replication)
    seeds_per_point = 20

    [fixed]                        # overrides applied to every run
    "duration_s" = 600.0

    [grid]                         # the cartesian product of these values, in file order (last varies fastest)
    "raids[1].count" = [1, 2, 4, 8, 16, 32]
    "batteries[0].doctrine" = ["salvo", "shoot_look_shoot"]

    [figures]
    x = "raids[1].count"           # horizontal axis (default: the first grid key)

A ``[sensitivity]`` table instead of ``[grid]`` makes a global sensitivity sweep (parameter ranges, Saltelli
samples, Sobol' indices): see :mod:`airpicture.sweep.sensitivity_spec`.

Every grid point's scenario is validated before any run starts, so a wrong path or value is reported at once.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import Field, ValidationError, field_validator, model_validator

from airpicture.budget import Budget, check_sweep_size, memory_budget
from airpicture.errors import InputError, Problem
from airpicture.scenario import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    NAME_PATTERN,
    Scenario,
    Strict,
    check_name,
    load_scenario,
    parse_scenario,
    problems_from_validation,
    read_toml,
)
from airpicture.seeding import SWEEP, stream
from airpicture.sweep.fieldpath import PathError, Token, format_path, get_at, is_prefix, parse_path, set_at
from airpicture.sweep.sensitivity_spec import SensitivitySettings, quote_parameter_keys

BUILTIN_FOLDER = "sweeps"
DEFAULT_SWEEP = "default"
#: Bumped when the meaning of a sweep folder's rows changes, so old folders are not resumed into.
STORE_FORMAT = 1


class FigureSettings(Strict):
    """What the saturation figures plot."""

    x: str | None = Field(default=None, description="Grid path on the horizontal axis (default: first grid key)")
    metric: str | None = Field(
        default=None,
        description="Column plotted with its mean and P(> 0) (default: engagement.leakers when present)",
    )


class SweepSpec(Strict):
    """The sweep file."""

    name: str = Field(description="Short name, used for the default output folder sweeps/<name>: letters, digits, "
                                  "'_', '.', '-', starting with a letter or digit", min_length=1,
                      max_length=MAX_NAME_LENGTH, json_schema_extra={"pattern": NAME_PATTERN})
    description: str = Field(default="", description="One-line description", max_length=MAX_DESCRIPTION_LENGTH)
    scenario: str = Field(description="Base scenario: built-in name or .toml path relative to the sweep file",
                          min_length=1)
    seed: int = Field(default=0, ge=0, le=2**63 - 1, description="Sweep seed; run seeds derive from it")
    seeds_per_point: int = Field(ge=1, le=1_000_000, description="Replications (seeds) per grid point")
    common_random_numbers: bool = Field(
        default=False,
        description="Give replication r the same run seed at every grid point (smoother curves, correlated points)",
    )
    fixed: dict[str, Any] = Field(default_factory=dict, description="Field path -> value applied to every run")
    grid: dict[str, list[Any]] = Field(default_factory=dict,
                                       description="Field path -> list of values; runs cover their product")
    sensitivity: SensitivitySettings | None = Field(
        default=None, description="Instead of a grid: parameter ranges whose Sobol' sensitivity indices are estimated")
    figures: FigureSettings = Field(default_factory=FigureSettings, description="Figure settings")

    _name = field_validator("name")(classmethod(lambda cls, v: check_name(v)))  # type: ignore[arg-type]

    @field_validator("grid", mode="before")
    @classmethod
    def _grid_shape(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for path, values in v.items():
                if not isinstance(values, list):
                    raise ValueError(f'"{path}" = {values!r}: expected a list of values, e.g. [{values!r}]')
        return v

    @model_validator(mode="before")
    @classmethod
    def _grid_not_empty(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("grid") == {}:
            raise ValueError("grid: the grid is empty; give at least one field path with a list of values")
        return data

    @model_validator(mode="after")
    def _grid_or_sensitivity(self) -> SweepSpec:
        if self.grid and self.sensitivity is not None:
            raise ValueError("sensitivity: give either a [grid] of values or a [sensitivity] table of ranges, "
                             "not both")
        if not self.grid and self.sensitivity is None:
            raise ValueError("grid: required field is missing (or give a [sensitivity] table of parameter ranges)")
        return self


@dataclass(frozen=True)
class GridPoint:
    """One combination of swept values and its validated scenario (seed not yet set)."""

    index: int
    values: dict[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: every grid point's scenario, the grid columns' types, and the spec hash."""

    spec: SweepSpec
    source: str
    base: Scenario
    points: tuple[GridPoint, ...]
    grid_paths: tuple[str, ...]
    grid_types: dict[str, pa.DataType] = field(repr=False)
    spec_hash: str
    #: The Saltelli design of a ``[sensitivity]`` sweep (points are its sample rows, in order); None for a grid.
    sensitivity: Any = field(default=None, repr=False)

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.spec.seeds_per_point

    @property
    def x_path(self) -> str:
        return self.spec.figures.x or self.grid_paths[0]

    def run_seed(self, point: int, replication: int) -> int:
        """The scenario seed of one run, from (sweep seed, grid point, replication) only."""
        key = (SWEEP, replication) if self.spec.common_random_numbers else (SWEEP, point, replication)
        return int(stream(self.spec.seed, *key).integers(0, 2**63 - 1, endpoint=True))

    def grid_cell(self, path: str, value: Any) -> Any:
        """A grid value as stored in its column (JSON text for tables and mixed lists)."""
        return _to_cell(self.grid_types[path], value)


# --------------------------------------------------------------------------------------------- loading
def builtin_sweep_names() -> list[str]:
    folder = resources.files("airpicture").joinpath(BUILTIN_FOLDER)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def builtin_sweep_path(name: str) -> Path:
    return Path(str(resources.files("airpicture").joinpath(BUILTIN_FOLDER, f"{name}.toml")))


def resolve_sweep_path(ref: str | Path | None) -> Path:
    """``None`` (the default sweep), a built-in sweep name or a file path -> file path."""
    if ref is None:
        return builtin_sweep_path(DEFAULT_SWEEP)
    text = str(ref)
    p = Path(text)
    if p.suffix == ".toml" or p.exists() or "/" in text:
        if not p.exists():
            raise InputError(text, "file not found")
        if p.is_dir():
            raise InputError(text, "is a folder; expected a sweep .toml file")
        return p
    names = builtin_sweep_names()
    if text in names:
        return builtin_sweep_path(text)
    close = difflib.get_close_matches(text, names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise InputError(text, f"no such built-in sweep or file{hint} (built-in: {', '.join(names)})")


def load_sweep(ref: str | Path | None = None, budget: Budget | None = None) -> SweepPlan:
    """Read, validate and expand a sweep file; raise :class:`InputError` on any problem, and for a grid too
    large to plan within ``budget`` (default: half of this machine's memory) before expanding it."""
    path = resolve_sweep_path(ref)
    data = read_toml(path)
    return plan_sweep(data, str(path), path.parent, budget)


def parse_spec(data: dict[str, Any], source: str) -> SweepSpec:
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(source, quote_parameter_keys(problems_from_validation(exc, data), data)) from None


def plan_sweep(data: dict[str, Any], source: str, base_dir: Path, budget: Budget | None = None) -> SweepPlan:
    """Validate ``data`` (a parsed sweep file) and every grid point's scenario; a grid whose points and runs
    would not fit ``budget`` is refused before it is expanded."""
    spec = parse_spec(data, source)
    if spec.sensitivity is not None:
        from airpicture.sweep.sensitivity import plan_sensitivity

        return plan_sensitivity(spec, source, base_dir, budget)
    n_points = math.prod(len(v) for v in spec.grid.values())
    check_sweep_size(n_points, spec.seeds_per_point, source, budget or memory_budget(None))
    base = _load_base(spec.scenario, source, base_dir)
    return plan_from_base(spec, base, source, _scenario_dir(spec.scenario, base_dir))


def plan_from_base(spec: SweepSpec, base: Scenario, source: str, scenario_dir: Path | None = None) -> SweepPlan:
    """The plan of ``spec`` over the scenario ``base`` (already loaded): every override path checked against it,
    every value alone and every grid point validated; :class:`InputError` names the first problems."""
    base_data = base.model_dump(mode="json")
    fixed = parse_override_paths(spec.fixed, "fixed", base_data, source)
    grid = parse_override_paths(spec.grid, "grid", base_data, source)
    check_overlaps({"fixed": fixed, "grid": grid}, source)
    problems = [Problem(f'grid."{p}"', "give at least one value") for p, v in spec.grid.items() if not v]
    if problems:
        raise InputError(source, problems)

    fixed_data = copy.deepcopy(base_data)
    for raw, tokens in fixed.items():
        set_at(fixed_data, tokens, spec.fixed[raw])
    _validate(fixed_data, source, scenario_dir, f"fixed (scenario '{base.name}')")

    # Each value alone first, so a bad value is named precisely; then every combination.
    check_values(fixed_data, {raw: (tokens, spec.grid[raw]) for raw, tokens in grid.items()}, "grid", source,
                 scenario_dir)

    canon = {raw: format_path(tokens) for raw, tokens in grid.items()}
    points = []
    for index, combo in enumerate(itertools.product(*spec.grid.values())):
        trial = copy.deepcopy(fixed_data)
        values: dict[str, Any] = {}
        for (raw, tokens), value in zip(grid.items(), combo, strict=True):
            set_at(trial, tokens, value)
            values[canon[raw]] = value
        scenario = _validate(trial, source, scenario_dir, f"grid point {values}")
        points.append(GridPoint(index, values, scenario))

    grid_paths = tuple(canon.values())
    x = spec.figures.x
    if x is not None:
        try:
            x_canon = format_path(parse_path(x))
        except PathError as exc:
            raise InputError(source, Problem("figures.x", str(exc))) from None
        if x_canon not in grid_paths:
            raise InputError(source, Problem("figures.x", f"'{x}' is not a grid key; expected one of "
                                                          f"{', '.join(grid_paths)}"))
        spec = spec.model_copy(update={"figures": spec.figures.model_copy(update={"x": x_canon})})
    grid_types = {canon[raw]: _column_type(spec.grid[raw]) for raw in grid}
    return SweepPlan(spec, source, base, tuple(points), grid_paths, grid_types,
                     _spec_hash(spec, canon, fixed, base_data))


def override_scenario(base: Scenario, overrides: Mapping[str, Any], source: str | None = None) -> Scenario:
    """``base`` with the field-path ``overrides`` applied (``{"raids[1].count": 40}``), re-validated.

    The same checks and messages as a sweep's ``[fixed]`` and ``[grid]`` tables: a path that names nothing is
    refused with a suggestion, then each value alone (``overrides."raids[1].count": value ... is not accepted``),
    then all of them together. Unlike a sweep, ``seed`` may be overridden. Raises :class:`InputError`.
    """
    source = source or f"scenario '{base.name}'"
    base_data = base.model_dump(mode="json")
    paths = parse_override_paths(overrides, "overrides", base_data, source, allow_seed=True)
    check_overlaps({"overrides": paths}, source)
    check_values(base_data, {raw: (tokens, [overrides[raw]]) for raw, tokens in paths.items()}, "overrides",
                 source, None, single=True)
    data = copy.deepcopy(base_data)
    for raw, tokens in paths.items():
        set_at(data, tokens, overrides[raw])
    return _validate(data, source, None, f"overrides {dict(overrides)}")


def check_values(base_data: dict[str, Any], values: Mapping[str, tuple[tuple[Token, ...], list[Any]]], table: str,
                 source: str, scenario_dir: Path | None, single: bool = False) -> None:
    """Validate each value of each path alone on ``base_data``; one :class:`InputError` listing every value refused
    (``table."path"[i]``, or ``table."path"`` when ``single``)."""
    problems = []
    for raw, (tokens, options) in values.items():
        for i, value in enumerate(options):
            where = f'{table}."{raw}"' if single else f'{table}."{raw}"[{i}]'
            problem = value_problem(base_data, tokens, value, source, scenario_dir, where)
            if problem is not None:
                problems.append(problem)
    if problems:
        raise InputError(source, problems)


def value_problem(base_data: dict[str, Any], tokens: tuple[Token, ...], value: Any, source: str,
                  scenario_dir: Path | None, where: str) -> Problem | None:
    """The problem (named ``where``) of setting one field path of ``base_data`` to ``value`` alone, or None."""
    trial = copy.deepcopy(base_data)
    set_at(trial, tokens, value)
    try:
        parse_scenario(trial, source, scenario_dir)
    except InputError as exc:
        detail = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in exc.problems)
        return Problem(where, f"value {value!r} is not accepted: {detail}")
    return None


def _load_base(ref: str, source: str, base_dir: Path) -> Scenario:
    p = Path(ref)
    if p.suffix == ".toml" or "/" in ref:
        path = p if p.is_absolute() else base_dir / p
        if not path.exists():
            raise InputError(source, Problem("scenario", f"scenario file '{path}' not found"))
        return load_scenario(path)
    try:
        return load_scenario(ref)
    except InputError as exc:
        raise InputError(source, Problem("scenario", exc.render())) from None


def _scenario_dir(ref: str, base_dir: Path) -> Path | None:
    p = Path(ref)
    if p.suffix == ".toml" or "/" in ref:
        return (p if p.is_absolute() else base_dir / p).parent
    return None


def parse_override_paths(mapping: Mapping[str, Any], table: str, base_data: dict[str, Any], source: str,
                         allow_seed: bool = False) -> dict[str, tuple[Token, ...]]:
    """Parse the field paths (keys of ``mapping``) and check that each names a field of ``base_data``;
    :class:`InputError` lists every bad one as ``table."path"``. A sweep's run seeds derive from its own seed,
    so ``seed`` is refused unless ``allow_seed``."""
    out: dict[str, tuple[Token, ...]] = {}
    problems = []
    for raw in mapping:
        try:
            tokens = parse_path(raw)
            get_at(base_data, tokens)
        except PathError as exc:
            problems.append(Problem(f'{table}."{raw}"', str(exc)))
            continue
        if tokens[0] == "seed" and not allow_seed:
            problems.append(Problem(f'{table}."{raw}"', "run seeds derive from the sweep's own 'seed' and "
                                                        "'seeds_per_point'; set those instead"))
            continue
        out[raw] = tokens
    if problems:
        raise InputError(source, problems)
    return out


def check_overlaps(tables: Mapping[str, dict[str, tuple[Token, ...]]], source: str) -> None:
    """Refuse two paths (in any of the ``tables``) where one names the other or a node containing it."""
    entries = [(table, raw, t) for table, paths in tables.items() for raw, t in paths.items()]
    problems = []
    for (ta, ra, a), (tb, rb, b) in itertools.combinations(entries, 2):
        if is_prefix(a, b) or is_prefix(b, a):
            problems.append(Problem(f'{tb}."{rb}"', f'overlaps {ta}."{ra}"; give each field once'))
    if problems:
        raise InputError(source, problems)


def _validate(data: dict[str, Any], source: str, scenario_dir: Path | None, where: str) -> Scenario:
    try:
        return parse_scenario(data, source, scenario_dir)
    except InputError as exc:
        raise InputError(source, [Problem(where, f"{p.field}: {p.message}" if p.field else p.message)
                                  for p in exc.problems]) from None


def _column_type(values: list[Any]) -> pa.DataType:
    if values and all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.int64()
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pa.float64()
    if values and all(isinstance(v, str) for v in values):
        return pa.string()
    return pa.string()  # tables, lists or mixed kinds: canonical JSON text


def _to_cell(dtype: pa.DataType, value: Any) -> Any:
    if pa.types.is_floating(dtype):
        return float(value)
    if pa.types.is_string(dtype) and not isinstance(value, str):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return value


def _spec_hash(spec: SweepSpec, canon: dict[str, str], fixed: dict[str, tuple[Token, ...]],
               base_data: dict[str, Any]) -> str:
    """sha256 of everything that decides the rows: base scenario, overrides (in order), sweep seed.

    ``seeds_per_point`` is left out on purpose: a run's seed does not depend on it, so raising it resumes the
    folder and adds replications, with rows identical to those of a fresh sweep.
    """
    content = {
        "format": STORE_FORMAT,
        "scenario": base_data,
        "fixed": [[format_path(t), spec.fixed[raw]] for raw, t in fixed.items()],
        "grid": [[canon[raw], values] for raw, values in spec.grid.items()],
        "seed": spec.seed,
        "common_random_numbers": spec.common_random_numbers,
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
