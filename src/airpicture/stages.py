"""What the engine needs of each stage: three small protocols, so the time loop (:mod:`airpicture.engine`) never
reaches into a stage's internals and a stage can be replaced by anything with these methods.

* :class:`SensingStage` -- a window of detections with their truth labels and the radars' looks;
* :class:`TrackingStage` -- tracks a window of detections, publishes the picture, and tells what happened since
  it was last asked (capacity refusals) and which history rows are final;
* :class:`EngagementStage` -- acts on the picture at decision times and schedules kills.

Implemented by :class:`airpicture.sensors.stage.SensingStage`, :class:`airpicture.tracking.Tracker` and
:class:`airpicture.engagement.FireControl`. Times are seconds from the scenario start; ids are int64.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pyarrow as pa

    from airpicture.detections import DetectionLabels, Detections, Look
    from airpicture.picture import Picture
    from airpicture.tracking.tracker import Associations

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class SensingStage(Protocol):
    """Every radar, window by window."""

    def between(self, t0: float, t1: float, kill_time_s: F64) -> tuple[Detections, DetectionLabels, list[Look]]:
        """Detections in ``[t0, t1)`` (time order), their truth labels, and the looks (beam sweeps) of the
        window; targets are gone from their ``kill_time_s`` (N,) on."""
        ...

    def states_at(self, target_id: I64, t: F64) -> F64:
        """(K, 6) true ENU states (m, m/s) of targets ``target_id`` at times ``t`` (K,)."""
        ...

    def masked_looks(self) -> list[int]:
        """Per radar: looks masked by the terrain so far."""
        ...


class TrackingStage(Protocol):
    """A tracker: detections in, associations, the picture and capacity refusals out."""

    def process(self, det: Detections, looks: Sequence[Look] = ()) -> Associations:
        """Track one window of detections (time order) with the looks of that window."""
        ...

    def flush(self) -> Associations:
        """Process what was held back at the end of the last window (called once, after the last)."""
        ...

    def picture(self, t: float) -> Picture:
        """The confirmed air picture predicted to ``t``; does not change the tracker."""
        ...

    def take_refusals(self) -> tuple[F64, I64]:
        """Capacity refusals since the last call, in order: (times, ids of the refused candidate tracks)."""
        ...

    def live_track_ids(self) -> I64:
        """Ids of the tracks held now (tentative or confirmed)."""
        ...

    def track_slots(self) -> int:
        """Slots the tracker holds now (at least the live tracks)."""
        ...

    def history_rows(self) -> int:
        """Rows of the track history held in memory."""
        ...

    def drain_history(self, before_s: float) -> pa.Table:
        """Remove and return the history rows earlier than ``before_s`` (tracks.parquet's columns and order)."""
        ...

    def history_table(self) -> pa.Table:
        """The history rows still held (all of them if none was drained)."""
        ...

    def stats(self) -> dict[str, Any]:
        """Counters for ``summary.json``."""
        ...


class EngagementStage(Protocol):
    """Fire control: acts on the picture, schedules kills (which the sensing stage honours)."""

    #: (N,) time each target is destroyed (s), inf while no kill is scheduled
    kill_time_s: F64

    def step(self, t: float, picture: Picture, track_target_id: I64) -> None:
        """Act at decision time ``t`` on ``picture``; ``track_target_id``: the target each track follows (-1)."""
        ...

    def record_capacity_refused(self, t: float, target_id: int) -> None:
        """The tracker refused a track for ``target_id`` at ``t`` (capacity)."""
        ...

    def finish(self, t_end: float) -> None:
        """Settle the run at ``t_end``."""
        ...

    def events_table(self) -> pa.Table:
        ...

    def timeline_table(self) -> pa.Table:
        ...

    def summary(self) -> dict[str, Any]:
        ...
