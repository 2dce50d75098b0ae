"""Plan a ``[sensitivity]`` sweep: Saltelli's sample of the parameter ranges (drawn with SALib), one validated
scenario per sample point, as a :class:`~airpicture.sweep.spec.SweepPlan` that the ordinary sweep machinery runs
(local processes or Dask, one row file per run, resumable).

The design is SALib's ``sobol.sample`` without second-order terms: ``N`` base samples, each a block of ``D + 2``
consecutive sample points (matrix A, the ``D`` matrices A with column i from B, matrix B) for ``D`` parameters.
Points are drawn in the unit cube and mapped onto each parameter's range here: uniform or log-uniform numbers;
whole-number fields (the base scenario holds an integer there) take integers ``min..max``, equally likely (or,
log-uniform, in proportion to ``log((k + 1) / k)``); ``choices`` are equally likely. The Sobol' sequence is
scrambled with a seed derived from the sweep seed, and the first ``N`` base samples of a larger ``N`` are the same
points: raising ``samples`` resumes a folder and adds base samples.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from airpicture.budget import Budget, check_sweep_size, memory_budget
from airpicture.errors import InputError, Problem
from airpicture.seeding import SWEEP, stream
from airpicture.sweep.fieldpath import Token, format_path, get_at, is_prefix, set_at
from airpicture.sweep.sensitivity_spec import ParameterRange, SensitivitySettings
from airpicture.sweep.spec import (
    STORE_FORMAT,
    GridPoint,
    SweepPlan,
    SweepSpec,
    _column_type,
    _load_base,
    _scenario_dir,
    _validate,
    parse_override_paths,
    value_problem,
)

F64 = NDArray[np.float64]
#: Spawn keys (under the sweep stream) of the Sobol' scrambling and of the bootstrap resampling; far above any
#: grid point index, so they never meet a run seed's key.
DESIGN_KEY = 2**40
BOOTSTRAP_KEY = 2**40 + 1
TABLE = "sensitivity.parameters"


@dataclass(frozen=True)
class Parameter:
    """One swept field and how a unit-cube coordinate maps onto its values."""

    path: str
    kind: str  #: "uniform", "log_uniform", "integer", "log_integer" or "choice"
    low: float = 0.0
    high: float = 1.0
    choices: tuple[Any, ...] = ()

    @property
    def dtype(self) -> pa.DataType:
        if self.kind == "choice":
            return _column_type(list(self.choices))
        return pa.int64() if self.kind in ("integer", "log_integer") else pa.float64()

    def values(self, u: F64) -> list[Any]:
        """The field's values at unit coordinates ``u`` (in [0, 1))."""
        lo, hi = self.low, self.high
        if self.kind == "uniform":
            return [float(v) for v in lo + u * (hi - lo)]
        if self.kind == "log_uniform":
            return [float(v) for v in np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))]
        if self.kind == "integer":
            k = lo + np.floor(u * (hi - lo + 1.0))  # lo + k exactly: k-th of the equal shares of [0, 1)
        elif self.kind == "log_integer":
            k = np.floor(np.exp(np.log(lo) + u * (np.log(hi + 1.0) - np.log(lo))))
        else:
            idx = np.clip(np.floor(u * len(self.choices)).astype(int), 0, len(self.choices) - 1)
            return [self.choices[i] for i in idx]
        return [int(v) for v in np.clip(k, lo, hi)]

    def describe(self) -> dict[str, Any]:
        if self.kind == "choice":
            return {"distribution": "choice", "choices": list(self.choices)}
        whole = self.kind in ("integer", "log_integer")
        return {"distribution": self.kind, "min": int(self.low) if whole else self.low,
                "max": int(self.high) if whole else self.high}


@dataclass(frozen=True)
class SensitivityDesign:
    """The Saltelli design: parameters, ``samples`` base samples, the unit-cube points (one row per sample point,
    blocks of ``len(parameters) + 2``), and the analysis settings."""

    parameters: tuple[Parameter, ...]
    samples: int
    unit: F64
    outputs: tuple[str, ...]
    confidence: float
    bootstrap: int
    bootstrap_seed: int
    fill: tuple[tuple[str, float], ...] = ()  #: (output, value where a successful run leaves it undefined)

    @property
    def block(self) -> int:
        return len(self.parameters) + 2

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.parameters)

    def problem(self) -> dict[str, Any]:
        """SALib's problem definition (every parameter on the unit interval; this module maps the values)."""
        return {"num_vars": len(self.parameters), "names": list(self.paths),
                "bounds": [[0.0, 1.0]] * len(self.parameters)}


