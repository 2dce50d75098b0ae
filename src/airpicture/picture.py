"""The published air picture: confirmed tracks predicted to one epoch. What fire control acts on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Picture:
    """Confirmed tracks at ``time_s``: ids (int64, never reused), states (K, 6) [e, n, u, ve, vn, vu] in site ENU
    metres and m/s, covariances (K, 6, 6), and the time of each track's last update (s)."""

    time_s: float
    track_id: I64
    x: F64
    P: F64
    last_update_s: F64

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    @classmethod
    def empty(cls, time_s: float) -> Picture:
        return cls(time_s, np.zeros(0, np.int64), np.zeros((0, 6)), np.zeros((0, 6, 6)), np.zeros(0))
