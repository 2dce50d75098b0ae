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
        return np.array([best.get(int(t), (0, -1))[1] for t in np.asarray(track_id).tolist()], dtype=np.int64)

    def __len__(self) -> int:
        return len(self._best)

    def retain(self, track_id: I64) -> None:
        """Forget every track not in ``track_id`` (tracks the tracker has deleted: their ids are never used
        again), so the counts take memory for the live tracks, not for every track of the run."""
        keep = set(np.asarray(track_id, np.int64).tolist())
        self._best = {k: v for k, v in self._best.items() if k in keep}
        self._counts = {k: v for k, v in self._counts.items() if k[0] in keep}