def unit_sample(n_params: int, samples: int, seed: int) -> F64:
    """Saltelli's sample of the unit cube, ``samples * (n_params + 2)`` rows, from SALib (scrambled Sobol')."""
    from SALib.sample import sobol

    problem = {"num_vars": n_params, "names": [f"x{i}" for i in range(n_params)], "bounds": [[0.0, 1.0]] * n_params}
    rng = stream(seed, SWEEP, DESIGN_KEY)
    return np.asarray(sobol.sample(problem, samples, calc_second_order=False, scramble=True, seed=rng), dtype=float)


def bootstrap_seed(seed: int) -> int:
    """A positive integer seed for SALib's bootstrap (SALib draws from the global state when given 0)."""
    return int(stream(seed, SWEEP, BOOTSTRAP_KEY).integers(1, 2**62))


# --------------------------------------------------------------------------------------------- planning
def plan_sensitivity(spec: SweepSpec, source: str, base_dir: Path, budget: Budget | None = None) -> SweepPlan:
    """Validate a ``[sensitivity]`` sweep and every sample point's scenario; raise :class:`InputError`."""
    settings = spec.sensitivity
    assert settings is not None
    problems = [Problem(f"figures.{name}", "a sensitivity sweep draws its own ranked figure; remove this setting")
                for name in ("x", "metric") if getattr(spec.figures, name) is not None]
    problems += _check_outputs(settings)
    if problems:
        raise InputError(source, problems)
    n_points = settings.samples * (len(settings.parameters) + 2)
    check_sweep_size(n_points, spec.seeds_per_point, source, budget or memory_budget(None))
    base = _load_base(spec.scenario, source, base_dir)
    base_data = base.model_dump(mode="json")
    scenario_dir = _scenario_dir(spec.scenario, base_dir)

    fixed = parse_override_paths(spec.fixed, "fixed", base_data, source)
    swept = parse_override_paths(settings.parameters, TABLE, base_data, source)
    _check_overlaps(fixed, swept, source)
    fixed_data = copy.deepcopy(base_data)
    for raw, tokens in fixed.items():
        set_at(fixed_data, tokens, spec.fixed[raw])
    _validate(fixed_data, source, scenario_dir, f"fixed (scenario '{base.name}')")

    parameters = tuple(_parameter(raw, settings.parameters[raw], tokens, fixed_data, source)
                       for raw, tokens in swept.items())
    _check_values(parameters, swept, fixed_data, source, scenario_dir)

    unit = unit_sample(len(parameters), settings.samples, spec.seed)
    columns = [p.values(unit[:, i]) for i, p in enumerate(parameters)]
    token_paths = list(swept.values())
    points = []
    frozen = pickle.dumps(fixed_data, protocol=pickle.HIGHEST_PROTOCOL)  # a deep copy per point, 10x quicker
    for index in range(unit.shape[0]):
        trial = pickle.loads(frozen)
        values: dict[str, Any] = {}
        for p, toks, col in zip(parameters, token_paths, columns, strict=True):
            set_at(trial, toks, col[index])
            values[p.path] = col[index]
        scenario = _validate(trial, source, scenario_dir, f"sample point {index} {values}")
        points.append(GridPoint(index, values, scenario))

    design = SensitivityDesign(parameters, settings.samples, unit, tuple(settings.outputs), settings.confidence,
                               settings.bootstrap, bootstrap_seed(spec.seed), tuple(settings.fill.items()))
    paths = tuple(p.path for p in parameters)
    return SweepPlan(spec, source, base, tuple(points), paths, {p.path: p.dtype for p in parameters},
                     _design_hash(spec, fixed, parameters, base_data), sensitivity=design)


