"""Terrain in scenarios: ``[terrain]`` errors (file, field, expectation; exit 2, nothing written), paths relative to
the scenario file, radars standing on the DEM, terrain-following truth, masked looks counted by the radar
simulation and in the outputs, the coverage map against the line-of-sight test, and the report's section."""

from __future__ import annotations

import copy
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import tomli_w

from airpicture.errors import InputError
from airpicture.scenario import builtin_path, load_scenario, parse_scenario, read_toml
from airpicture.sensors.radar import RadarSimulator
from airpicture.terrain.dem import read_hgt
from airpicture.terrain.grid import TerrainGrid
from airpicture.terrain.load import terrain_grid, with_terrain_altitudes
from airpicture.truth import frame_of, generate_truth
from tests.conftest import run_cli
from tests.radar_support import FRAME, at_height, radar, straight_truth

TEACHING = read_toml(builtin_path("teaching"))
SAMPLE = builtin_path("terrain").parent / "data" / "N34W039.hgt.zip"
SYNTHETIC = {"kind": "synthetic", "seed": 3, "extent_m": 60e3, "cell_m": 200.0, "relief_m": 700.0,
             "feature_m": 5000.0, "valley_azimuth_deg": 95.0}


def teaching_with(terrain: dict, **changes) -> dict:
    data = copy.deepcopy(TEACHING)
    data["terrain"] = terrain
    data.update(changes)
    return data


def write(tmp_path: Path, data: dict, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tomli_w.dumps(data).encode())
    return path


def sample_site(data: dict) -> dict:
    """``data`` moved to the sample tile's site (34.5 N, 38.5 W, 150 m)."""
    data["site"] = {"latitude_deg": 34.5, "longitude_deg": -38.5, "altitude_m": 150.0}
    return data


# ------------------------------------------------------------------------------------------ errors
def assert_refused(tmp_path: Path, scenario: Path, *expected: str) -> None:
    out = tmp_path / "results"
    res = run_cli("run", str(scenario), "--out", str(out), "--quiet")
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()
    assert str(scenario) in res.stderr
    for text in expected:
        assert text in res.stderr, res.stderr


def test_missing_dem_file(tmp_path: Path) -> None:
    path = write(tmp_path, teaching_with({"kind": "hgt", "file": "dem/N34W039.hgt"}))
    assert_refused(tmp_path, path, "terrain.file", str(tmp_path / "dem" / "N34W039.hgt"), "file not found")


def test_wrong_tile_size(tmp_path: Path) -> None:
    (tmp_path / "N34W039.hgt").write_bytes(b"\0" * 5000)
    path = write(tmp_path, teaching_with({"kind": "hgt", "file": "N34W039.hgt"}))
    assert_refused(tmp_path, path, "terrain.file", "5000 bytes is not an SRTM tile", "1201 x 1201")


def test_dem_not_covering_the_radar(tmp_path: Path) -> None:
    """A site at 35.5 N, 38.5 W lies 55 km north of the tile's edge (35 N): refused, naming the radar, the
    battery and the asset."""
    shutil.copy(SAMPLE, tmp_path / SAMPLE.name)
    data = sample_site(teaching_with({"kind": "hgt", "file": SAMPLE.name}))
    data["site"]["latitude_deg"] = 35.5
    path = write(tmp_path, data)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    fields = {p.field for p in err.value.problems}
    assert {"sensors[0]", "batteries[0]", "assets[0]"} <= fields
    assert "outside the DEM" in str(err.value)


def test_unknown_terrain_key_and_kind(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"terrain.*did you mean 'relief_m'"):
        parse_scenario(teaching_with({**SYNTHETIC, "relif_m": 3.0}), "x.toml")
    with pytest.raises(InputError, match="terrain"):
        parse_scenario(teaching_with({"kind": "lidar"}), "x.toml")


def test_validate_command_reads_the_dem(tmp_path: Path) -> None:
    path = write(tmp_path, teaching_with({"kind": "hgt", "file": "nowhere.hgt"}))
    res = run_cli("validate", str(path))
    assert res.returncode == 2 and "terrain.file" in res.stderr and "Traceback" not in res.stderr


