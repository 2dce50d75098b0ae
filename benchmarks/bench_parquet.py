"""Writing a run's tables to Parquet: the options of ``airpicture.io.parquet_options`` against the former ones
(zstd level 3, dictionary encoding for every column), on the tables of a results folder.

Usage::

    python benchmarks/bench_parquet.py RESULTS_FOLDER [--repeat 5]

Reads every ``*.parquet`` of the folder (e.g. written by ``airpicture run saturation --out DIR``), then writes all
of them into memory with each set of options, alternating, ``--repeat`` rounds; prints the best CPU seconds of
each and the bytes written, and checks that each file reads back equal to the table written.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from airpicture.io import parquet_options
from airpicture.testing.tables import tables_equal

FORMER = {"compression": "zstd", "compression_level": 3, "use_dictionary": True, "write_statistics": True,
          "store_schema": True}


def write_all(tables: dict[str, pa.Table], options) -> tuple[float, int, dict[str, bytes]]:
    t0 = time.process_time()
    files = {}
    for name, table in tables.items():
        sink = io.BytesIO()
        pq.write_table(table, sink, **options(table.schema))
        files[name] = sink.getvalue()
    return time.process_time() - t0, sum(len(b) for b in files.values()), files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tables = {p.name: pq.read_table(p) for p in sorted(args.folder.glob("*.parquet"))}
    print(f"{len(tables)} tables, {sum(t.num_rows for t in tables.values())} rows, "
          f"{sum(t.nbytes for t in tables.values()) / 1e6:.1f} MB in memory")
    variants = {"former (zstd 3, dictionary everywhere)": lambda schema: FORMER,
                "now (parquet_options)": parquet_options}
    best = {k: float("inf") for k in variants}
    size = {}
    for _ in range(args.repeat):
        for label, options in variants.items():
            cpu, n, files = write_all(tables, options)
            best[label] = min(best[label], cpu)
            size[label] = n
    for name, data in files.items():  # the last variant's files read back equal (NaN equal to NaN)
        assert tables_equal(pq.read_table(io.BytesIO(data)), tables[name]), name
    for label in variants:
        print(f"{label:40s} {best[label]:.3f} s CPU (best of {args.repeat}), {size[label] / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
