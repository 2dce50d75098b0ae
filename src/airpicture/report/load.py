"""Reading a results folder for the report, with clear errors.

A results folder is what ``airpicture run`` writes: ``scenario.toml`` and ``summary.json`` always, the truth
tables (``truth.parquet``, ``targets.parquet``) always, and each later stage's tables when that stage ran. The
stages that ran are recorded in ``summary.json``: a ``sensing``, ``tracking`` or ``engagement`` section means
that stage wrote its tables (:data:`STAGE_TABLES`), so a folder whose summary has the section but lacks one of
its tables is incomplete and refused, naming the folder and every missing file. Only the tables of a stage that
did not run are optional (a scenario without radars has no sensing, tracking or engagement; one without
batteries no engagement); their report sections then say "not available". A table that is present must be
readable and carry the columns the report uses.

Every problem raises :class:`~airpicture.errors.InputError` naming the file and, where it applies, the column
and row. Columns are returned as NumPy arrays: float64 (SI units as in the column names), int64, bool, or
object arrays of str.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from airpicture.columns import arrow_scalar, numpy_of
from airpicture.errors import InputError, Problem
from airpicture.geodesy import LocalFrame
from airpicture.io import float_column, read_table, require_columns, row_label
from airpicture.scenario import Scenario, parse_scenario, read_toml

ColumnKind = Literal["f", "i", "b", "s"]
Columns = dict[str, NDArray[Any]]


@dataclass(frozen=True)
class Col:
    """One column the report reads: name, kind (float, int, bool, str), whether it must be there, and
    whether empty values are allowed (floats become NaN, strings "")."""

    name: str
    kind: ColumnKind
    required: bool = True
    nullable: bool = False


def _cols(spec: str, kind: ColumnKind, required: bool = True, nullable: bool = False) -> list[Col]:
    return [Col(n, kind, required, nullable) for n in spec.split()]


#: What the report reads from each table: a subset of the columns :data:`airpicture.outputs.TABLES` declares (the
#: tests check it); extra columns are ignored.
SCHEMAS: dict[str, list[Col]] = {
    "truth": [*_cols("time_s", "f"), *_cols("target_id", "i"), *_cols("kind", "s"), *_cols("hostile", "b"),
              *_cols("e_m n_m u_m", "f"), *_cols("ve_mps vn_mps", "f", required=False, nullable=True)],
    "targets": [*_cols("target_id", "i"), *_cols("kind", "s"), *_cols("hostile", "b"),
                *_cols("group callsign asset end_reason", "s", required=False, nullable=True),
                *_cols("start_s end_s", "f")],
    "detections": [*_cols("time_s", "f"), *_cols("sensor_id", "i"), *_cols("range_m azimuth_deg elevation_deg", "f"),
                   *_cols("snr_db", "f", required=False, nullable=True)],
    "detection_labels": [*_cols("detection_index", "i", required=False), *_cols("target_id", "i")],
    "tracks": [*_cols("time_s", "f"), *_cols("track_id", "i"), *_cols("status", "s"), *_cols("e_m n_m u_m", "f")],
    "picture": [*_cols("time_s", "f"), *_cols("track_id", "i"), *_cols("e_m n_m u_m", "f"),
                *_cols("ve_mps vn_mps", "f", required=False, nullable=True),
                *_cols("target_id", "i", required=False)],
    "events": [*_cols("time_s", "f"), *_cols("battery", "s", nullable=True), *_cols("target_id", "i"),
               *_cols("event", "s"), *_cols("track_id", "i", required=False, nullable=True),
               *_cols("kind detail", "s", required=False, nullable=True),
               *_cols("interceptors intercept_time_s", "f", required=False, nullable=True)],
    "timeline": [*_cols("time_s", "f"), *_cols("battery", "s", nullable=True),
                 *_cols("channels_busy fire_channels in_flight max_in_flight tracks_held track_capacity", "f"),
                 *_cols("ready_rounds inventory_left", "f", required=False, nullable=True)],
    "decisions": [*_cols("time_s", "f"), *_cols("stage event", "s"),
                  *_cols("reason battery detail", "s", nullable=True),
                  *_cols("target_id track_id", "i", nullable=True),
                  *_cols("other_track_id sensor_id detection_index rank hits misses interceptors launcher in_use "
                         "limit", "i", required=False, nullable=True),
                  *_cols("until_s time_to_go_s intercept_time_s quality position_sigma_m range_m miss_distance_m "
                         "correction_radius_m pk draw cause_s impact_s", "f", required=False, nullable=True)],
    "target_metrics": [*_cols("target_id", "i"),
                       *_cols("first_detection_s first_track_s time_to_track_s tracked_fraction rmse_position_m",
                              "f", required=False, nullable=True),
                       *_cols("id_switches track_breaks", "i", required=False, nullable=True)],
    "metrics": [*_cols("time_s gospa_m", "f"),
                *_cols("localisation_m2 missed_m2 false_m2 n_truth n_tracks n_missed n_false", "f",
                       required=False, nullable=True)],
}

#: Tables every results folder has (written by the truth stage).
REQUIRED_TABLES = ("truth", "targets")
#: Tables written by later stages, read when present; each report section needs some of them. With
#: REQUIRED_TABLES, every table of :data:`airpicture.outputs.TABLES` (tested); the order is the report's.
OPTIONAL_TABLES = ("detections", "detection_labels", "tracks", "picture", "events", "timeline", "metrics",
                   "target_metrics", "decisions")
#: The tables each later stage writes, by the section of summary.json that records the stage ran. A folder
#: whose summary has the section must have every one of them.
STAGE_TABLES: dict[str, tuple[str, ...]] = {
    "sensing": ("detections", "detection_labels"),
    "tracking": ("tracks", "picture", "metrics", "target_metrics"),
    "engagement": ("events", "timeline"),
    "decisions": ("decisions",),
}


@dataclass
class RunData:
    """A results folder in memory: the resolved scenario, the summary and each table that exists."""

    run_dir: Path
    scenario: Scenario
    frame: LocalFrame
    summary: dict[str, Any]
    tables: dict[str, Columns] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.tables

    def get(self, name: str) -> Columns:
        return self.tables[name]


def check_results_folder(d: Path) -> None:
    """:class:`InputError` unless ``d`` is a folder holding a run's ``scenario.toml`` and ``summary.json``."""
    if not d.exists():
        raise InputError(str(d), "folder not found")
    if not d.is_dir():
        raise InputError(str(d), "is a file; expected a results folder written by 'airpicture run'")
    if not (d / "scenario.toml").is_file() or not (d / "summary.json").is_file():
        have = ", ".join(sorted(p.name for p in d.iterdir())[:8]) or "nothing"
        raise InputError(str(d), "not a results folder: expected scenario.toml and summary.json written by "
                                 f"'airpicture run' (the folder has: {have})")


