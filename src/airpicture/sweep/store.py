"""The sweep folder: one small Parquet file per finished run, so a killed sweep loses only the runs in flight.

Layout::

    OUT/manifest.json        airpicture's mark on the folder (tool, version, kind "sweep")
    OUT/sweep.json           spec hash and what made the folder (resuming checks the hash)
    OUT/rows/p000003-r000007.parquet   one row per finished run (grid point 3, replication 7)
    OUT/sweep.parquet        every row, sorted by (point, replication); rewritten at the end of each sweep
    OUT/figures/             saturation figures (HTML, PNG)

Each row file is written under a temporary name and renamed: a file with its final name is always complete.
Temporary leftovers of a killed sweep are removed when the folder is opened again.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from airpicture import __version__
from airpicture.errors import InputError
from airpicture.folders import MANIFEST, write_manifest
from airpicture.io import write_parquet
from airpicture.sweep.rows import KEY_COLUMNS, TAIL_COLUMNS
from airpicture.sweep.spec import STORE_FORMAT, SweepPlan

if TYPE_CHECKING:
    from airpicture.sweep.worker import RunRecord

META_FILE = "sweep.json"
ROWS_DIR = "rows"
TABLE_FILE = "sweep.parquet"
LOCK_FILE = ".lock"
_ROW_NAME = re.compile(r"p(\d+)-r(\d+)\.parquet")


def row_file_name(point: int, replication: int) -> str:
    return f"p{point:06d}-r{replication:06d}.parquet"


def check_folder(folder: Path, plan: SweepPlan) -> bool:
    """Whether ``folder`` can take this sweep (new, empty, or made by the same spec); True if resuming.

    Read-only: raises :class:`InputError` without touching anything.
    """
    if not folder.exists():
        return False
    if not folder.is_dir():
        raise InputError(str(folder), "exists and is not a folder; choose another --out")
    meta_path = folder / META_FILE
    if not meta_path.exists():
        if any(folder.iterdir()):
            raise InputError(str(folder), "exists, is not empty and is not a sweep folder; choose another --out")
        return False
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(str(meta_path), f"unreadable sweep metadata ({exc}); choose another --out") from None
    if meta.get("format") != STORE_FORMAT:
        raise InputError(str(folder), f"was made by another version of the sweep format ({meta.get('format')}); "
                                      "choose another --out")
    if meta.get("spec_hash") != plan.spec_hash:
        raise InputError(
            str(folder),
            f"was made by a different sweep spec (hash {str(meta.get('spec_hash'))[:12]}, this sweep "
            f"{plan.spec_hash[:12]}: base scenario, overrides or sweep seed differ); resuming would mix results. "
            "Choose another --out or delete the folder",
        )
    return True


class SweepStore:
    """An open sweep folder, locked against a second sweep writing into it at the same time."""

    def __init__(self, folder: Path, plan: SweepPlan) -> None:
        self.folder = folder
        self.plan = plan
        self.rows_dir = folder / ROWS_DIR
        self._lock_fd: int | None = None

    # ------------------------------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, folder: Path, plan: SweepPlan) -> SweepStore:
        """Create or reopen ``folder`` (after :func:`check_folder`), take its lock, clear temporary leftovers."""
        check_folder(folder, plan)
        store = cls(folder, plan)
        store.rows_dir.mkdir(parents=True, exist_ok=True)
        store._lock()
        meta_path = folder / META_FILE
        if not meta_path.exists():
            _atomic_write_text(meta_path, json.dumps(store._meta(), indent=2) + "\n")
        if not (folder / MANIFEST).exists():
            write_manifest(folder, "sweep", {"description": "an airpicture Monte Carlo sweep: one row file per run "
                                                            "in rows/, all rows in sweep.parquet, figures/",
                                             "sweep": plan.spec.name})
        for leftover in [*store.rows_dir.glob(".*.tmp-*"), *folder.glob(".*.tmp-*"),
                         *(folder / "figures").glob(".*.tmp-*")]:
            leftover.unlink(missing_ok=True)
        return store

    def _meta(self) -> dict[str, Any]:
        spec = self.plan.spec
        return {
            "format": STORE_FORMAT,
            "spec_hash": self.plan.spec_hash,
            "name": spec.name,
            "sweep_file": self.plan.source,
            "base_scenario": self.plan.base.name,
            "grid": {p: v for p, v in zip(self.plan.grid_paths, spec.grid.values(), strict=True)} if spec.grid else {},
            **({"sensitivity": spec.sensitivity.model_dump(mode="json")} if spec.sensitivity else {}),
            "fixed": spec.fixed,
            "seed": spec.seed,
            "common_random_numbers": spec.common_random_numbers,
            "airpicture_version": __version__,
        }

    def _lock(self) -> None:
        fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(str(self.folder), "another sweep is writing into this folder right now") from None
        self._lock_fd = fd

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ rows
    def finished(self) -> set[tuple[int, int]]:
        """(point, replication) pairs with a complete row file.

        A row file whose Parquet footer cannot be read (possible only after an operating-system crash or power
        loss, since files are renamed into place once written) is deleted, so that run is done again.
        """
        done = set()
        for p in self.rows_dir.iterdir():
            m = _ROW_NAME.fullmatch(p.name)
            if not m:
                continue
            try:
                pq.ParquetFile(p).metadata  # noqa: B018 - reading the footer is the check
            except (OSError, pa.ArrowInvalid):
                p.unlink(missing_ok=True)
                continue
            done.add((int(m.group(1)), int(m.group(2))))
        return done

    def failed(self, among: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        """The (point, replication) pairs of ``among`` (finished runs) whose row recorded an error."""
        out = set()
        for point, replication in among:
            path = self.rows_dir / row_file_name(point, replication)
            try:
                errors = pq.ParquetFile(path).read(columns=["error"]).column("error")
            except (OSError, pa.ArrowInvalid, KeyError):  # unreadable: finished() already re-runs such files
                continue
            if errors.null_count < len(errors):
                out.add((point, replication))
        return out

    def append(self, record: RunRecord) -> Path:
        """Write the run's row file (encoded by the worker) atomically: a temporary name, then a rename (which
        replaces the row of an earlier, failed attempt of the same run).

        No fsync: a killed process cannot lose data the kernel already has, and a file damaged by a system
        crash is caught and re-run by :meth:`finished`; an fsync per row cost 6 ms on the reference machine.
        """
        final = self.rows_dir / row_file_name(record.point, record.replication)
        tmp = self.rows_dir / f".{final.name}.tmp-{os.getpid()}"
        tmp.write_bytes(record.row)
        os.replace(tmp, final)
        return final

    def table(self) -> pa.Table:
        """Every planned run's row, sorted by (point, replication), columns in a fixed order."""
        n_points, n_reps = len(self.plan.points), self.plan.spec.seeds_per_point
        files = sorted(
            p for p in self.rows_dir.iterdir()
            if (m := _ROW_NAME.fullmatch(p.name)) and int(m.group(1)) < n_points and int(m.group(2)) < n_reps
        )
        if not files:
            return self.empty_table()
        tables = [pq.ParquetFile(p).read() for p in files]  # lighter than pq.read_table for small files
        table = pa.concat_tables(tables, promote_options="permissive")
        table = table.sort_by([("point", "ascending"), ("replication", "ascending")])
        return table.select(self._column_order(table.column_names)).combine_chunks()

    def empty_table(self) -> pa.Table:
        cols = {c: pa.array([], pa.int64()) for c in KEY_COLUMNS}
        cols.update({p: pa.array([], self.plan.grid_types[p]) for p in self.plan.grid_paths})
        cols["wall_time_s"] = pa.array([], pa.float64())
        cols["error"] = pa.array([], pa.string())
        return pa.table(cols)

    def _column_order(self, names: Iterable[str]) -> list[str]:
        names = list(names)
        head = [*KEY_COLUMNS, *self.plan.grid_paths]
        summary = sorted(n for n in names if n not in head and n not in TAIL_COLUMNS)
        return [*head, *summary, *TAIL_COLUMNS]

    def write_table(self) -> tuple[Path, pa.Table]:
        """Write ``sweep.parquet`` (atomically) from every row file; return its path and the table."""
        table = self.table()
        final = self.folder / TABLE_FILE
        tmp = self.folder / f".{TABLE_FILE}.tmp-{os.getpid()}"
        write_parquet(tmp, table)
        os.replace(tmp, final)
        return final, table


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