def _check_outputs(settings: SensitivitySettings) -> list[Problem]:
    import difflib

    from airpicture.sweep.outputs import KNOWN_OUTPUTS

    problems = []
    for i, name in enumerate(settings.outputs):
        if name in KNOWN_OUTPUTS:
            continue
        close = difflib.get_close_matches(name, KNOWN_OUTPUTS, n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else \
            "e.g. 'engagement.leakers', 'engagement.kills_per_interceptor', 'tracking.gospa_mean_m'"
        problems.append(Problem(f"sensitivity.outputs[{i}]", f"{name!r} is not a numeric column of the sweep rows; "
                                                             f"{hint}"))
    return problems


def _check_overlaps(fixed: dict[str, tuple[Token, ...]], swept: dict[str, tuple[Token, ...]], source: str) -> None:
    entries = [("fixed", raw, t) for raw, t in fixed.items()] + [(TABLE, raw, t) for raw, t in swept.items()]
    problems = [Problem(f'{tb}."{rb}"', f'overlaps {ta}."{ra}"; give each field once')
                for (ta, ra, a), (tb, rb, b) in itertools.combinations(entries, 2)
                if is_prefix(a, b) or is_prefix(b, a)]
    if problems:
        raise InputError(source, problems)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "a number"


def _parameter(raw: str, rng: ParameterRange, tokens: tuple[Token, ...], data: dict[str, Any], source: str
               ) -> Parameter:
    path = format_path(tokens)
    where = f'{TABLE}."{raw}"'
    if rng.choices is not None:
        return Parameter(path, "choice", choices=tuple(rng.choices))
    current = get_at(data, tokens)
    assert rng.min is not None and rng.max is not None
    if current is not None and (isinstance(current, bool) or not isinstance(current, int | float)):
        raise InputError(source, Problem(where, f"the field holds {_kind_of(current)} ({current!r}), not a number; "
                                                "give its values as choices = [...]"))
    whole = isinstance(current, int) or (current is None and isinstance(rng.min, int) and isinstance(rng.max, int))
    if whole:
        bad = [f"{k} = {v!r}" for k, v in (("min", rng.min), ("max", rng.max)) if not float(v).is_integer()]
        if bad:
            raise InputError(source, Problem(where, f"the field holds whole numbers; expected whole-number min and "
                                                    f"max (got {', '.join(bad)})"))
        if rng.distribution == "log_uniform" and rng.min < 1:
            raise InputError(source, Problem(where, "log_uniform over whole numbers needs min >= 1"))
        kind = "log_integer" if rng.distribution == "log_uniform" else "integer"
        return Parameter(path, kind, float(int(rng.min)), float(int(rng.max)))
    return Parameter(path, rng.distribution, float(rng.min), float(rng.max))


def _check_values(parameters: tuple[Parameter, ...], swept: dict[str, tuple[Token, ...]], fixed_data: dict[str, Any],
                  source: str, scenario_dir: Path | None) -> None:
    """Each parameter's extreme values (or each choice) alone on the fixed scenario, so a bad range is named
    precisely before the sample points are validated together."""
    problems = []
    for p, (raw, tokens) in zip(parameters, swept.items(), strict=True):
        if p.kind == "choice":
            trials = [(f"choices[{i}]", v) for i, v in enumerate(p.choices)]
        elif p.kind in ("integer", "log_integer"):
            trials = [("min", int(p.low)), ("max", int(p.high))]
        else:
            trials = [("min", p.low), ("max", p.high)]
        for label, value in trials:
            problem = value_problem(fixed_data, tokens, value, source, scenario_dir, f'{TABLE}."{raw}".{label}')
            if problem is not None:
                problems.append(problem)
    if problems:
        raise InputError(source, problems)


def _design_hash(spec: SweepSpec, fixed: dict[str, tuple[Token, ...]], parameters: tuple[Parameter, ...],
                 base_data: dict[str, Any]) -> str:
    """sha256 of what decides the rows. Left out: ``samples`` (a larger N extends the same sample points, so
    raising it resumes and adds base samples), ``seeds_per_point``, and the analysis settings (outputs,
    confidence, bootstrap), which change no run."""
    content = {
        "format": STORE_FORMAT,
        "kind": "sensitivity",
        "scenario": base_data,
        "fixed": [[format_path(t), spec.fixed[raw]] for raw, t in fixed.items()],
        "parameters": [[p.path, p.describe()] for p in parameters],
        "seed": spec.seed,
        "common_random_numbers": spec.common_random_numbers,
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()

