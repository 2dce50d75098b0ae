"""The vocabularies of :mod:`airpicture.vocab` agree with every other place that lists the same words."""

from __future__ import annotations

import json
import typing

import numpy as np
import pyarrow as pa

from airpicture import scenario
from airpicture.decisions import schema
from airpicture.engagement import EVENT_KINDS, kernels, trackbook
from airpicture.engagement import decisions as fire_decisions
from airpicture.tracking import history
from airpicture.vocab import (
    ALL_KINDS,
    CIVIL_KINDS,
    THREAT_KINDS,
    Cause,
    Decision,
    EngagementEvent,
    Hidden,
    Stage,
    TargetKind,
    ThreatStatus,
    TrackEvent,
    TrackStatus,
    WaitCode,
    Waiting,
    WaitReason,
)


def test_scenario_literals_equal_the_enums() -> None:
    """The scenario file's Literal types (pydantic) name the same kinds, in the same order."""
    assert typing.get_args(scenario.TargetKind) == tuple(TargetKind)
    assert typing.get_args(scenario.ThreatKind) == THREAT_KINDS
    assert typing.get_args(scenario.CivilKind) == CIVIL_KINDS
    assert scenario.ALL_KINDS == ALL_KINDS and scenario.THREAT_KINDS == THREAT_KINDS


def test_tracker_history_names_equal_the_enums() -> None:
    assert history.STATUS_NAMES == tuple(TrackStatus)
    assert history.EVENT_NAMES == tuple(TrackEvent)


def test_decision_log_vocabulary() -> None:
    assert schema.STAGES == tuple(Stage)
    assert [e for events in schema.EVENTS.values() for e in events] == list(Decision)
    assert list(schema.CAUSE_LABELS) == list(Cause)
    assert list(schema.WAIT_REASONS) == list(WaitReason)
    assert set(Hidden) <= set(Cause)
    assert fire_decisions.WAIT_NAMES[1:] == tuple(WaitReason)[:3]
    assert [fire_decisions.CHANNELS, fire_decisions.IN_FLIGHT, fire_decisions.READY_ROUNDS] == list(WaitCode)[1:]
    assert EVENT_KINDS == tuple(EngagementEvent)


def test_kernel_codes_are_plain_ints() -> None:
    """Compiled kernels see plain ints named from the IntEnums."""
    codes = (kernels.NOT_THREAT, kernels.OUT_OF_ENVELOPE, kernels.TOO_LATE, kernels.ENGAGEABLE)
    assert codes == tuple(ThreatStatus) and all(type(c) is int for c in codes)
    codes = (trackbook.NOT_WAITING, trackbook.NO_CHANNEL, trackbook.NO_INTERCEPTOR)
    assert codes == tuple(Waiting) and all(type(c) is int for c in codes)


def test_members_write_as_their_values() -> None:
    """Members are strings: tables, JSON and text hold exactly the plain words."""
    members = [EngagementEvent.NO_CHANNEL, TargetKind.DRONE, Decision.LEAKED]
    assert pa.array(members).to_pylist() == ["no-channel", "drone", "leaked"]
    assert json.dumps({Cause.PK_DRAW: EngagementEvent.KILL}) == '{"pk_draw": "kill"}'
    assert f"{Decision.WAIT} {TargetKind.AIRLINER}" == "wait airliner"
    assert list(np.array(["kill", "miss"], dtype=object) == EngagementEvent.KILL) == [True, False]
