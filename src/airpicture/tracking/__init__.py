"""Multi-target tracking: batched EKF/IMM filters, gating, GNN/JPDA association, track management.

The entry point is :class:`Tracker` (``process`` one window of detections, ``picture`` at a time,
``history_table`` for ``tracks.parquet``, ``stats`` for ``summary.json``). Imported lazily, so that the command
line can register ``airpicture track`` without loading the compiled kernels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airpicture.tracking.tracker import Associations, Tracker

__all__ = ["Associations", "Tracker"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from airpicture.tracking import tracker

        return getattr(tracker, name)
    raise AttributeError(f"module 'airpicture.tracking' has no attribute {name!r}")
