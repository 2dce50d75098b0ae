"""Sensors: rotating surveillance radars turning the truth into detections (timing, visibility, detection
physics, resolution, noise, false alarms). The engine uses :class:`SensingStage`; see :mod:`.radar`."""

from airpicture.sensors.physics import detection_probability, radar_horizon_m
from airpicture.sensors.radar import RadarSimulator
from airpicture.sensors.stage import SensingStage, simulate_detections

__all__ = ["RadarSimulator", "SensingStage", "detection_probability", "radar_horizon_m", "simulate_detections"]
