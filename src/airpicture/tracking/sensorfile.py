"""Inputs of ``airpicture track``: the sensor file and detection files that came from elsewhere.

Sensor file (TOML), validated field by field like a scenario (unknown keys refused with a suggestion)::

    [site]                       # origin of the local East-North-Up frame
    latitude_deg = 34.5
    longitude_deg = -38.2

    [[sensors]]                  # one or more radars, with the scenario's [[sensors]] fields
    id = 1
    e_m = 500.0
    n_m = 800.0
    antenna_height_m = 25.0
    scan_period_s = 6.0
    accuracy = { kind = "fixed", range_m = 30.0, azimuth_deg = 0.2, elevation_deg = 0.3 }

    [tracker]                    # optional: the scenario's [tracker] table
    association = "gnn"

    [[assets]]                   # optional: defended assets, for capacity_rule = "keep_threatening"
    name = "airbase"
    e_m = 0.0
    n_m = 0.0

Detection files (CSV or Parquet): the columns of ``detections.parquet`` -- ``time_s, sensor_id, range_m,
azimuth_deg, elevation_deg`` and optionally ``range_rate_mps`` (empty or NaN: not measured) and ``snr_db``
(needed by sensors with SNR-dependent accuracy) -- or, for a single radar, the same without ``sensor_id``.
Times in seconds (>= 0, sorted), azimuth in degrees clockwise from north in [0, 360) in the radar's own axes,
elevation in degrees in [-90, 90]. Every problem is reported with the file, the row and the column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import numpy as np
import pyarrow as pa
from pydantic import Field, ValidationError, model_validator

from airpicture.detections import Detections
from airpicture.errors import InputError, Problem
from airpicture.io import check_finite, check_range, float_column, read_table, require_columns, row_label
from airpicture.scenario import (
    Asset,
    Radar,
    Site,
    SnrAccuracy,
    Strict,
    TrackerConfig,
    check_radars_above_ground,
    problems_from_validation,
    read_toml,
)

REQUIRED = ("time_s", "range_m", "azimuth_deg", "elevation_deg")


class SensorFile(Strict):
    """The radars whose detections ``airpicture track`` reads, where they stand and how to track."""

    site: Site = Field(description="Origin of the local frame")
    sensors: list[Radar] = Field(description="The radars (the scenario's sensor fields)", min_length=1)
    tracker: TrackerConfig = Field(description="Tracker settings", default_factory=TrackerConfig)
    assets: list[Asset] = Field(description="Defended assets (for capacity_rule = keep_threatening)",
                                default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [s.id for s in self.sensors]
        if len(set(ids)) != len(ids):
            raise ValueError("sensor ids must be unique")
        check_radars_above_ground(self.site, self.sensors)
        return self


def parse_sensor_file(data: dict[str, Any], source: str) -> SensorFile:
    try:
        return SensorFile.model_validate(data)
    except ValidationError as err:
        raise InputError(source, problems_from_validation(err, data)) from None


def load_sensor_file(path: str | Path) -> SensorFile:
    """Read and validate a sensor file; :class:`InputError` names the file and field on any mistake."""
    p = Path(path)
    if p.is_dir():
        raise InputError(str(p), "is a folder; expected a sensor .toml file")
    return parse_sensor_file(read_toml(p), str(p))


def _optional_float(table: pa.Table, name: str, source: str) -> np.ndarray:
    """An optional numeric column (empty and NaN values allowed, as NaN); all-NaN if absent or all empty."""
    if name not in table.column_names or pa.types.is_null(table.column(name).type):
        return np.full(table.num_rows, np.nan)
    return float_column(table, name, source, allow_null=True)


def read_detections(path: str | Path, sensors: list[Radar]) -> Detections:
    """Detections of a CSV or Parquet file, validated row by row against the known ``sensors``.

    Without a ``sensor_id`` column the file is one radar's: then exactly one sensor must be known."""
    return detections_from_table(read_table(path), sensors, str(path))


