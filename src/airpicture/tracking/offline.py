"""Tracking detections that came from a file: the time loop of ``airpicture track``.

Detections (sorted by time) are fed to the :class:`~airpicture.tracking.Tracker` window by window. Windows are at
most one rotation of a single radar, or half a rotation of the fastest of several, long (:func:`window_limit_s`),
shorter so that every picture epoch ``k * picture_period`` is a window boundary. Each window gets
one :class:`~airpicture.detections.Look` per sensor, derived from the sensor's scan period and start azimuth
(the beam is at ``start_azimuth_deg + 360 t / scan_period_s`` at time t), so that tracks the beam swept
without a detection count a miss. With a picture period, the confirmed picture is published at every epoch
after the windows before it: it uses only detections strictly before the epoch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from airpicture.columns import arrow_array
from airpicture.detections import Detections, Look
from airpicture.geodesy import LocalFrame
from airpicture.outputs import TABLES
from airpicture.picture import Picture
from airpicture.scenario import Radar, TrackerConfig
from airpicture.tracking.tracker import Tracker

PICTURE = TABLES["picture"]
PICTURE_COLUMNS = PICTURE.column_names


@dataclass(frozen=True)
class OfflineResult:
    tracks: pa.Table
    picture: pa.Table | None
    stats: dict


def looks_between(radars: Sequence[Radar], t0: float, t1: float) -> list[Look]:
    """Each radar's beam sweep over ``[t0, t1)`` from its scan period and start azimuth."""
    out = []
    for r in radars:
        az0 = (r.start_azimuth_deg + 360.0 * t0 / r.scan_period_s) % 360.0
        out.append(Look(r.id, t0, t1, az0, min(360.0, 360.0 * (t1 - t0) / r.scan_period_s)))
    return out


def picture_rows(pictures: Sequence[Picture]) -> pa.Table:
    """``picture.parquet`` (the schema of :data:`airpicture.outputs.TABLES`, as ``airpicture run`` writes it): one row
    per confirmed track and epoch, its state at the epoch, position sigma, and ``target_id`` -1 (no truth here)."""
    cols: dict[str, list[np.ndarray]] = {c: [] for c in PICTURE_COLUMNS}
    for p in pictures:
        n = len(p)
        cols["time_s"].append(np.full(n, p.time_s))
        cols["track_id"].append(np.asarray(p.track_id, np.int64))
        for k, name in enumerate(("e_m", "n_m", "u_m", "ve_mps", "vn_mps", "vu_mps")):
            cols[name].append(p.x[:, k])
        cols["position_sigma_m"].append(np.sqrt(np.clip(np.trace(p.P[:, :3, :3], axis1=1, axis2=2), 0.0, None)))
        cols["target_id"].append(np.full(n, -1, np.int64))
    schema = PICTURE.schema
    return pa.Table.from_arrays([arrow_array(np.concatenate(cols[f.name]), f.type) if cols[f.name]
                                 else pa.nulls(0, f.type) for f in schema], schema=schema)


def window_limit_s(radars: Sequence[Radar]) -> float:
    """Longest window (s): one rotation of a single radar; half a rotation of the fastest of several, so that
    the batches of different radars, taken look by look, are never far out of time order (see
    :mod:`.tracker`). A detection held back at a window's end meets only the first half turn of the next window
    (the tracker splits that look), never its target's next detection. Fewer, longer windows cost less: the
    tracker's fixed cost is per window and per look."""
    fastest = min((r.scan_period_s for r in radars), default=2.0)
    return fastest if len(radars) == 1 else 0.5 * fastest


def track_detections(det: Detections, radars: Sequence[Radar], frame: LocalFrame, config: TrackerConfig,
                     capacity: int | None, picture_period_s: float | None = None,
                     assets_en: np.ndarray | None = None) -> OfflineResult:
    """Track ``det`` (sorted by time, times >= 0) seen by ``radars``; see the module doc."""
    tracker = Tracker(config, radars, frame, capacity=capacity, assets_en=assets_en)
    longest = window_limit_s(radars)
    period = picture_period_s if picture_period_s is not None else longest
    per_epoch = max(math.ceil(period / longest - 1e-9), 1)  # windows per epoch, each at most ``longest``
    t_last = float(det.time_s[-1]) if len(det) else 0.0
    n_epochs = math.floor(t_last / period) + 1
    n_windows = n_epochs * per_epoch
    bounds = np.arange(n_windows + 1) * period / per_epoch
    cut = np.searchsorted(det.time_s, bounds, side="left")
    pictures: list[Picture] = []
    for w in range(n_windows):
        t0, t1 = float(bounds[w]), float(bounds[w + 1])
        tracker.process(det.take(np.arange(cut[w], cut[w + 1])), looks_between(radars, t0, t1))
        if picture_period_s is not None and (w + 1) % per_epoch == 0:
            pictures.append(tracker.picture((w + 1) // per_epoch * picture_period_s))
    tracker.flush()
    return OfflineResult(tracker.history_table(), picture_rows(pictures) if picture_period_s is not None else None,
                         tracker.stats())
