"""Sensors: rotating surveillance radars turning the truth into detections (timing, visibility, detection
physics, resolution, noise, false alarms). The engine uses :class:`SensingStage`; see :mod:`.radar`.

The names below are imported on first use, so that reading a radar's placement (``sensors.placement``, which
scenario validation needs) does not load the compiled scan kernels."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["RadarSimulator", "SensingStage", "detection_probability", "radar_horizon_m", "simulate_detections"]

_WHERE = {"detection_probability": "physics", "radar_horizon_m": "physics", "RadarSimulator": "radar",
          "SensingStage": "stage", "simulate_detections": "stage"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"airpicture.sensors.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'airpicture.sensors' has no attribute {name!r}")
