"""The one engine that owns the time loop: scenario -> truth -> detections -> tracks -> engagements -> metrics.

``run_scenario`` returns every stage's output as Arrow tables plus the summary; ``write_run`` writes them into a
results folder atomically. Both are deterministic for a given scenario (seed included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import tomli_w

from airpicture import __version__
from airpicture.io import results_folder, write_json, write_parquet
from airpicture.progress import Reporter, Silent
from airpicture.scenario import ALL_KINDS, Scenario, scenario_to_toml_dict
from airpicture.tables import targets_table, truth_table
from airpicture.truth import Truth, generate_truth


@dataclass
class RunResult:
    """Everything a run produced, in memory."""

    scenario: Scenario
    truth: Truth
    tables: dict[str, pa.Table] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def run_scenario(scenario: Scenario, progress: Reporter | None = None, source: str = "scenario") -> RunResult:
    """Simulate ``scenario`` end to end."""
    progress = progress or Silent()
    progress.stage("truth", total=1)
    truth = generate_truth(scenario, source)
    progress.update(1)
    result = RunResult(scenario, truth)
    result.tables["truth"] = truth_table(truth)
    result.tables["targets"] = targets_table(truth, scenario)
    result.summary = build_summary(scenario, truth)
    progress.done()
    return result


def build_summary(scenario: Scenario, truth: Truth) -> dict[str, Any]:
    t = truth.targets
    by_kind = {k: int(np.sum(t.kind == k)) for k in ALL_KINDS if np.any(t.kind == k)}
    hostile = int(np.sum(t.hostile))
    return {
        "airpicture_version": __version__,
        "scenario": scenario.name,
        "seed": scenario.seed,
        "duration_s": scenario.duration_s,
        "targets": {
            "total": len(t),
            "threats": hostile,
            "civil": len(t) - hostile,
            "by_kind": by_kind,
            "threats_reaching_asset_unopposed": int(np.sum(t.hostile & (t.end_reason == "impact"))),
        },
        "truth_rows": len(truth.samples),
    }


def write_run(result: RunResult, out: Path, overwrite: bool = False) -> Path:
    """Write ``result`` into ``out`` atomically; return ``out``."""
    with results_folder(out, overwrite=overwrite) as tmp:
        for name, table in result.tables.items():
            write_parquet(tmp / f"{name}.parquet", table)
        (tmp / "scenario.toml").write_bytes(tomli_w.dumps(scenario_to_toml_dict(result.scenario)).encode())
        write_json(tmp / "summary.json", result.summary)
    return out
