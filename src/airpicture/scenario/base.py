"""The base of every scenario model (:class:`Strict`), shared validators, limits and kinds."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

ThreatKind = Literal["aircraft", "cruise_missile", "drone", "ballistic_missile"]
CivilKind = Literal["airliner", "general_aviation"]
TargetKind = Literal["aircraft", "cruise_missile", "drone", "ballistic_missile", "airliner", "general_aviation"]
THREAT_KINDS: tuple[str, ...] = ("aircraft", "cruise_missile", "drone", "ballistic_missile")
ALL_KINDS: tuple[str, ...] = (*THREAT_KINDS, "airliner", "general_aviation")
#: Largest seed: seeds are stored as signed 64-bit integers in the tables.
MAX_SEED = 2**63 - 1
#: Names used in folder names: a letter or digit first (never "." or ".."), then letters, digits, "_", ".", "-".
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
MAX_NAME_LENGTH = 100
#: Longest free text (descriptions, display names): it is copied into results, reports and messages.
MAX_DESCRIPTION_LENGTH = 2000
MAX_LABEL_LENGTH = 200
#: Largest scenario, sweep or sensor file read, bytes, and deepest nesting of tables and arrays in one.
MAX_FILE_BYTES = 16 * 2**20
MAX_NESTING = 32
#: Scenarios last at most a day; times in them stay within a few days of the start.
DAY_S = 86400.0

#: Typical radar cross sections (m^2), textbook orders of magnitude (e.g. Skolnik, *Introduction to Radar
#: Systems*, table 2.2): fighter ~ 2-6, small cruise missile ~ 0.1, small drone ~ 0.01-0.1, re-entry vehicle
#: ~ 0.05, airliner ~ 20-100, light aircraft ~ 1-2.
DEFAULT_RCS_M2: dict[str, float] = {
    "aircraft": 5.0,
    "cruise_missile": 0.1,
    "drone": 0.05,
    "ballistic_missile": 0.05,
    "airliner": 40.0,
    "general_aviation": 2.0,
}


class Strict(BaseModel):
    """Base of every scenario model: frozen, unknown keys refused with a suggestion, finite numbers only, and
    strict types (no text read as a number, no true read as 1, no 2.5 read as a count; an integer is a valid
    float)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True, strict=True)

    #: Fields renamed since files were first written: old name -> new name. The old name is still read, with the
    #: same meaning (giving both is refused); :func:`airpicture.scenario.loading.parse_scenario` warns of it.
    old_names: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and any(old in data for old in cls.old_names):
            data = dict(data)
            for old, new in cls.old_names.items():
                if old in data:
                    if new in data:
                        raise ValueError(f"'{old}' is the old name of '{new}' (the same field); give '{new}' only")
                    data[new] = data.pop(old)
        if isinstance(data, Mapping):
            known = set(cls.model_fields)
            for info in cls.model_fields.values():
                if info.alias:
                    known.add(info.alias)
            unknown = [k for k in data if k not in known]
            if unknown:
                msgs = []
                for key in unknown:
                    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
                    hint = (f"; did you mean '{close[0]}'?" if close
                            else f"; expected one of: {', '.join(sorted(known))}")
                    msgs.append(f"unknown key '{key}'{hint}")
                raise ValueError("; ".join(msgs))
        return data


def _doc(text: str, **kw: Any) -> Any:
    return Field(description=text, **kw)


def check_name(v: Any) -> Any:
    """A name used in a folder name: refuse what could escape that folder or hide it."""
    if isinstance(v, str) and not re.fullmatch(NAME_PATTERN, v):
        raise ValueError(f"{v[:60]!r} is not a usable name: expected letters, digits, '_', '.' and '-', starting "
                         "with a letter or digit (the name becomes a folder name, so '.', '..', '/' and spaces "
                         "are refused)")
    return v


def sane(name: str, lo: float | None = None, hi: float | None = None, why: str = "") -> Any:
    """A validator refusing ``name`` outside [lo, hi] -- bounds no sensible study exceeds, given with the reason
    (unlike a field's plain limits, which only say the number)."""

    def check(cls: type, v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            shown = f"{v:,}" if isinstance(v, int) else f"{v:g}"
            if lo is not None and v < lo:
                raise ValueError(f"{shown} is below {lo:g}: {why}")
            if hi is not None and v > hi:
                raise ValueError(f"{shown} is above {hi:,.0f}: {why}" if float(hi).is_integer() else
                                 f"{shown} is above {hi:g}: {why}")
        return v

    check.__name__ = f"_sane_{name}"
    return field_validator(name)(classmethod(check))  # type: ignore[arg-type]


PositiveFloat = Annotated[float, Field(gt=0)]
#: a point [east, north] in metres: a TOML array of two numbers
PointEN = Annotated[tuple[Annotated[float, Field(ge=-5e6, le=5e6)], Annotated[float, Field(ge=-5e6, le=5e6)]],
                    BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else v)]
NonNegFloat = Annotated[float, Field(ge=0)]