def load_run(run_dir: str | Path, only: tuple[str, ...] | None = None) -> RunData:
    """Read the results folder ``run_dir``; raise :class:`InputError` if it is not one or a file is broken.
    ``only``: read just these tables (``targets`` always), e.g. for a quick explanation of the run."""
    d = Path(run_dir)
    check_results_folder(d)
    scenario = parse_scenario(read_toml(d / "scenario.toml"), str(d / "scenario.toml"),
                              warn_old_names=False)
    summary = _read_summary(d / "summary.json")
    site = scenario.site  # the frame as airpicture.truth.frame_of makes it (without importing the truth models)
    run = RunData(d, scenario, LocalFrame.at(site.latitude_deg, site.longitude_deg, site.altitude_m), summary)
    _check_complete(d, summary)
    for name in REQUIRED_TABLES:
        if only is None or name in only or name == "targets":
            run.tables[name] = read_columns(d / f"{name}.parquet", SCHEMAS[name])
    for name in OPTIONAL_TABLES:
        path = d / f"{name}.parquet"
        if path.exists() and (only is None or name in only):
            run.tables[name] = read_columns(path, SCHEMAS[name])
    _check_consistency(run)
    pa.default_memory_pool().release_unused()  # the Arrow tables read are gone; their blocks need not stay
    return run


def expected_tables(summary: dict[str, Any]) -> dict[str, str]:
    """The tables a results folder with this ``summary.json`` must have: table name -> the stage that writes it
    (``truth`` for the tables every run has)."""
    stage = dict.fromkeys(REQUIRED_TABLES, "truth")
    for section, names in STAGE_TABLES.items():
        if section in summary:
            stage.update(dict.fromkeys(names, section))
    return stage


def _check_complete(d: Path, summary: dict[str, Any]) -> None:
    """Refuse a folder missing a table its summary says was written, naming the folder and every missing file."""
    missing = {name: stage for name, stage in expected_tables(summary).items()
               if not (d / f"{name}.parquet").is_file()}
    if not missing:
        return
    groups = []
    for stage in dict.fromkeys(missing.values()):
        names = [f"{n}.parquet" for n, s in missing.items() if s == stage]
        files = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        it = "it" if len(names) == 1 else "them"
        why = (f"every run writes {it}" if stage == "truth" else
               f"the {stage} stage writes {it}, and summary.json records that this stage ran")
        groups.append(f"{files} ({why})")
    raise InputError(str(d), f"incomplete results folder: missing {'; '.join(groups)}. Re-run the scenario to "
                             "rebuild the folder; nothing was written")


