"""Names and colours shared by the HTML and PNG figures, so both read the same way.

Convention: threats in warm colours (red, orange, purple, brown), civil traffic in greens, tracks in blue,
capacities as dashed dark-red lines.
"""

from __future__ import annotations

KIND_NAMES: dict[str, str] = {
    "aircraft": "Combat aircraft",
    "cruise_missile": "Cruise missile",
    "drone": "Drone",
    "ballistic_missile": "Ballistic missile",
    "airliner": "Airliner",
    "general_aviation": "General aviation",
}

KIND_COLOURS: dict[str, str] = {
    "aircraft": "#d62728",
    "cruise_missile": "#ff7f0e",
    "drone": "#9467bd",
    "ballistic_missile": "#8c564b",
    "airliner": "#2ca02c",
    "general_aviation": "#7fbf7f",
}
HOSTILE_OTHER = "#e377c2"  # a civil type flagged hostile (e.g. a hostile replay)
UNKNOWN_KIND = "#7f7f7f"

TRACK_COLOURS: dict[str, str] = {"confirmed": "#1f4e9c", "tentative": "#17becf", "deleted": "#000000"}
FALSE_ALARM = "#9a9a9a"
CAPACITY = "#8b0000"
ASSET = "#222222"
RADAR = "#555555"
BATTERY = "#1f4e9c"

EVENT_STYLE: dict[str, tuple[str, str, str]] = {
    # event -> (label, plotly marker symbol, colour)
    "engage": ("Engagement decided", "diamond-open", "#1f4e9c"),
    "launch": ("Interceptors launched", "triangle-up", "#1f77b4"),
    "kill": ("Kill", "star", "#2ca02c"),
    "miss": ("Miss", "circle-x-open", "#ff7f0e"),
    "leak": ("Leaker (reached its asset)", "x", "#d62728"),
    "survived": ("Survived (still flying at the end)", "square-open", "#444444"),
}
#: Colours of the limits a threat waited for (timeline bars, bottleneck strip legend).
WAIT_COLOURS: dict[str, tuple[str, str]] = {
    "track_slot": ("Waiting: no track slot", "#8c8c8c"),
    "channels": ("Waiting: fire channels busy", "#ff7f0e"),
    "in_flight": ("Waiting: in-flight limit", "#9467bd"),
    "ready_rounds": ("Waiting: no ready rounds", "#d62728"),
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
    civil_kind = kind in ("airliner", "general_aviation")
    if hostile and civil_kind:
        return HOSTILE_OTHER
    return KIND_COLOURS.get(kind, UNKNOWN_KIND)
