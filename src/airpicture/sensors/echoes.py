"""Echoes in a radar's polar coordinates before they become :class:`~airpicture.detections.Detections`:
target detections and false alarms of one scan share this struct-of-arrays form (radians inside)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Echoes:
    """Reports of one scan: time (s), range (m), azimuth and elevation (rad, radar axes), range rate (m/s,
    NaN where not measured) and the square-law detector output over the noise power (linear)."""

    time_s: F64
    range_m: F64
    azimuth_rad: F64
    elevation_rad: F64
    range_rate_mps: F64
    statistic: F64

    def __len__(self) -> int:
        return int(self.time_s.shape[0])

    @staticmethod
    def concat(parts: list[Echoes]) -> Echoes:
        return Echoes(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Echoes)))
