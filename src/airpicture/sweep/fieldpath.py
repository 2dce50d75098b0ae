"""Field paths into a scenario mapping: ``raids[0].count``, ``batteries[0].pk.aircraft``, ``tracker.model``.

A path is dot-separated names, each optionally followed by ``[index]`` list indices. Paths are resolved against
the scenario as dumped with every default filled in, so any field the schema knows can be named, and a path that
does not exist is refused with a suggestion.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

Token = str | int

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")


class PathError(ValueError):
    """A field path that is malformed or names nothing in the scenario."""


def parse_path(path: str) -> tuple[Token, ...]:
    """``"raids[0].count"`` -> ``("raids", 0, "count")``."""
    tokens: list[Token] = []
    for segment in path.strip().split("."):
        m = _SEGMENT.fullmatch(segment)
        if not m:
            raise PathError(
                f"malformed field path {path!r}; expected names joined by dots with optional [index], "
                "e.g. raids[0].count"
            )
        tokens.append(m.group(1))
        tokens.extend(int(i) for i in _INDEX.findall(m.group(2)))
    return tuple(tokens)


def format_path(tokens: tuple[Token, ...]) -> str:
    """Inverse of :func:`parse_path` (canonical spelling)."""
    out = ""
    for t in tokens:
        out += f"[{t}]" if isinstance(t, int) else (f".{t}" if out else t)
    return out


def is_prefix(a: tuple[Token, ...], b: tuple[Token, ...]) -> bool:
    """Whether path ``a`` names ``b`` or a node containing it."""
    return len(a) <= len(b) and b[: len(a)] == a


def _walk(data: Any, tokens: tuple[Token, ...]) -> tuple[Any, Token]:
    """The container holding the last token, checking that every step exists."""
    node = data
    for depth, tok in enumerate(tokens):
        where = format_path(tokens[:depth]) or "the scenario"
        if isinstance(tok, int):
            if not isinstance(node, list):
                raise PathError(f"{where} is not a list; [{tok}] cannot index it")
            if tok >= len(node):
                have = f"entries {where}[0]..{where}[{len(node) - 1}]" if node else "no entries"
                raise PathError(f"{where}[{tok}] does not exist: {where} has {have}")
        else:
            if not isinstance(node, Mapping):
                kind = "a list; use an index like [0]" if isinstance(node, list) else f"a value ({node!r})"
                raise PathError(f"{where} is {kind}, it has no field '{tok}'")
            if tok not in node:
                renamed = _renamed_fields().get(tok)
                if renamed is not None and renamed in node:
                    raise PathError(f"no field '{tok}' in {where}: it is now called '{renamed}' (the same height "
                                    f"above the ground, metres); write {format_path((*tokens[:depth], renamed))}")
                close = difflib.get_close_matches(tok, sorted(map(str, node)), n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else f"; it has: {', '.join(sorted(map(str, node)))}"
                raise PathError(f"no field '{tok}' in {where}{hint}")
        if depth < len(tokens) - 1:
            node = node[tok]
    return node, tokens[-1]


def _renamed_fields() -> dict[str, str]:
    """Old name -> new name of every renamed scenario field (scenario files still accept the old names; a field path
    must use the new one, since it also names the sweep's columns)."""
    from airpicture.scenario import CivilTraffic, CruiseProfile, Envelope, Raid

    return {old: new for model in (Raid, CivilTraffic, CruiseProfile, Envelope) for old, new in model.old_names.items()}


def get_at(data: Any, tokens: tuple[Token, ...]) -> Any:
    """The value at ``tokens``; :class:`PathError` if the path does not exist."""
    node, last = _walk(data, tokens)
    return node[last]


def set_at(data: Any, tokens: tuple[Token, ...], value: Any) -> None:
    """Replace the value at ``tokens`` in place; the path must already exist."""
    node, last = _walk(data, tokens)
    node[last] = value
