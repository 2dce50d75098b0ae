"""The ranked figure of a sensitivity sweep: one panel per output, parameters from the most to the least
influential (by total index), total and first-order Sobol' indices as bars with their bootstrap intervals.

Written as ``figures/sobol.html`` (plotly, self-contained) and ``figures/sobol.png`` (matplotlib).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from airpicture.sweep.fieldpath import parse_path
from airpicture.sweep.figures import METRIC_WORDS, field_label
from airpicture.sweep.sobol import OutputIndices
from airpicture.sweep.spec import SweepPlan

COLORS = {"ST": "#1f4e79", "S1": "#8fb8de"}
NAMES = {"ST": "total index (with interactions)", "S1": "first-order index (alone)"}


def _label(plan: SweepPlan, path: str) -> str:
    """Short readable name of a parameter; a key of a table field keeps the field's name ("pk cruise missile")."""
    short = field_label(plan, path)[1] or path
    try:
        tokens = parse_path(path)
    except ValueError:
        return short
    last = str(tokens[-1]).replace("_", " ")
    if len(tokens) >= 2 and isinstance(tokens[-2], str) and short.endswith(last):
        return f"{short[: len(short) - len(last)]}{tokens[-2].replace('_', ' ')} {last}"
    return short


def _bars(plan: SweepPlan, r: OutputIndices) -> dict[str, Any]:
    """Bar data of one output, most influential parameter first."""
    order = r.ranking()
    paths = plan.sensitivity.paths
    labels = [_label(plan, paths[i]) for i in order]
    out: dict[str, Any] = {"labels": labels, "paths": [paths[i] for i in order]}
    for key, est, lo, hi in (("ST", r.st, r.st_low, r.st_high), ("S1", r.s1, r.s1_low, r.s1_high)):
        y = est[order]
        out[key] = (y, np.maximum(np.nan_to_num(y - lo[order]), 0.0), np.maximum(np.nan_to_num(hi[order] - y), 0.0))
    return out


def _x_range(results: list[OutputIndices]) -> tuple[float, float]:
    """Common index axis: [0, 1] widened to every estimate and interval bound (estimators can stray past)."""
    values = np.concatenate([np.r_[r.s1, r.s1_low, r.s1_high, r.st, r.st_low, r.st_high] for r in results])
    values = values[np.isfinite(values)]
    lo = min(0.0, float(values.min()) - 0.03) if values.size else 0.0
    hi = max(1.05, float(values.max()) + 0.05) if values.size else 1.05
    return lo, hi


def _empty(r: OutputIndices) -> bool:
    return not np.any(np.isfinite(r.st))


def _title(r: OutputIndices) -> str:
    words = METRIC_WORDS.get(r.output, (r.output,))[0]
    extra = f", noise share {r.noise_share:.2f}" if r.noise_share is not None else ""
    return f"{words} ({r.samples_used} base samples{extra})"


def _caption(plan: SweepPlan) -> str:
    d = plan.sensitivity
    return (f"Sensitivity sweep {plan.spec.name}: base scenario '{plan.base.name}', {d.samples} base samples x "
            f"{len(d.parameters) + 2} = {len(plan.points)} sample points x {plan.spec.seeds_per_point} seed(s); "
            f"bars: Sobol' indices, whiskers: {d.confidence:.0%} bootstrap intervals")


