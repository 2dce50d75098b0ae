"""Sobol' indices of a finished ``[sensitivity]`` sweep: first-order and total indices of every parameter for
every output, with bootstrap confidence intervals, ranked; written as ``sobol.parquet``, a ranked figure
(``figures/sobol.html``, ``figures/sobol.png``) and a summary under ``"sensitivity_results"`` in ``sweep.json``.

The estimators are SALib's (``SALib.analyze.sobol``: Saltelli et al. 2010 for the first-order index, Jansen's
for the total index); the intervals are percentile intervals of SALib's bootstrap resamples of the base samples.

A sample point's output is the mean of its runs (``seeds_per_point`` replications; failed runs and runs where
the output is undefined, such as kills per interceptor when nothing was fired, are left out, unless the
sensitivity table gives the output a ``fill`` value: the first saturation time of a run that never saturated
can be taken as its duration). A base sample
whose block of ``D + 2`` points lacks an output anywhere is left out of that output's analysis, so the
estimators always see whole blocks; ``samples_used`` tells how many remained.

Run-to-run randomness counts as variance no parameter explains: it lowers first-order indices and raises
every total index by about its share of the output variance. With ``seeds_per_point >= 2`` that share is
estimated (``noise_share``, the replication variance of a sample point's mean over the variance of the means);
``common_random_numbers = true`` makes it much smaller.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from airpicture.io import write_parquet
from airpicture.sweep.sensitivity import SensitivityDesign
from airpicture.sweep.spec import SweepPlan

F64 = NDArray[np.float64]
TABLE_FILE = "sobol.parquet"
SUMMARY_KEY = "sensitivity_results"
#: Fewest whole base samples an output needs before its indices are estimated.
MIN_SAMPLES = 4


@dataclass(frozen=True)
class OutputIndices:
    """The indices of one output: per parameter (design order) S1 and ST with their interval bounds."""

    output: str
    samples_used: int
    mean: float
    variance: float
    noise_share: float | None
    note: str
    s1: F64
    s1_low: F64
    s1_high: F64
    st: F64
    st_low: F64
    st_high: F64

    def ranking(self) -> list[int]:
        """Parameter indices by decreasing total index (undefined ones last, then design order)."""
        key = np.where(np.isfinite(self.st), -self.st, np.inf)
        return [int(i) for i in np.argsort(key, kind="stable")]


def _column(table: pa.Table, name: str) -> F64:
    if name not in table.column_names:
        return np.full(len(table), np.nan)
    col = pc.cast(table.column(name), pa.float64())
    return np.asarray(col.fill_null(np.nan).to_numpy(), dtype=float)


def point_outputs(plan: SweepPlan, table: pa.Table, output: str) -> tuple[F64, float | None]:
    """Each sample point's mean output over its successful runs (NaN where none), and the noise share."""
    n_points = len(plan.points)
    point = table.column("point").to_numpy() if len(table) else np.zeros(0, int)
    ok = np.asarray(table.column("error").is_null().to_numpy(zero_copy_only=False), dtype=bool)
    y = _column(table, output)
    fill = dict(plan.sensitivity.fill).get(output)
    if fill is not None:
        y = np.where(ok & np.isnan(y), fill, y)
    good = ok & np.isfinite(y) & (point < n_points)
    counts = np.bincount(point[good], minlength=n_points).astype(float)
    sums = np.bincount(point[good], weights=y[good], minlength=n_points)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / counts, np.nan)
    noise = None
    if plan.spec.seeds_per_point >= 2:
        sq = np.bincount(point[good], weights=(y[good] - means[point[good]]) ** 2, minlength=n_points)
        several = counts >= 2
        if np.any(several) and np.sum(np.isfinite(means)) >= 2:
            within = float(np.mean(sq[several] / (counts[several] - 1)))
            between = float(np.nanvar(means, ddof=1))
            reps = float(np.mean(counts[several]))
            noise = within / reps / between if between > 0 else None
    return means, noise


def analyse_output(design: SensitivityDesign, y: F64) -> tuple[int, F64, F64, F64, F64, F64, F64, str]:
    """SALib's first-order and total indices of the sample-point outputs ``y`` (design order) with percentile
    bootstrap intervals; base samples with a missing output are left out."""
    d = len(design.parameters)
    blocks = y.reshape(design.samples, design.block)
    whole = np.all(np.isfinite(blocks), axis=1)
    used = int(whole.sum())
    nan = np.full(d, np.nan)
    if used < MIN_SAMPLES:
        return used, nan, nan, nan, nan, nan, nan, (f"only {used} whole base samples (at least {MIN_SAMPLES} "
                                                    "needed): failed runs or an undefined output")
    yc = blocks[whole].ravel()
    if np.ptp(yc) <= 0.0:
        return used, nan, nan, nan, nan, nan, nan, "the output is the same in every run: no variance to apportion"
    from SALib.analyze import sobol

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns when a bootstrap resample happens to be constant
        res = sobol.analyze(design.problem(), yc, calc_second_order=False, num_resamples=design.bootstrap,
                            conf_level=design.confidence, keep_resamples=True, seed=design.bootstrap_seed)
    q = [(1.0 - design.confidence) / 2.0, (1.0 + design.confidence) / 2.0]
    s1_lo, s1_hi = np.nanquantile(np.asarray(res["S1_conf_all"], float), q, axis=0)
    st_lo, st_hi = np.nanquantile(np.asarray(res["ST_conf_all"], float), q, axis=0)
    note = "" if used == design.samples else f"{design.samples - used} base samples left out (missing output)"
    return (used, np.asarray(res["S1"], float), s1_lo, s1_hi, np.asarray(res["ST"], float), st_lo, st_hi, note)


