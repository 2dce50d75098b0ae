"""One name per target everywhere (report, explanations, comparisons): its callsign when it has one, else
"target N". And finding a target from what a user typed: its id or its name."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from numpy.typing import NDArray

from airpicture.errors import InputError


def target_names(callsign: NDArray | None, n: int) -> list[str]:
    """Display name of targets 0..n-1: the callsign, or "target N" where it is empty or missing."""
    if callsign is None:
        return [f"target {i}" for i in range(n)]
    return [str(c) if str(c).strip() else f"target {i}" for i, c in enumerate(callsign.tolist())]


def find_target(query: str, names: Sequence[str], source: str = "command line", option: str = "--threat") -> int:
    """The target id ``query`` names: a whole number is an id; otherwise a name, case-insensitively, or an
    unambiguous part of one. Raises :class:`InputError` naming close matches otherwise."""
    q = query.strip()
    n = len(names)
    if q.lstrip("-").isdigit():
        i = int(q)
        if not 0 <= i < n:
            raise InputError(source, f"{option} {q}: no target with that id (ids run from 0 to {n - 1})")
        return i
    low = [s.lower() for s in names]
    ql = q.lower()
    if ql in low:
        return low.index(ql)
    part = [i for i, s in enumerate(low) if ql in s]
    if len(part) == 1:
        return part[0]
    if len(part) > 1:
        shown = ", ".join(names[i] for i in part[:6]) + (", ..." if len(part) > 6 else "")
        raise InputError(source, f"{option} {q!r} matches {len(part)} targets ({shown}); give the whole name or "
                                 "the id")
    close = difflib.get_close_matches(q, list(names), n=4, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise InputError(source, f"{option} {q!r}: no target of this run has that name or id{hint}")
