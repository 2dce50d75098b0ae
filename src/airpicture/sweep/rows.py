"""One sweep row: the run's keys, its grid values, its flattened summary, wall time and error, as a one-row
Parquet file. Encoded where the run executes (a worker process or a Dask worker), so the process collecting the
rows only writes bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

#: Columns every row has, besides the grid values and the flattened summary.
KEY_COLUMNS = ("point", "replication", "seed")
TAIL_COLUMNS = ("wall_time_s", "error")

#: One grid column of a row: (field path, value as stored, Arrow type).
GridCell = tuple[str, Any, pa.DataType]


def row_table(point: int, replication: int, seed: int, grid: Sequence[GridCell], summary: Mapping[str, Any],
              wall_time_s: float, error: str | None) -> pa.Table:
    """The one-row table of a finished run. Summary fields named like a key, tail or grid column are left out
    (the summary's own ``seed``, or a swept top-level field such as ``duration_s``, which the row already has)."""
    cols: dict[str, pa.Array] = {
        "point": pa.array([point], pa.int64()),
        "replication": pa.array([replication], pa.int64()),
        "seed": pa.array([seed], pa.int64()),
    }
    for path, cell, dtype in grid:
        cols[path] = pa.array([cell], dtype)
    reserved = {*KEY_COLUMNS, *TAIL_COLUMNS, *(path for path, _, _ in grid)}
    for name, value in summary.items():
        if name in reserved:
            continue
        dtype = pa.bool_() if isinstance(value, bool) else pa.int64() if isinstance(value, int) else pa.float64()
        cols[name] = pa.array([value], dtype)
    cols["wall_time_s"] = pa.array([wall_time_s], pa.float64())
    cols["error"] = pa.array([error], pa.string())
    return pa.table(cols)


def encode_row(table: pa.Table) -> bytes:
    """A row table as Parquet file bytes (uncompressed: a one-row file gains nothing from compression)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="none", write_statistics=False, store_schema=True)
    return sink.getvalue().to_pybytes()
