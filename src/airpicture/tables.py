"""Arrow tables of each stage's output, with the column names and units written to the results folder."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from airpicture.columns import arrow_array
from airpicture.io import to_arrow
from airpicture.scenario import Scenario
from airpicture.truth import Truth

TRUTH_COLUMNS = ("time_s", "target_id", "kind", "hostile", "e_m", "n_m", "u_m", "ve_mps", "vn_mps", "vu_mps")


def truth_table(truth: Truth) -> pa.Table:
    """``truth.parquet``: one row per target and sample time, sorted by (time_s, target_id)."""
    parts = list(truth_chunks(truth))
    return pa.concat_tables(parts).combine_chunks() if parts else _truth_rows(truth, np.zeros(0, np.int64))


def truth_chunks(truth: Truth, rows: int = 1 << 18) -> Iterator[pa.Table]:
    """The rows of :func:`truth_table` in order, ``rows`` at a time: memory for one chunk, not for the table.

    Samples are sorted by (target, time), so a stable sort by time alone gives the (time_s, target_id) order.
    """
    order = np.argsort(truth.samples.time_s, kind="stable")
    for start in range(0, order.size, rows):
        yield _truth_rows(truth, order[start:start + rows])


def _truth_rows(truth: Truth, rows: np.ndarray) -> pa.Table:
    s = truth.samples
    tid = s.target_id[rows]
    x = s.x[rows]
    names, codes = np.unique(truth.targets.kind, return_inverse=True)
    kind = pa.DictionaryArray.from_arrays(arrow_array(codes.astype(np.int32)[tid], pa.int32()),
                                          arrow_array(names.tolist(), pa.string())).cast(pa.string())
    return to_arrow({
        "time_s": s.time_s[rows],
        "target_id": tid,
        "kind": kind,
        "hostile": truth.targets.hostile[tid],
        "e_m": x[:, 0], "n_m": x[:, 1], "u_m": x[:, 2],
        "ve_mps": x[:, 3], "vn_mps": x[:, 4], "vu_mps": x[:, 5],
    })


def targets_table(truth: Truth, scenario: Scenario) -> pa.Table:
    """``targets.parquet``: one row per target with its attributes and how its flight ended."""
    t = truth.targets
    assets = np.array([a.name for a in scenario.assets] + [""], dtype=object)
    return to_arrow({
        "target_id": t.target_id,
        "kind": t.kind,
        "hostile": t.hostile,
        "group": t.group,
        "callsign": t.callsign,
        "rcs_m2": t.rcs_m2,
        "rcs_broadside_ratio": np.ones(len(t)) if t.rcs_broadside_ratio is None else t.rcs_broadside_ratio,
        "asset": assets[t.asset_index],
        "start_s": t.start_s,
        "end_s": t.end_s,
        "end_reason": t.end_reason,
    })