# ------------------------------------------------------------------------------------------ placement
def test_paths_relative_to_the_scenario_and_radars_on_the_dem(tmp_path: Path) -> None:
    """The DEM path is read relative to the scenario file's folder; a radar without ``altitude_m`` stands on
    the DEM (its height read from the tile at its own latitude/longitude), one with it keeps it."""
    (tmp_path / "maps").mkdir()
    shutil.copy(SAMPLE, tmp_path / "maps" / SAMPLE.name)
    data = sample_site(teaching_with({"kind": "hgt", "file": f"../maps/{SAMPLE.name}"}))
    data["sensors"] = [{**data["sensors"][0], "e_m": 26300.0, "n_m": -9100.0},
                       {**data["sensors"][0], "id": 2, "altitude_m": 900.0}]
    path = write(tmp_path, data, "scenarios/s.toml")
    sc = load_scenario(path)
    assert sc.terrain.file == str((tmp_path / "maps" / SAMPLE.name).resolve())
    placed = with_terrain_altitudes(sc)
    frame = frame_of(sc)
    lat, lon, _ = frame.to_geodetic(26300.0, -9100.0, float(frame.up_from_height(26300.0, -9100.0, 0.0)))
    dem = read_hgt(SAMPLE)
    # within metres: the DEM is resampled (bilinear) onto the site's grid, which rounds a summit a little
    assert placed.sensors[0].altitude_m == pytest.approx(dem.sample(np.array([lat]), np.array([lon]))[0], abs=6.0)
    assert placed.sensors[0].altitude_m > 1000.0  # the summit of the sample's hill
    assert placed.sensors[1].altitude_m == 900.0


def test_radar_below_the_ground_model_is_refused(tmp_path: Path) -> None:
    """A site altitude above the DEM at the radar: the antenna would stand below the ground model."""
    shutil.copy(SAMPLE, tmp_path / SAMPLE.name)
    data = sample_site(teaching_with({"kind": "hgt", "file": SAMPLE.name}))
    data["site"]["altitude_m"] = 2000.0
    with pytest.raises(InputError, match=r"below the scenario's ground model") as err:
        load_scenario(write(tmp_path, data))
    assert err.value.problems[0].field == "sensors[0].altitude_m"


# ------------------------------------------------------------------------------------------ truth
def test_cruise_and_loiter_follow_the_terrain() -> None:
    data = teaching_with(SYNTHETIC)
    sc = parse_scenario(data, "t")
    truth = generate_truth(sc)
    grid = terrain_grid(sc)
    frame = frame_of(sc)
    s, tg = truth.samples, truth.targets
    x = s.x
    height = frame.height_from_enu(x[:, 0], x[:, 1], x[:, 2])
    ground = grid.height_at(x[:, 0], x[:, 1])
    kind = tg.kind[s.target_id]
    # cruise missiles at 50 m above the terrain while cruising (before the pop-up 6 km out, and the dive)
    goal = np.zeros(2)
    far = np.hypot(x[:, 0] - goal[0], x[:, 1] - goal[1]) > 8000.0
    cruise = (kind == "cruise_missile") & far
    assert cruise.sum() > 100
    assert height[cruise] - ground[cruise] == pytest.approx(np.full(cruise.sum(), 50.0), abs=1e-6)
    assert np.ptp(ground[cruise]) > 100.0  # ... over hills
    drone = (kind == "drone") & (np.hypot(x[:, 0], x[:, 1]) > 2000.0)
    assert height[drone] - ground[drone] == pytest.approx(np.full(drone.sum(), 600.0), abs=1e-6)
    # the vertical velocity follows the terrain: finite differences of the up coordinate (1 s samples)
    first = np.flatnonzero(tg.kind == "cruise_missile")[0]
    rows = np.flatnonzero((s.target_id == first) & far)
    du = np.diff(x[rows, 2]) / np.diff(s.time_s[rows])
    mid = 0.5 * (x[rows[1:], 5] + x[rows[:-1], 5])
    assert np.median(np.abs(du - mid)) < 3.0 and np.abs(x[rows, 5]).max() > 10.0
    # aircraft (straight profile) keep their height above the smooth ground
    fighter = kind == "aircraft"
    assert height[fighter] == pytest.approx(np.full(fighter.sum(), 5000.0), abs=1e-6)
    # and with following switched off, cruise missiles fly over the smooth ground
    flat = generate_truth(parse_scenario(teaching_with({**SYNTHETIC, "follow_profiles": []}), "t"))
    cm = flat.targets.kind[flat.samples.target_id] == "cruise_missile"
    hf = frame.height_from_enu(*flat.samples.x[:, :3].T)
    assert hf[cm].max() == pytest.approx(300.0)  # the pop-up height


# ------------------------------------------------------------------------------------------ masked looks
def wall(distance_m: float, height_m: float) -> TerrainGrid:
    """A wall east of the site, north-south, 400 m thick, ``height_m`` above the ground model."""
    coords = np.arange(-60e3, 60e3 + 1, 200.0)
    ee, _ = np.meshgrid(coords, coords)
    h = np.where(np.abs(ee - distance_m) <= 200.0, height_m, 0.0)
    return TerrainGrid(h, np.ones(h.shape, bool), float(coords[0]), float(coords[0]), 200.0, FRAME.altitude_m)


