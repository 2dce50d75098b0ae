"""The closed vocabularies of airpicture's tables and stages, one enum each.

Every set of words that more than one module writes or compares -- target kinds, the engagement event log's
events, identities, the decision log's stages, events and reason codes, track statuses, truth end reasons -- is a
:class:`enum.StrEnum` here. Members *are* strings (``TargetKind.DRONE == "drone"``, ``str()`` and f-strings give
the value), so tables, JSON and reports hold the same text as plain strings would; a misspelt member is an
``AttributeError`` at once, and mypy checks the names.

Integer codes used inside compiled kernels (where strings cannot go) are :class:`enum.IntEnum` here too; the
kernels' modules bind plain ``int`` constants from them.

The scenario file's ``Literal`` types (``airpicture.scenario``) list the same target kinds; a test keeps the two
equal.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class TargetKind(StrEnum):
    """What a target is (``kind`` in truth, targets and events tables; keys of per-kind settings)."""

    AIRCRAFT = "aircraft"
    CRUISE_MISSILE = "cruise_missile"
    DRONE = "drone"
    BALLISTIC_MISSILE = "ballistic_missile"
    AIRLINER = "airliner"
    GENERAL_AVIATION = "general_aviation"


#: Threat kinds (raids), then civil kinds (traffic), in the order tables and summaries list them.
THREAT_KINDS: tuple[TargetKind, ...] = (TargetKind.AIRCRAFT, TargetKind.CRUISE_MISSILE, TargetKind.DRONE,
                                        TargetKind.BALLISTIC_MISSILE)
CIVIL_KINDS: tuple[TargetKind, ...] = (TargetKind.AIRLINER, TargetKind.GENERAL_AVIATION)
ALL_KINDS: tuple[TargetKind, ...] = (*THREAT_KINDS, *CIVIL_KINDS)


class EndReason(StrEnum):
    """Why a target's truth ends (``end_reason`` of the targets table)."""

    IMPACT = "impact"  # reached its asset (threats) / hit the ground (ballistic)
    EXIT = "exit"  # left the area (civil traffic, replays)
    RUNNING = "running"  # still flying when the scenario ended


class TrackStatus(StrEnum):
    """A track's status (``status`` of tracks.parquet)."""

    TENTATIVE = "tentative"
    CONFIRMED = "confirmed"
    DELETED = "deleted"


class TrackEvent(StrEnum):
    """What happened to a track (``event`` of tracks.parquet), in the order of the tracker history's codes."""

    START = "start"
    UPDATE = "update"
    CONFIRM = "confirm"
    REFUSED = "refused"
    DROPPED = "dropped"
    DELETED_MISSES = "deleted_misses"
    DELETED_M_OF_N = "deleted_m_of_n"
    DELETED_SIGMA = "deleted_sigma"
    DELETED_COAST = "deleted_coast"
    DELETED_SCORE = "deleted_score"
    DELETED_COVERAGE = "deleted_coverage"


class EngagementEvent(StrEnum):
    """Every value of the ``event`` column of events.parquet (the engagement event log)."""

    ENGAGE = "engage"  # a battery commits a fire channel and rounds to a track
    LAUNCH = "launch"  # one interceptor leaves its launcher (one row per interceptor)
    KILL = "kill"  # the engagement destroyed its target (time: the intercept)
    MISS = "miss"  # the engagement's interceptors all failed (time: the last intercept); detail says why
    LEAK = "leak"  # a threat came within its asset's radius before being destroyed
    SURVIVED = "survived"  # a threat neither destroyed nor leaked by the end of the scenario
    NO_CHANNEL = "no-channel"  # an engageable threat starts waiting: every fire channel busy
    NO_INTERCEPTOR = "no-interceptor"  # an engageable threat starts waiting: no ready round or in-flight limit
    CAPACITY_REFUSED = "capacity-refused"  # the tracker refused a threat a track slot (start of an episode)
    OUT_OF_ENVELOPE = "out-of-envelope"  # a threat track first seen unengageable (outside the envelope, too late)
    ABANDON = "abandon"  # a battery gives up a threat that waited longer than ``max_wait_s``


#: The events that mean the battery (or its tracker) was saturated.
SATURATION_EVENTS: tuple[EngagementEvent, ...] = (EngagementEvent.NO_CHANNEL, EngagementEvent.NO_INTERCEPTOR,
                                                  EngagementEvent.CAPACITY_REFUSED)


class Identity(StrEnum):
    """How fire control identified the target of an engagement (text of the ``engage`` event's detail)."""

    HOSTILE = "hostile"
    MISIDENTIFIED_CIVIL = "misidentified civil"
    UNKNOWN = "unknown"


class Stage(StrEnum):
    """The ``stage`` column of decisions.parquet, in its sort order."""

    SENSING = "sensing"
    TRACKER = "tracker"
    FIRE_CONTROL = "fire_control"
    OUTCOME = "outcome"


