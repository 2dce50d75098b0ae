"""Per-track engagement state kept across steps, struct of arrays.

Each track id gets a slot the first time fire control sees it (slots in order of first sight, ids ascending
within a step); state arrays are indexed by slot, per battery where the state is a battery's own. Track ids
are never reused, so a slot is never recycled.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from airpicture.vocab import Waiting

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Waiting reasons (``wait_reason``): not waiting, all fire channels busy, no interceptor available.
NOT_WAITING, NO_CHANNEL, NO_INTERCEPTOR = int(Waiting.NOT_WAITING), int(Waiting.NO_CHANNEL), int(Waiting.NO_INTERCEPTOR)


class TrackBook:
    """Slots for track ids and the state fire control keeps per track (shared) and per battery and track."""

    def __init__(self, identity_rngs: list[np.random.Generator], capacity: int = 256) -> None:
        b = len(identity_rngs)
        self._rngs = identity_rngs
        self._sorted_ids = np.zeros(0, np.int64)
        self._sorted_slots = np.zeros(0, np.int64)
        self._last = (np.zeros(0, np.int64), np.zeros(0, np.int64))  # the last call's ids and slots
        #: the last :meth:`slots` call had the same ids, in the same order, as the call before it
        self.repeated = False
        self.n = 0
        cap = max(int(capacity), 1)
        # shared by all batteries
        self.track_id = np.full(cap, -1, np.int64)
        self.engaged_by = np.full(cap, -1, np.int64)  # battery index engaging the track now, -1 none
        self.destroyed = np.zeros(cap, bool)  # a kill of this track has been assessed
        # per battery (B, slots)
        self.misid_draw = np.ones((b, cap))  # uniform draw; misidentified when < the battery's probability
        self.shots = np.zeros((b, cap), np.int64)
        self.wait_reason = np.zeros((b, cap), np.int8)
        self.waiting_since = np.full((b, cap), np.nan)
        self.arrived = np.zeros((b, cap), bool)  # has been engageable at least once
        self.out_reported = np.zeros((b, cap), bool)
        self.abandoned = np.zeros((b, cap), bool)
        self.firm = np.zeros((b, cap), bool)  # its velocity has been known well enough to engage (kept)
        self.unfirm_since = np.full((b, cap), np.nan)  # engageable but waiting for a firm velocity since

    def slots(self, track_id: I64) -> I64:
        """Slots of ``track_id`` (K,), creating slots (and identification draws) for ids not seen before."""
        ids = np.asarray(track_id, np.int64)
        last_ids, last_slots = self._last
        self.repeated = ids.shape == last_ids.shape and bool(np.array_equal(ids, last_ids))
        if self.repeated:  # the same tracks as the last call
            return last_slots.copy()
        out = self._slots(ids)
        self._last = (ids.copy(), out.copy())
        return out

    def _slots(self, ids: I64) -> I64:
        known = self._sorted_ids
        pos = np.searchsorted(known, ids)
        if known.size:
            found = known[np.minimum(pos, known.size - 1)] == ids
        else:
            found = np.zeros(ids.shape, bool)
        if not found.all():
            self._add(np.unique(ids[~found]))
            pos = np.searchsorted(self._sorted_ids, ids)
        return self._sorted_slots[pos]

    def _add(self, new_ids: I64) -> None:
        m = new_ids.size
        first = self.n
        self._ensure(first + m)
        slots = np.arange(first, first + m, dtype=np.int64)
        self.track_id[slots] = new_ids
        for b, rng in enumerate(self._rngs):
            self.misid_draw[b, slots] = rng.random(m)
        self.n += m
        ids = np.concatenate([self._sorted_ids, new_ids])
        sl = np.concatenate([self._sorted_slots, slots])
        order = np.argsort(ids, kind="stable")
        self._sorted_ids, self._sorted_slots = ids[order], sl[order]

    def _ensure(self, size: int) -> None:
        cap = self.track_id.shape[0]
        if size <= cap:
            return
        new = max(size, 2 * cap)
        for name in vars(self):
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or name.startswith("_"):
                continue
            pad = [(0, 0)] * (arr.ndim - 1) + [(0, new - cap)]
            fill = {"track_id": -1, "engaged_by": -1, "misid_draw": 1.0, "waiting_since": np.nan,
                    "unfirm_since": np.nan}.get(name, 0)
            setattr(self, name, np.pad(arr, pad, constant_values=fill))
