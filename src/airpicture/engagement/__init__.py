"""Engagement: threat evaluation, fire channels, interceptors and inventory, doctrine, outcomes and leakers.

Modelled abstractly -- capacities, timing and probabilities; no guidance laws or seeker models.
``FireControl`` is the stage the engine drives; the other modules are its pure kernels and bookkeeping.
"""

from airpicture.engagement.events import EVENT_KINDS, EVENT_SCHEMA, TIMELINE_SCHEMA
from airpicture.engagement.fire_control import FireControl
from airpicture.engagement.intercept import InterceptSolution, in_envelope, solve_intercept
from airpicture.engagement.leakers import leak_times
from airpicture.engagement.threat import KIND_PRIORITY, ThreatAssessment, threat_order, time_to_go

__all__ = [
    "EVENT_KINDS",
    "EVENT_SCHEMA",
    "KIND_PRIORITY",
    "TIMELINE_SCHEMA",
    "FireControl",
    "InterceptSolution",
    "ThreatAssessment",
    "in_envelope",
    "leak_times",
    "solve_intercept",
    "threat_order",
    "time_to_go",
]
