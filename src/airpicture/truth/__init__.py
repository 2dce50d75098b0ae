"""Truth: where every target really is, on the scenario clock.

``generate_truth(scenario)`` is a pure function of the scenario (its seed included): raids of threats, civil
traffic and replayed flights, in that order of target ids.
"""

from __future__ import annotations

from airpicture.errors import InputError, Problem
from airpicture.placement import frame_of
from airpicture.scenario import Scenario
from airpicture.seeding import TRUTH, stream
from airpicture.truth.builder import TruthBuilder
from airpicture.truth.civil import add_civil
from airpicture.truth.table import Samples, Targets, Truth, hermite, interpolate
from airpicture.truth.threats import add_raid

__all__ = ["Samples", "Targets", "Truth", "frame_of", "generate_truth", "hermite", "interpolate"]


def generate_truth(scenario: Scenario, source: str = "scenario") -> Truth:
    """All targets' trajectories. ``source`` names the scenario file in error messages."""
    frame = frame_of(scenario)
    builder = TruthBuilder()
    for i, raid in enumerate(scenario.raids):
        add_raid(builder, scenario, i, raid, frame, stream(scenario.seed, TRUTH, 0, i), source)
    for i, traffic in enumerate(scenario.civil_traffic):
        add_civil(builder, scenario, traffic, frame, stream(scenario.seed, TRUTH, 1, i))
    for i, replay in enumerate(scenario.replays):
        from airpicture.truth.replay import add_replay  # reads CSV/Parquet: pyarrow only when a file is replayed

        try:
            add_replay(builder, scenario, i, replay, frame)
        except InputError as exc:
            note = f" (the file of replays[{i}] in {source})"
            raise InputError(exc.source, [Problem(p.field, p.message + note) for p in exc.problems]) from None
    return builder.build()
