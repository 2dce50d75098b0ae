"""Accumulates targets and their sampled states from every source, then freezes them into a :class:`Truth`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from airpicture.truth.table import Samples, Targets, Truth, make_samples

F64 = NDArray[np.float64]


@dataclass
class TruthBuilder:
    kinds: list[NDArray] = field(default_factory=list)
    hostile: list[NDArray] = field(default_factory=list)
    rcs: list[F64] = field(default_factory=list)
    rcs_ratio: list[F64] = field(default_factory=list)
    asset: list[NDArray] = field(default_factory=list)
    start: list[F64] = field(default_factory=list)
    end: list[F64] = field(default_factory=list)
    reason: list[NDArray] = field(default_factory=list)
    group: list[NDArray] = field(default_factory=list)
    callsign: list[NDArray] = field(default_factory=list)
    sample_owner: list[NDArray] = field(default_factory=list)
    sample_t: list[F64] = field(default_factory=list)
    sample_x: list[F64] = field(default_factory=list)
    n: int = 0

    def add(self, *, kind: str, hostile: bool, rcs_m2: float | F64, asset_index: int, start_s: F64, end_s: F64,
            end_reason: NDArray, group: str, callsign: NDArray, owner: NDArray, t: F64, x: F64,
            rcs_broadside_ratio: float = 1.0) -> None:
        """Add K targets; ``owner`` indexes 0..K-1 within this batch for the samples (t, x)."""
        k = int(np.asarray(start_s).size)
        if k == 0:
            return
        self.kinds.append(np.full(k, kind, dtype=object))
        self.hostile.append(np.full(k, hostile))
        self.rcs.append(np.broadcast_to(np.asarray(rcs_m2, float), (k,)).copy())
        self.rcs_ratio.append(np.full(k, float(rcs_broadside_ratio)))
        self.asset.append(np.full(k, asset_index, dtype=np.int64))
        self.start.append(np.asarray(start_s, float))
        self.end.append(np.asarray(end_s, float))
        self.reason.append(np.asarray(end_reason, dtype=object))
        self.group.append(np.full(k, group, dtype=object))
        self.callsign.append(np.asarray(callsign, dtype=object))
        self.sample_owner.append(np.asarray(owner, np.int64) + self.n)
        self.sample_t.append(np.asarray(t, float))
        self.sample_x.append(np.asarray(x, float).reshape(-1, 6))
        self.n += k

    def build(self) -> Truth:
        """Freeze into a :class:`Truth`. The sample parts are moved into the final arrays one at a time (each
        part freed once copied), so building needs memory for the samples plus one part, not twice the samples;
        the parts come sorted by (target, time) from every source, so no sort is needed (checked)."""
        def cat(parts: list, dtype=None, empty=None):
            if not parts:
                return np.zeros(0, dtype=dtype) if empty is None else empty
            out = np.concatenate(parts)
            return out.astype(dtype) if dtype is not None else out

        targets = Targets(
            kind=cat(self.kinds, dtype=str, empty=np.zeros(0, dtype="<U1")),
            hostile=cat(self.hostile, dtype=bool),
            rcs_m2=cat(self.rcs, dtype=float),
            rcs_broadside_ratio=cat(self.rcs_ratio, dtype=float),
            asset_index=cat(self.asset, dtype=np.int64),
            start_s=cat(self.start, dtype=float),
            end_s=cat(self.end, dtype=float),
            end_reason=cat(self.reason, dtype=str, empty=np.zeros(0, dtype="<U1")),
            group=cat(self.group, dtype=str, empty=np.zeros(0, dtype="<U1")),
            callsign=cat(self.callsign, dtype=str, empty=np.zeros(0, dtype="<U1")),
        )
        owner = _move(self.sample_owner, (0,), np.int64)
        t = _move(self.sample_t, (0,), np.float64)
        x = _move(self.sample_x, (0, 6), np.float64)
        if _sorted_by_owner_and_time(owner, t):
            samples = Samples(owner, t, x, _offsets(owner, self.n))
        else:
            samples = make_samples(owner, t, x, self.n)
        return Truth(targets, samples)


def _move(parts: list[np.ndarray], empty_shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """Concatenate ``parts`` (emptying the list as it goes) into one new array."""
    rows = sum(len(p) for p in parts)
    out: np.ndarray = np.empty((rows, *empty_shape[1:]), dtype=dtype)
    at = 0
    while parts:
        part = parts.pop(0)
        out[at:at + len(part)] = part
        at += len(part)
        del part
    return out


def _sorted_by_owner_and_time(owner: np.ndarray, t: np.ndarray) -> bool:
    if owner.size < 2:
        return True
    d_owner = np.diff(owner)
    return bool(np.all(d_owner >= 0) and np.all((d_owner > 0) | (np.diff(t) >= 0)))


def _offsets(owner: np.ndarray, n: int) -> np.ndarray:
    counts = np.bincount(owner, minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets
