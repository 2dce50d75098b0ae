"""Track storage: struct-of-arrays in reusable slots.

A deleted track frees its slot (a later track may take it); track *ids* come from a counter and are never
reused. Arrays grow by doubling. Kernels index the arrays by slot, so deleting or adding tracks never copies
the (N, 6, 6) stacks.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

TENTATIVE = 0
CONFIRMED = 1


class TrackStore:
    """All live tracks. ``x``/``P`` hold the combined state at each track's time ``t``; ``xm``/``Pm``/``mu``
    the per-model states and mode probabilities (one model unless IMM)."""

    def __init__(self, n_models: int, n_sensors: int, initial: int = 64) -> None:
        self.n_models = n_models
        self.n_sensors = n_sensors
        self.size = 0
        self._alloc(initial)
        self.next_id = 1

    def _alloc(self, cap: int) -> None:
        m, s = self.n_models, self.n_sensors
        self.alive = np.zeros(cap, bool)
        self.track_id = np.full(cap, -1, np.int64)
        self.status = np.zeros(cap, np.int8)
        self.t = np.zeros(cap)
        self.x = np.zeros((cap, 6))
        self.P = np.zeros((cap, 6, 6))
        self.xm = np.zeros((cap, m, 6))
        self.Pm = np.zeros((cap, m, 6, 6))
        self.mu = np.zeros((cap, m))
        self.n_looks = np.zeros(cap, np.int32)
        self.n_hits = np.zeros(cap, np.int32)
        self.misses = np.zeros(cap, np.int32)
        self.born_s = np.zeros(cap)
        self.last_update_s = np.zeros(cap)
        self.llr = np.zeros(cap)
        self.llr_max = np.zeros(cap)
        self.last_hit_s = np.full((cap, max(s, 1)), -np.inf)
        self.capacity = cap

    _FIELDS = ("alive", "track_id", "status", "t", "x", "P", "xm", "Pm", "mu", "n_looks", "n_hits", "misses",
               "born_s", "last_update_s", "llr", "llr_max", "last_hit_s")

    def _grow(self, need: int) -> None:
        cap = self.capacity
        while cap < need:
            cap *= 2
        old = {f: getattr(self, f) for f in self._FIELDS}
        n = self.capacity
        self._alloc(cap)
        for f, arr in old.items():
            getattr(self, f)[:n] = arr

    def active(self) -> I64:
        """Slots of the live tracks, ascending."""
        return np.flatnonzero(self.alive[: self.size]).astype(np.int64)

    def new_slots(self, n: int) -> I64:
        """``n`` free slots (lowest first), marked alive, with fresh ids from the counter."""
        free = np.flatnonzero(~self.alive[: self.size])[:n]
        extra = n - free.shape[0]
        if extra > 0:
            if self.size + extra > self.capacity:
                self._grow(self.size + extra)
            free = np.concatenate([free, np.arange(self.size, self.size + extra)])
            self.size += extra
        slots = free.astype(np.int64)
        self.alive[slots] = True
        self.track_id[slots] = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        return slots

    def free(self, slots: I64) -> None:
        self.alive[slots] = False
        self.track_id[slots] = -1