class Decision(StrEnum):
    """The ``event`` column of decisions.parquet (meanings: ``airpicture.decisions.schema.EVENTS``)."""

    # sensing
    VISIBLE = "visible"
    DETECTED = "detected"
    # tracker
    BORN = "born"
    CONFIRMED = "confirmed"
    COASTING = "coasting"
    DELETED = "deleted"
    REFUSED = "refused"
    DROPPED = "dropped"
    # fire control
    RANKED = "ranked"
    OUT_OF_ENVELOPE = "out_of_envelope"
    FIRM = "firm"
    ENGAGE = "engage"
    LAUNCH = "launch"
    RELOAD = "reload"
    WAIT = "wait"
    INTERCEPT = "intercept"
    ASSESSED = "assessed"
    ABANDON = "abandon"
    # outcome
    KILLED = "killed"
    LEAKED = "leaked"
    SURVIVED = "survived"


#: A threat's outcome (the ``event`` of its outcome row).
OUTCOMES: tuple[Decision, ...] = (Decision.KILLED, Decision.LEAKED, Decision.SURVIVED)


class Hidden(StrEnum):
    """What hid a target from every radar (``reason`` of ``visible`` rows; first causes too)."""

    BELOW_HORIZON = "below_horizon"
    OUT_OF_RANGE = "out_of_range"
    OUT_OF_ELEVATION = "out_of_elevation"
    MASKED_BY_TERRAIN = "masked_by_terrain"


class WaitReason(StrEnum):
    """The resource an engageable threat waits for (``reason`` of ``wait`` rows)."""

    CHANNELS = "channels"
    IN_FLIGHT = "in_flight"
    READY_ROUNDS = "ready_rounds"
    TRACK_SLOT = "track_slot"


class AbandonReason(StrEnum):
    """Why a battery gave a threat up (``reason`` of ``abandon`` rows)."""

    MAX_WAIT = "max_wait"


class CoastEnd(StrEnum):
    """How a coasting episode ended (``reason`` of ``coasting`` rows)."""

    RESUMED = "resumed"
    DELETED = "deleted"
    RUN_END = "run_end"


class Envelope(StrEnum):
    """Why a threat track was unengageable (``reason`` of ``out_of_envelope`` rows)."""

    ENVELOPE = "envelope"
    TOO_LATE = "too_late"


class InterceptResult(StrEnum):
    """The truth's verdict on one interceptor (``reason`` of ``intercept`` rows); ``assessed`` rows use
    :attr:`KILL` or :attr:`MISS`."""

    KILL = "kill"
    MISS = "miss"
    PK_DRAW = "pk_draw"
    CORRECTION_RADIUS = "correction_radius"
    REACHED_ASSET = "reached_asset"
    TARGET_GONE = "target_gone"
    DESTROYED = "destroyed"
    AFTER_END = "after_end"


class Cause(StrEnum):
    """First cause of a leak (or of a survivor not killed): ``reason`` of ``leaked``/``survived`` rows, in the
    order they are tested along the chain detection -> track -> engagement -> kill."""

    BELOW_HORIZON = "below_horizon"
    OUT_OF_RANGE = "out_of_range"
    OUT_OF_ELEVATION = "out_of_elevation"
    NOT_DETECTED = "not_detected"
    TRACK_SLOTS_FULL = "track_slots_full"
    NOT_CONFIRMED = "not_confirmed"
    TRACKED_LATE = "tracked_late"
    CHANNELS = "channels"
    IN_FLIGHT = "in_flight"
    READY_ROUNDS = "ready_rounds"
    ENVELOPE = "envelope"
    TOO_LATE = "too_late"
    NOT_CLOSING = "not_closing"
    TRACK_LOST = "track_lost"
    PK_DRAW = "pk_draw"
    CORRECTION_RADIUS = "correction_radius"
    REACHED_ASSET = "reached_asset"
    TARGET_GONE = "target_gone"
    MASKED_BY_TERRAIN = "masked_by_terrain"  # only a scenario with [terrain] gives it


class ThreatStatus(IntEnum):
    """Codes of the compiled threat evaluation's ``status`` (``airpicture.engagement.kernels``)."""

    NOT_THREAT = 0  # not a candidate, or closing on no asset
    OUT_OF_ENVELOPE = 1  # intercept point outside the envelope, or the threat cannot be caught
    TOO_LATE = 2  # caught inside the envelope only after it reaches its asset
    ENGAGEABLE = 3


class Waiting(IntEnum):
    """Codes of a track's waiting state in fire control's track book (``airpicture.engagement.trackbook``)."""

    NOT_WAITING = 0
    NO_CHANNEL = 1  # every fire channel busy
    NO_INTERCEPTOR = 2  # no ready round, or the in-flight limit reached


class WaitCode(IntEnum):
    """Codes of the resource a waiting episode is bound by (``airpicture.engagement.decisions``); the names are
    :class:`WaitReason`'s (0: none)."""

    NONE = 0
    CHANNELS = 1
    IN_FLIGHT = 2
    READY_ROUNDS = 3
