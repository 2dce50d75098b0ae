"""The decision log's figures in ``summary.json``: a ``decisions`` section (rows by stage; its presence records
that ``decisions.parquet`` was written) and, in the ``engagement`` section, ``leak_causes``: leakers counted by
their first cause (every cause code present, 0 when none, so sweep rows line up; the terrain's codes only for a
scenario with terrain)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from airpicture.columns import arrow_scalar
from airpicture.decisions.schema import OUTCOME_CAUSES, STAGES, TERRAIN_CAUSES
from airpicture.vocab import Decision


def add_decision_summary(summary: dict[str, Any], table: pa.Table, terrain: bool = False) -> None:
    """Add the ``decisions`` section and ``engagement.leak_causes`` (when there is an engagement section);
    ``terrain``: the scenario has a ``[terrain]`` (its cause codes are counted too)."""
    counts = pc.value_counts(table.column("stage")).to_pylist() if table.num_rows else []
    by_stage = {c["values"]: int(c["counts"]) for c in counts}
    summary["decisions"] = {"rows": table.num_rows, **{s: by_stage.get(s, 0) for s in STAGES}}
    eng = summary.get("engagement")
    if isinstance(eng, dict):
        leaked = pc.equal(table.column("event"), arrow_scalar(Decision.LEAKED.value, pa.string()))
        reasons = table.filter(leaked).column("reason").to_pylist()
        codes = {**OUTCOME_CAUSES, **TERRAIN_CAUSES} if terrain else OUTCOME_CAUSES
        eng["leak_causes"] = {code: reasons.count(code) for code in codes}