def test_masked_looks_are_counted_and_not_detected() -> None:
    """Targets at 100 m beyond a 300 m wall 10 km east are masked (none detected, every such look counted);
    targets in front of it, or high above it, are not."""
    n = 60
    bearing = np.radians(np.linspace(60.0, 120.0, n))  # all crossing the wall's line of sight band
    dist = np.where(np.arange(n) % 3 == 0, 6e3, 25e3)
    height = np.where(np.arange(n) % 3 == 2, 4000.0, 100.0)
    p = at_height(dist * np.sin(bearing), dist * np.cos(bearing), height)
    truth = straight_truth(p, np.zeros((n, 3)), end_s=40.0, step_s=5.0)
    strong = {"kind": "reference", "snr_db": 90.0, "range_m": 100e3, "rcs_m2": 1.0}
    rad = radar(antenna_height_m=20.0, swerling=0, sensitivity=strong)
    masked_expected = (dist > 10e3) & (height < 1000.0)
    plain = RadarSimulator(rad, FRAME, truth, seed=2, sensor_index=0)
    walled = RadarSimulator(rad, FRAME, truth, seed=2, sensor_index=0, terrain=wall(10e3, 300.0),
                            profile_step_m=50.0)
    seen_plain, seen_walled = np.zeros(n, bool), np.zeros(n, bool)
    for k in range(5):
        _, lab = plain.scan(k)
        seen_plain[lab.target_id[lab.target_id >= 0]] = True
        _, lab = walled.scan(k)
        seen_walled[lab.target_id[lab.target_id >= 0]] = True
    assert seen_plain.all()
    assert np.array_equal(seen_walled, ~masked_expected)
    # every look at a masked target was counted: one per rotation (the targets stand still)
    assert walled.masked_looks == 5 * int(masked_expected.sum())
    assert plain.masked_looks == 0


