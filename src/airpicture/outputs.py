"""Every table a results folder holds: its name, what one row is, and each column's Arrow type, unit and meaning.

The one declaration of the output tables. The writers build their tables to these schemas (the engagement
events and timeline, the decision log and the picture take theirs from here; the tests check every table a run
and ``airpicture track`` write against it, column for column), the report's reader checks its columns against
it, and the README's table of files lists the same names. A table has one schema wherever it is written:
``picture.parquet`` is the same from ``airpicture run`` and from ``airpicture track`` (where no truth is known,
``target_id`` is -1).

Units: SI, named in the column (``_s``, ``_m``, ``_mps``, ``_m2``, ``_deg``, ``_db``); positions are local
East-North-Up metres centred on the scenario site; azimuths degrees clockwise from north.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from airpicture.decisions.schema import COLUMNS as DECISION_COLUMNS
from airpicture.decisions.schema import Column

__all__ = ["TABLES", "Column", "OutputTable", "schema"]

F, I, S, B = pa.float64(), pa.int64(), pa.string(), pa.bool_()


@dataclass(frozen=True)
class OutputTable:
    """One Parquet file of a results folder: ``NAME.parquet``, what one row is, and its columns in order."""

    name: str
    row: str
    columns: tuple[Column, ...]
    #: written only by some runs (``terrain``: a scenario with ``[terrain]``)
    optional: bool = False

    @property
    def file(self) -> str:
        return f"{self.name}.parquet"

    @property
    def schema(self) -> pa.Schema:
        """The Arrow schema the file is written with (types only: no metadata, so files stay byte-identical)."""
        return pa.schema([(c.name, c.type) for c in self.columns])

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _state(what: str) -> tuple[Column, ...]:
    return (
        Column("e_m", F, "m", f"{what} position east of the site"),
        Column("n_m", F, "m", f"{what} position north of the site"),
        Column("u_m", F, "m", f"{what} position up (ENU: the Earth curves away below it)"),
        Column("ve_mps", F, "m/s", f"{what} velocity east"),
        Column("vn_mps", F, "m/s", f"{what} velocity north"),
        Column("vu_mps", F, "m/s", f"{what} velocity up"),
    )


_TABLES = (
    OutputTable("truth", "one target at one instant: every time_step_s, plus its exact first and last instants; "
                         "each target as it would fly unopposed (events.parquet says which were killed)", (
        Column("time_s", F, "s", "time from the scenario start"),
        Column("target_id", I, "", "target (0, 1, ...; a row of targets.parquet)"),
        Column("kind", S, "", "aircraft, cruise_missile, drone, ballistic_missile or airliner"),
        Column("hostile", B, "", "a threat (true) or civil traffic"),
        *_state("true"),
    )),
    OutputTable("targets", "one target: its attributes and how its flight ended", (
        Column("target_id", I, "", "target"),
        Column("kind", S, "", "aircraft, cruise_missile, drone, ballistic_missile or airliner"),
        Column("hostile", B, "", "a threat (true) or civil traffic"),
        Column("group", S, "", "the raid, traffic or replay entry it belongs to"),
        Column("callsign", S, "", "its name in the report (and explain)"),
        Column("rcs_m2", F, "m^2", "radar cross-section (head-on when aspect-dependent)"),
        Column("rcs_broadside_ratio", F, "", "broadside RCS over head-on RCS (1: no aspect dependence)"),
        Column("asset", S, "", "the asset it flies to (empty for civil traffic)"),
        Column("start_s", F, "s", "first instant in the sky"),
        Column("end_s", F, "s", "last instant in the sky"),
        Column("end_reason", S, "", "impact, exit or running (still flying at the end)"),
    )),
    OutputTable("detections", "one detection reported by a radar (polar, in the radar's own axes)", (
        Column("time_s", F, "s", "time the beam swept the target"),
        Column("sensor_id", I, "", "radar (its id in the scenario)"),
        Column("range_m", F, "m", "measured slant range"),
        Column("azimuth_deg", F, "deg", "measured azimuth, clockwise from north, in [0, 360)"),
        Column("elevation_deg", F, "deg", "measured elevation"),
        Column("range_rate_mps", F, "m/s", "measured range rate (NaN: not measured)"),
        Column("snr_db", F, "dB", "signal-to-noise ratio"),
    )),
    OutputTable("detection_labels", "the truth behind one detection (row for row with detections.parquet); never "
                                    "read by the tracker", (
        Column("detection_index", I, "", "row of detections.parquet"),
        Column("time_s", F, "s", "the detection's time"),
        Column("sensor_id", I, "", "the detection's radar"),
        Column("target_id", I, "", "target detected (-1: false alarm)"),
        Column("merged_targets", I, "", "targets merged into the detection by the resolution limit (0: false alarm)"),
    )),
    OutputTable("tracks", "one track event (start, update, miss, confirmation, deletion, ...)", (
        Column("time_s", F, "s", "time of the event"),
        Column("track_id", I, "", "track (int64, never reused in a run)"),
        Column("status", S, "", "tentative, confirmed or deleted after the event"),
        Column("event", S, "", "what happened to the track"),
        Column("sensor_id", I, "", "radar whose detection or look caused the event (-1: none)"),
        *_state("estimated"),
        Column("pee_m2", F, "m^2", "position covariance, east-east"),
        Column("pnn_m2", F, "m^2", "position covariance, north-north"),
        Column("puu_m2", F, "m^2", "position covariance, up-up"),
        Column("pen_m2", F, "m^2", "position covariance, east-north"),
        Column("peu_m2", F, "m^2", "position covariance, east-up"),
        Column("pnu_m2", F, "m^2", "position covariance, north-up"),
        Column("quality", F, "", "track quality in [0, 1]"),
    )),
    OutputTable("picture", "one confirmed track at one picture epoch (k * picture period): the published air "
                           "picture, each track predicted to the epoch from detections before it", (
        Column("time_s", F, "s", "the epoch"),
        Column("track_id", I, "", "track"),
        *_state("predicted"),
        Column("position_sigma_m", F, "m", "square root of the trace of the position covariance"),
        Column("target_id", I, "", "target the track mostly follows, from the truth labels (-1: a false track, "
                                   "or no truth known, as with airpicture track)"),
    )),
    OutputTable("metrics", "one picture epoch, scored against the targets in the sky", (
        Column("time_s", F, "s", "the epoch"),
        Column("gospa_m", F, "m", "GOSPA distance (alpha 2) with the scenario's cut-off (metrics.gospa_cutoff_m)"),
        Column("localisation_m2", F, "m^2", "GOSPA's localisation part"),
        Column("missed_m2", F, "m^2", "GOSPA's missed-target part"),
        Column("false_m2", F, "m^2", "GOSPA's false-track part"),
        Column("n_truth", I, "", "targets in the sky"),
        Column("n_tracks", I, "", "confirmed tracks in the picture"),
        Column("n_assigned", I, "", "tracks assigned to a target within the cut-off"),
        Column("n_missed", I, "", "targets without a track"),
        Column("n_false", I, "", "tracks without a target"),
        Column("id_switches", I, "", "targets whose assigned track changed since the previous epoch"),
        Column("track_breaks", I, "", "targets that lost their track since the previous epoch"),
    )),
    OutputTable("target_metrics", "one target's tracking over the run", (
        Column("target_id", I, "", "target"),
        Column("scored_epochs", I, "", "epochs it was in the sky"),
        Column("tracked_epochs", I, "", "of those, epochs a track was assigned to it"),
        Column("tracked_fraction", F, "", "tracked_epochs / scored_epochs"),
        Column("first_detection_s", F, "s", "time of its first detection (NaN: never)"),
        Column("first_track_s", F, "s", "first epoch it was tracked (NaN: never)"),
        Column("time_to_track_s", F, "s", "first_track_s - first_detection_s"),
        Column("id_switches", I, "", "changes of its assigned track"),
        Column("track_breaks", I, "", "times it lost its track"),
        Column("tracks_used", I, "", "distinct tracks assigned to it"),
        Column("rmse_position_m", F, "m", "RMS position error of its assigned tracks"),
        Column("rmse_velocity_mps", F, "m/s", "RMS velocity error of its assigned tracks"),
    )),
    OutputTable("events", "one fire-control event, sorted by time", (
        Column("time_s", F, "s", "time of the event"),
        Column("battery", S, "", "battery"),
        Column("track_id", I, "", "track acted on (-1: none)"),
        Column("target_id", I, "", "true target behind the track (-1: a false track)"),
        Column("event", S, "", "engage, launch, kill, miss, leak, survived, no-channel, no-interceptor, "
                               "out-of-envelope, capacity-refused or abandon"),
        Column("kind", S, "", "the threat's kind as the battery identified it"),
        Column("interceptors", I, "", "interceptors of an engagement or launch"),
        Column("intercept_time_s", F, "s", "planned or actual intercept time (null: none)"),
        Column("assessment_time_s", F, "s", "time the outcome is assessed (null: none)"),
        Column("miss_distance_m", F, "m", "true target's distance from the aim point (null: none)"),
        Column("detail", S, "", "the event in words"),
    )),
    OutputTable("timeline", "one battery at one step: the resources in use, with their limits", (
        Column("time_s", F, "s", "the step"),
        Column("battery", S, "", "battery"),
        Column("channels_busy", I, "", "fire channels in use"),
        Column("fire_channels", I, "", "fire channels of the battery"),
        Column("in_flight", I, "", "interceptors in flight"),
        Column("max_in_flight", I, "", "most interceptors in flight at once"),
        Column("ready_rounds", I, "", "rounds ready on the launchers"),
        Column("inventory_left", I, "", "rounds left (ready and in reserve)"),
        Column("tracks_held", I, "", "confirmed tracks in the picture"),
        Column("track_capacity", I, "", "the tracker's capacity (-1: unlimited)"),
    )),
    OutputTable("decisions", "one decision of the tracker or fire control (or a fact it rests on) with its "
                             "reason and the numbers behind it", DECISION_COLUMNS),
    OutputTable("terrain", "one radar (sensor_id; -1 without radars) and one cell of an east/north grid over the "
                           "elevation model; only with [terrain]", (
        Column("sensor_id", I, "", "the radar"),
        Column("e_m", F, "m", "cell centre east of the site"),
        Column("n_m", F, "m", "cell centre north of the site"),
        Column("elevation_m", F, "m", "ground elevation above sea level"),
        Column("visible_height_m", F, "m", "lowest height above the ground at which a target is in the radar's line "
                                           "of sight (NaN beyond its range)"),
    ), optional=True),
)

#: Every output table by name, in the order of the README's table of files.
TABLES: dict[str, OutputTable] = {t.name: t for t in _TABLES}


def schema(name: str) -> pa.Schema:
    """The Arrow schema of the output table ``name``."""
    return TABLES[name].schema
