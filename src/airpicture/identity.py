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
    """Per-track counts of detection labels; ``followed(track_ids)`` gives each track's majority target."""

    def __init__(self) -> None:
        self._counts: dict[tuple[int, int], int] = {}
        self._best: dict[int, tuple[int, int]] = {}  # track -> (count, target)
        self._done_ids = np.zeros(0, np.int64)  # tracks no longer counted (see retain), sorted
        self._done_targets = np.zeros(0, np.int64)  # ... and their majority targets

    def add(self, track_id: I64, target_id: I64) -> None:
        """Count one detection of ``target_id`` (-1: false alarm) for each ``track_id`` (paired arrays)."""
        if len(track_id) == 0:
            return
        # one int64 key per (track, target) pair: track ids and target ids (+1 for false alarms) are < 2^31
        key = np.asarray(track_id, np.int64) * _SHIFT + (np.asarray(target_id, np.int64) + 1)
        keys, counts = np.unique(key, return_counts=True)
        tracks, targets = np.divmod(keys, _SHIFT)
        # one Python step per distinct (track, target) pair of the window -- bounded by the detections
        for trk, tgt, c in zip(tracks.tolist(), (targets - 1).tolist(), counts.tolist(), strict=True):
            n = self._counts.get((trk, tgt), 0) + c
            self._counts[(trk, tgt)] = n
            best = self._best.get(trk)
            if best is None or n > best[0] or (n == best[0] and tgt < best[1]):
                self._best[trk] = (n, tgt)

    def followed(self, track_id: I64) -> I64:
        """(K,) majority target of each track, -1 for tracks of false alarms or never updated."""
        best = self._best
        out = np.array([best.get(int(t), (0, -1))[1] for t in np.asarray(track_id).tolist()], dtype=np.int64)
        if self._done_ids.size and out.size:
            ids = np.asarray(track_id, np.int64).reshape(-1)
            pos = np.clip(np.searchsorted(self._done_ids, ids), 0, self._done_ids.size - 1)
            frozen = self._done_ids[pos] == ids
            out[frozen] = self._done_targets[pos[frozen]]
        return out

    def __len__(self) -> int:
        return len(self._best)

    def retain(self, track_id: I64) -> None:
        """Keep counting only the tracks in ``track_id`` (the live ones): every other track -- deleted by the
        tracker, so never updated again -- keeps just its majority target, frozen in two arrays (16 bytes a track
        instead of the counts' few hundred)."""
        keep = set(np.asarray(track_id, np.int64).tolist())
        gone = [(k, v[1]) for k, v in self._best.items() if k not in keep]
        if gone:
            ids = np.array([g[0] for g in gone], np.int64)
            targets = np.array([g[1] for g in gone], np.int64)
            ids = np.concatenate([self._done_ids, ids])
            targets = np.concatenate([self._done_targets, targets])
            order = np.argsort(ids, kind="stable")
            self._done_ids, self._done_targets = ids[order], targets[order]
        self._best = {k: v for k, v in self._best.items() if k in keep}
        self._counts = {k: v for k, v in self._counts.items() if k[0] in keep}
