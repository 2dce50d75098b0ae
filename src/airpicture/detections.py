"""Detections: what the sensors report, struct-of-arrays, and their truth labels kept apart.

Units at this boundary follow the file format (``detections.parquet``): metres, degrees (azimuth in [0, 360)
clockwise from north, in the reporting sensor's local axes), m/s, dB, seconds from the scenario start.
``range_rate_mps`` is NaN where the sensor does not measure it. The tracker never sees ``DetectionLabels``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from airpicture.io import to_arrow

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

DETECTION_COLUMNS = ("time_s", "sensor_id", "range_m", "azimuth_deg", "elevation_deg", "range_rate_mps", "snr_db")


@dataclass(frozen=True)
class Detections:
    time_s: F64
    sensor_id: I64
    range_m: F64
    azimuth_deg: F64
    elevation_deg: F64
    range_rate_mps: F64
    snr_db: F64

    def __len__(self) -> int:
        return int(self.time_s.shape[0])

    @classmethod
    def empty(cls) -> Detections:
        z = np.zeros(0)
        return cls(z, np.zeros(0, np.int64), z, z, z, z, z)

    def take(self, idx: NDArray) -> Detections:
        return Detections(*(getattr(self, f)[idx] for f in DETECTION_COLUMNS))

    @staticmethod
    def concat(parts: list[Detections]) -> Detections:
        if not parts:
            return Detections.empty()
        return Detections(*(np.concatenate([getattr(p, f) for p in parts]) for f in DETECTION_COLUMNS))

    def to_table(self) -> pa.Table:
        return to_arrow({f: getattr(self, f) for f in DETECTION_COLUMNS})


@dataclass(frozen=True)
class DetectionLabels:
    """Truth behind each detection (same order): target id or -1 for a false alarm, and how many targets were
    merged into it by the resolution limit (0 for a false alarm)."""

    target_id: I64
    merged: I64

    def __len__(self) -> int:
        return int(self.target_id.shape[0])

    def take(self, idx: NDArray) -> DetectionLabels:
        return DetectionLabels(self.target_id[idx], self.merged[idx])

    @staticmethod
    def concat(parts: list[DetectionLabels]) -> DetectionLabels:
        if not parts:
            return DetectionLabels(np.zeros(0, np.int64), np.zeros(0, np.int64))
        return DetectionLabels(np.concatenate([p.target_id for p in parts]), np.concatenate([p.merged for p in parts]))

    def to_table(self, det: Detections, first_index: int = 0) -> pa.Table:
        """``detection_labels.parquet``: row i labels row i of ``detections.parquet`` (``first_index``: the row
        of ``detections.parquet`` that ``det`` starts at, for a run written in chunks)."""
        return to_arrow({"detection_index": first_index + np.arange(len(self), dtype=np.int64), "time_s": det.time_s,
                         "sensor_id": det.sensor_id, "target_id": self.target_id, "merged_targets": self.merged})


@dataclass(frozen=True)
class Look:
    """One sensor's beam sweep over ``[start_s, end_s)``: azimuths from ``az_start_deg`` clockwise through
    ``sweep_deg`` (<= 360). Lets the tracker count a miss for a track the beam passed without a detection."""

    sensor_id: int
    start_s: float
    end_s: float
    az_start_deg: float
    sweep_deg: float
