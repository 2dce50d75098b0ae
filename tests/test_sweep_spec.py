"""Sweep files: field paths, grid expansion, run seeds, the spec hash, and clear errors for bad input."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airpicture.errors import InputError
from airpicture.scenario import load_scenario
from airpicture.sweep.fieldpath import PathError, format_path, get_at, parse_path, set_at
from airpicture.sweep.spec import builtin_sweep_names, load_sweep, plan_sweep
from tests.sweep_support import sweep_data, write_sweep, write_tiny

# ------------------------------------------------------------------------------------------------ field paths
names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
segments = st.tuples(names, st.lists(st.integers(0, 999), max_size=2))


@given(st.lists(segments, min_size=1, max_size=4))
def test_path_round_trip(segs):
    text = ".".join(name + "".join(f"[{i}]" for i in idx) for name, idx in segs)
    tokens = parse_path(text)
    assert format_path(tokens) == text
    assert tokens == tuple(t for name, idx in segs for t in (name, *idx))


@pytest.mark.parametrize("bad", ["", "raids[0]..count", "raids[-1].count", "raids[x]", "0raids", "raids[0]count"])
def test_malformed_paths_refused(bad):
    with pytest.raises(PathError, match="malformed"):
        parse_path(bad)


def test_get_and_set_on_nested_data():
    data = {"raids": [{"count": 3, "profile": {"kind": "straight"}}], "pk": {"drone": 0.8}}
    set_at(data, parse_path("raids[0].count"), 7)
    set_at(data, parse_path("pk.drone"), 0.5)
    assert data == {"raids": [{"count": 7, "profile": {"kind": "straight"}}], "pk": {"drone": 0.5}}
    assert get_at(data, parse_path("raids[0].profile.kind")) == "straight"
    with pytest.raises(PathError, match=r"raids\[1\] does not exist: raids has entries raids\[0\]..raids\[0\]"):
        get_at(data, parse_path("raids[1].count"))
    with pytest.raises(PathError, match="did you mean 'count'"):
        set_at(data, parse_path("raids[0].cont"), 1)
    with pytest.raises(PathError, match="is a list"):
        get_at(data, parse_path("raids.count"))


# ------------------------------------------------------------------------------------------------ expansion
def test_grid_is_the_row_major_product_with_overrides_applied(tmp_path):
    plan = load_sweep(write_sweep(tmp_path, fixed={"duration_s": 40.0, "batteries[0].salvo_size": 3}))
    counts, doctrines = [1, 2, 4], ["salvo", "shoot_look_shoot"]
    assert [gp.values for gp in plan.points] == [
        {"raids[0].count": c, "batteries[0].doctrine": d} for c, d in itertools.product(counts, doctrines)
    ]
    for gp in plan.points:
        assert gp.scenario.raids[0].count == gp.values["raids[0].count"]
        assert gp.scenario.batteries[0].doctrine == gp.values["batteries[0].doctrine"]
        assert gp.scenario.duration_s == 40.0 and gp.scenario.batteries[0].salvo_size == 3
        assert gp.scenario.raids[1].count == 1  # untouched fields keep the base value
    assert plan.n_runs == 12 and plan.x_path == "raids[0].count"


def test_whole_subtable_can_be_swept(tmp_path):
    profiles = [{"kind": "straight"}, {"kind": "cruise", "popup_distance_m": 3000.0}]
    plan = load_sweep(write_sweep(tmp_path, grid={"raids[0].profile": profiles}))
    assert [gp.scenario.raids[0].profile.kind for gp in plan.points] == ["straight", "cruise"]
    assert plan.grid_cell("raids[0].profile", profiles[1]) == '{"kind":"cruise","popup_distance_m":3000.0}'


def test_run_seeds_depend_only_on_sweep_seed_point_and_replication(tmp_path):
    plan = load_sweep(write_sweep(tmp_path))
    seeds = {(p, r): plan.run_seed(p, r) for p in range(len(plan.points)) for r in range(5)}
    assert len(set(seeds.values())) == len(seeds)
    again = load_sweep(write_sweep(tmp_path, name="other.toml", seeds_per_point=9))
    assert all(again.run_seed(p, r) == s for (p, r), s in seeds.items())
    other_seed = load_sweep(write_sweep(tmp_path, name="third.toml", seed=12))
    assert other_seed.run_seed(0, 0) != plan.run_seed(0, 0)
    crn = load_sweep(write_sweep(tmp_path, name="crn.toml", common_random_numbers=True))
    assert crn.run_seed(0, 3) == crn.run_seed(5, 3) != crn.run_seed(5, 4)


def test_spec_hash_tracks_what_decides_the_rows(tmp_path):
    base = load_sweep(write_sweep(tmp_path)).spec_hash
    same = {"seeds_per_point": 5, "description": "x", "figures": {"x": "batteries[0].doctrine"}}
    for key, value in same.items():
        assert load_sweep(write_sweep(tmp_path, name=f"s-{key}.toml", **{key: value})).spec_hash == base
    differ = {"seed": 12, "grid": {"raids[0].count": [1, 2, 5]}, "fixed": {"duration_s": 50.0},
              "common_random_numbers": True}
    for key, value in differ.items():
        assert load_sweep(write_sweep(tmp_path, name=f"d-{key}.toml", **{key: value})).spec_hash != base
    # editing the base scenario file changes it too
    path = write_sweep(tmp_path)
    (tmp_path / "tiny.toml").write_text((tmp_path / "tiny.toml").read_text().replace("seed = 3", "seed = 4"))
    assert load_sweep(path).spec_hash != base


def test_builtin_sweeps_are_valid():
    names = builtin_sweep_names()
    assert "default" in names
    for name in names:
        plan = load_sweep(name)
        assert plan.n_runs > 0
        assert plan.base == load_scenario(plan.spec.scenario)


# ------------------------------------------------------------------------------------------------ bad input
def _error(tmp_path: Path, **changes) -> str:
    path = write_sweep(tmp_path, **changes)
    with pytest.raises(InputError) as info:
        load_sweep(path)
    text = info.value.render()
    assert str(path) in text
    return text


def test_unknown_field_path_is_named_with_a_suggestion(tmp_path):
    text = _error(tmp_path, grid={"raids[0].cont": [1, 2]})
    assert 'grid."raids[0].cont"' in text and "did you mean 'count'" in text


def test_index_out_of_range(tmp_path):
    text = _error(tmp_path, grid={"raids[5].count": [1]})
    assert "raids[5] does not exist" in text and "raids[0]..raids[1]" in text


def test_wrong_type_names_the_value(tmp_path):
    text = _error(tmp_path, grid={"raids[0].count": [1, "many", 3]})
    assert 'grid."raids[0].count"[1]' in text and "'many'" in text and "integer" in text


@pytest.mark.parametrize("path, value, expected", [
    ("raids[1].count", "10", "valid integer"),  # text that looks like a number is still text
    ("raids[1].count", True, "valid integer"),  # true is not 1
    ("sensors[0].pfa", "1e-5", "valid number"),
])
def test_wrong_type_is_refused_by_the_strict_scenario(tmp_path, path, value, expected):
    text = _error(tmp_path, grid={path: [value]})
    assert f'grid."{path}"[0]' in text and repr(value) in text and expected in text


def test_cli_wrong_types_exit_2_before_anything_starts(tmp_path, cli):
    path = write_sweep(tmp_path, grid={"raids[1].count": ["10", True], "sensors[0].pfa": ["1e-5"]})
    out = tmp_path / "out"
    res = cli("sweep", str(path), "--out", str(out), "--quiet")
    assert res.returncode == 2, res.stderr
    err = " ".join(res.stderr.split())  # the message may wrap
    assert "Traceback" not in err and str(path) in err
    for where, value, expected in [('grid."raids[1].count"[0]', "'10'", "valid integer"),
                                   ('grid."raids[1].count"[1]', "True", "valid integer"),
                                   ('grid."sensors[0].pfa"[0]', "'1e-5'", "valid number")]:
        assert f"{where}: value {value} is not accepted" in err and expected in err, err
    assert not out.exists()


def test_invalid_value_names_the_value(tmp_path):
    text = _error(tmp_path, grid={"batteries[0].doctrine": ["salvo", "spray"]})
    assert 'grid."batteries[0].doctrine"[1]' in text and "'spray'" in text


def test_bad_combination_names_the_grid_point(tmp_path):
    # each value alone is fine; together the minimum range exceeds the maximum
    text = _error(tmp_path, grid={"sensors[0].min_range_m": [500.0, 50000.0],
                                  "sensors[0].max_range_m": [60000.0, 40000.0]})
    assert "grid point" in text and "min_range_m must be less than max_range_m" in text


@pytest.mark.parametrize("grid, expected", [
    ({}, "the grid is empty"),
    ({"raids[0].count": []}, "give at least one value"),
    ({"raids[0].count": 5}, "expected a list of values"),
])
def test_empty_or_malformed_grid(tmp_path, grid, expected):
    assert expected in _error(tmp_path, grid=grid)


def test_other_spec_mistakes(tmp_path):
    assert "did you mean 'seeds_per_point'" in _error(tmp_path, seeds_per_pont=3)
    assert "run seeds derive" in _error(tmp_path, grid={"seed": [1, 2]})
    assert "overlaps" in _error(tmp_path, fixed={"raids[0]": {"kind": "drone"}})
    assert "figures.x" in _error(tmp_path, figures={"x": "duration_s"})
    assert "tiny2.toml" in _error(tmp_path, scenario="tiny2.toml")


def test_builtin_scenario_names_resolve_and_unknown_ones_are_refused(tmp_path):
    plan = plan_sweep(sweep_data(scenario="teaching", grid={"raids[0].count": [1]}), "inline.toml", tmp_path)
    assert plan.base.name == "teaching"
    with pytest.raises(InputError, match="did you mean 'teaching'"):
        plan_sweep(sweep_data(scenario="teachin"), "inline.toml", tmp_path)


def test_unknown_builtin_sweep():
    with pytest.raises(InputError, match="no such built-in sweep"):
        load_sweep("no-such-sweep")


def test_cli_bad_input_exits_2_and_starts_nothing(tmp_path, cli):
    write_tiny(tmp_path)
    path = write_sweep(tmp_path, grid={"raids[0].cont": [1]})
    out = tmp_path / "out"
    res = cli("sweep", str(path), "--out", str(out), "--quiet")
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and "did you mean 'count'" in res.stderr
    assert not out.exists()


def test_cli_unreachable_dask_address_exits_2_and_starts_nothing(tmp_path, cli):
    path = write_sweep(tmp_path)
    out = tmp_path / "out"
    res = cli("sweep", str(path), "--out", str(out), "--dask", "tcp://127.0.0.1:9", "--quiet")
    assert res.returncode == 2, res.stderr
    assert "cannot reach a Dask scheduler" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()
    res = cli("sweep", str(path), "--out", str(out), "--workers", "0", "--quiet")
    assert res.returncode == 2 and "--workers must be at least 1" in res.stderr
    assert not out.exists()
