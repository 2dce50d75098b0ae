"""Bad scenario input: one clear message naming the file, the field and what was expected; exit code 2; no
traceback; nothing written."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import tomli_w

from airpicture.errors import InputError, RenamedFieldWarning
from airpicture.scenario import builtin_path, load_scenario, parse_scenario, read_toml
from tests.conftest import run_cli

BASE = read_toml(builtin_path("teaching"))


def _write(tmp_path: Path, data: dict, name: str = "bad.toml") -> Path:
    p = tmp_path / name
    p.write_bytes(tomli_w.dumps(data).encode())
    return p


def _mutate(path: list, value) -> dict:
    import copy

    data = copy.deepcopy(BASE)
    obj = data
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value
    return data


def _assert_clean_failure(tmp_path: Path, scenario: Path, *expected: str) -> str:
    out = tmp_path / "results"
    res = run_cli("run", str(scenario), "--out", str(out), "--quiet")
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists(), "nothing may be written on bad input"
    assert not any(p.name.startswith(".results") for p in tmp_path.iterdir())
    assert str(scenario) in res.stderr
    for text in expected:
        assert text in res.stderr, res.stderr
    return res.stderr


CASES = {
    "unknown key with suggestion": (["raids", 0, "sped_mps"], 240.0,
                                    ["raids[0]", "sped_mps", "did you mean 'speed_mps'"]),
    "wrong type": (["raids", 0, "count"], "many", ["raids[0].count", "integer"]),
    "number as text": (["duration_s"], "300", ["duration_s", "valid number", "'300'"]),
    "boolean as count": (["raids", 0, "count"], True, ["raids[0].count", "valid integer"]),
    "fraction as count": (["raids", 0, "count"], 2.5, ["raids[0].count", "valid integer"]),
    "number as boolean": (["sensors", 0, "range_rate"], 1, ["sensors[0].range_rate", "valid boolean"]),
    "negative speed": (["raids", 1, "speed_mps"], -5.0, ["raids[1].speed_mps", "greater than 0"]),
    "negative count": (["raids", 2, "count"], -1, ["raids[2].count", "greater than or equal to 0"]),
    "latitude out of range": (["site", "latitude_deg"], 95.0, ["site.latitude_deg", "less than or equal to 90"]),
    "non-finite duration": (["duration_s"], math.inf, ["duration_s", "finite"]),
    "nan height": (["raids", 0, "height_m"], math.nan, ["raids[0].height_m", "finite"]),
    "unknown asset": (["raids", 0, "asset"], "airbas", ["unknown asset 'airbas'", "did you mean 'airbase'"]),
    "unknown profile kind": (["raids", 1, "profile", "kind"], "zigzag", ["raids[1].profile"]),
    "bad profile field": (["raids", 1, "profile", "popup_distance_m"], -3.0, ["raids[1].profile.popup_distance_m"]),
    "nan waypoint": (["raids", 0, "profile"], {"kind": "waypoints", "waypoints_m": [[0.0, math.nan]]},
                     ["raids[0].profile.waypoints_m"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_scenario_field(tmp_path: Path, case: str) -> None:
    path, value, expected = CASES[case]
    scenario = _write(tmp_path, _mutate(path, value))
    _assert_clean_failure(tmp_path, scenario, *expected)


def test_unknown_top_level_key_suggests(tmp_path: Path) -> None:
    data = dict(BASE)
    data["duraton_s"] = 10.0
    _assert_clean_failure(tmp_path, _write(tmp_path, data), "did you mean 'duration_s'")


def test_malformed_toml(tmp_path: Path) -> None:
    p = tmp_path / "broken.toml"
    p.write_text('name = "x"\nduration_s = = 3\n')
    _assert_clean_failure(tmp_path, p, "malformed TOML", "line 2")


def test_missing_file(tmp_path: Path) -> None:
    res = run_cli("run", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o"), "--quiet")
    assert res.returncode == 2
    assert "nope.toml" in res.stderr and "file not found" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "o").exists()


def test_validate_command_reports_errors(tmp_path: Path) -> None:
    scenario = _write(tmp_path, _mutate(["raids", 0, "speed_mps"], -1.0))
    res = run_cli("validate", str(scenario))
    assert res.returncode == 2 and "raids[0].speed_mps" in res.stderr and "Traceback" not in res.stderr


def test_messages_name_every_problem_once() -> None:
    data = _mutate(["raids", 0, "speed_mps"], -1.0)
    data["raids"][1]["count"] = -4
    with pytest.raises(InputError) as info:
        parse_scenario(data, "x.toml")
    text = str(info.value)
    assert text.count("x.toml: raids[0].speed_mps") == 1
    assert text.count("x.toml: raids[1].count") == 1


def _replay_scenario(tmp_path: Path, csv_text: str) -> Path:
    (tmp_path / "flights.csv").write_text(csv_text)
    data = dict(BASE)
    data["replays"] = [{"name": "rec", "file": "flights.csv"}]
    return _write(tmp_path, data)


HEADER = "time,icao24,lat,lon,geoaltitude,velocity,heading,vertrate\n"


def test_replay_missing_columns(tmp_path: Path) -> None:
    scenario = _replay_scenario(tmp_path, "time,icao24,lat,lon\n1,abc,34.5,-38.2\n")
    _assert_clean_failure(tmp_path, scenario, "flights.csv", "missing column(s)", "geoaltitude")


def test_replay_unparsable_row(tmp_path: Path) -> None:
    rows = HEADER + "100,abc,34.5,-38.2,9000,230,90,0\n105,abc,34.5,north,9000,230,90,0\n"
    _assert_clean_failure(tmp_path, _replay_scenario(tmp_path, rows), "flights.csv", "line 3", "'lon'",
                          "expected a number")


def test_replay_latitude_out_of_range(tmp_path: Path) -> None:
    rows = HEADER + "100,abc,34.5,-38.2,9000,230,90,0\n105,abc,134.5,-38.2,9000,230,90,0\n"
    _assert_clean_failure(tmp_path, _replay_scenario(tmp_path, rows), "line 3", "'lat'", "[-90, 90]")


def test_replay_empty_position_refused_unless_dropped(tmp_path: Path) -> None:
    rows = HEADER + "100,abc,34.5,-38.2,9000,230,90,0\n105,abc,,-38.2,9000,230,90,0\n110,abc,34.5,-38.1,9000,230,90,0\n"
    scenario = _replay_scenario(tmp_path, rows)
    _assert_clean_failure(tmp_path, scenario, "line 3", "drop_incomplete_rows")
    data = read_toml(scenario)
    data["replays"][0]["drop_incomplete_rows"] = True
    scenario.write_bytes(tomli_w.dumps(data).encode())
    sc = load_scenario(scenario)
    from airpicture.truth import generate_truth

    truth = generate_truth(sc)
    assert "abc" in set(truth.targets.callsign)


def test_replay_bad_value_after_a_dropped_row_names_its_own_line(tmp_path: Path) -> None:
    rows = (HEADER + "100,abc,34.5,-38.2,9000,230,90,0\n105,abc,,-38.2,9000,230,90,0\n"
            "110,abc,134.5,-38.1,9000,230,90,0\n")
    scenario = _replay_scenario(tmp_path, rows)
    data = read_toml(scenario)
    data["replays"][0]["drop_incomplete_rows"] = True
    scenario.write_bytes(tomli_w.dumps(data).encode())
    _assert_clean_failure(tmp_path, scenario, "line 4", "'lat'", "[-90, 90]")


def test_replay_short_row_names_its_line(tmp_path: Path) -> None:
    rows = HEADER + "100,abc,34.5,-38.2,9000,230,90,0\n105,abc,34.5,-38.2,9000,230,90\n"
    _assert_clean_failure(tmp_path, _replay_scenario(tmp_path, rows), "flights.csv", "line 3", "Expected 8 columns")


def test_replay_file_without_rows(tmp_path: Path) -> None:
    _assert_clean_failure(tmp_path, _replay_scenario(tmp_path, HEADER), "flights.csv", "no rows")


def test_replay_missing_file(tmp_path: Path) -> None:
    data = dict(BASE)
    data["replays"] = [{"name": "rec", "file": "absent.csv"}]
    _assert_clean_failure(tmp_path, _write(tmp_path, data), "absent.csv", "file not found")


def test_unflyable_route_is_a_clear_error(tmp_path: Path) -> None:
    prof = {"kind": "waypoints", "waypoints_m": [[10000.0, 60000.0], [10500.0, 60000.0]], "max_lateral_accel_mps2": 5.0}
    scenario = _write(tmp_path, _mutate(["raids", 0, "profile"], prof))
    _assert_clean_failure(tmp_path, scenario, "raids[0].profile", "too close for turns")


def test_frozen_scenario_rejects_mutation() -> None:
    sc = load_scenario("teaching")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error type varies by version
        sc.seed = 3  # type: ignore[misc]


# ------------------------------------------------------------------ renamed fields: heights above the ground
def _with_old_names(data: dict) -> dict:
    """``data`` as files wrote it before the heights above the ground were renamed."""
    import copy

    old = copy.deepcopy(data)
    for raid in old["raids"]:
        if "height_m" in raid:
            raid["altitude_m"] = raid.pop("height_m")
        profile = raid.get("profile", {})
        if "popup_height_m" in profile:
            profile["popup_altitude_m"] = profile.pop("popup_height_m")
    old["civil_traffic"][0]["altitude_min_m"] = 9000.0
    old["civil_traffic"][0]["altitude_max_m"] = 11000.0
    old["batteries"][0]["envelopes"] = {"drone": {"min_range_m": 1000.0, "max_range_m": 20000.0,
                                                  "min_altitude_m": 5.0, "max_altitude_m": 4000.0}}
    return old


def test_old_field_names_are_read_with_the_same_meaning() -> None:
    new = _mutate(["civil_traffic", 0, "height_min_m"], 9000.0)
    new["civil_traffic"][0]["height_max_m"] = 11000.0
    new["batteries"][0]["envelopes"] = {"drone": {"min_range_m": 1000.0, "max_range_m": 20000.0,
                                                  "min_height_m": 5.0, "max_height_m": 4000.0}}
    with pytest.warns(RenamedFieldWarning) as record:
        from_old = parse_scenario(_with_old_names(BASE), "old.toml")
    assert from_old == parse_scenario(new, "new.toml")
    assert from_old.raids[1].height_m == BASE["raids"][1]["height_m"]
    assert from_old.raids[1].profile.popup_height_m == BASE["raids"][1]["profile"]["popup_height_m"]  # type: ignore[union-attr]
    assert len(record) == 1
    text = str(record[0].message)
    assert text.startswith("old.toml: fields renamed: raids[0].altitude_m, raids[1].altitude_m")
    for part in ("-> height_m", "raids[1].profile.popup_altitude_m -> popup_height_m",
                 "civil_traffic[0].altitude_min_m -> height_min_m", "civil_traffic[0].altitude_max_m -> height_max_m",
                 "batteries[0].envelopes.drone.min_altitude_m -> min_height_m",
                 "batteries[0].envelopes.drone.max_altitude_m -> max_height_m"):
        assert part in text


def test_new_field_names_and_resolved_scenarios_raise_no_warning() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse_scenario(BASE, "new.toml")
        parse_scenario(_with_old_names(BASE), "runs/x/scenario.toml", warn_old_names=False)


def test_the_command_line_notes_an_old_name_once(tmp_path: Path) -> None:
    res = run_cli("validate", str(_write(tmp_path, _with_old_names(BASE), "old.toml")))
    assert res.returncode == 0 and "valid" in res.stdout, res.stderr
    assert res.stderr.count("note:") == 1 and "Traceback" not in res.stderr
    assert f"{tmp_path / 'old.toml'}: fields renamed: raids[0].altitude_m" in res.stderr
    assert "The old names are still read" in res.stderr


def test_old_and_new_name_together_are_refused(tmp_path: Path) -> None:
    data = _mutate(["raids", 0, "altitude_m"], 300.0)
    _assert_clean_failure(tmp_path, _write(tmp_path, data), "raids[0]", "'altitude_m' is the old name of 'height_m'")


def test_an_error_in_an_old_name_names_it_as_written(tmp_path: Path) -> None:
    data = _with_old_names(BASE)
    data["raids"][0]["altitude_m"] = -5.0
    data["raids"][1]["profile"]["popup_altitude_m"] = math.nan
    data["batteries"][0]["envelopes"]["drone"]["max_altitude_m"] = -1.0
    _assert_clean_failure(tmp_path, _write(tmp_path, data), "raids[0].altitude_m", "greater than or equal to 0",
                          "raids[1].profile.popup_altitude_m", "finite",
                          "batteries[0].envelopes.drone.max_altitude_m", "greater than 0")


def test_a_field_path_with_an_old_name_is_refused_with_the_new_one() -> None:
    with pytest.raises(InputError) as info:
        load_scenario("teaching").with_overrides({"raids[1].altitude_m": 60.0})
    assert "no field 'altitude_m' in raids[1]: it is now called 'height_m'" in str(info.value)
    assert "write raids[1].height_m" in str(info.value)
