"""The sweep row columns a sensitivity analysis can take as its outputs: the numeric fields of a run's summary,
flattened (``engagement.leakers``), and the arrival times the sweep worker adds.

Listed here so that a misspelt output is refused, with a suggestion, before any run starts. A new summary field
is analysable once it is added to :data:`COMMON_OUTPUTS` (the tests check that every name listed there is
a column the sweep rows really have).
"""

from __future__ import annotations

from airpicture.vocab import ALL_KINDS

#: Targets per kind: a column only where the scenario has targets of that kind.
BY_KIND: tuple[str, ...] = tuple(f"targets.by_kind.{kind}" for kind in ALL_KINDS)

COMMON_OUTPUTS: tuple[str, ...] = (
    "targets.total", "targets.threats", "targets.civil", "targets.threats_reaching_asset_unopposed", "truth_rows",
    "sensing.detections", "sensing.target_detections",
    "sensing.false_alarms", "sensing.merged_detections", "sensing.targets_detected", "tracking.gospa_cutoff_m",
    "tracking.epochs", "tracking.gospa_mean_m", "tracking.gospa_localisation_mean_m2",
    "tracking.gospa_missed_mean_m2", "tracking.gospa_false_mean_m2", "tracking.id_switches", "tracking.track_breaks",
    "tracking.false_tracks", "tracking.confirmed_tracks", "tracking.targets_scored", "tracking.targets_tracked",
    "tracking.time_to_track_mean_s", "tracking.time_to_track_median_s", "tracking.rmse_position_m",
    "tracking.rmse_velocity_mps", "tracking.tracked_fraction", "tracking.tracks_started",
    "tracking.tracks_confirmed", "tracking.capacity", "tracking.capacity_refusals", "tracking.capacity_drops",
    "tracking.peak_confirmed_tracks", "engagement.threats", "engagement.threats_would_hit", "engagement.kills",
    "engagement.leakers", "engagement.survived", "engagement.engagements", "engagement.interceptors_expended",
    "engagement.kills_per_interceptor", "engagement.peak_channels_busy", "engagement.peak_in_flight",
    "engagement.civil_engaged", "engagement.civil_killed", "engagement.unknown_engaged",
    "engagement.unresolved_engagements", "engagement.threat_arrivals", "engagement.blocked_no_channel",
    "engagement.mean_channel_holding_s", "engagement.observation_s", "engagement.leak_causes.below_horizon",
    "engagement.leak_causes.out_of_range", "engagement.leak_causes.out_of_elevation",
    "engagement.leak_causes.not_detected", "engagement.leak_causes.track_slots_full",
    "engagement.leak_causes.not_confirmed", "engagement.leak_causes.tracked_late", "engagement.leak_causes.channels",
    "engagement.leak_causes.in_flight", "engagement.leak_causes.ready_rounds", "engagement.leak_causes.envelope",
    "engagement.leak_causes.too_late", "engagement.leak_causes.not_closing", "engagement.leak_causes.track_lost",
    "engagement.leak_causes.pk_draw", "engagement.leak_causes.correction_radius",
    "engagement.leak_causes.reached_asset", "engagement.leak_causes.target_gone", "decisions.rows",
    "decisions.sensing", "decisions.tracker", "decisions.fire_control", "decisions.outcome",
    "engagement.first_arrival_s", "engagement.arrival_p10_s", "engagement.arrival_p90_s",
    "engagement.last_arrival_s",
)

#: Columns present only in runs where they are defined (first saturation: only where a threat had to wait for a
#: fire channel, an interceptor or a track slot). Give the sensitivity table a ``fill`` value for them.
OPTIONAL_OUTPUTS: tuple[str, ...] = ("engagement.first_saturation_s",)

KNOWN_OUTPUTS: tuple[str, ...] = (*COMMON_OUTPUTS, *OPTIONAL_OUTPUTS, *BY_KIND)
