"""Track storage: struct-of-arrays in reusable slots.

A deleted track frees its slot (a later track may take it); track *ids* come from a counter and are never
reused. Arrays grow by doubling. Kernels index the arrays by slot, so deleting or adding tracks never copies
the (N, 6, 6) stacks.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit

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
        return self.alive[: self.size].nonzero()[0].astype(np.int64, copy=False)

    def new_slots(self, n: int) -> I64:
        """``n`` free slots (lowest first), marked alive, with fresh ids from the counter."""
        free = (~self.alive[: self.size]).nonzero()[0][:n]
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

    def start(self, slots: I64, t: F64, x0: F64, P0: F64, mu0: F64, sensor: int) -> None:
        """Fill new slots as tentative tracks born at times ``t`` (s) with states ``x0`` (K, 6), covariances
        ``P0`` (K, 6, 6), every model at the same state, mode probabilities ``mu0`` (M,), one look and one hit
        (by sensor number ``sensor``), score 0. One compiled pass instead of sixteen array assignments."""
        _start(slots, t, x0, P0, mu0, sensor, self.t, self.x, self.P, self.xm, self.Pm, self.mu, self.status,
               self.n_looks, self.n_hits, self.misses, self.born_s, self.last_update_s, self.llr, self.llr_max,
               self.last_hit_s)

    def miss(self, missed: I64, hit: I64, ln_miss: float) -> tuple[int, int]:
        """Book a miss on each slot of ``missed`` (one more look and consecutive miss, ``ln_miss`` added to the
        score); returns how many confirmed tracks are among ``hit`` and among ``missed`` (for the Pd estimate)."""
        return _miss(missed, hit, ln_miss, self.status, self.n_looks, self.misses, self.llr)

    def score_hits(self, slots: I64, increments: F64) -> None:
        """Add ``increments`` to the scores of ``slots`` (distinct) and raise their peaks to match."""
        _score_hits(slots, increments, self.llr, self.llr_max)

    def settled_unhit(self, slots: I64, hit: I64, min_hits: int) -> I64:
        """Of ``slots``: the confirmed tracks with at least ``min_hits`` hits that are not in ``hit``."""
        return _settled_unhit(slots, hit, min_hits, self.size, self.status, self.n_hits)

    def hit(self, slots: I64, t: F64, sensor: int) -> None:
        """Book a hit by sensor number ``sensor`` at times ``t`` (s) on each slot: one more look and hit, the
        consecutive misses reset, the last hit and update times set."""
        _hit(slots, t, sensor, self.n_looks, self.n_hits, self.misses, self.last_hit_s, self.last_update_s)


@njit(cache=True)
def _start(slots, t, x0, P0, mu0, sensor, st, sx, sP, sxm, sPm, smu, status, n_looks, n_hits, misses, born_s,
           last_update_s, llr, llr_max, last_hit_s) -> None:
    for k in range(slots.shape[0]):
        i = slots[k]
        st[i] = t[k]
        for a in range(6):
            sx[i, a] = x0[k, a]
            for b in range(6):
                sP[i, a, b] = P0[k, a, b]
        for m in range(sxm.shape[1]):
            smu[i, m] = mu0[m]
            for a in range(6):
                sxm[i, m, a] = x0[k, a]
                for b in range(6):
                    sPm[i, m, a, b] = P0[k, a, b]
        status[i] = TENTATIVE
        n_looks[i] = 1
        n_hits[i] = 1
        misses[i] = 0
        born_s[i] = t[k]
        last_update_s[i] = t[k]
        llr[i] = 0.0
        llr_max[i] = 0.0
        for j in range(last_hit_s.shape[1]):
            last_hit_s[i, j] = -np.inf
        last_hit_s[i, sensor] = t[k]


@njit(cache=True)
def _hit(slots, t, sensor, n_looks, n_hits, misses, last_hit_s, last_update_s) -> None:
    for k in range(slots.shape[0]):
        i = slots[k]
        n_looks[i] += 1
        n_hits[i] += 1
        misses[i] = 0
        last_hit_s[i, sensor] = t[k]
        last_update_s[i] = t[k]


@njit(cache=True)
def _miss(missed, hit, ln_miss, status, n_looks, misses, llr) -> tuple[int, int]:
    n_hit = 0
    for k in range(hit.shape[0]):
        if status[hit[k]] == CONFIRMED:
            n_hit += 1
    n_missed = 0
    for k in range(missed.shape[0]):
        i = missed[k]
        n_looks[i] += 1
        misses[i] += 1
        llr[i] += ln_miss
        if status[i] == CONFIRMED:
            n_missed += 1
    return n_hit, n_missed


@njit(cache=True)
def _score_hits(slots, increments, llr, llr_max) -> None:
    for k in range(slots.shape[0]):
        i = slots[k]
        llr[i] += increments[k]
        llr_max[i] = max(llr_max[i], llr[i])


@njit(cache=True)
def _settled_unhit(slots, hit, min_hits, size, status, n_hits):
    mark = np.zeros(size, np.bool_)
    for k in range(hit.shape[0]):
        mark[hit[k]] = True
    out = np.empty(slots.shape[0], np.int64)
    n = 0
    for k in range(slots.shape[0]):
        i = slots[k]
        if status[i] == CONFIRMED and n_hits[i] >= min_hits and not mark[i]:
            out[n] = i
            n += 1
    return out[:n]


@njit(cache=True)
def without(slots, drop, size):
    """``slots`` (ascending or not) without those in ``drop``, order kept; slot numbers below ``size``."""
    mark = np.zeros(size, np.bool_)
    for k in range(drop.shape[0]):
        mark[drop[k]] = True
    out = np.empty(slots.shape[0], np.int64)
    n = 0
    for k in range(slots.shape[0]):
        if not mark[slots[k]]:
            out[n] = slots[k]
            n += 1
    return out[:n]
