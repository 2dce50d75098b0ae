"""The ``[sensitivity]`` table of a sweep file: parameter ranges by field path, base samples, outputs of interest.

A sensitivity sweep (TOML)::

    name = "battery-sensitivity"
    scenario = "teaching"
    seed = 1
    seeds_per_point = 1            # runs per sample; their outputs are averaged before the analysis

    [sensitivity]
    samples = 64                   # N base samples (a power of 2): N x (parameters + 2) sample points
    outputs = ["engagement.leakers", "engagement.kills_per_interceptor"]

    [sensitivity.parameters]
    "raids[1].count" = { min = 1, max = 12 }                  # an integer field: integers 1..12, equally likely
    "batteries[0].pk.cruise_missile" = { min = 0.5, max = 0.95 }
    "sensors[0].pfa" = { min = 1e-7, max = 1e-5, distribution = "log_uniform" }
    "batteries[0].doctrine" = { choices = ["salvo", "shoot_look_shoot"] }

Only the models live here (no planning), so :mod:`airpicture.sweep.spec` can embed them without an import cycle.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from airpicture.errors import Problem
from airpicture.scenario import Strict

#: Most base samples a sensitivity sweep may ask for.
MAX_SAMPLES = 2**16


class ParameterRange(Strict):
    """How one swept field is drawn: a range (uniform or log-uniform) or a list of equally likely choices."""

    min: int | float | None = Field(default=None, description="Lowest value (with max); for a whole-number "
                                                              "field, integers min..max are equally likely")
    max: int | float | None = Field(default=None, description="Highest value (inclusive for whole-number fields)")
    distribution: Literal["uniform", "log_uniform"] = Field(
        default="uniform", description="uniform between min and max, or log_uniform (min > 0): uniform in log")
    choices: list[Any] | None = Field(default=None, min_length=2,
                                      description="Values drawn with equal probability (instead of min/max)")

    @model_validator(mode="after")
    def _one_form(self) -> ParameterRange:
        has_range = self.min is not None or self.max is not None
        if self.choices is not None:
            if has_range or self.distribution != "uniform":
                raise ValueError("give either choices, or min and max (with an optional distribution), not both")
            return self
        if self.min is None or self.max is None:
            raise ValueError("expected min and max (e.g. { min = 1, max = 8 }) or choices (e.g. "
                             '{ choices = ["salvo", "shoot_look_shoot"] })')
        if not self.min < self.max:
            raise ValueError(f"expected min < max (got min = {self.min!r}, max = {self.max!r})")
        if self.distribution == "log_uniform" and self.min <= 0:
            raise ValueError(f"log_uniform needs min > 0 (got min = {self.min!r})")
        return self


class SensitivitySettings(Strict):
    """Global (variance-based, Sobol') sensitivity of the run outputs to the ranges of some scenario fields."""

    samples: int = Field(ge=2, le=MAX_SAMPLES, description="N base samples of the Saltelli design, a power of 2; "
                                                          "the sweep runs N x (parameters + 2) sample points")
    parameters: dict[str, ParameterRange] = Field(description="Field path -> range or choices")
    outputs: list[str] = Field(default_factory=lambda: ["engagement.leakers"], min_length=1,
                               description="Sweep row columns analysed (e.g. engagement.leakers)")
    fill: dict[str, float] = Field(
        default_factory=dict,
        description="Output -> value taken where a successful run does not define it, e.g. the run's duration for "
                    "engagement.first_saturation_s when nothing saturated (otherwise such base samples are left out)")
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0, description="Level of the bootstrap intervals")
    bootstrap: int = Field(default=1000, ge=10, le=100_000, description="Bootstrap resamples of the intervals")

    @field_validator("samples")
    @classmethod
    def _power_of_two(cls, v: int) -> int:
        if v & (v - 1):
            low = 1 << (v.bit_length() - 1)
            raise ValueError(f"expected a power of 2 (the balance of Sobol' points needs it), e.g. {low} or "
                             f"{low * 2}")
        return v

    @field_validator("parameters", mode="before")
    @classmethod
    def _some_parameters(cls, v: Any) -> Any:
        if isinstance(v, dict) and not v:
            raise ValueError("no parameters; give at least one field path with a range, e.g. "
                             '"raids[0].count" = { min = 1, max = 8 }')
        return v

    @field_validator("outputs")
    @classmethod
    def _distinct_outputs(cls, v: list[str]) -> list[str]:
        seen = [o for i, o in enumerate(v) if o in v[:i]]
        if seen:
            raise ValueError(f"output {seen[0]!r} is given twice")
        return v

    @field_validator("fill")
    @classmethod
    def _fill_names_outputs(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        outputs = info.data.get("outputs") or []
        for name in v:
            if name not in outputs:
                raise ValueError(f"{name!r} is not one of the outputs ({', '.join(outputs)})")
        return v


def quote_parameter_keys(problems: list[Problem], data: Any) -> list[Problem]:
    """Problems inside ``[sensitivity.parameters]`` named by their quoted key, as the grid's are
    (``sensitivity.parameters."sensors[0].pfa"`` rather than ``sensitivity.parameters.sensors[0].pfa``)."""
    prefix = "sensitivity.parameters."
    try:
        keys = sorted(data["sensitivity"]["parameters"], key=len, reverse=True)
    except (KeyError, TypeError):
        return problems
    out = []
    for p in problems:
        if p.field.startswith(prefix):
            rest = p.field[len(prefix):]
            key = next((k for k in keys if rest == k or rest.startswith(f"{k}.")), None)
            if key is not None:
                p = Problem(f'{prefix}"{key}"{rest[len(key):]}', p.message)
        out.append(p)
    return out
