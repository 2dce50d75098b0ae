"""The `run`, `validate` and `scenarios` commands, results folders, determinism."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from airpicture.engine import run_scenario, write_run
from airpicture.scenario import builtin_names, load_scenario
from tests.conftest import run_cli

REQUIRED_BUILTINS = {"default", "teaching", "saturation", "ballistic", "air-traffic"}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_run_writes_results_folder(tmp_path: Path) -> None:
    out = tmp_path / "r"
    res = run_cli("run", "teaching", "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    for name in ("truth.parquet", "targets.parquet", "scenario.toml", "summary.json"):
        assert (out / name).is_file(), name
    truth = pq.read_table(out / "truth.parquet")
    assert truth.column_names[:10] == ["time_s", "target_id", "kind", "hostile", "e_m", "n_m", "u_m", "ve_mps",
                                       "vn_mps", "vu_mps"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "teaching" and summary["targets"]["total"] == len(set(truth["target_id"].to_pylist()))
    # the resolved scenario re-runs
    again = load_scenario(out / "scenario.toml")
    assert again.seed == load_scenario("teaching").seed


def test_same_seed_byte_identical_different_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert run_cli("run", "teaching", "--out", str(a), "--quiet").returncode == 0
    assert run_cli("run", "teaching", "--out", str(b), "--quiet").returncode == 0
    assert run_cli("run", "teaching", "--out", str(c), "--quiet", "--seed", "99").returncode == 0
    da, db, dc = _digest(a), _digest(b), _digest(c)
    assert da == db
    assert da["truth.parquet"] != dc["truth.parquet"]


def test_default_run_dir_and_headline(tmp_path: Path) -> None:
    res = run_cli("run", "teaching", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("teaching-")
    assert str(runs[0].name) in res.stdout
    assert "threats" in res.stdout


def test_json_flag_prints_summary(tmp_path: Path) -> None:
    res = run_cli("run", "teaching", "--out", str(tmp_path / "j"), "--json")
    assert res.returncode == 0
    assert json.loads(res.stdout)["scenario"] == "teaching"


def test_existing_out_is_refused_then_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert run_cli("run", "teaching", "--out", str(out), "--quiet", "--no-report").returncode == 0
    first = json.loads((out / "manifest.json").read_text())
    assert first["tool"] == "airpicture" and first["kind"] == "run"
    res = run_cli("run", "teaching", "--out", str(out), "--quiet")
    assert res.returncode == 2 and "already exists" in res.stderr and "--overwrite" in res.stderr
    res = run_cli("run", "teaching", "--out", str(out), "--quiet", "--overwrite", "--seed", "5")
    assert res.returncode == 0, res.stderr
    assert json.loads((out / "summary.json").read_text())["seed"] == 5 and (out / "report.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no temporary left beside it


def test_failure_midway_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_scenario(load_scenario("teaching"))

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    import airpicture.engine as engine

    monkeypatch.setattr(engine, "write_json", boom)
    out = tmp_path / "r"
    with pytest.raises(RuntimeError):
        write_run(result, out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_builtin_scenarios_listed_and_valid() -> None:
    names = set(builtin_names())
    assert REQUIRED_BUILTINS <= names
    res = run_cli("scenarios")
    assert res.returncode == 0
    for name in REQUIRED_BUILTINS:
        assert name in res.stdout
    for name in names:
        assert run_cli("validate", name).returncode == 0


def test_default_scenario_has_public_capacities_and_big_mixed_raid() -> None:
    sc = load_scenario(None)
    assert sc.name == "default" and sc.duration_s >= 900
    b = sc.batteries[0]
    assert (b.track_capacity, b.fire_channels, b.max_in_flight) == (100, 6, 12)
    threats = sum(r.count for r in sc.raids)
    assert threats >= 150
    assert {r.kind for r in sc.raids} == {"aircraft", "cruise_missile", "drone", "ballistic_missile"}
    assert sum(c.count for c in sc.civil_traffic) + len(sc.replays) > 0


def test_usage_errors_exit_2_without_traceback() -> None:
    res = run_cli("run", "--bogus")
    assert res.returncode == 2 and "Traceback" not in res.stderr and "No such option" in res.stderr
    res = run_cli("run", "teaching", "--seed", "x")
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_schema_lists_every_section_with_descriptions() -> None:
    res = run_cli("schema")
    assert res.returncode == 0
    schema = json.loads(res.stdout)
    for section in ("site", "assets", "sensors", "batteries", "raids", "civil_traffic", "replays", "tracker"):
        assert section in schema["properties"]
    raid = schema["$defs"]["Raid"]["properties"]
    assert "description" in raid["speed_mps"] and "m/s" in raid["speed_mps"]["description"]


def test_every_command_has_help_with_examples() -> None:
    for cmd in ("run", "validate", "scenarios", "schema", "report", "sweep", "track"):
        res = run_cli(cmd, "--help")
        assert res.returncode == 0 and "Example" in res.stdout, cmd
