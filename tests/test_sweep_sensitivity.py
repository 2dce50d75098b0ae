"""Sensitivity sweeps: the Saltelli design and its mapping onto field values, Sobol' indices through the real
sweep path, the index wiring against the Ishigami function's analytic indices and SALib itself, validation
errors, resuming."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.engine import run_scenario
from airpicture.errors import InputError
from airpicture.sweep import DaskCluster, InProcess, LocalProcesses, load_sweep, run_sweep
from airpicture.sweep.outputs import BY_KIND, COMMON_OUTPUTS
from airpicture.sweep.sensitivity import Parameter, SensitivityDesign, unit_sample
from airpicture.sweep.sobol import analyse_output
from airpicture.sweep.store import ROWS_DIR, check_folder
from airpicture.sweep.worker import ARRIVAL_COLUMNS, flatten_summary
from tests.sweep_support import without_wall_time, write_tiny

#: Parameters of the test sweep: only the raid size changes the number of threats; the reload time (no reload
#: happens in five seconds), the range-rate noise (the radar measures no range rate) and the kind assumed for
#: unknown tracks (none is engaged in five seconds) change nothing at all.
PARAMETERS = {
    "raids[0].count": {"min": 1, "max": 6},
    "batteries[0].reload_time_s": {"min": 100.0, "max": 900.0},
    "sensors[0].range_rate_sigma_mps": {"min": 0.5, "max": 5.0, "distribution": "log_uniform"},
    "batteries[0].unknown_kind": {"choices": ["aircraft", "drone"]},
}


def sens_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "tiny-sensitivity",
        "scenario": "tiny.toml",
        "seed": 3,
        "seeds_per_point": 1,
        "common_random_numbers": True,
        "fixed": {"duration_s": 5.0},
        "sensitivity": {"samples": 32, "outputs": ["targets.threats", "engagement.threats"],
                        "parameters": PARAMETERS},
    }
    sens = changes.pop("sensitivity", {})
    data.update(changes)
    data["sensitivity"] = {**data["sensitivity"], **sens}
    return data


def write_sens(folder: Path, name: str = "sens.toml", **changes: Any) -> Path:
    write_tiny(folder)
    path = folder / name
    path.write_bytes(tomli_w.dumps(sens_data(**changes)).encode())
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sens")
    plan = load_sweep(write_sens(folder))
    result = run_sweep(plan, folder / "out", InProcess())
    return plan, result


# ------------------------------------------------------------------------------------------------ the design
def test_plan_is_saltellis_design_mapped_onto_the_fields(finished):
    plan, _ = finished
    d = len(PARAMETERS)
    assert len(plan.points) == 32 * (d + 2) and plan.grid_paths == tuple(PARAMETERS)
    unit = plan.sensitivity.unit
    assert unit.shape == (32 * (d + 2), d)
    blocks = unit.reshape(32, d + 2, d)
    a, b = blocks[:, 0], blocks[:, -1]
    for i in range(d):  # AB_i: A with column i taken from B
        expected = a.copy()
        expected[:, i] = b[:, i]
        np.testing.assert_array_equal(blocks[:, 1 + i], expected)
    for gp in plan.points:
        v = gp.values
        assert isinstance(v["raids[0].count"], int) and 1 <= v["raids[0].count"] <= 6
        assert gp.scenario.raids[0].count == v["raids[0].count"]
        assert 100.0 <= v["batteries[0].reload_time_s"] <= 900.0
        assert 0.5 <= v["sensors[0].range_rate_sigma_mps"] <= 5.0
        assert gp.scenario.batteries[0].unknown_kind == v["batteries[0].unknown_kind"]
        assert gp.scenario.duration_s == 5.0


@settings(max_examples=50, deadline=None)
@given(lo=st.integers(-50, 50), width=st.integers(0, 40), u=st.lists(st.floats(0.0, 1.0, exclude_max=True),
                                                                          min_size=1, max_size=20))
def test_integer_mapping_is_equally_likely_integers(lo, width, u):
    hi = lo + width
    p = Parameter("x", "integer", float(lo), float(hi))
    values = p.values(np.array(u))
    assert all(isinstance(v, int) and lo <= v <= hi for v in values)
    # each integer owns an equal share of the unit interval: u in [k/(n), (k+1)/n) -> lo + k
    n = width + 1
    assert values == [lo + min(math.floor(x * n), width) for x in u]


def test_log_uniform_and_choice_mappings():
    u = np.array([0.0, 0.5, 0.999999])
    np.testing.assert_allclose(Parameter("x", "log_uniform", 1e-7, 1e-5).values(u), [1e-7, 1e-6, 1e-5], rtol=1e-4)
    assert Parameter("x", "choice", choices=("a", "b", "c")).values(np.array([0.0, 0.34, 0.67, 0.99])) == \
        ["a", "b", "c", "c"]
    # log-uniform integers 1..9: P(k) = log((k+1)/k) / log(10) -- Benford's law
    u = (np.arange(100_000) + 0.5) / 100_000
    k = np.array(Parameter("x", "log_integer", 1.0, 9.0).values(u))
    share = np.bincount(k, minlength=10)[1:] / k.size
    np.testing.assert_allclose(share, np.log10(1 + 1 / np.arange(1, 10)), atol=1e-4)


def test_a_larger_sample_extends_the_same_points():
    small, large = unit_sample(4, 16, 9), unit_sample(4, 64, 9)
    np.testing.assert_array_equal(small, large[: small.shape[0]])
    assert not np.array_equal(small, unit_sample(4, 16, 10)[: small.shape[0]])


# ------------------------------------------------------------------------------------- the real sweep path
def test_only_the_parameter_that_matters_has_an_index(finished):
    plan, result = finished
    assert result.failed == 0 and result.ran == len(plan.points)
    table = pq.read_table(result.folder / "sobol.parquet").to_pylist()
    for output in ("targets.threats", "engagement.threats"):
        rows = [r for r in table if r["output"] == output]
        assert [r["rank"] for r in rows] == [1, 2, 3, 4] and rows[0]["parameter"] == "raids[0].count"
        top = rows[0]
        assert 0.8 < top["ST"] < 1.2 and 0.8 < top["S1"] < 1.2, top
        assert top["ST_low"] <= top["ST"] <= top["ST_high"] and top["ST_low"] > 0.3
        for r in rows[1:]:  # a parameter that changes nothing has no index at all, interval included
            assert r["ST"] == r["S1"] == r["ST_low"] == r["ST_high"] == 0.0, r
        assert all(r["samples_used"] == 32 for r in rows)
    meta = json.loads((result.folder / "sweep.json").read_text())
    summary = meta["sensitivity_results"]
    assert summary["samples"] == 32 and summary["runs"] == summary["runs_ok"] == len(plan.points)
    ranking = summary["outputs"]["targets.threats"]["ranking"]
    assert ranking[0]["parameter"] == "raids[0].count" and ranking[0]["ST"] == pytest.approx(table[0]["ST"])
    assert summary["parameters"]["raids[0].count"] == {"distribution": "integer", "min": 1, "max": 6}
    assert {p.name for p in result.figures} == {"sobol.parquet", "sobol.html", "sobol.png"}
    assert (result.folder / "figures" / "sobol.png").stat().st_size > 10_000


def test_rows_hold_the_sampled_values(finished):
    plan, result = finished
    rows = result.table.to_pylist()
    for row in rows[::17]:
        gp = plan.points[row["point"]]
        for path in plan.grid_paths:
            assert row[path] == gp.values[path]
        assert row["targets.threats"] == gp.values["raids[0].count"] + 1  # one drone besides the raid


@pytest.mark.parametrize("make_backend", [lambda: LocalProcesses(2),
                                          lambda: DaskCluster("local", workers=2, processes=False)],
                         ids=["local-processes", "dask"])
def test_other_backends_give_the_same_rows(finished, tmp_path, make_backend):
    """Eight base samples on two workers: the same rows as the first eight of the in-process sweep."""
    plan, result = finished
    small = load_sweep(write_sens(tmp_path, sensitivity={"samples": 8}))
    backend = make_backend()
    try:
        other = run_sweep(small, tmp_path / "out", backend)
    finally:
        backend.close()
    head = result.table.slice(0, len(small.points))
    assert without_wall_time(other.table).equals(without_wall_time(head))
    assert pq.read_table(tmp_path / "out" / "sobol.parquet").column("samples_used").to_pylist()[0] == 8


# ------------------------------------------------------------------------------ index wiring (Ishigami)
def _ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def _ishigami_design(samples: int, seed: int = 5) -> tuple[SensitivityDesign, np.ndarray]:
    params = tuple(Parameter(f"x{i}", "uniform", -math.pi, math.pi) for i in range(3))
    unit = unit_sample(3, samples, seed)
    x = np.column_stack([p.values(unit[:, i]) for i, p in enumerate(params)])
    return SensitivityDesign(params, samples, unit, ("y",), 0.95, 200, 17), _ishigami(x)


def test_ishigami_indices_match_the_analytic_values():
    """Analytic indices of Ishigami's function (a = 7, b = 0.1; Sobol' and Levitan 1999): V = a^2/8 +
    b pi^4/5 + b^2 pi^8/18 + 1/2, V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V13 = 8 b^2 pi^8/225."""
    a, b, pi = 7.0, 0.1, math.pi
    v = a * a / 8 + b * pi**4 / 5 + b * b * pi**8 / 18 + 0.5
    v1, v2, v13 = (1 + b * pi**4 / 5) ** 2 / 2, a * a / 8, 8 * b * b * pi**8 / 225
    s1 = np.array([v1, v2, 0.0]) / v
    st_ = np.array([v1 + v13, v2, v13]) / v
    design, y = _ishigami_design(4096)
    used, e_s1, s1_lo, s1_hi, e_st, st_lo, st_hi, note = analyse_output(design, y)
    assert used == 4096 and note == ""
    np.testing.assert_allclose(e_s1, s1, atol=0.03)
    np.testing.assert_allclose(e_st, st_, atol=0.03)
    assert np.all(s1_lo <= s1_hi) and np.all(st_lo <= st_hi)
    assert np.all((st_lo - 0.02 <= st_) & (st_ <= st_hi + 0.02))


def test_incomplete_base_samples_are_left_out_exactly():
    from SALib.analyze import sobol

    design, y = _ishigami_design(64)
    y = y.copy()
    y[5 * design.block + 2] = np.nan  # one run of base sample 5 failed
    used, s1, _, _, st_, _, _, note = analyse_output(design, y)
    keep = np.delete(y.reshape(64, design.block), 5, axis=0).ravel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sobol.analyze(design.problem(), keep, calc_second_order=False, num_resamples=10, seed=1)
    assert used == 63 and "1 base samples left out" in note
    np.testing.assert_allclose(s1, ref["S1"], rtol=1e-12)
    np.testing.assert_allclose(st_, ref["ST"], rtol=1e-12)


def test_constant_output_has_no_indices():
    design, y = _ishigami_design(16)
    used, s1, *_, note = analyse_output(design, np.ones_like(y))
    assert used == 16 and np.all(np.isnan(s1)) and "no variance" in note


# ------------------------------------------------------------------------------------------ resuming
def test_resuming_runs_only_the_missing_rows_and_more_samples_extend_the_folder(tmp_path, finished):
    plan, result = finished
    folder = tmp_path / "out"
    small = load_sweep(write_sens(tmp_path, sensitivity={"samples": 16}))
    assert small.spec_hash == plan.spec_hash  # N is not part of what decides the rows
    first = run_sweep(small, folder, InProcess(), figures=False)
    assert first.ran == len(small.points) == 16 * 6
    for p in sorted((folder / ROWS_DIR).iterdir())[:7]:  # as if the sweep had been killed before these rows
        p.unlink()
    again = run_sweep(small, folder, InProcess(), figures=False)
    assert again.ran == 7 and again.resumed == len(small.points) - 7
    full = run_sweep(plan, folder, InProcess(), figures=False)
    assert full.resumed == 16 * 6 and full.ran == 16 * 6
    assert without_wall_time(full.table).equals(without_wall_time(result.table))
    assert (folder / "sobol.parquet").read_bytes() == (result.folder / "sobol.parquet").read_bytes()
    changed = load_sweep(write_sens(tmp_path, sensitivity={"parameters": {**PARAMETERS,
                                                                          "raids[0].count": {"min": 1, "max": 7}}}))
    with pytest.raises(InputError, match="different sweep spec"):
        check_folder(folder, changed)


def test_known_outputs_are_columns_of_real_rows(tmp_path):
    scenario = load_sweep(write_sens(tmp_path)).base
    run = run_scenario(scenario.model_copy(update={"duration_s": 60.0}), keep=("events",))
    columns = set(flatten_summary(run.summary)) | set(ARRIVAL_COLUMNS)
    assert set(COMMON_OUTPUTS) <= columns, set(COMMON_OUTPUTS) - columns
    assert {"targets.by_kind.cruise_missile", "targets.by_kind.drone"} == {c for c in columns if "by_kind" in c}
    assert "targets.by_kind.cruise_missile" in BY_KIND


def test_builtin_study_is_about_500_runs_of_the_teaching_scenario():
    plan = load_sweep("sensitivity")
    assert plan.base.name == "teaching" and plan.sensitivity is not None
    assert 480 <= plan.n_runs <= 520
    assert "engagement.leakers" in plan.sensitivity.outputs


# ---------------------------------------------------------------------------------------------- bad input
def _error(tmp_path: Path, **changes: Any) -> str:
    path = write_sens(tmp_path, **changes)
    with pytest.raises(InputError) as info:
        load_sweep(path)
    text = info.value.render()
    assert str(path) in text
    return text


def _params(**extra: Any) -> dict[str, Any]:
    return {"sensitivity": {"parameters": {"raids[0].count": {"min": 1, "max": 4}, **extra}}}


@pytest.mark.parametrize("extra, where, expected", [
    ({"raids[0].cont": {"min": 1, "max": 2}}, 'sensitivity.parameters."raids[0].cont"', "did you mean 'count'"),
    ({"raids[5].count": {"min": 1, "max": 2}}, 'sensitivity.parameters."raids[5].count"', "does not exist"),
    ({"batteries[0].pk.drone": {"min": 0.5, "max": 1.5}}, 'sensitivity.parameters."batteries[0].pk.drone".max',
     "value 1.5 is not accepted"),
    ({"raids[1].count": {"min": 1, "max": 2.5}}, 'sensitivity.parameters."raids[1].count"', "whole-number"),
    ({"batteries[0].doctrine": {"min": 1, "max": 2}}, 'sensitivity.parameters."batteries[0].doctrine"',
     "give its values as choices"),
    ({"batteries[0].doctrine": {"choices": ["salvo", "spray"]}},
     'sensitivity.parameters."batteries[0].doctrine".choices[1]', "'spray'"),
    ({"sensors[0].pfa": {"min": 1e-5, "max": 1e-6}}, 'sensitivity.parameters."sensors[0].pfa"', "min < max"),
    ({"sensors[0].pfa": {"min": 0.0, "max": 1e-6, "distribution": "log_uniform"}},
     'sensitivity.parameters."sensors[0].pfa"', "log_uniform needs min > 0"),
    ({"sensors[0].pfa": {"max": 1e-6}}, 'sensitivity.parameters."sensors[0].pfa"', "expected min and max"),
    ({"raids[0]": {"choices": [{}, {}]}}, 'sensitivity.parameters."raids[0]"', "overlaps"),
    ({"seed": {"min": 1, "max": 2}}, 'sensitivity.parameters."seed"', "run seeds derive"),
])
def test_bad_parameters_are_named(tmp_path, extra, where, expected):
    text = _error(tmp_path, **_params(**extra))
    assert where in text and expected in text, text


@pytest.mark.parametrize("changes, expected", [
    ({"sensitivity": {"samples": 48}}, "sensitivity.samples: expected a power of 2 (the balance of Sobol' points "
                                       "needs it), e.g. 32 or 64"),
    ({"sensitivity": {"outputs": ["engagement.leakers", "engagement.leaker"]}},
     "sensitivity.outputs[1]: 'engagement.leaker' is not a numeric column of the sweep rows; did you mean "
     "'engagement.leakers'"),
    ({"sensitivity": {"parameters": {}}}, "sensitivity.parameters: no parameters"),
    ({"sensitivity": {"confidence": 1.5}}, "sensitivity.confidence"),
    ({"grid": {"raids[0].count": [1, 2]}}, "sensitivity: give either a [grid] of values or a [sensitivity] table"),
    ({"figures": {"x": "raids[0].count"}}, "figures.x: a sensitivity sweep draws its own ranked figure"),
    ({"sensitivity": {"fill": {"engagement.leakers": 0.0}}},
     "sensitivity.fill: 'engagement.leakers' is not one of the outputs (targets.threats, engagement.threats)"),
    ({"fixed": {"duration_s": 5.0, "raids[0].count": 2}}, 'overlaps fixed."raids[0].count"'),
])
def test_other_sensitivity_mistakes(tmp_path, changes, expected):
    assert expected in _error(tmp_path, **changes)


def test_a_sweep_file_with_neither_grid_nor_sensitivity(tmp_path):
    data = sens_data()
    del data["sensitivity"]
    write_tiny(tmp_path)
    path = tmp_path / "s.toml"
    path.write_bytes(tomli_w.dumps(data).encode())
    with pytest.raises(InputError, match=r"grid: required field is missing \(or give a \[sensitivity\] table"):
        load_sweep(path)


def test_cli_bad_sensitivity_exits_2_and_writes_nothing(tmp_path, cli):
    path = write_sens(tmp_path, **_params(**{"batteries[0].pk.drone": {"min": 0.5, "max": 1.5}}))
    out = tmp_path / "out"
    res = cli("sweep", str(path), "--out", str(out), "--quiet")
    assert res.returncode == 2, res.stderr
    err = " ".join(res.stderr.split())
    assert "Traceback" not in err and str(path) in err
    assert 'sensitivity.parameters."batteries[0].pk.drone".max: value 1.5 is not accepted' in err
    assert not out.exists()
    res = cli("validate", str(path))
    assert res.returncode == 2 and "value 1.5 is not accepted" in " ".join(res.stderr.split())


def test_point_outputs_average_replications_fill_undefined_runs_and_estimate_the_noise(finished):
    import dataclasses

    import pyarrow as pa

    from airpicture.sweep.sobol import point_outputs

    plan, _ = finished
    n = len(plan.points)
    two = dataclasses.replace(plan, spec=plan.spec.model_copy(update={"seeds_per_point": 2}),
                              sensitivity=dataclasses.replace(plan.sensitivity, fill=(("y", 7.0),)))
    level = np.arange(n, dtype=float)  # the point means: 0, 1, ..., n - 1
    point = np.repeat(np.arange(n), 2)
    y = level[point] + np.tile([-0.5, 0.5], n)  # replication noise: variance 0.5 within every point
    y[[2, 3]] = np.nan  # point 1: both runs leave the output undefined -> filled with 7
    error = [None] * (2 * n)
    error[4] = "ValueError: boom"  # point 2, first run failed: only its second run counts
    table = pa.table({"point": pa.array(point, pa.int64()), "y": pa.array(y), "error": pa.array(error, pa.string())})
    means, noise = point_outputs(two, table, "y")
    expected = level.copy()
    expected[1], expected[2] = 7.0, 2.5
    np.testing.assert_allclose(means, expected)
    within = 0.5 * (n - 2) / (n - 1)  # point 1 (filled, no spread) has none; point 2 has one run only
    reps = 2.0
    assert noise == pytest.approx(within / reps / np.var(expected, ddof=1))
    plain, none = point_outputs(plan, table, "y")  # no fill, one replication: NaN, and no noise estimate
    assert np.isnan(plain[1]) and none is None


def test_cli_runs_a_sensitivity_sweep_and_validate_describes_it(tmp_path, cli):
    path = write_sens(tmp_path, sensitivity={"samples": 4})
    res = cli("validate", str(path))
    assert res.returncode == 0, res.stderr
    assert "24 sample points x 1 seeds = 24 runs of 'tiny'" in " ".join(res.stdout.split())
    out = tmp_path / "out"
    res = cli("sweep", str(path), "--out", str(out), "--workers", "1")
    assert res.returncode == 0, res.stderr
    text = " ".join(res.stdout.split())
    assert "24 runs (0 already done, 24 run now" in text and f"table: {out / 'sobol.parquet'}" in text
    assert "24 sample points (Saltelli)" in " ".join(res.stderr.split())
    ranked = pq.read_table(out / "sobol.parquet").to_pylist()
    assert ranked[0]["output"] == "targets.threats" and ranked[0]["parameter"] == "raids[0].count"
    assert json.loads((out / "sweep.json").read_text())["sensitivity_results"]["samples"] == 4
    res = cli("sweep", str(path), "--out", str(out), "--workers", "1")  # again: everything resumed
    assert res.returncode == 0 and "24 already done, 0 run now" in " ".join(res.stdout.split())
