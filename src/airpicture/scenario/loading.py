"""Loading scenario files: built-in names, TOML reading with clear errors, validation errors as problems
naming the field path, and the resolved scenario as TOML."""

from __future__ import annotations

import difflib
import math
import re
import tomllib
import warnings
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from airpicture.errors import InputError, Problem, RenamedFieldWarning
from airpicture.scenario.base import MAX_FILE_BYTES, MAX_NESTING, Strict
from airpicture.scenario.batteries import Envelope
from airpicture.scenario.model import Scenario
from airpicture.scenario.threats import CivilTraffic, CruiseProfile, Raid

BUILTIN_PACKAGE = "airpicture.scenarios"
DEFAULT_SCENARIO = "default"


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            # discriminated-union tags and validator names are not part of the user's path
            if part in ("function-after", "function-before") or str(part).startswith("function-"):
                continue
            out += ("." if out else "") + str(part)
    return out


def _describe_input(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


#: new name -> old name of every renamed field (see ``Strict.old_names``)
_OLD_NAME = {new: old for model in (Raid, CivilTraffic, CruiseProfile, Envelope)
             for old, new in model.old_names.items()}


def _clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop discriminator tags (e.g. ``'straight'``) that pydantic inserts into union locations, and name a
    renamed field as the file does (its old name, where the file uses it)."""
    out: list[Any] = []
    cur = data
    for part in loc:
        if isinstance(cur, Mapping):
            if part not in cur and _OLD_NAME.get(part) in cur:
                part = _OLD_NAME[part]
            if part in cur:
                out.append(part)
                cur = cur[part]
                continue
            if isinstance(part, str) and cur.get("kind") == part:
                continue  # tag of a discriminated union
            out.append(part)
            cur = None
        elif isinstance(cur, list) and isinstance(part, int):
            out.append(part)
            cur = cur[part] if 0 <= part < len(cur) else None
        else:
            out.append(part)
            cur = None
    return tuple(out)


_FIELD_PREFIX = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\])?(?:\.[A-Za-z_]\w*(?:\[\d+\])?)*): (.+)$", re.S)


def problems_from_validation(err: ValidationError, data: Any) -> list[Problem]:
    problems = []
    for e in err.errors(include_url=False):
        loc = _clean_loc(tuple(e["loc"]), data)
        path = _loc_to_path(loc) or "(top level)"
        msg = str(e["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        etype = e["type"]
        if etype == "missing":
            msg = "required field is missing"
        elif etype not in ("value_error", "assertion_error") and "input" in e:
            msg = f"{msg} (got {_describe_input(e['input'])})"
        if etype == "finite_number":
            msg = f"expected a finite number (got {_describe_input(e.get('input'))})"
        named = _FIELD_PREFIX.match(msg) if not loc else None
        if named:  # a whole-scenario check that names the field it is about: "sensors[0].altitude_m: ..."
            path, msg = named.group(1), named.group(2)
        problems.append(Problem(path, msg))
    return problems


def old_names_used(data: Any) -> list[tuple[str, str, str]]:
    """``(path, old name, new name)`` of each field a scenario mapping names by its old name (``raids[0]``,
    ``altitude_m``, ``height_m``)."""
    found: list[tuple[str, str, str]] = []

    def look(item: Any, where: str, model: type[Strict]) -> None:
        if isinstance(item, Mapping):
            found.extend((where, old, new) for old, new in model.old_names.items() if old in item)

    if isinstance(data, Mapping):
        for section, model in (("raids", Raid), ("civil_traffic", CivilTraffic)):
            items = data.get(section)
            for i, item in enumerate(items if isinstance(items, list) else []):
                look(item, f"{section}[{i}]", model)
                profile = item.get("profile") if isinstance(item, Mapping) else None
                if section == "raids" and isinstance(profile, Mapping) and profile.get("kind") == "cruise":
                    look(profile, f"raids[{i}].profile", CruiseProfile)
        batteries = data.get("batteries")
        for i, battery in enumerate(batteries if isinstance(batteries, list) else []):
            envelopes = battery.get("envelopes") if isinstance(battery, Mapping) else None
            for kind, envelope in (envelopes.items() if isinstance(envelopes, Mapping) else ()):
                look(envelope, f"batteries[{i}].envelopes.{kind}", Envelope)
    return found


def renamed_note(source: str, used: Sequence[tuple[str, str, str]]) -> str:
    """The note telling which fields ``source`` names by their old names, and their new names."""
    parts = []
    for old, new in dict.fromkeys((old, new) for _, old, new in used):
        parts.append(", ".join(f"{path}.{o}" for path, o, _ in used if o == old) + f" -> {new}")
    return (f"{source}: fields renamed: " + "; ".join(parts) + ". The old names are still read, with the same "
            "meaning (a height above the ground, metres); rename them in the file: altitude_m now always means a "
            "WGS84 ellipsoidal height (of the site, of a radar's ground)")


def parse_scenario(data: Mapping[str, Any], source: str, base_dir: Path | None = None, *,
                   warn_old_names: bool = True) -> Scenario:
    """Validate a scenario mapping; raise :class:`InputError` naming ``source`` on failure.

    Replay file paths are resolved against ``base_dir`` (the scenario file's folder). A field named by its old
    name (``altitude_m`` of a raid, now ``height_m``) is read under its new one, with a
    :class:`~airpicture.errors.RenamedFieldWarning` (unless ``warn_old_names`` is false: a results folder's
    resolved scenario, written by an earlier version, is read as it is).
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise InputError(source, problems_from_validation(err, data)) from None
    used = old_names_used(data) if warn_old_names else []
    if used:
        warnings.warn(RenamedFieldWarning(renamed_note(source, used)), stacklevel=2)
    if base_dir is not None and scenario.replays:
        replays = []
        for rp in scenario.replays:
            p = Path(rp.file)
            if not p.is_absolute():
                p = (base_dir / p).resolve()
            replays.append(rp.model_copy(update={"file": str(p)}))
        scenario = scenario.model_copy(update={"replays": replays})
    if scenario.terrain is not None:
        from airpicture.terrain.load import resolve_terrain

        scenario = resolve_terrain(scenario, source, base_dir)
    _check_finite(scenario, source)
    return scenario


def _check_finite(model: Any, source: str, path: str = "") -> None:
    """Belt and braces: floats inside tuples (waypoints) are not covered by allow_inf_nan on every version."""
    if isinstance(model, BaseModel):
        for name in type(model).model_fields:
            _check_finite(getattr(model, name), source, f"{path}.{name}" if path else name)
    elif isinstance(model, (list, tuple)):
        for i, v in enumerate(model):
            _check_finite(v, source, f"{path}[{i}]")
    elif isinstance(model, dict):
        for k, v in model.items():
            _check_finite(v, source, f"{path}.{k}")
    elif isinstance(model, float) and not math.isfinite(model):
        raise InputError(source, Problem(path, f"expected a finite number (got {model})"))


def builtin_names() -> list[str]:
    files = resources.files(BUILTIN_PACKAGE)
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".toml"))


