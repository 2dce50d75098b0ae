"""Running sweeps: rows, determinism across backends and worker counts, failures recorded, resuming."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import airpicture.sweep.worker as worker
from airpicture.engine import run_scenario
from airpicture.errors import InputError
from airpicture.io import write_parquet
from airpicture.sweep import DaskCluster, InProcess, LocalProcesses, load_sweep, run_sweep
from airpicture.sweep.store import ROWS_DIR, SweepStore
from airpicture.sweep.worker import flatten_summary
from tests.sweep_support import without_wall_time, write_sweep


def _bytes_without_wall_time(table: pa.Table, path) -> bytes:
    write_parquet(path, without_wall_time(table))
    return path.read_bytes()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tiny sweep run in this process: the reference every other way of running must reproduce."""
    folder = tmp_path_factory.mktemp("reference")
    plan = load_sweep(write_sweep(folder))
    result = run_sweep(plan, folder / "out", InProcess())
    return plan, result


def test_rows_hold_grid_values_seeds_and_the_flattened_summary(reference):
    plan, result = reference
    t = result.table
    assert len(t) == plan.n_runs == 12 and result.failed == 0 and result.ran == 12
    assert t.column_names[:5] == ["point", "replication", "seed", "raids[0].count", "batteries[0].doctrine"]
    assert t.column_names[-2:] == ["wall_time_s", "error"]
    rows = t.to_pylist()
    assert [(r["point"], r["replication"]) for r in rows] == [(p, r) for p in range(6) for r in range(2)]
    for row in rows[::5]:
        gp = plan.points[row["point"]]
        assert row["seed"] == plan.run_seed(row["point"], row["replication"])
        assert row["raids[0].count"] == gp.values["raids[0].count"]
        assert row["batteries[0].doctrine"] == gp.values["batteries[0].doctrine"]
        # an independent run of the same scenario and seed gives the same summary figures
        direct = flatten_summary(run_scenario(gp.scenario.model_copy(update={"seed": row["seed"]})).summary)
        for name, value in direct.items():
            if name in row and name != "seed":
                assert row[name] == value, name
        assert row["targets.by_kind.cruise_missile"] == gp.values["raids[0].count"]
    assert pq.read_table(result.table_path).equals(t)
    assert {p.suffix for p in result.figures} == {".html", ".png"}


def test_flatten_summary_keeps_numbers_only():
    summary = {"scenario": "x", "seed": 3, "targets": {"total": 5, "by_kind": {"drone": 2}},
               "engagement": {"leakers": 1, "first_saturation_s": None, "ok": True, "rate": 0.5, "ids": [1, 2]}}
    assert flatten_summary(summary) == {"seed": 3, "targets.total": 5, "targets.by_kind.drone": 2,
                                        "engagement.leakers": 1, "engagement.ok": True, "engagement.rate": 0.5}


def test_two_local_processes_give_the_same_rows(reference, tmp_path):
    plan, ref = reference
    backend = LocalProcesses(2)
    try:
        result = run_sweep(plan, tmp_path / "out", backend, figures=False)
    finally:
        backend.close()
    assert _bytes_without_wall_time(result.table, tmp_path / "a.parquet") == \
        _bytes_without_wall_time(ref.table, tmp_path / "b.parquet")


def test_dask_local_cluster_gives_the_same_rows(reference, tmp_path):
    plan, ref = reference
    backend = DaskCluster("local", workers=2, processes=False)
    try:
        result = run_sweep(plan, tmp_path / "out", backend, figures=False)
    finally:
        backend.close()
    assert without_wall_time(result.table).equals(without_wall_time(ref.table))


