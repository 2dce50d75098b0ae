"""Tables written as the run goes: streamed files equal whole-table files byte for byte, however the rows came;
the track history drained window by window equals the history kept whole; the work estimate counts what a run
holds."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.budget import estimate_run, parse_size
from airpicture.engine import run_into, run_scenario, write_run
from airpicture.errors import InputError
from airpicture.folders import staged
from airpicture.identity import TrackFollowing
from airpicture.scenario import builtin_names, load_scenario
from airpicture.streams import MemoryStream, ParquetStream
from airpicture.tracking.history import History
from airpicture.truth import generate_truth


def _table(n: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({"time_s": np.sort(rng.uniform(0, 100, n)), "id": rng.integers(0, 50, n),
                     "kind": pa.array(rng.choice(["a", "bb", "ccc"], n).tolist(), pa.string()),
                     "x": rng.normal(size=n)})


@settings(max_examples=25, derandomize=True, database=None, deadline=None)
@given(cuts=st.lists(st.integers(0, 5000), max_size=12))
def test_a_streamed_file_does_not_depend_on_how_the_rows_came(tmp_path_factory, cuts) -> None:
    table = _table(5000)
    folder = tmp_path_factory.mktemp("streams")
    whole = ParquetStream(folder / "whole.parquet", row_group_rows=700)
    whole.append(table)
    whole.close()
    pieces = ParquetStream(folder / "pieces.parquet", row_group_rows=700)
    bounds = [0, *sorted(cuts), 5000]
    for a, b in itertools.pairwise(bounds):
        pieces.append(table.slice(a, b - a))
    pieces.close()
    assert (folder / "whole.parquet").read_bytes() == (folder / "pieces.parquet").read_bytes()
    back = pq.ParquetFile(folder / "pieces.parquet")
    assert back.read().equals(table)
    assert [back.metadata.row_group(i).num_rows for i in range(back.num_row_groups)] == [700] * 7 + [100]


def test_an_empty_stream_still_writes_its_columns(tmp_path) -> None:
    stream = ParquetStream(tmp_path / "t.parquet")
    stream.append(_table(0))
    stream.close()
    assert pq.read_table(tmp_path / "t.parquet").column_names == ["time_s", "id", "kind", "x"]
    memory = MemoryStream()
    memory.append(_table(3))
    memory.append(_table(2, seed=1))
    assert memory.close().num_rows == 5


def _history_rows(rng: np.random.Generator, n_calls: int) -> list[tuple]:
    """Calls of History.add whose times never fall more than one window (1 s) behind the window being
    processed, as the tracker's events do."""
    calls = []
    for k in range(n_calls):
        window = k // 4
        n = int(rng.integers(0, 6))
        t = window + rng.uniform(-1.0, 1.0, n).clip(-1.0, 0.999) if rng.random() < 0.7 else float(window + 0.5)
        calls.append((t, rng.integers(0, 30, n), rng.integers(0, 3, n) if rng.random() < 0.5 else 1,
                      ["start", "update", "confirm", "deleted_misses"][k % 4], rng.integers(-1, 3, n),
                      rng.normal(size=(n, 6)), rng.normal(size=(n, 3, 3)), rng.normal(size=n)))
    return calls


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_history_drained_window_by_window_equals_the_whole_table(seed) -> None:
    calls = _history_rows(np.random.default_rng(seed), 200)
    whole, drained = History(), History()
    pieces = []
    for k, call in enumerate(calls):
        whole.add(*call)
        drained.add(*call)
        window = k // 4
        if k % 4 == 3 and window >= 2:
            pieces.append(drained.drain(window - 1.0))  # the window before last can still gain rows
    pieces.append(drained.table())
    assert pa.concat_tables(pieces).equals(whole.table())
    with pytest.raises(RuntimeError, match="drained"):
        drained.add(0.0, np.array([1]), 1, "update", 1, np.zeros((1, 6)), np.zeros((1, 3, 3)), np.zeros(1))


def test_deleted_tracks_keep_their_target_once_their_counts_are_dropped() -> None:
    f = TrackFollowing()
    f.add(np.array([1, 1, 2, 3, 3, 3, 4]), np.array([7, 7, 8, -1, 9, 9, -1]))
    f.retain(np.array([1, 3]))
    assert len(f) == 2  # counts kept for the live tracks only
    f.add(np.array([1, 1, 1]), np.array([5, 5, 5]))
    f.retain(np.array([3]))
    assert f.followed(np.array([1, 2, 3, 4, 99])).tolist() == [5, 8, 9, -1, -1]


def test_first_visibility_does_not_depend_on_its_blocks() -> None:
    from airpicture.decisions.visibility import first_visibility
    from airpicture.truth import frame_of

    sc = load_scenario("default")
    truth = generate_truth(sc)
    whole = first_visibility(list(sc.sensors), frame_of(sc), truth, block_samples=1 << 40)
    blocks = first_visibility(list(sc.sensors), frame_of(sc), truth, block_samples=997)
    for name in ("first_visible_s", "sensor_id", "range_m", "hidden"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(blocks, name))
    assert np.isfinite(whole.first_visible_s).sum() > 100


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("capacity", [None, 2])
def test_a_streamed_run_writes_the_same_bytes_as_a_run_kept_in_memory(tmp_path, capacity) -> None:
    sc = load_scenario("teaching")
    if capacity is not None:  # refusals at capacity: the decision log reads more of the track history
        sc = sc.model_copy(update={"tracker": sc.tracker.model_copy(update={"capacity": capacity})})
    write_run(run_scenario(sc), tmp_path / "memory")
    run_into(sc, staged(tmp_path / "streamed", "run"))
    memory, streamed = _digests(tmp_path / "memory"), _digests(tmp_path / "streamed")
    assert memory.keys() == streamed.keys() >= {"truth.parquet", "tracks.parquet", "picture.parquet",
                                                "detections.parquet", "report.html", "manifest.json"}
    assert memory == streamed


def test_a_sweep_run_keeps_only_the_tables_asked_for() -> None:
    result = run_scenario(load_scenario("teaching"), keep=("events",))
    assert set(result.tables) == {"events"} and result.summary["tracking"]["epochs"] == 300


@pytest.mark.parametrize("text, expected", [("8GB", 8e9), ("512MiB", 512 * 2**20), ("2e9", 2e9), ("1.5 g", 1.5e9),
                                            ("100mb", 1e8)])
def test_sizes(text, expected) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["lots", "8XB", "-1GB", "0", "", "1kB"])
def test_bad_sizes(text) -> None:
    with pytest.raises(InputError, match="--max-memory"):
        parse_size(text)


@pytest.mark.parametrize("name", builtin_names())
def test_the_estimate_counts_the_truth_samples_of_every_builtin(name) -> None:
    sc = load_scenario(name)
    est = estimate_run(sc)
    (samples,) = [p for p in est.parts if p.name == "truth samples"]
    actual = len(generate_truth(sc).samples)
    assert 0.85 * actual <= samples.count <= 1.6 * actual, (samples.count, actual)
    assert est.peak_bytes < 2e9 and est.phases.keys() >= {"truth", "time loop", "report"}