def builtin_path(name: str) -> Path:
    return Path(str(resources.files(BUILTIN_PACKAGE).joinpath(f"{name}.toml")))


def resolve_scenario_path(ref: str | None) -> Path:
    """Map ``None`` (the default), a built-in name or a file path to a file path."""
    if ref is None:
        return builtin_path(DEFAULT_SCENARIO)
    p = Path(ref)
    if p.suffix == ".toml" or p.exists() or "/" in ref:
        if not p.exists():
            raise InputError(str(p), "file not found")
        if p.is_dir():
            raise InputError(str(p), "is a folder; expected a scenario .toml file")
        return p
    if ref in builtin_names():
        return builtin_path(ref)
    close = difflib.get_close_matches(ref, builtin_names(), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise InputError(ref, f"no such built-in scenario or file{hint} (built-in: {', '.join(builtin_names())})")


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file (scenario, sweep or sensor file) with clear errors: not found, unreadable, too large,
    not UTF-8, malformed, nested too deeply. A UTF-8 byte-order mark (as some editors write) is accepted."""
    try:
        with path.open("rb") as f:
            text = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(str(path), "file not found") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a folder; expected a TOML file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from None
    if len(text) > MAX_FILE_BYTES:
        raise InputError(str(path), f"larger than {MAX_FILE_BYTES // 2**20} MiB; a scenario, sweep or sensor file "
                                    "is a few kilobytes (put recorded data in a replay or detections file)")
    try:
        decoded = text.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text (byte {exc.start}); expected a TOML file") from None
    try:
        data = tomllib.loads(decoded)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), f"malformed TOML: {exc}") from None
    except RecursionError:
        raise InputError(str(path), f"arrays or tables nested too deeply (at most {MAX_NESTING} levels)") from None
    where = _too_deep(data, MAX_NESTING)
    if where is not None:
        where = where if len(where) <= 80 else where[:77] + "..."
        raise InputError(str(path), Problem(where or "(top level)",
                                            f"nested more than {MAX_NESTING} levels deep; expected a few levels"))
    return data


def _too_deep(data: Any, limit: int) -> str | None:
    """The path of a value nested more than ``limit`` levels deep in ``data`` (None if there is none); iterative,
    so it cannot itself run out of stack."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > limit:
            return where
        if isinstance(value, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value))
    return None


def load_scenario(ref: str | Path | None = None) -> Scenario:
    """Load and validate a scenario by built-in name, file path, or ``None`` for the default."""
    path = resolve_scenario_path(None if ref is None else str(ref))
    data = read_toml(path)
    return parse_scenario(data, str(path), base_dir=path.parent)


def scenario_to_toml_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as resolved (defaults filled in), in a form ``tomli_w`` can write (no None values)."""

    def strip(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if v is not None}
        if isinstance(obj, (list, tuple)):
            return [strip(v) for v in obj]
        return obj

    return strip(scenario.model_dump(mode="json"))