def _read_summary(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(str(path), "not UTF-8 text; expected JSON") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"malformed JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(str(path), f"expected a JSON object, got {type(data).__name__}")
    return data


#: Parquet files of at most this many rows are read in one call; larger ones one column at a time.
WHOLE_READ_ROWS = 1_000_000


def read_columns(path: Path, schema: list[Col]) -> Columns:
    """Read the columns of ``schema`` from a Parquet file as NumPy arrays (optional absent columns are left out).

    A large Parquet file (more than :data:`WHOLE_READ_ROWS` rows) is read one column at a time, so memory holds
    the arrays returned plus one column in Arrow form, not the whole table twice (a run with 100,000 threats has a
    truth table of tens of millions of rows); a smaller one in one read of the columns wanted. The file is opened
    and its footer parsed once.
    """
    source = str(path)
    pf = _parquet_file(path)
    if pf is None:  # not a readable Parquet file: read it whole, with read_table's messages
        table = read_table(path)
        require_columns(table, [c.name for c in schema if c.required], source)
        return {c.name: _column(table, c, source) for c in schema if c.name in table.column_names}
    with pf:
        names = set(pf.schema_arrow.names)
        require_columns(pa.table({n: pa.nulls(0) for n in pf.schema_arrow.names}),
                        [c.name for c in schema if c.required], source)
        wanted = [c for c in schema if c.name in names]
        groups = [wanted] if pf.metadata.num_rows <= WHOLE_READ_ROWS else [[c] for c in wanted]
        out: Columns = {}
        for group in groups:
            try:
                table = pf.read(columns=[c.name for c in group])
            except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise InputError(source, f"cannot read as Parquet: {first}") from None
            for c in group:
                out[c.name] = _column(table, c, source)
            del table
    return out


def _parquet_file(path: Path) -> pq.ParquetFile | None:
    """The Parquet file at ``path`` opened for reading, or None if it is not one that can be read."""
    if not path.name.lower().endswith((".parquet", ".pq")) or not path.is_file():
        return None
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError):
        return None


def _column(table: pa.Table, c: Col, source: str) -> NDArray[Any]:
    col = table.column(c.name)
    if c.kind == "f":
        return float_column(table, c.name, source, allow_null=c.nullable)
    if c.kind == "i":
        if pa.types.is_integer(col.type) and not col.null_count:  # whole numbers already (as airpicture writes them)
            return np.asarray(numpy_of(col), dtype=np.int64)
        values = float_column(table, c.name, source, allow_null=c.nullable)
        values = np.where(np.isnan(values), -1.0, values)
        bad = values != np.round(values)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(source, Problem(f"{row_label(source, i)}, column '{c.name}'",
                                             f"expected a whole number, got {values[i]:g}"))
        return values.astype(np.int64)
    if c.kind == "b":
        if not pa.types.is_boolean(col.type):
            raise InputError(source, Problem(f"column '{c.name}'", f"expected true/false values, got {col.type}"))
        nulls = np.asarray(numpy_of(col.is_null()), bool)
        if nulls.any():
            i = int(np.argmax(nulls))
            raise InputError(source, Problem(f"{row_label(source, i)}, column '{c.name}'",
                                             "expected true or false, got an empty value"))
        return np.asarray(numpy_of(col), dtype=bool)
    typ = col.type
    if pa.types.is_dictionary(typ):
        col = pc.cast(col, typ.value_type)
        typ = typ.value_type
    if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
        raise InputError(source, Problem(f"column '{c.name}'", f"expected text, got values of type {typ}"))
    if not c.nullable and col.null_count:
        nulls = np.asarray(numpy_of(col.is_null()), bool)
        i = int(np.argmax(nulls))
        raise InputError(source, Problem(f"{row_label(source, i)}, column '{c.name}'",
                                         "expected text, got an empty value"))
    # one Python string per distinct value, shared by the rows (a column of millions of rows holds few values)
    encoded = pc.fill_null(col, arrow_scalar("", col.type)).combine_chunks().dictionary_encode()
    values = np.array(encoded.dictionary.to_pylist(), dtype=object)
    return values[np.asarray(numpy_of(encoded.indices), dtype=np.int64)]


def _check_consistency(run: RunData) -> None:
    """Cross-table checks the report relies on."""
    d = run.run_dir
    n_targets = len(run.tables["targets"]["target_id"])
    for name in ("truth", "picture", "events", "detection_labels"):
        if name not in run.tables or "target_id" not in run.tables[name]:
            continue
        tid = run.tables[name]["target_id"]
        low = -1 if name != "truth" else 0
        bad = (tid < low) | (tid >= n_targets)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(str(d / f"{name}.parquet"), Problem(
                f"row {i + 1}, column 'target_id'",
                f"expected a target id in [{low}, {n_targets - 1}] (targets.parquet has {n_targets} targets), "
                f"got {tid[i]}"))
    expected = np.arange(n_targets)
    if not np.array_equal(run.tables["targets"]["target_id"], expected):
        raise InputError(str(d / "targets.parquet"), "column 'target_id' must be 0, 1, 2, ... in row order")
    if "detection_labels" in run.tables:
        n_det = len(run.tables["detections"]["time_s"]) if "detections" in run.tables else None
        n_lab = len(run.tables["detection_labels"]["target_id"])
        if n_det is not None and n_det != n_lab:
            raise InputError(str(d / "detection_labels.parquet"),
                             f"has {n_lab} rows but detections.parquet has {n_det}; row i must label detection i")