def plotly_sobol(plan: SweepPlan, results: list[OutputIndices]) -> Any:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    n = len(results)
    d = len(plan.sensitivity.parameters)
    fig = make_subplots(rows=n, cols=1, subplot_titles=[_title(r) for r in results], vertical_spacing=0.3 / n)
    x_range = _x_range(results)
    for row, r in enumerate(results, start=1):
        bars = _bars(plan, r)
        if _empty(r):
            axis = "" if row == 1 else str(row)
            fig.add_annotation(text=r.note or "no indices", x=0.5 * (x_range[0] + x_range[1]), y=0.5,
                               xref=f"x{axis}", yref=f"y{axis} domain", showarrow=False, font=dict(color="#666"))
        for key in ("ST", "S1"):
            y, minus, plus = bars[key]
            fig.add_trace(go.Bar(
                y=bars["labels"], x=y, orientation="h", name=NAMES[key], legendgroup=key, showlegend=row == 1,
                marker_color=COLORS[key], customdata=bars["paths"],
                error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus},
                text=[f"{v:.2f}" if np.isfinite(v) else "" for v in y] if key == "ST" else None,
                textposition="outside", cliponaxis=False,
                hovertemplate="%{customdata}: %{x:.3f}<extra>" + key + "</extra>",
            ), row=row, col=1)
        fig.update_yaxes(autorange="reversed", row=row, col=1)
        fig.update_xaxes(range=list(x_range), row=row, col=1,
                         title="Sobol' index (share of the output variance)" if row == n else None)
    fig.update_layout(
        barmode="group", template="plotly_white", height=140 + n * (90 + 48 * d),
        title=dict(text="<br>".join(textwrap.wrap(_caption(plan), 140)), x=0.01, xanchor="left", font=dict(size=13)),
        legend=dict(orientation="h", x=0, xanchor="left", y=0.01, yanchor="bottom", yref="container"),
        margin=dict(t=120, b=90, l=60, r=20),
    )
    return fig


def matplotlib_sobol(plan: SweepPlan, results: list[OutputIndices]) -> Any:
    from matplotlib.figure import Figure

    n = len(results)
    d = len(plan.sensitivity.parameters)
    fig = Figure(figsize=(8.5, 1.2 + n * (0.9 + 0.45 * d)), layout="constrained")
    axes = fig.subplots(n, 1, squeeze=False)[:, 0]
    x_range = _x_range(results)
    for ax, r in zip(axes, results, strict=True):
        bars = _bars(plan, r)
        if _empty(r):
            ax.text(0.5, 0.5, r.note or "no indices", transform=ax.transAxes, ha="center", va="center", fontsize=8,
                    color="#666")
            ax.set_yticks(np.arange(d), bars["labels"], fontsize=8)
            ax.invert_yaxis()
            ax.set_xlim(*x_range)
            ax.set_title(_title(r), fontsize=9)
            continue
        pos = np.arange(d)
        for k, key in enumerate(("ST", "S1")):
            y, minus, plus = bars[key]
            ax.barh(pos + (k - 0.5) * 0.38, np.nan_to_num(y), height=0.38, color=COLORS[key], label=NAMES[key],
                    xerr=np.vstack([minus, plus]), capsize=2, error_kw={"elinewidth": 0.8})
            if key == "ST":
                for yi, v in zip(pos, y, strict=True):
                    if np.isfinite(v):
                        ax.annotate(f"{v:.2f}", (max(v, 0.0), yi - 0.19), xytext=(3, 0), textcoords="offset points",
                                    va="center", fontsize=7)
        ax.set_yticks(pos, bars["labels"], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(*x_range)
        ax.set_title(_title(r), fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0].legend(fontsize=7, loc="lower right")
    axes[-1].set_xlabel("Sobol' index (share of the output variance)")
    fig.suptitle("\n".join(textwrap.wrap(_caption(plan), 110)), fontsize=9)
    return fig


def write_sobol_figures(plan: SweepPlan, results: list[OutputIndices], folder: Path) -> list[Path]:
    """Write ``sobol.html`` and ``sobol.png`` into ``folder`` (each renamed into place once complete)."""
    folder.mkdir(parents=True, exist_ok=True)
    html, png = folder / "sobol.html", folder / "sobol.png"
    tmp_html = folder / f".sobol.html.tmp-{os.getpid()}"
    plotly_sobol(plan, results).write_html(tmp_html, include_plotlyjs=True, full_html=True, default_width="100%",
                                           div_id="airpicture-sobol",
                                           config={"responsive": True, "displaylogo": False})
    os.replace(tmp_html, html)
    tmp_png = folder / f".sobol.png.tmp-{os.getpid()}"
    matplotlib_sobol(plan, results).savefig(tmp_png, format="png", dpi=110, metadata={"Software": None})
    os.replace(tmp_png, png)
    return [html, png]
