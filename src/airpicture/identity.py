"""Which true target each track follows: the engine's bookkeeping behind abstract identification.

The tracker never sees truth labels. The engine, which does, counts for every track the labels of the
detections that started or updated it (``Associations`` x ``DetectionLabels``); a track *follows* the target
that produced most of its detections (ties: the earliest such target id), or -1 when most came from false
alarms. Fire control uses this to model identification (IFF, ATC correlation, classification) abstractly, and
the capacity-refusal events use it to name the target that could not be given a track.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np
from numpy.typing import NDArray

I64 = NDArray[np.int64]


class TrackFollowing:
    """Per-track counts of detection labels; ``followed(track_ids)`` gives each track's majority target."""

    def __init__(self) -> None:
        self._counts: dict[int, dict[int, int]] = {}  # track -> target -> detections
        self._best_n: dict[int, int] = {}  # track -> count of its majority target
        self._target: dict[int, int] = {}  # track -> its majority target
        self._done_ids = np.zeros(0, np.int64)  # tracks no longer counted (see retain), sorted
        self._done_targets = np.zeros(0, np.int64)  # ... and their majority targets

    def add(self, track_id: I64, target_id: I64) -> None:
        """Count one detection of ``target_id`` (-1: false alarm) for each ``track_id`` (paired arrays)."""
        # one Python step per detection: a window holds a few dozen, too few for sorting them to pay (the
        # majority does not depend on the order the detections are counted in)
        counts, best_n, target = self._counts, self._best_n, self._target
        for trk, tgt in zip(np.asarray(track_id).tolist(), np.asarray(target_id).tolist(), strict=True):
            per = counts.get(trk)
            if per is None:
                per = counts[trk] = {}
            n = per.get(tgt, 0) + 1
            per[tgt] = n
            b = best_n.get(trk, 0)
            if n > b or (n == b and tgt < target[trk]):
                best_n[trk] = n
                target[trk] = tgt

    def followed(self, track_id: I64) -> I64:
        """(K,) majority target of each track, -1 for tracks of false alarms or never updated."""
        keys = np.asarray(track_id).reshape(-1).tolist()
        out = np.array(list(map(self._target.get, keys, repeat(-1))), dtype=np.int64)
        if self._done_ids.size and out.size:
            ids = np.asarray(track_id, np.int64).reshape(-1)
            pos = np.clip(np.searchsorted(self._done_ids, ids), 0, self._done_ids.size - 1)
            frozen = self._done_ids[pos] == ids
            out[frozen] = self._done_targets[pos[frozen]]
        return out

    def __len__(self) -> int:
        return len(self._target)

    def retain(self, track_id: I64) -> None:
        """Keep counting only the tracks in ``track_id`` (the live ones): every other track -- deleted by the
        tracker, so never updated again -- keeps just its majority target, frozen in two arrays (16 bytes a track
        instead of the counts' few hundred)."""
        gone = self._target.keys() - set(np.asarray(track_id, np.int64).tolist())
        if not gone:
            return
        ids = np.array(sorted(gone), np.int64)
        targets = np.array([self._target[k] for k in ids.tolist()], np.int64)
        ids = np.concatenate([self._done_ids, ids])
        targets = np.concatenate([self._done_targets, targets])
        order = np.argsort(ids, kind="stable")
        self._done_ids, self._done_targets = ids[order], targets[order]
        for k in gone:
            del self._counts[k], self._best_n[k], self._target[k]
