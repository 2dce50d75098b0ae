"""Track-to-truth association over time: ID switches and track breaks from each epoch's GOSPA assignment.

Input rows are scored truth-epochs: (epoch index, truth id, assigned track id or -1). A truth is *tracked*
at an epoch when the epoch's GOSPA assignment pairs it with a track closer than the cut-off. Epochs at which a
truth is not scored (before it appears, after it ends or is destroyed) do not count either way.

Written here rather than taken from a CLEAR-MOT library (e.g. py-motmetrics): those carry the previous epoch's
matches forward before assigning, whereas these definitions follow each epoch's own GOSPA assignment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

I64 = NDArray[np.int64]
B = NDArray[np.bool_]


@dataclass(frozen=True)
class ContinuityEvents:
    """Per input row (same order): whether an ID switch or the end of a track break happens there."""

    id_switch: B
    break_end: B


def continuity_events(epoch: I64, truth_id: I64, track_id: I64) -> ContinuityEvents:
    """ID switches and track breaks of each truth over its scored epochs.

    - ID switch: the truth is tracked at this epoch by a track id different from the one that tracked it at
      its previous tracked epoch (untracked epochs in between do not reset the comparison).
    - Track break: the truth is tracked at this epoch, was untracked at its previous scored epoch, and was
      tracked at some earlier epoch: one break per run of untracked scored epochs between two tracked ones,
      booked at the epoch of re-acquisition.

    ``epoch``, ``truth_id`` and ``track_id`` (-1 = untracked) are (R,), at most one row per (epoch, truth).
    """
    epoch = np.asarray(epoch, dtype=np.int64)
    truth_id = np.asarray(truth_id, dtype=np.int64)
    track_id = np.asarray(track_id, dtype=np.int64)
    order = np.lexsort((epoch, truth_id))
    t_sorted = truth_id[order]
    k_sorted = track_id[order]
    tracked = np.flatnonzero(k_sorted >= 0)  # positions in the sorted rows
    t_tr, k_tr = t_sorted[tracked], k_sorted[tracked]
    same_truth = t_tr[1:] == t_tr[:-1]
    switch_at = tracked[1:][same_truth & (k_tr[1:] != k_tr[:-1])]
    # consecutive tracked rows of one truth that are not adjacent rows have untracked scored epochs between
    break_at = tracked[1:][same_truth & (np.diff(tracked) > 1)]
    id_switch = np.zeros(epoch.size, dtype=bool)
    break_end = np.zeros(epoch.size, dtype=bool)
    id_switch[order[switch_at]] = True
    break_end[order[break_at]] = True
    return ContinuityEvents(id_switch, break_end)
