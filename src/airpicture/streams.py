"""Tables written as they grow: a run appends rows chunk by chunk, and memory holds one row group per table
rather than the whole run.

:class:`ParquetStream` appends chunks to one Parquet file through ``pyarrow.parquet.ParquetWriter``. Rows are
buffered and written in row groups of exactly :data:`ROW_GROUP_ROWS` rows (the last one shorter), so the file's
bytes depend only on the rows and their order -- never on how the run cut them into chunks -- and the same
scenario and seed give byte-identical files. Settings match :func:`airpicture.io.write_parquet`.

:class:`MemoryStream` keeps the chunks and joins them at the end (library use, sweeps). Both take chunks as
Arrow tables or mappings of column name -> array; :class:`Streams` hands out one stream per table name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from airpicture.io import parquet_options, to_arrow, write_parquet

#: Rows per Parquet row group of a streamed table (pyarrow's default for whole tables is 1 Mi rows; a smaller
#: group bounds the buffer: ~25-40 MB for the widest tables).
ROW_GROUP_ROWS = 1 << 18


def _as_table(chunk: pa.Table | Mapping[str, Any]) -> pa.Table:
    return chunk if isinstance(chunk, pa.Table) else to_arrow(chunk)


class ParquetStream:
    """Appends rows to ``path`` in row groups of ``row_group_rows`` rows; :meth:`close` finishes the file.

    Every chunk must have the schema of the first (chunks whose types differ only where the first had none,
    e.g. an empty chunk, are cast to it)."""

    def __init__(self, path: Path, row_group_rows: int = ROW_GROUP_ROWS, schema: pa.Schema | None = None) -> None:
        self.path = Path(path)
        self.row_group_rows = int(row_group_rows)
        self.rows = 0
        self._schema = schema
        self._writer: pq.ParquetWriter | None = None
        self._buffer: list[pa.Table] = []
        self._buffered = 0

    def append(self, chunk: pa.Table | Mapping[str, Any]) -> None:
        table = _as_table(chunk)
        if self._schema is None:
            self._schema = table.schema
        elif table.schema != self._schema:
            table = table.select(self._schema.names).cast(self._schema)
        if table.num_rows == 0:
            return
        self._buffer.append(table)
        self._buffered += table.num_rows
        self.rows += table.num_rows
        if self._buffered >= self.row_group_rows:
            self._drain(final=False)

    def _open(self) -> pq.ParquetWriter:
        if self._writer is None:
            assert self._schema is not None
            self._writer = pq.ParquetWriter(str(self.path), self._schema, **parquet_options(self._schema))
        return self._writer

    def _drain(self, final: bool) -> None:
        if not self._buffer:
            return
        table = pa.concat_tables(self._buffer)
        n = self.row_group_rows
        full = (table.num_rows // n) * n
        cut = table.num_rows if final else full
        if cut:  # contiguous columns: the pages written do not depend on how the rows arrived
            self._open().write_table(table.slice(0, cut).combine_chunks(), row_group_size=n)
        rest = table.slice(cut)
        self._buffer = [rest] if rest.num_rows else []
        self._buffered = rest.num_rows

    def close(self) -> None:
        """Write what is buffered and finish the file (an empty table if no row came)."""
        self._drain(final=True)
        if self._writer is None:
            write_parquet(self.path, self._schema.empty_table() if self._schema is not None else pa.table({}))
        else:
            self._writer.close()
            self._writer = None

    def abort(self) -> None:
        """Stop without finishing the file (the folder it is in is being abandoned)."""
        if self._writer is not None:
            try:
                self._writer.close()
            except OSError:
                pass
            self._writer = None
        self._buffer = []


class MemoryStream:
    """Keeps every chunk; :meth:`close` returns them as one table."""

    def __init__(self, schema: pa.Schema | None = None) -> None:
        self.rows = 0
        self._schema = schema
        self._parts: list[pa.Table] = []

    def append(self, chunk: pa.Table | Mapping[str, Any]) -> None:
        table = _as_table(chunk)
        if self._schema is None:
            self._schema = table.schema
        elif table.schema != self._schema:
            table = table.select(self._schema.names).cast(self._schema)
        if table.num_rows:
            self._parts.append(table)
            self.rows += table.num_rows

    def close(self) -> pa.Table:
        if not self._parts:
            return self._schema.empty_table() if self._schema is not None else pa.table({})
        return pa.concat_tables(self._parts).combine_chunks()

    def abort(self) -> None:
        self._parts = []


class Streams:
    """One stream per table name: into ``folder`` (``NAME.parquet``) if given, else in memory.

    ``keep``: names kept in memory when there is no folder (None: all; others are dropped, not even built by a
    caller that asks :meth:`wants`)."""

    def __init__(self, folder: Path | None = None, keep: Iterable[str] | None = None) -> None:
        self.folder = None if folder is None else Path(folder)
        self.keep = None if keep is None else frozenset(keep)
        self._open: dict[str, ParquetStream | MemoryStream] = {}
        self.written: list[str] = []  # names whose file is complete in the folder
        self.tables: dict[str, pa.Table] = {}  # names closed in memory

    def wants(self, name: str) -> bool:
        return self.folder is not None or self.keep is None or name in self.keep

    def __getitem__(self, name: str) -> ParquetStream | MemoryStream:
        if name not in self._open:
            self._open[name] = (ParquetStream(self.folder / f"{name}.parquet") if self.folder is not None
                                else MemoryStream())
        return self._open[name]

    def put(self, name: str, table: pa.Table | Mapping[str, Any]) -> None:
        """A whole table at once (closed immediately)."""
        if not self.wants(name):
            return
        self[name].append(table)
        self.close(name)

    def close(self, name: str) -> None:
        stream = self._open.pop(name, None)
        if stream is None:
            return
        result = stream.close()
        if isinstance(stream, ParquetStream):
            self.written.append(name)
        elif result is not None:
            self.tables[name] = result

    def close_all(self) -> None:
        for name in list(self._open):
            self.close(name)

    def abort(self) -> None:
        for stream in self._open.values():
            stream.abort()
        self._open.clear()