def test_unreachable_dask_address_is_an_input_error():
    with pytest.raises(InputError, match=r"cannot reach a Dask scheduler at 'tcp://127\.0\.0\.1:9'"):
        DaskCluster("tcp://127.0.0.1:9", timeout_s=0.5)


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(reference, tmp_path, monkeypatch):
    plan, ref = reference
    bad_seed = plan.run_seed(3, 1)
    real = worker.run_scenario

    def flaky(scenario, **kw):
        if scenario.seed == bad_seed:
            raise ZeroDivisionError("simulated failure")
        return real(scenario, **kw)

    monkeypatch.setattr(worker, "run_scenario", flaky)
    result = run_sweep(plan, tmp_path / "out", InProcess())
    assert result.failed == 1 and len(result.table) == 12
    rows = result.table.to_pylist()
    bad = [r for r in rows if r["error"] is not None]
    assert [(r["point"], r["replication"]) for r in bad] == [(3, 1)]
    assert bad[0]["error"].startswith("ZeroDivisionError: simulated failure (at ")
    assert bad[0]["targets.total"] is None
    good = without_wall_time(result.table).filter(pa.compute.is_null(result.table["error"]))
    keep = ~((ref.table["point"].to_numpy() == 3) & (ref.table["replication"].to_numpy() == 1))
    expected = without_wall_time(ref.table).filter(pa.array(keep))
    assert good.equals(expected)
    assert result.figures  # the other runs still make figures


def test_resume_runs_only_the_missing_rows(reference, tmp_path):
    plan, ref = reference
    out = tmp_path / "out"
    run_sweep(plan, out, InProcess(), figures=False)
    rows = sorted((out / ROWS_DIR).iterdir())
    for p in rows[::3]:
        p.unlink()
    (out / ROWS_DIR / ".p000000-r000000.parquet.tmp-99").write_bytes(b"half a file")
    rows[1].write_bytes(rows[1].read_bytes()[:100])  # as a system crash could leave it: re-run, not trusted
    again = run_sweep(plan, out, InProcess(), figures=False)
    assert again.ran == 5 and again.resumed == 7
    assert not list((out / ROWS_DIR).glob(".*tmp*"))
    assert without_wall_time(again.table).equals(without_wall_time(ref.table))
    done = run_sweep(plan, out, InProcess(), figures=False)
    assert done.ran == 0 and without_wall_time(done.table).equals(without_wall_time(ref.table))


def test_raising_seeds_per_point_adds_replications_like_a_fresh_sweep(reference, tmp_path):
    plan, ref = reference
    out = tmp_path / "out"
    run_sweep(plan, out, InProcess(), figures=False)
    bigger = load_sweep(write_sweep(tmp_path, seeds_per_point=3))
    extended = run_sweep(bigger, out, InProcess(), figures=False)
    assert extended.ran == 6
    fresh = run_sweep(bigger, tmp_path / "fresh", InProcess(), figures=False)
    assert without_wall_time(extended.table).equals(without_wall_time(fresh.table))
    # and lowering it again keeps only the planned replications in sweep.parquet
    smaller = run_sweep(plan, out, InProcess(), figures=False)
    assert smaller.ran == 0 and without_wall_time(smaller.table).equals(without_wall_time(ref.table))


def test_a_folder_of_another_sweep_is_refused_untouched(reference, tmp_path):
    plan, _ = reference
    out = tmp_path / "out"
    run_sweep(plan, out, InProcess(), figures=False)
    before = sorted(p.name for p in (out / ROWS_DIR).iterdir())
    other = load_sweep(write_sweep(tmp_path, seed=99))
    with pytest.raises(InputError, match="different sweep spec"):
        run_sweep(other, out, InProcess(), figures=False)
    assert sorted(p.name for p in (out / ROWS_DIR).iterdir()) == before
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a sweep folder"):
        run_sweep(plan, tmp_path / "junk", InProcess())


def test_one_sweep_at_a_time_per_folder(reference, tmp_path):
    plan, _ = reference
    with SweepStore.open(tmp_path / "out", plan), pytest.raises(InputError, match="another sweep is writing"):
        SweepStore.open(tmp_path / "out", plan)
    SweepStore.open(tmp_path / "out", plan).close()  # released