def sobol_indices(plan: SweepPlan, table: pa.Table) -> list[OutputIndices]:
    """Every output's indices from the sweep rows ``table``."""
    design: SensitivityDesign = plan.sensitivity
    out = []
    for output in design.outputs:
        y, noise = point_outputs(plan, table, output)
        used, s1, s1_lo, s1_hi, st, st_lo, st_hi, note = analyse_output(design, y)
        finite = y[np.isfinite(y)]
        mean = float(finite.mean()) if finite.size else float("nan")
        var = float(finite.var(ddof=1)) if finite.size > 1 else float("nan")
        out.append(OutputIndices(output, used, mean, var, noise, note, s1, s1_lo, s1_hi, st, st_lo, st_hi))
    return out


def indices_table(plan: SweepPlan, results: list[OutputIndices]) -> pa.Table:
    """One row per (output, parameter), ranked within each output by the total index (rank 1: largest)."""
    paths = plan.sensitivity.paths
    cols: dict[str, list[Any]] = {k: [] for k in ("output", "rank", "parameter", "S1", "S1_low", "S1_high", "ST",
                                                  "ST_low", "ST_high", "samples_used", "noise_share")}
    for r in results:
        for rank, i in enumerate(r.ranking(), start=1):
            cols["output"].append(r.output)
            cols["rank"].append(rank)
            cols["parameter"].append(paths[i])
            for name, arr in (("S1", r.s1), ("S1_low", r.s1_low), ("S1_high", r.s1_high), ("ST", r.st),
                              ("ST_low", r.st_low), ("ST_high", r.st_high)):
                cols[name].append(float(arr[i]))
            cols["samples_used"].append(r.samples_used)
            cols["noise_share"].append(r.noise_share)
    types = {"output": pa.string(), "rank": pa.int64(), "parameter": pa.string(), "samples_used": pa.int64()}
    return pa.table({k: pa.array(v, types.get(k, pa.float64())) for k, v in cols.items()})


def _num(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def summary(plan: SweepPlan, table: pa.Table, results: list[OutputIndices]) -> dict[str, Any]:
    """The JSON summary: the design, and per output its ranked indices (NaN as null)."""
    design: SensitivityDesign = plan.sensitivity
    ok = int(table.column("error").null_count) if len(table) else 0
    outputs = {}
    for r in results:
        outputs[r.output] = {
            "samples_used": r.samples_used, "mean": _num(r.mean), "variance": _num(r.variance),
            "noise_share": _num(r.noise_share), "note": r.note,
            "ranking": [{"parameter": design.paths[i], "ST": _num(r.st[i]),
                         "ST_interval": [_num(r.st_low[i]), _num(r.st_high[i])], "S1": _num(r.s1[i]),
                         "S1_interval": [_num(r.s1_low[i]), _num(r.s1_high[i])]} for i in r.ranking()],
        }
    return {
        "method": "Sobol' indices (SALib: Saltelli sample, Saltelli 2010 first-order and Jansen total estimators), "
                  "percentile bootstrap intervals over the base samples",
        "samples": design.samples, "sample_points": len(plan.points), "seeds_per_point": plan.spec.seeds_per_point,
        "runs": len(table), "runs_ok": ok, "confidence": design.confidence, "bootstrap": design.bootstrap,
        "fill": dict(design.fill),
        "parameters": {p.path: p.describe() for p in design.parameters},
        "outputs": outputs,
    }


def write_sensitivity(plan: SweepPlan, table: pa.Table, folder: Path, figures: bool = True) -> list[Path]:
    """Write ``sobol.parquet``, the summary in ``sweep.json`` and (``figures``) the ranked figure; return the
    table's and figures' paths. Every file is written under a temporary name and renamed into place."""
    results = sobol_indices(plan, table)
    paths = []
    final = folder / TABLE_FILE
    tmp = folder / f".{TABLE_FILE}.tmp-{os.getpid()}"
    write_parquet(tmp, indices_table(plan, results))
    os.replace(tmp, final)
    paths.append(final)
    _write_summary(folder, summary(plan, table, results))
    if figures and any(r.samples_used >= MIN_SAMPLES and np.any(np.isfinite(r.st)) for r in results):
        from airpicture.sweep.sensitivity_figures import write_sobol_figures

        paths += write_sobol_figures(plan, results, folder / "figures")
    return paths


def _write_summary(folder: Path, data: dict[str, Any]) -> None:
    from airpicture.sweep.store import META_FILE

    path = folder / META_FILE
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta[SUMMARY_KEY] = data
    tmp = folder / f".{META_FILE}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(meta, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
