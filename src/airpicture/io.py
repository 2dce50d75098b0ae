"""Tables in and out: CSV/Parquet reading with row-precise errors and deterministic Parquet writing. Results
folders (checked, staged, renamed into place, replaced only when airpicture made them) are in
:mod:`airpicture.folders`."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from airpicture.columns import arrow_array, numpy_of
from airpicture.errors import InputError, Problem

# ------------------------------------------------------------------------------------------------ reading


def read_table(path: str | Path) -> pa.Table:
    """Read a CSV (``.csv``, ``.csv.gz``) or Parquet (``.parquet``, ``.pq``) file into an Arrow table."""
    p = Path(path)
    if not p.exists():
        raise InputError(str(p), "file not found")
    if p.is_dir():
        raise InputError(str(p), "is a folder; expected a CSV or Parquet file")
    name = p.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pq.ParquetFile(p).read()  # one file: no dataset machinery (which imports pandas)
        if name.endswith((".csv", ".csv.gz", ".txt")):
            opts = pacsv.ConvertOptions(strings_can_be_null=True)
            return pacsv.read_csv(p, convert_options=opts)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        kind = "Parquet" if name.endswith((".parquet", ".pq")) else "CSV"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = _csv_error_line(p, first) if kind == "CSV" else ""
        raise InputError(str(p), f"{where}cannot read as {kind}: {first}") from None
    raise InputError(str(p), "unknown file type; expected .csv or .parquet")


def read_parquet(path: str | Path, columns: Sequence[str] | None = None) -> pa.Table:
    """The columns ``columns`` (all: None) of one Parquet file: ``pq.read_table`` without the dataset machinery it
    sets up (and imports: pyarrow.dataset, and pandas through it) even for a single file."""
    with pq.ParquetFile(path) as pf:
        return pf.read(columns=None if columns is None else list(columns))


def _csv_error_line(path: Path, message: str) -> str:
    """``"line N: "`` for a CSV parse error that quotes the offending row (pyarrow's "Expected 8 columns, got 7:
    <row>"), found by searching the file for that row; empty if it cannot be found."""
    match = re.search(r"columns, got \d+: (.+)$", message)
    if not match or path.name.lower().endswith(".gz"):
        return ""
    row = match.group(1).strip()
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, start=1):
                if line.rstrip("\r\n") == row:
                    return f"line {number}: "
    except OSError:
        return ""
    return ""


def row_label(path: str | Path, index: int) -> str:
    """Human row reference: CSV line number (header is line 1) or 1-based Parquet row."""
    if str(path).lower().endswith((".csv", ".csv.gz", ".txt")):
        return f"line {index + 2}"
    return f"row {index + 1}"


def require_columns(table: pa.Table, columns: Sequence[str], source: str, what: str = "") -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        have = ", ".join(table.column_names) or "none"
        raise InputError(source, f"missing column(s) {', '.join(missing)}{what}; the file has: {have}")


def float_column(table: pa.Table, name: str, source: str, allow_null: bool = False) -> NDArray[np.float64]:
    """A column as float64, nulls as NaN. Text that is not a number raises :class:`InputError` naming the row."""
    col = table.column(name)
    typ = col.type
    if pa.types.is_timestamp(typ):
        arr = pc.cast(col, pa.timestamp("us", tz=typ.tz)).cast(pa.int64())
        out = numpy_of(arr).astype(float) / 1e6
        nulls = np.asarray(numpy_of(col.is_null()), bool)
    elif pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ) or pa.types.is_boolean(typ):
        out = np.asarray(numpy_of(pc.cast(col, pa.float64())), dtype=float)  # a new array
        if not col.null_count:  # most columns: no mask to build and apply (a run's tables have millions of rows)
            return out
        nulls = np.asarray(numpy_of(col.is_null()), bool)
        out = np.where(nulls, np.nan, out)
    elif pa.types.is_string(typ) or pa.types.is_large_string(typ):
        values = col.to_pylist()
        out = np.empty(len(values))
        nulls = np.zeros(len(values), dtype=bool)
        for i, v in enumerate(values):
            if v is None or v.strip() == "":
                out[i] = np.nan
                nulls[i] = True
                continue
            try:
                out[i] = float(v)
            except ValueError:
                raise InputError(source, Problem(f"{row_label(source, i)}, column '{name}'",
                                                 f"expected a number, got {v!r}")) from None
    else:
        raise InputError(source, Problem(f"column '{name}'", f"expected numbers, got values of type {typ}"))
    if not allow_null and nulls.any():
        i = int(np.argmax(nulls))
        raise InputError(source, Problem(f"{row_label(source, i)}, column '{name}'",
                                         "expected a number, got an empty value"))
    return out


def check_finite(values: NDArray[np.float64], name: str, source: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(source, Problem(f"{row_label(source, i)}, column '{name}'",
                                         f"expected a finite number, got {values[i]}"))


def check_range(values: NDArray[np.float64], name: str, source: str, lo: float, hi: float,
                lo_open: bool = False, hi_open: bool = False) -> None:
    below = values <= lo if lo_open else values < lo
    above = values >= hi if hi_open else values > hi
    bad = (below | above) & np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        lb = "(" if lo_open else "["
        rb = ")" if hi_open else "]"
        raise InputError(source, Problem(f"{row_label(source, i)}, column '{name}'",
                                         f"expected a value in {lb}{lo:g}, {hi:g}{rb}, got {values[i]:g}"))


# ------------------------------------------------------------------------------------------------ writing


def to_arrow(columns: Mapping[str, Any]) -> pa.Table:
    """Arrow table from a mapping of column name -> 1-D array (strings become dictionary-free utf8)."""
    arrays = {}
    for name, values in columns.items():
        if isinstance(values, pa.Array | pa.ChunkedArray):
            arrays[name] = values
            continue
        v = np.asarray(values)
        if v.dtype.kind in ("U", "O"):
            arrays[name] = arrow_array(v.astype(str).tolist(), pa.string())
        else:
            arrays[name] = arrow_array(v)
    return pa.table(arrays)


def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """How every results table is written: zstd level 1, statistics, the Arrow schema stored, and dictionary
    encoding for the columns that repeat values (text, integers, flags) but not for floating-point columns --
    positions and times rarely repeat, so their dictionaries were built only to be dropped again: on the
    saturation scenario's tables that took half the writing time and made the files 19 % larger. zstd level 1
    writes those tables a third faster than level 3 for 0.7 % more bytes (BENCHMARKS.md, "Parquet writing")."""
    repeating = [f.name for f in schema if not (pa.types.is_floating(f.type) or pa.types.is_nested(f.type))]
    return {"compression": "zstd", "compression_level": 1, "use_dictionary": repeating, "write_statistics": True,
            "store_schema": True}


def write_parquet(path: str | Path, table: pa.Table | Mapping[str, Any]) -> None:
    """Write a Parquet file deterministically (:func:`parquet_options`; no timestamps in metadata)."""
    if not isinstance(table, pa.Table):
        table = to_arrow(table)
    pq.write_table(table, str(path), **parquet_options(table.schema))


def write_json(path: str | Path, data: Any) -> None:
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n", encoding="utf-8")


def default_run_dir(base: str | Path, name: str, stamp: str) -> Path:
    """``base/<name>-<stamp>``, with ``-2``, ``-3``... appended if that already exists."""
    base = Path(base)
    candidate = base / f"{name}-{stamp}"
    i = 2
    while candidate.exists():
        candidate = base / f"{name}-{stamp}-{i}"
        i += 1
    return candidate
