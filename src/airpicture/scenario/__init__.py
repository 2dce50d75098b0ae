"""Scenario files: pydantic models of the TOML format and loading with clear errors.

Frames and units: positions are local East-North-Up metres from the scenario site (``e_m``, ``n_m``), or WGS84
``latitude_deg``/``longitude_deg``; ``altitude_m`` is always a WGS84 ellipsoidal height (of the ground at the site
or at a radar); heights of what flies (``height_m``) are metres above the ground (a sphere of the local Earth radius
through the site; a ``[terrain]`` rises above it); azimuths are degrees clockwise from north; times are seconds
from the scenario start.

Every model forbids unknown keys (with a "did you mean" suggestion) and non-finite numbers.

The models live in modules by domain, and every name is importable from here:

- :mod:`.base`: :class:`Strict` (the base of every model), shared validators, limits and kinds;
- :mod:`.places`: the site, ground places, defended assets;
- :mod:`.sensors`: radars, their sensitivity, accuracy and clutter regions;
- :mod:`.batteries`: fire units, envelopes, Pk;
- :mod:`.threats`: raids and their motion profiles, civil traffic, replays;
- :mod:`.tracker`: the tracker's and the scoring's settings;
- :mod:`.model`: :class:`Scenario`, the whole file;
- :mod:`.loading`: built-in names, reading TOML, validation errors as problems, the resolved scenario as TOML.
"""

from __future__ import annotations

from airpicture.scenario.base import (
    ALL_KINDS,
    DAY_S,
    DEFAULT_RCS_M2,
    MAX_DESCRIPTION_LENGTH,
    MAX_FILE_BYTES,
    MAX_LABEL_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NESTING,
    MAX_SEED,
    NAME_PATTERN,
    THREAT_KINDS,
    CivilKind,
    NonNegFloat,
    PointEN,
    PositiveFloat,
    Strict,
    TargetKind,
    ThreatKind,
    check_name,
    sane,
)
from airpicture.scenario.batteries import Battery, Envelope
from airpicture.scenario.loading import (
    BUILTIN_PACKAGE,
    DEFAULT_SCENARIO,
    builtin_names,
    builtin_path,
    load_scenario,
    parse_scenario,
    problems_from_validation,
    read_toml,
    resolve_scenario_path,
    scenario_to_toml_dict,
)
from airpicture.scenario.model import Scenario
from airpicture.scenario.places import Asset, Place, Site
from airpicture.scenario.sensors import (
    Accuracy,
    ClutterRegion,
    FixedAccuracy,
    Radar,
    RadarEquationSensitivity,
    ReferenceSensitivity,
    Sensitivity,
    Sensor,
    SnrAccuracy,
    check_radars_above_ground,
)
from airpicture.scenario.threats import (
    BallisticProfile,
    CivilTraffic,
    CruiseProfile,
    LoiterProfile,
    Profile,
    Raid,
    Replay,
    Signature,
    StraightProfile,
    WaypointProfile,
)
from airpicture.scenario.tracker import (
    DEFAULT_VERTICAL_SPEED_PRIOR_MPS,
    BallisticModel,
    CvModel,
    ImmModel,
    MetricsConfig,
    TrackerConfig,
    TrackerModel,
)

__all__ = [
    "ALL_KINDS", "BUILTIN_PACKAGE", "DAY_S", "DEFAULT_RCS_M2", "DEFAULT_SCENARIO", "DEFAULT_VERTICAL_SPEED_PRIOR_MPS",
    "MAX_DESCRIPTION_LENGTH", "MAX_FILE_BYTES", "MAX_LABEL_LENGTH", "MAX_NAME_LENGTH", "MAX_NESTING", "MAX_SEED",
    "NAME_PATTERN", "THREAT_KINDS", "Accuracy", "Asset", "BallisticModel", "BallisticProfile", "Battery", "CivilKind",
    "CivilTraffic", "ClutterRegion", "CruiseProfile", "CvModel", "Envelope", "FixedAccuracy", "ImmModel",
    "LoiterProfile", "MetricsConfig", "NonNegFloat", "Place", "PointEN", "PositiveFloat", "Profile", "Radar",
    "RadarEquationSensitivity", "Raid", "ReferenceSensitivity", "Replay", "Scenario", "Sensitivity", "Sensor",
    "Signature", "Site", "SnrAccuracy", "StraightProfile", "Strict", "TargetKind", "ThreatKind", "TrackerConfig",
    "TrackerModel", "WaypointProfile", "builtin_names", "builtin_path", "check_name", "check_radars_above_ground",
    "load_scenario", "parse_scenario", "problems_from_validation", "read_toml", "resolve_scenario_path", "sane",
    "scenario_to_toml_dict",
]
