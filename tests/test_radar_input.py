"""Bad radar input: a clear message naming the sensor field and what was expected; through the CLI, exit code 2
and nothing written."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from airpicture.errors import InputError
from airpicture.scenario import builtin_path, parse_scenario, read_toml
from tests.conftest import run_cli

BASE = read_toml(builtin_path("default"))


def with_sensor(**changes: Any) -> dict:
    data = copy.deepcopy(BASE)
    data["sensors"][0].update(changes)
    return data


def problem_text(data: dict) -> str:
    with pytest.raises(InputError) as info:
        parse_scenario(data, "bad.toml")
    assert info.value.source == "bad.toml"
    return info.value.render()


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"azimuth_beamwidth_deg": 0.0}, "sensors[0].azimuth_beamwidth_deg", "greater than 0"),
        ({"azimuth_beamwidth_deg": -1.5}, "sensors[0].azimuth_beamwidth_deg", "greater than 0"),
        ({"pfa": 0.0}, "sensors[0].pfa", "greater than 0"),
        ({"pfa": 1.0}, "sensors[0].pfa", "less than 1"),
        ({"pfa": 1.5}, "sensors[0].pfa", "less than 1"),
        ({"antenna_height_m": -5.0}, "sensors[0].antenna_height_m", "greater than or equal to 0"),
        ({"altitude_m": -400.0}, "sensors[0].altitude_m", "below the scenario's ground model"),
        ({"swerling": 2}, "sensors[0].swerling", "unknown Swerling case 2; expected 0, 1 or 3"),
        ({"swerling": 5}, "sensors[0].swerling", "expected 0, 1 or 3"),
        ({"scan_period_s": 0.0}, "sensors[0].scan_period_s", "greater than 0"),
        ({"refraction_k": 0.0}, "sensors[0].refraction_k", "greater than or equal to 0.5"),
        ({"elevation_min_deg": 50.0, "elevation_max_deg": 10.0}, "sensors[0]", "elevation_min_deg must be less"),
        ({"sensitivity": {"kind": "radar_equation", "peak_power_w": -1.0, "antenna_gain_db": 30.0,
                          "frequency_hz": 3e9}}, "sensors[0].sensitivity.peak_power_w", "greater than 0"),
        ({"clutter": [{"range_max_m": 5e3, "azimuth_min_deg": 40.0, "azimuth_max_deg": 40.0,
                       "false_alarms_per_scan": 1.0}]}, "sensors[0].clutter[0]", "empty sector"),
    ],
)
def test_bad_radar_fields_are_named(changes: dict, field: str, expected: str) -> None:
    text = problem_text(with_sensor(**changes))
    assert f"bad.toml: {field}" in text
    assert expected in text


def test_radar_equation_sensitivity_is_accepted() -> None:
    sens = {"kind": "radar_equation", "peak_power_w": 1e6, "antenna_gain_db": 38.0, "frequency_hz": 3e9}
    scenario = parse_scenario(with_sensor(sensitivity=sens), "ok.toml")
    assert scenario.sensors[0].sensitivity.kind == "radar_equation"


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "bad.toml"
    path.write_bytes(tomli_w.dumps(data).encode())
    return path


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"azimuth_beamwidth_deg": 0.0}, "sensors[0].azimuth_beamwidth_deg"),
     ({"swerling": 2}, "sensors[0].swerling")],
)
def test_cli_validate_exits_2_naming_the_field(tmp_path: Path, changes: dict, field: str) -> None:
    path = write(tmp_path, with_sensor(**changes))
    res = run_cli("validate", str(path))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert field in res.stderr and str(path) in res.stderr


def test_cli_run_with_a_radar_below_ground_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, with_sensor(antenna_height_m=-10.0))
    out = tmp_path / "results"
    res = run_cli("run", str(path), "--out", str(out), "--quiet")
    assert res.returncode == 2, res.stderr
    assert "sensors[0].antenna_height_m" in res.stderr
    assert not out.exists()
