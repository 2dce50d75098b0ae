"""The decision log's one schema (``decisions.parquet``): every column with its type, unit and meaning, the
vocabulary of stages, events and reasons, and :class:`Rows`, the append-only column builder every recorder uses.

One row is one decision (or one fact a decision rests on) with its reason and the numbers behind it, in named
columns; a column that does not apply to a row holds -1 (integers), NaN/null (floats) or "" (text). Rows are
sorted by time, then stage (sensing, tracker, fire control, outcome), then the order they were recorded, so the
table is deterministic. Times are seconds from the scenario start; distances metres.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from airpicture.columns import arrow_array, arrow_scalar, numpy_of
from airpicture.vocab import Cause, Decision, Stage, WaitReason


@dataclass(frozen=True)
class Column:
    """One column of ``decisions.parquet``: name, Arrow type, unit ("" if none) and meaning."""

    name: str
    type: pa.DataType
    unit: str
    meaning: str


COLUMNS: tuple[Column, ...] = (
    Column("time_s", pa.float64(), "s", "when the decision was made (or the fact became true)"),
    Column("stage", pa.string(), "", "sensing, tracker, fire_control or outcome"),
    Column("event", pa.string(), "", "what was decided (the events below)"),
    Column("reason", pa.string(), "", "why, as a code (with the events below); empty when the event says it all"),
    Column("battery", pa.string(), "", "battery concerned (fire control and outcome rows)"),
    Column("target_id", pa.int64(), "", "true target behind the row, from the truth labels (-1: none or a false "
                                        "alarm); the tracker never sees it"),
    Column("track_id", pa.int64(), "", "track concerned (-1: none)"),
    Column("other_track_id", pa.int64(), "", "the other track of the decision: the confirmed track holding the "
                                             "slot a candidate was refused (the least threatening one)"),
    Column("sensor_id", pa.int64(), "", "radar concerned (-1: none)"),
    Column("detection_index", pa.int64(), "", "row of detections.parquet behind the decision (-1: none)"),
    Column("rank", pa.int64(), "", "place of the threat in the battery's engagement order at that step (1: first)"),
    Column("hits", pa.int64(), "", "detections that had updated the track (confirmation, deletion)"),
    Column("misses", pa.int64(), "", "consecutive missed looks behind a deletion"),
    Column("interceptors", pa.int64(), "", "interceptors of an engagement, launch or reload (rounds)"),
    Column("launcher", pa.int64(), "", "launcher number (1-based) of a launch or reload"),
    Column("in_use", pa.int64(), "", "load of the resource waited for or refused (channels busy, interceptors "
                                     "committed, ready rounds, confirmed tracks)"),
    Column("limit", pa.int64(), "", "that resource's limit"),
    Column("until_s", pa.float64(), "s", "end of a wait, coast or refusal episode; completion of a reload"),
    Column("time_to_go_s", pa.float64(), "s", "threat's time to go to its asset (from its track)"),
    Column("intercept_time_s", pa.float64(), "s", "planned or actual intercept time"),
    Column("quality", pa.float64(), "", "track quality in [0, 1] (tracks.parquet's quality) at the decision"),
    Column("position_sigma_m", pa.float64(), "m", "track position standard deviation along its worst direction"),
    Column("range_m", pa.float64(), "m", "range from the radar (first visibility, first detection)"),
    Column("miss_distance_m", pa.float64(), "m", "distance of the true target from the interceptor's aim point"),
    Column("correction_radius_m", pa.float64(), "m", "the battery's correction radius (a hit needs the true target "
                                                      "this close to the aim point)"),
    Column("pk", pa.float64(), "", "single-shot probability of kill against the threat's kind"),
    Column("draw", pa.float64(), "", "the uniform draw compared with pk (a hit needs draw < pk)"),
    Column("cause_s", pa.float64(), "s", "outcome rows: when the first cause began"),
    Column("impact_s", pa.float64(), "s", "outcome rows: when the threat's unopposed flight reaches its asset's "
                                          "radius (null: not within the run)"),
    Column("detail", pa.string(), "", "the decision in words"),
)
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
SCHEMA = pa.schema([(c.name, c.type) for c in COLUMNS])

STAGES: tuple[Stage, ...] = tuple(Stage)

#: Every event, by stage, with its meaning (the README's table is made from this).
EVENTS: dict[str, dict[str, str]] = {
    Stage.SENSING: {
        Decision.VISIBLE: "the target first comes into view of a radar (reason: what hid it before: "
                          "below_horizon, out_of_range, out_of_elevation, masked_by_terrain; empty when in view from "
                          "its start)",
        Decision.DETECTED: "the target's first detection by any radar",
    },
    Stage.TRACKER: {
        Decision.BORN: "a track starts from one detection (detection_index)",
        Decision.CONFIRMED: "a tentative track is confirmed (hits: its detections so far; quality)",
        Decision.COASTING: "a confirmed track goes without a detection for longer than 2.5 rotations of the "
                           "slowest radar, i.e. misses two looks or more (until_s: next update or deletion; reason: "
                           "resumed, deleted or run_end)",
        Decision.DELETED: "a track is deleted (reason: the tracker's rule, e.g. misses, m_of_n, sigma, coast)",
        Decision.REFUSED: "a candidate reaching confirmation is refused a slot at capacity (other_track_id: the "
                          "least threatening confirmed track holding one)",
        Decision.DROPPED: "a confirmed track is dropped for a more threatening candidate (keep_threatening)",
    },
    Stage.FIRE_CONTROL: {
        Decision.RANKED: "a threat first becomes engageable for a battery: its rank and time to go",
        Decision.OUT_OF_ENVELOPE: "a threat track first seen unengageable (reason: envelope or too_late)",
        Decision.FIRM: "a threat track engageable but held back for a rough velocity becomes firm "
                       "(firm_track_velocity_sigma_mps) and may be engaged",
        Decision.ENGAGE: "a battery commits a fire channel and a salvo to a threat",
        Decision.LAUNCH: "one interceptor leaves its launcher",
        Decision.RELOAD: "a launcher starts reloading (until_s: rounds ready)",
        Decision.WAIT: "an engageable threat waits (reason: channels, in_flight, ready_rounds, track_slot; until_s: "
                       "end of the episode)",
        Decision.INTERCEPT: "one interceptor reaches its aim point (reason: kill, pk_draw, correction_radius, "
                            "reached_asset, target_gone, destroyed, after_end)",
        Decision.ASSESSED: "the battery assesses an engagement (reason: kill or miss)",
        Decision.ABANDON: "a battery gives up a threat that waited longer than max_wait_s",
    },
    Stage.OUTCOME: {
        Decision.KILLED: "the threat was destroyed",
        Decision.LEAKED: "the threat reached its asset (reason: its first cause, below)",
        Decision.SURVIVED: "the threat was still flying at the end (reason: why it was not killed, as for leaks)",
    },
}

#: Codes of the first cause of a leak (or of a survivor not killed), in the order they are tested along the
#: chain detection -> track -> engagement -> kill, with a short label.
OUTCOME_CAUSES: dict[str, str] = {
    Cause.BELOW_HORIZON: "never tracked: below the radar horizon",
    Cause.OUT_OF_RANGE: "never tracked: beyond radar range",
    Cause.OUT_OF_ELEVATION: "never tracked: outside the radars' elevation cover",
    Cause.NOT_DETECTED: "never tracked: in view but not detected",
    Cause.TRACK_SLOTS_FULL: "never tracked: track slots full",
    Cause.NOT_CONFIRMED: "never tracked: tracks started but not confirmed",
    Cause.TRACKED_LATE: "tracked too late to engage",
    Cause.CHANNELS: "fire channels busy",
    Cause.IN_FLIGHT: "in-flight limit reached",
    Cause.READY_ROUNDS: "no ready rounds",
    Cause.ENVELOPE: "out of the engagement envelope",
    Cause.TOO_LATE: "no intercept before it reached its asset",
    Cause.NOT_CLOSING: "its track never closed on a defended asset",
    Cause.TRACK_LOST: "its track was lost before it could be engaged",
    Cause.PK_DRAW: "missed: interceptors failed the Pk draw",
    Cause.CORRECTION_RADIUS: "missed: outside the correction radius",
    Cause.REACHED_ASSET: "missed: intercept after it reached its asset",
    Cause.TARGET_GONE: "missed: the target was gone, or the interceptors were still flying at the end",
}

#: First causes that only a scenario with ``[terrain]`` can give (counted in ``leak_causes`` only there, so the
#: summaries of scenarios without terrain keep their keys).
TERRAIN_CAUSES: dict[str, str] = {
    Cause.MASKED_BY_TERRAIN: "never tracked: masked by the terrain",
}
#: Every first-cause code with its label.
CAUSE_LABELS: dict[str, str] = {**OUTCOME_CAUSES, **TERRAIN_CAUSES}

#: Wait reasons (fire-control rows) and what they mean.
WAIT_REASONS: dict[str, str] = {
    WaitReason.CHANNELS: "every fire channel busy",
    WaitReason.IN_FLIGHT: "the in-flight limit reached",
    WaitReason.READY_ROUNDS: "no ready round on any launcher",
    WaitReason.TRACK_SLOT: "no track slot free for the threat",
}

_STAGE_ORDER: dict[str, int] = {s: i for i, s in enumerate(STAGES)}
_DEFAULTS: dict[str, Any] = {}
for _c in COLUMNS:
    if pa.types.is_integer(_c.type):
        _DEFAULTS[_c.name] = -1
    elif pa.types.is_floating(_c.type):
        _DEFAULTS[_c.name] = float("nan")
    else:
        _DEFAULTS[_c.name] = ""


class Rows:
    """Append-only columns of decision rows. ``add`` takes one row (missing columns get their defaults);
    ``extend`` takes equal-length arrays or scalars for many rows at once."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {name: [] for name in COLUMN_NAMES}

    def __len__(self) -> int:
        return len(self.cols["time_s"])

    def add(self, **row: Any) -> int:
        """Append one row; return its index (to fill ``until_s`` later)."""
        c = self.cols
        for name in COLUMN_NAMES:
            c[name].append(row.get(name, _DEFAULTS[name]))
        return len(c["time_s"]) - 1

    def extend(self, n: int, **cols: Any) -> None:
        """Append ``n`` rows; each keyword is an array of length ``n`` or a scalar for all of them."""
        if n <= 0:
            return
        for name in COLUMN_NAMES:
            v = cols.get(name, _DEFAULTS[name])
            if isinstance(v, np.ndarray | list | tuple):
                values = v.tolist() if isinstance(v, np.ndarray) else list(v)
                if len(values) != n:
                    raise ValueError(f"column {name}: {len(values)} values for {n} rows")
                self.cols[name].extend(values)
            else:
                self.cols[name].extend([v] * n)

    def set(self, index: int, name: str, value: Any) -> None:
        self.cols[name][index] = value

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The columns as NumPy arrays (float64, int64 or object for text)."""
        out: dict[str, NDArray[Any]] = {}
        for col in COLUMNS:
            v = self.cols[col.name]
            if pa.types.is_integer(col.type):
                out[col.name] = np.asarray(v, dtype=np.int64).reshape(-1)
            elif pa.types.is_floating(col.type):
                out[col.name] = np.asarray(v, dtype=float).reshape(-1)
            else:
                out[col.name] = np.asarray(v, dtype=object).reshape(-1)
        return out


def concat(parts: Sequence[Mapping[str, NDArray[Any]]]) -> dict[str, NDArray[Any]]:
    """Concatenate column dicts (each with every column)."""
    if not parts:
        return Rows().arrays()
    return {name: np.concatenate([np.asarray(p[name]) for p in parts]) for name in COLUMN_NAMES}


def sort_rows(cols: Mapping[str, NDArray[Any]]) -> dict[str, NDArray[Any]]:
    """Rows sorted by time, then stage, then their order in ``cols`` (stable)."""
    n = len(cols["time_s"])
    text = np.asarray(cols["stage"])
    stage = np.full(n, len(STAGES), np.int64)
    for s, i in _STAGE_ORDER.items():
        stage[text == s] = i
    order = np.lexsort((np.arange(n), stage, np.asarray(cols["time_s"], float)))
    return {k: np.asarray(v)[order] for k, v in cols.items()}


def to_table(cols: Mapping[str, NDArray[Any]]) -> pa.Table:
    """The Arrow table of ``decisions.parquet`` (floats NaN -> null, except time_s)."""
    arrays = []
    for col in COLUMNS:
        v = np.asarray(cols[col.name])
        if pa.types.is_floating(col.type):
            v = v.astype(float)
            arrays.append(arrow_array(v, col.type, mask=np.isnan(v) if col.name != "time_s" else None))
        elif pa.types.is_integer(col.type):
            arrays.append(arrow_array(v.astype(np.int64), col.type))
        else:
            arrays.append(arrow_array(v.astype(object).tolist(), col.type))
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def from_table(table: pa.Table) -> dict[str, NDArray[Any]]:
    """Columns of a decisions table as NumPy arrays (nulls: NaN, -1, ""), missing columns filled with defaults."""
    n = table.num_rows
    out: dict[str, NDArray[Any]] = {}
    for col in COLUMNS:
        if col.name not in table.column_names:
            d = _DEFAULTS[col.name]
            out[col.name] = (np.full(n, d, dtype=object) if isinstance(d, str) else
                             np.full(n, d, dtype=np.int64 if isinstance(d, int) else float))
            continue
        a = table.column(col.name)
        if pa.types.is_floating(col.type):
            out[col.name] = np.asarray(numpy_of(a), dtype=float)
        elif pa.types.is_integer(col.type):
            out[col.name] = np.asarray(numpy_of(pc.fill_null(a, arrow_scalar(-1, a.type))), dtype=np.int64)
        else:
            out[col.name] = np.asarray(numpy_of(pc.fill_null(a, arrow_scalar("", a.type))), dtype=object)
    return out
