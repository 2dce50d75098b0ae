"""``airpicture.outputs`` is the one declaration of the output tables: every table a run or ``airpicture track``
writes has exactly its schema, the report reads only declared columns of the declared types, and the README's
table of files lists the declared tables."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from airpicture.api import TABLE_NAMES
from airpicture.outputs import TABLES
from airpicture.report.load import OPTIONAL_TABLES, REQUIRED_TABLES, SCHEMAS
from tests.conftest import ROOT, run_cli
from tests.sweep_support import write_tiny


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("outputs")
    out = d / "run"
    r = run_cli("run", str(write_tiny(d)), "--out", str(out), "--quiet", "--no-report")
    assert r.returncode == 0, r.stderr
    return out


def test_a_run_writes_every_declared_table_with_its_schema(run_folder: Path) -> None:
    written = sorted(p.stem for p in run_folder.glob("*.parquet"))
    assert written == sorted(name for name, table in TABLES.items() if not table.optional)
    for name, table in TABLES.items():
        if not table.optional:
            assert pq.read_schema(run_folder / table.file).remove_metadata() == table.schema, name


def test_track_writes_the_runs_picture_schema(run_folder: Path, tmp_path: Path) -> None:
    """Track the run's own detections: tracks.parquet and picture.parquet have the run's schemas."""
    import tomli_w

    from airpicture.scenario import load_scenario

    scenario = load_scenario(run_folder / "scenario.toml")
    dump = scenario.model_dump(mode="json", exclude_none=True)
    sensors = tmp_path / "sensors.toml"
    sensors.write_bytes(tomli_w.dumps({"site": dump["site"], "sensors": dump["sensors"]}).encode())
    out = tmp_path / "track"
    r = run_cli("track", str(run_folder / "detections.parquet"), "--sensor", str(sensors), "--out", str(out),
                "--picture-period", "2", "--quiet")
    assert r.returncode == 0, r.stderr
    for name in ("tracks", "picture"):
        assert pq.read_schema(out / f"{name}.parquet").remove_metadata() == TABLES[name].schema, name
        assert pq.read_schema(out / f"{name}.parquet").remove_metadata() == \
            pq.read_schema(run_folder / f"{name}.parquet").remove_metadata()
    assert pq.read_table(out / "picture.parquet").num_rows > 0


_KINDS = {"f": pa.types.is_floating, "i": pa.types.is_integer, "b": pa.types.is_boolean, "s": pa.types.is_string}


def test_the_report_reads_declared_columns_only() -> None:
    # terrain.parquet is read by the report's terrain section (report/terrain.py), not by report/load.py
    assert sorted(REQUIRED_TABLES + OPTIONAL_TABLES) == sorted(name for name in TABLES if name != "terrain")
    for name, cols in SCHEMAS.items():
        declared = {c.name: c.type for c in TABLES[name].columns}
        for c in cols:
            assert c.name in declared, f"{name}.{c.name} is read by the report but not declared"
            t = declared[c.name]
            # the report reads some integer counts as floats (NaN where missing)
            assert _KINDS[c.kind](t) or (c.kind == "f" and pa.types.is_integer(t)), f"{name}.{c.name}: {t}"


def test_readme_lists_the_declared_tables_in_order() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([a-z_]+)\.parquet` \|", text, flags=re.M)
    assert listed == list(TABLES)
    assert TABLE_NAMES == tuple(TABLES)


def test_every_column_has_a_meaning_and_a_unit_matching_its_name() -> None:
    suffix_units = {"_s": "s", "_m": "m", "_mps": "m/s", "_m2": "m^2", "_deg": "deg", "_db": "dB"}
    for table in TABLES.values():
        assert table.row
        names = [c.name for c in table.columns]
        assert len(set(names)) == len(names)
        for c in table.columns:
            assert c.meaning, f"{table.name}.{c.name}"
            for suffix, unit in suffix_units.items():
                if c.name.endswith(suffix):
                    assert c.unit == unit, f"{table.name}.{c.name}: unit {c.unit!r}"
