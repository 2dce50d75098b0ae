"""Which true target each track follows: the engine's bookkeeping behind abstract identification.

The tracker never sees truth labels. The engine, which does, counts for every track the labels of the
detections that started or updated it (``Associations`` x ``DetectionLabels``); a track *follows* the target
that produced most of its detections (ties: the earliest such target id), or -1 when most came from false
alarms. Fire control uses this to model identification (IFF, ATC correlation, classification) abstractly, and
the capacity-refusal events use it to name the target that could not be given a track.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

I64 = NDArray[np.int64]
_SHIFT = np.int64(1) << np.int64(32)


class TrackFollowing:
    """Per-track counts of detection labels; ``followed(track_ids)`` gives each track's majority target.

    Struct of arrays: the (track, target) pairs seen so far as sorted int64 keys with their counts, and each
    track's majority (count, target), sorted by track id."""

    def __init__(self) -> None:
        self._keys = np.zeros(0, np.int64)  # track * 2^32 + (target + 1), sorted
        self._counts = np.zeros(0, np.int64)  # detections of each pair
        self._best_ids = np.zeros(0, np.int64)  # tracks counted, sorted
        self._best_n = np.zeros(0, np.int64)  # ... their majority's count
        self._best_target = np.zeros(0, np.int64)  # ... and target (ties: the lowest target id)
        self._done_ids = np.zeros(0, np.int64)  # tracks no longer counted (see retain), sorted
        self._done_targets = np.zeros(0, np.int64)  # ... and their majority targets

    def add(self, track_id: I64, target_id: I64) -> None:
        """Count one detection of ``target_id`` (-1: false alarm) for each ``track_id`` (paired arrays)."""
        if len(track_id) == 0:
            return
        # one int64 key per (track, target) pair: track ids and target ids (+1 for false alarms) are < 2^31
        key = np.asarray(track_id, np.int64) * _SHIFT + (np.asarray(target_id, np.int64) + 1)
        keys, n = np.unique(key, return_counts=True)
        n = n.astype(np.int64)
        pos: I64 = np.asarray(np.searchsorted(self._keys, keys), np.int64)
        found: NDArray[np.bool_] = pos < self._keys.size
        found[found] = self._keys[pos[found]] == keys[found]
        if found.any():
            at = pos[found]
            n[found] += self._counts[at]
            self._counts[at] = n[found]
        if not found.all():
            new = ~found
            self._keys = np.insert(self._keys, pos[new], keys[new])
            self._counts = np.insert(self._counts, pos[new], n[new])
        # each touched track's majority among its touched pairs: counts only grow, so the track's majority is the
        # better of that and its majority so far
        tracks, targets = np.divmod(keys, _SHIFT)
        targets -= 1
        order = np.lexsort((targets, -n, tracks))
        first = np.ones(order.size, bool)
        first[1:] = tracks[order[1:]] != tracks[order[:-1]]
        top = order[first]
        c_ids, c_n, c_target = tracks[top], n[top], targets[top]
        pos = np.asarray(np.searchsorted(self._best_ids, c_ids), np.int64)
        found = pos < self._best_ids.size
        found[found] = self._best_ids[pos[found]] == c_ids[found]
        if found.any():
            at = pos[found]
            old_n, old_target = self._best_n[at], self._best_target[at]
            fn, ft = c_n[found], c_target[found]
            better = (fn > old_n) | ((fn == old_n) & (ft < old_target))
            self._best_n[at[better]] = fn[better]
            self._best_target[at[better]] = ft[better]
        if not found.all():
            new = ~found
            self._best_ids = np.insert(self._best_ids, pos[new], c_ids[new])
            self._best_n = np.insert(self._best_n, pos[new], c_n[new])
            self._best_target = np.insert(self._best_target, pos[new], c_target[new])

    def followed(self, track_id: I64) -> I64:
        """(K,) majority target of each track, -1 for tracks of false alarms or never updated."""
        ids = np.asarray(track_id, np.int64).reshape(-1)
        out = np.full(ids.shape[0], -1, np.int64)
        for known, target in ((self._best_ids, self._best_target), (self._done_ids, self._done_targets)):
            if known.size and ids.size:
                pos = np.minimum(np.searchsorted(known, ids), known.size - 1)
                hit = known[pos] == ids
                out[hit] = target[pos[hit]]
        return out

    def __len__(self) -> int:
        return int(self._best_ids.size)

    def retain(self, track_id: I64) -> None:
        """Keep counting only the tracks in ``track_id`` (the live ones): every other track -- deleted by the
        tracker, so never updated again -- keeps just its majority target, frozen in two arrays (16 bytes a track
        instead of its counts)."""
        keep = np.isin(self._best_ids, np.asarray(track_id, np.int64))
        gone = ~keep
        if gone.any():
            ids = np.concatenate([self._done_ids, self._best_ids[gone]])
            targets = np.concatenate([self._done_targets, self._best_target[gone]])
            order = np.argsort(ids, kind="stable")
            self._done_ids, self._done_targets = ids[order], targets[order]
        self._best_ids, self._best_n, self._best_target = (self._best_ids[keep], self._best_n[keep],
                                                           self._best_target[keep])
        live = np.isin(self._keys // _SHIFT, np.asarray(track_id, np.int64))
        self._keys, self._counts = self._keys[live], self._counts[live]