def test_run_counts_masked_looks_in_summary_decisions_and_report(tmp_path: Path) -> None:
    data = teaching_with(SYNTHETIC)
    data["sensors"][0]["e_m"] = 5000.0
    path = write(tmp_path, data)
    out = tmp_path / "run"
    res = run_cli("run", str(path), "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    summary = json.loads((out / "summary.json").read_text())
    sensing = summary["sensing"]
    assert sensing["terrain_masked_looks"] == sum(s["terrain_masked_looks"] for s in sensing["sensors"]) > 0
    assert "masked_by_terrain" in summary["engagement"]["leak_causes"]
    decisions = pq.read_table(out / "decisions.parquet").to_pandas()
    visible = decisions[decisions.event == "visible"]
    assert (visible.reason == "masked_by_terrain").any()
    from airpicture.outputs import schema

    assert pq.read_schema(out / "terrain.parquet").remove_metadata() == schema("terrain")
    terrain = pq.read_table(out / "terrain.parquet").to_pandas()
    assert set(terrain.sensor_id) == {1}
    assert terrain.visible_height_m.min() == 0.0 and terrain.visible_height_m.max() > 100.0
    page = (out / "report.html").read_text()
    assert "Terrain and low-altitude coverage" in page and 'href="#sec-terrain"' in page
    # the resolved scenario written with the results keeps the radar's height from the DEM
    written = read_toml(out / "scenario.toml")
    assert "altitude_m" in written["sensors"][0]


def test_no_terrain_no_terrain_outputs(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = run_cli("run", "teaching", "--out", str(out), "--quiet", "--no-report")
    assert res.returncode == 0, res.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert "terrain_masked_looks" not in json.dumps(summary) and "masked_by_terrain" not in json.dumps(summary)
    assert not (out / "terrain.parquet").exists()


# ------------------------------------------------------------------------------------------ coverage
def test_coverage_map_agrees_with_the_line_of_sight() -> None:
    """A target at the map's visible height (plus a margin) is in line of sight; below it (minus a margin), it
    is masked -- the radial running maximum (samples every 50 m) against the per-target profile test (every
    25 m). The two sample the bilinear terrain at different points, and a crest missed by a few metres is
    magnified at the target by its distance over the crest's: the margin is 3 m + 5 % of the height."""
    from airpicture.sensors.look_geometry import look_geometry
    from airpicture.sensors.placement import antenna_height_m, radar_geometry
    from airpicture.terrain.coverage import coverage_map, polar_coverage
    from airpicture.terrain.los import line_of_sight

    sc = with_terrain_altitudes(parse_scenario(teaching_with(SYNTHETIC), "t"))
    grid = terrain_grid(sc)
    frame = frame_of(sc)
    r = sc.sensors[0]
    geo, h1 = radar_geometry(r, frame), antenna_height_m(r, frame)
    cov = polar_coverage(grid, geo, h1, frame.earth_radius_m, r.refraction_k, 60e3, 50.0, n_az=3600)
    # targets exactly on radials and samples, so the map's nearest-cell look-up is exact
    rng = np.random.default_rng(5)
    ia = rng.integers(0, 3600, 400)
    js = rng.integers(5, cov.range_m.size, 400)
    from airpicture.terrain.coverage import radial_points

    e, n = radial_points(geo, frame.earth_radius_m, cov.azimuth_rad[ia], cov.range_m)
    e, n = e[np.arange(400), js], n[np.arange(400), js]
    vis = coverage_map(cov, geo, frame.earth_radius_m, e, n)
    assert np.allclose(vis, cov.visible_height_m[ia, js])
    finite = np.isfinite(vis) & (vis < 5000.0)
    ground = grid.height_at(e, n)
    for sign, expect in ((+1.0, True), (-1.0, False)):
        h = ground + vis + sign * (3.0 + 0.05 * vis)
        ok = finite & (h >= 0.0) & ((vis > 3.0) | (sign > 0))
        state = np.column_stack([e, n, frame.up_from_height(e, n, h), np.zeros((400, 3))])[ok]
        look = look_geometry(state, geo, frame.earth_radius_m)
        clear = line_of_sight(grid, geo.position, h1, frame.earth_radius_m, r.refraction_k, state, look.height_m,
                              look.ground_angle_rad, 25.0)
        assert ok.sum() > 50
        assert np.mean(clear == expect) >= 0.99, (sign, np.mean(clear == expect))
    assert math.isclose(float(vis.min()), 0.0)


def test_first_visibility_with_terrain_matches_testing_every_sample() -> None:
    """The decision log tests the terrain only until each target's first unmasked sample; the first visibility
    and what hid each target are the same as when every sample is tested (a plain reference)."""
    from airpicture.decisions.visibility import HIDDEN, first_visibility, flags
    from airpicture.sensors.look_geometry import look_geometry
    from airpicture.sensors.placement import antenna_height_m, radar_geometry
    from airpicture.terrain.los import line_of_sight

    data = teaching_with(SYNTHETIC)
    data["sensors"][0]["e_m"] = 5000.0
    data["sensors"].append({**data["sensors"][0], "id": 2, "e_m": -20000.0, "n_m": 10000.0})
    sc = with_terrain_altitudes(parse_scenario(data, "t"))
    grid, frame = terrain_grid(sc), frame_of(sc)
    truth = generate_truth(sc)
    got = first_visibility(list(sc.sensors), frame, truth, terrain=grid, step_m=100.0)
    # reference: every sample, every radar, all four conditions
    s = truth.samples
    vis, cond = [], []
    for r in sc.sensors:
        c_range, c_elev, c_horizon, _ = flags(r, frame, s.x)
        geo = radar_geometry(r, frame)
        look = look_geometry(s.x, geo, frame.earth_radius_m)
        clear = line_of_sight(grid, geo.position, antenna_height_m(r, frame), frame.earth_radius_m, r.refraction_k,
                              s.x, look.height_m, look.ground_angle_rad, 100.0)
        cond.append((c_range, c_elev, c_horizon, clear))
        vis.append(c_range & c_elev & c_horizon & clear)
    any_vis = np.any(vis, axis=0)
    masked_some = False
    for t in range(truth.n_targets):
        rows = np.flatnonzero(s.target_id == t)
        seen = rows[any_vis[rows]]
        if seen.size == 0:
            assert math.isinf(got.first_visible_s[t])
            continue
        j = seen[0]
        assert got.first_visible_s[t] == s.time_s[j]
        k = int(np.argmax([v[j] for v in vis]))
        assert got.sensor_id[t] == sc.sensors[k].id
        if j > rows[0]:
            c_range, c_elev, c_horizon, clear = (c[j - 1] for c in cond[k])
            expect = (HIDDEN[0] if not c_horizon else HIDDEN[1] if not c_range else HIDDEN[2] if not c_elev
                      else HIDDEN[3] if not clear else "")
            assert got.hidden[t] == expect
            masked_some |= expect == HIDDEN[3]
    assert masked_some


def test_oversized_synthetic_relief_is_refused() -> None:
    with pytest.raises(InputError, match=r"terrain.*nodes; expected at most"):
        parse_scenario(teaching_with({**SYNTHETIC, "extent_m": 400e3, "cell_m": 20.0}), "x.toml")
