"""Bad battery input: a clear message naming the field, exit code 2 from the command line, nothing written."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import tomli_w

from airpicture.errors import InputError
from airpicture.scenario import builtin_path, parse_scenario, read_toml
from tests.conftest import run_cli

BASE = read_toml(builtin_path("default"))


def with_battery(**changes) -> dict:
    data = copy.deepcopy(BASE)
    data["batteries"][0].update(changes)
    return data


CASES = {
    "negative fire channels": ({"fire_channels": -1}, ["batteries[0].fire_channels", "greater than or equal to 0"]),
    "negative in-flight limit": ({"max_in_flight": -2}, ["batteries[0].max_in_flight"]),
    "negative track capacity": ({"track_capacity": -5}, ["batteries[0].track_capacity"]),
    "negative launchers": ({"launchers": -1}, ["batteries[0].launchers"]),
    "negative spares": ({"reload_rounds": -3}, ["batteries[0].reload_rounds"]),
    "pk above one": ({"pk": {"aircraft": 1.5}}, ["batteries[0].pk.aircraft", "less than or equal to 1"]),
    "pk below zero": ({"pk": {"drone": -0.1}}, ["batteries[0].pk.drone", "greater than or equal to 0"]),
    "pk of an unknown kind": ({"pk": {"zeppelin": 0.5}}, ["batteries[0].pk", "unknown target kind 'zeppelin'"]),
    "envelope min range above max": (
        {"envelopes": {"drone": {"min_range_m": 9000.0, "max_range_m": 5000.0, "min_height_m": 10.0,
                                 "max_height_m": 5000.0}}},
        ["batteries[0].envelopes.drone", "min_range_m (9000.0) is greater than max_range_m (5000.0)"]),
    "envelope min altitude above max": (
        {"envelopes": {"aircraft": {"min_range_m": 1000.0, "max_range_m": 5000.0, "min_height_m": 900.0,
                                    "max_height_m": 100.0}}},
        ["batteries[0].envelopes.aircraft", "min_height_m (900.0) is greater than max_height_m (100.0)"]),
    "unknown defended asset": ({"defends": ["airbase", "harbour"]},
                               ["batteries[0].defends[1]", "unknown asset 'harbour'"]),
    "negative max wait": ({"max_wait_s": -1.0}, ["batteries[0].max_wait_s", "greater than or equal to 0"]),
    "salvo larger than the in-flight limit": ({"salvo_size": 4, "max_in_flight": 3},
                                              ["batteries[0]", "salvo_size (4) exceeds max_in_flight (3)"]),
    "unknown doctrine": ({"doctrine": "shoot_shoot"}, ["batteries[0].doctrine"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_parse_scenario_names_the_field(name):
    change, expected = CASES[name]
    with pytest.raises(InputError) as err:
        parse_scenario(with_battery(**change), "bad.toml")
    text = err.value.render()
    assert text.startswith("bad.toml: ")
    for part in expected:
        assert part in text, text


def test_good_battery_options_parse():
    sc = parse_scenario(with_battery(engage_unknown=True, unknown_kind="drone", max_wait_s=0.0), "ok.toml")
    b = sc.batteries[0]
    assert b.engage_unknown and b.unknown_kind == "drone" and b.max_wait_s == 0.0
    assert sc.batteries[0].pk["aircraft"] == 0.8  # unspecified kinds keep their defaults


def test_validate_and_run_exit_2_and_write_nothing(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(tomli_w.dumps(with_battery(pk={"aircraft": 1.5})).encode())
    res = run_cli("validate", str(bad))
    assert res.returncode == 2
    assert "batteries[0].pk.aircraft" in res.stderr and str(bad) in res.stderr
    assert "Traceback" not in res.stderr
    out = tmp_path / "results"
    res = run_cli("run", str(bad), "--out", str(out), "--quiet")
    assert res.returncode == 2 and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]