def detections_from_table(table: pa.Table, sensors: list[Radar], source: str) -> Detections:
    """Detections of an Arrow table with the columns of a detections file, validated as :func:`read_detections`
    does (problems name ``source``, the row and the column)."""
    if table.num_rows == 0:
        raise InputError(source, "no detections (the file has no rows)")
    require_columns(table, REQUIRED, source)
    n = table.num_rows
    t = float_column(table, "time_s", source)
    check_finite(t, "time_s", source)
    check_range(t, "time_s", source, 0.0, np.inf)
    back = np.flatnonzero(np.diff(t) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise InputError(source, Problem(f"{row_label(source, i)}, column 'time_s'",
                                         f"times must be sorted (non-decreasing): {t[i]:g} comes after {t[i - 1]:g}"))
    by_id = {s.id: s for s in sensors}
    if "sensor_id" in table.column_names:
        sid_f = float_column(table, "sensor_id", source)
        check_finite(sid_f, "sensor_id", source)
        frac = np.flatnonzero(sid_f != np.round(sid_f))
        if frac.size:
            i = int(frac[0])
            raise InputError(source, Problem(f"{row_label(source, i)}, column 'sensor_id'",
                                             f"expected an integer sensor id, got {sid_f[i]:g}"))
        sid = sid_f.astype(np.int64)
        unknown = np.flatnonzero(~np.isin(sid, np.array(sorted(by_id), dtype=np.int64)))
        if unknown.size:
            i = int(unknown[0])
            known = ", ".join(str(k) for k in sorted(by_id))
            raise InputError(source, Problem(f"{row_label(source, i)}, column 'sensor_id'",
                                             f"unknown sensor id {sid[i]}; the sensor file has: {known}"))
    else:
        if len(sensors) != 1:
            raise InputError(source, "no 'sensor_id' column, so the file must be one radar's, but "
                             f"{len(sensors)} sensors are given; add a sensor_id column or choose one with --sensor-id")
        sid = np.full(n, sensors[0].id, dtype=np.int64)
    r = float_column(table, "range_m", source)
    check_finite(r, "range_m", source)
    check_range(r, "range_m", source, 0.0, np.inf, lo_open=True)
    az = float_column(table, "azimuth_deg", source)
    check_finite(az, "azimuth_deg", source)
    check_range(az, "azimuth_deg", source, 0.0, 360.0, hi_open=True)
    el = float_column(table, "elevation_deg", source)
    check_finite(el, "elevation_deg", source)
    check_range(el, "elevation_deg", source, -90.0, 90.0)
    rr = _optional_float(table, "range_rate_mps", source)
    inf = np.flatnonzero(np.isinf(rr))
    if inf.size:
        i = int(inf[0])
        raise InputError(source, Problem(f"{row_label(source, i)}, column 'range_rate_mps'",
                                         f"expected a finite number or an empty value, got {rr[i]}"))
    snr_ids = np.array([s.id for s in sensors if isinstance(s.accuracy, SnrAccuracy)], dtype=np.int64)
    needs_snr = np.isin(sid, snr_ids)
    if "snr_db" in table.column_names:
        snr = _optional_float(table, "snr_db", source)
        bad = np.flatnonzero(needs_snr & ~np.isfinite(snr) | np.isinf(snr))
        if bad.size:
            i = int(bad[0])
            raise InputError(source, Problem(f"{row_label(source, i)}, column 'snr_db'",
                                             f"expected a finite number (the sensor's accuracy depends on SNR), "
                                             f"got {snr[i]}"))
    else:
        if needs_snr.any():
            i = int(np.argmax(needs_snr))
            raise InputError(source, f"missing column snr_db: sensor {sid[i]} has SNR-dependent accuracy")
        snr = np.full(n, np.nan)
    return Detections(t, sid, r, az, el, rr, snr)
