"""Names and colours shared by the HTML and PNG figures, so both read the same way.

Convention: threats in warm colours (red, orange, purple, brown), civil traffic in greens, tracks in blue,
capacities as dashed dark-red lines.
"""

from __future__ import annotations

from airpicture.vocab import CIVIL_KINDS, EngagementEvent, TargetKind, TrackStatus, WaitReason

KIND_NAMES: dict[str, str] = {
    TargetKind.AIRCRAFT: "Combat aircraft",
    TargetKind.CRUISE_MISSILE: "Cruise missile",
    TargetKind.DRONE: "Drone",
    TargetKind.BALLISTIC_MISSILE: "Ballistic missile",
    TargetKind.AIRLINER: "Airliner",
    TargetKind.GENERAL_AVIATION: "General aviation",
}

KIND_COLOURS: dict[str, str] = {
    TargetKind.AIRCRAFT: "#d62728",
    TargetKind.CRUISE_MISSILE: "#ff7f0e",
    TargetKind.DRONE: "#9467bd",
    TargetKind.BALLISTIC_MISSILE: "#8c564b",
    TargetKind.AIRLINER: "#2ca02c",
    TargetKind.GENERAL_AVIATION: "#7fbf7f",
}
HOSTILE_OTHER = "#e377c2"  # a civil type flagged hostile (e.g. a hostile replay)
UNKNOWN_KIND = "#7f7f7f"

TRACK_COLOURS: dict[str, str] = {TrackStatus.CONFIRMED: "#1f4e9c", TrackStatus.TENTATIVE: "#17becf",
                                 TrackStatus.DELETED: "#000000"}
FALSE_ALARM = "#9a9a9a"
CAPACITY = "#8b0000"
ASSET = "#222222"
RADAR = "#555555"
BATTERY = "#1f4e9c"

EVENT_STYLE: dict[str, tuple[str, str, str]] = {
    # event -> (label, plotly marker symbol, colour)
    EngagementEvent.ENGAGE: ("Engagement decided", "diamond-open", "#1f4e9c"),
    EngagementEvent.LAUNCH: ("Interceptors launched", "triangle-up", "#1f77b4"),
    EngagementEvent.KILL: ("Kill", "star", "#2ca02c"),
    EngagementEvent.MISS: ("Miss", "circle-x-open", "#ff7f0e"),
    EngagementEvent.LEAK: ("Leaker (reached its asset)", "x", "#d62728"),
    EngagementEvent.SURVIVED: ("Survived (still flying at the end)", "square-open", "#444444"),
}
#: Colours of the limits a threat waited for (timeline bars, bottleneck strip legend).
WAIT_COLOURS: dict[str, tuple[str, str]] = {
    WaitReason.TRACK_SLOT: ("Waiting: no track slot", "#8c8c8c"),
    WaitReason.CHANNELS: ("Waiting: fire channels busy", "#ff7f0e"),
    WaitReason.IN_FLIGHT: ("Waiting: in-flight limit", "#9467bd"),
    WaitReason.READY_ROUNDS: ("Waiting: no ready rounds", "#d62728"),
}
TRACKED = ("Tracked (confirmed track)", "#9ecae1")
RELOAD = ("Launcher reloading", "#2ca02c")

#: plotly marker symbol -> matplotlib marker, for the PNG figures
MPL_MARKERS: dict[str, str] = {"diamond-open": "D", "triangle-up": "^", "star": "*", "circle-x-open": "o", "x": "X",
                               "square-open": "s"}


def class_label(kind: str, hostile: bool) -> str:
    """Legend label of a truth class, e.g. 'Drone (threat)' or 'Airliner (civil)'."""
    return f"{KIND_NAMES.get(kind, kind)} ({'threat' if hostile else 'civil'})"


def class_colour(kind: str, hostile: bool) -> str:
    civil_kind = kind in CIVIL_KINDS
    if hostile and civil_kind:
        return HOSTILE_OTHER
    return KIND_COLOURS.get(kind, UNKNOWN_KIND)
