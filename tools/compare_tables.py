"""Run the built-in scenarios with two source trees and compare every Parquet table by content (schema and values,
NaN equal to NaN), not by bytes -- for changes that alter how the tables are written but not what they hold.

Usage::

    python tools/compare_tables.py /path/to/before/src /path/to/after/src [default saturation ...]

Each scenario runs as ``python -m airpicture.cli run NAME --seed 1 --quiet --no-report --out TMP`` in a fresh
process per tree. Prints the tables that differ; exit code 1 if any does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from airpicture.testing.tables import tables_equal

BUILTIN = ["default", "saturation", "ballistic", "teaching", "terrain", "air-traffic"]


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    trees = {"a": sys.argv[1], "b": sys.argv[2]}
    names = sys.argv[3:] or BUILTIN
    tmp = Path(tempfile.mkdtemp(prefix="compare-tables-"))
    differ = compared = 0
    for name in names:
        outs = {}
        for tag, src in trees.items():
            outs[tag] = tmp / f"{name}-{tag}"
            subprocess.run([sys.executable, "-m", "airpicture.cli", "run", name, "--seed", "1", "--quiet", "--no-report",
                            "--out", str(outs[tag])], check=True, env={**os.environ, "PYTHONPATH": src})
        for f in sorted(outs["a"].glob("*.parquet")):
            compared += 1
            other = outs["b"] / f.name
            if not other.exists() or not tables_equal(pq.read_table(f), pq.read_table(other)):
                differ += 1
                print(f"DIFFER {name}/{f.name}")
    print(f"{compared} tables compared, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
