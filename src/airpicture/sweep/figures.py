"""Saturation figures of a sweep: the metric (leakers) and P(at least one leak) against the swept parameter,
95% confidence intervals, one curve per combination of the other swept values, textbook estimates overlaid.

``sweep_curves`` does the statistics (testable without drawing); ``plotly_figure`` and ``matplotlib_figure``
draw them; ``write_figures`` writes ``figures/saturation.html`` (self-contained) and ``figures/saturation.png``.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from airpicture.sweep.analysis import (
    Interval,
    arrival_period,
    erlang_b,
    leak_probability,
    mixed_leak_probability_engaged,
    probability_any,
    t_interval,
    threat_mix,
    wilson_interval,
)
from airpicture.sweep.spec import SweepPlan

F64 = NDArray[np.float64]
DEFAULT_METRICS = ("engagement.leakers", "targets.threats_reaching_asset_unopposed")
ARRIVALS = "engagement.threat_arrivals"
OBSERVATION = "engagement.observation_s"
HOLDING = "engagement.mean_channel_holding_s"
ARRIVAL_P10, ARRIVAL_P90 = "engagement.arrival_p10_s", "engagement.arrival_p90_s"
BLOCKED = "engagement.blocked_no_channel"
THREATS = ("engagement.threats", "targets.threats")
CONFIDENCE = 0.95
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")


@dataclass(frozen=True)
class Analytic:
    """Textbook estimates at one grid point, from the simulated arrival rate and mean channel holding time.

    ``arrival_rate_per_s`` is taken over the period the threats arrive (``rate_over_arrivals``), or, for rows
    without arrival times (a folder begun by an older version), over the whole run: then the offered load and
    the Erlang blocking are lower bounds for a raid shorter than the run.
    """

    arrival_rate_per_s: float
    rate_over_arrivals: bool
    offered_load: float
    erlang_blocking: float
    p_leak_engaged: float
    threats: float
    expected_leakers: float
    p_any_leak: float


@dataclass(frozen=True)
class CurvePoint:
    """Statistics of one grid point."""

    point: int
    x: Any
    ok: int
    failed: int
    mean: Interval
    p_positive: tuple[float, float, float]
    blocking: Interval | None = None
    analytic: Analytic | None = None


@dataclass
class Curve:
    """One curve: the grid points sharing the values of every swept parameter other than x."""

    label: str
    points: list[CurvePoint] = field(default_factory=list)


def choose_metric(table: pa.Table, requested: str | None) -> str | None:
    """The column to plot: ``requested`` if given and present, else the first default present with data."""
    candidates = (requested,) if requested else DEFAULT_METRICS
    for name in candidates:
        if name in table.column_names and table.column(name).null_count < len(table):
            return name
    return None


def _column(table: pa.Table, name: str) -> F64:
    if name not in table.column_names:
        return np.full(len(table), np.nan)
    col = pc.cast(table.column(name), pa.float64())
    return np.asarray(col.fill_null(np.nan).to_numpy(), dtype=float)


def sweep_curves(plan: SweepPlan, table: pa.Table, metric: str) -> list[Curve]:
    """Group the rows by grid point and compute every plotted statistic."""
    point_of = table.column("point").to_numpy()
    failed = ~np.asarray(table.column("error").is_null().to_numpy(zero_copy_only=False), dtype=bool)
    y = _column(table, metric)
    arrivals, observation = _column(table, ARRIVALS), _column(table, OBSERVATION)
    period = arrival_period(_column(table, ARRIVAL_P10), _column(table, ARRIVAL_P90), arrivals)
    holding, blocked = _column(table, HOLDING), _column(table, BLOCKED)
    threats = _column(table, THREATS[0])
    if np.all(np.isnan(threats)):
        threats = _column(table, THREATS[1])

    x_path = plan.x_path
    others = [p for p in plan.grid_paths if p != x_path]
    curves: dict[tuple[str, ...], Curve] = {}
    for gp in plan.points:
        key = tuple(repr(gp.values[p]) for p in others)
        label = ", ".join(f"{field_label(plan, p)[1]} = {_show(gp.values[p])}" for p in others) or "all runs"
        curve = curves.setdefault(key, Curve(label))
        rows = (point_of == gp.index) & ~failed
        yv = y[rows]
        yv = yv[np.isfinite(yv)]
        p_pos = wilson_interval(np.sum(yv > 0), yv.size, CONFIDENCE)
        blocking = analytic = None
        arr = arrivals[rows]
        if np.any(np.isfinite(arr)) and np.nansum(arr) > 0:
            with np.errstate(invalid="ignore", divide="ignore"):
                blocking = t_interval(np.where(arr > 0, blocked[rows] / arr, np.nan), CONFIDENCE)
            analytic = _analytic(gp.scenario, arr, period[rows], observation[rows], holding[rows], blocked[rows],
                                 threats[rows])
        curve.points.append(CurvePoint(gp.index, gp.values[x_path], int(rows.sum()),
                                       int(np.sum((point_of == gp.index) & failed)), t_interval(yv, CONFIDENCE),
                                       (float(p_pos[0]), float(p_pos[1]), float(p_pos[2])), blocking, analytic))
    return list(curves.values())


def _analytic(scenario: Any, arrivals: F64, period: F64, observation: F64, holding: F64, blocked: F64,
              threats: F64) -> Analytic | None:
    """Pooled over a grid point's runs: arrival rate ``sum(n) / sum(arrival period)`` (runs with a period),
    else ``sum(n) / sum(run length)``; engagement-weighted mean holding time."""
    if not scenario.batteries:
        return None
    battery = scenario.batteries[0]
    timed = np.isfinite(period) & np.isfinite(arrivals)
    over_arrivals = bool(np.any(timed))
    with np.errstate(invalid="ignore", divide="ignore"):
        if over_arrivals:
            lam = float(np.sum(arrivals[timed]) / np.sum(period[timed]))
        else:
            lam = float(np.nansum(arrivals) / np.nansum(observation))
    engaged = arrivals - np.nan_to_num(blocked)
    ok = np.isfinite(holding) & (engaged > 0)
    if not np.any(ok) or not np.isfinite(lam):
        return None
    h = float(np.sum(holding[ok] * engaged[ok]) / np.sum(engaged[ok]))
    load = float(lam * h)
    b = float(erlang_b(battery.fire_channels, load))
    q = mixed_leak_probability_engaged(battery, threat_mix(scenario))
    n = float(np.nanmean(threats)) if np.any(np.isfinite(threats)) else np.nan
    p = float(leak_probability(b, q))
    return Analytic(lam, over_arrivals, load, b, q, n, n * p, float(probability_any(p, n)))


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


#: What a list entry of the scenario is called in titles, by the list's field name.
_OWNER = {"raids": "raid", "batteries": "battery", "sensors": "radar", "civil_traffic": "civil traffic",
          "replays": "replay", "assets": "asset"}


def field_label(plan: SweepPlan, path: str) -> tuple[str, str]:
    """(long, short) readable names of a swept field from the base scenario: the field's description and the
    entry it belongs to, e.g. ("Number of threats of raid 'cm' (raids[1].count)", "raid 'cm' count")."""
    from pydantic import BaseModel

    from airpicture.sweep.fieldpath import parse_path

    try:
        tokens = parse_path(path)
    except ValueError:
        return path, path
    node: Any = plan.base
    description = ""
    owner = ""
    last_list = ""
    for tok in tokens:
        if isinstance(tok, int):
            try:
                node = node[tok]
            except (IndexError, KeyError, TypeError):
                return path, path
            name = getattr(node, "name", None)
            if name is not None:
                owner = f"{_OWNER.get(last_list, last_list)} '{name}'"
            continue
        if isinstance(node, BaseModel):
            info = type(node).model_fields.get(tok)
            if info is not None and info.description:
                description = info.description
            node = getattr(node, tok, None)
        elif isinstance(node, dict):
            description = f"{description}: {tok}" if description else str(tok)
            node = node.get(tok)
        else:
            return path, path
        last_list = str(tok)
    field = str(tokens[-1]).replace("_", " ")
    description = description.split(". ")[0].rstrip(".") if description else field
    long = f"{description}{' of ' + owner if owner else ''} ({path})"
    short = f"{owner} {field}".strip()
    return long, short


def grid_ticks(plan: SweepPlan) -> tuple[list[float], list[str]] | None:
    """Tick positions and labels at the swept x values (numeric x, at most 15 values)."""
    numeric, _ = _x_axis(plan)
    if not numeric:
        return None
    values = sorted({float(gp.values[plan.x_path]) for gp in plan.points})
    if not 0 < len(values) <= 15:
        return None
    return values, [_show(v if not float(v).is_integer() else int(v)) for v in values]


def _x_axis(plan: SweepPlan) -> tuple[bool, bool]:
    """(numeric, logarithmic) for the x axis."""
    import pyarrow.types as pat

    dtype = plan.grid_types[plan.x_path]
    numeric = pat.is_integer(dtype) or pat.is_floating(dtype)
    if not numeric:
        return False, False
    xs = np.array([gp.values[plan.x_path] for gp in plan.points], dtype=float)
    return True, bool(np.all(xs > 0) and xs.max() / xs.min() >= 10)


#: Words for the summary columns a sweep usually plots (others are shown by their column name).
METRIC_WORDS = {"engagement.leakers": ("Leakers per run", "at least one leaker"),
                "targets.threats_reaching_asset_unopposed": ("Threats reaching their asset, undefended",
                                                             "at least one threat reaching its asset")}


def _panels(curves: list[Curve], metric: str) -> list[tuple[str, str]]:
    words, event = METRIC_WORDS.get(metric, (metric, f"{metric} > 0"))
    panels = [(f"{words} (mean, {CONFIDENCE:.0%} t-interval)", "mean"),
              (f"P({event}) ({CONFIDENCE:.0%} Wilson interval)", "p")]
    if any(pt.blocking is not None for c in curves for pt in c.points):
        panels.append(("P(threat finds every fire channel busy)", "blocking"))
    return panels


def _series(curve: Curve, kind: str, numeric: bool) -> dict[str, Any]:
    pts = sorted(curve.points, key=lambda p: p.x) if numeric else curve.points
    x = [p.x for p in pts]
    if kind == "mean":
        y = [p.mean.estimate for p in pts]
        lo = [p.mean.low for p in pts]
        hi = [p.mean.high for p in pts]
        model = [p.analytic.expected_leakers if p.analytic else np.nan for p in pts]
    elif kind == "p":
        y = [p.p_positive[0] for p in pts]
        lo = [p.p_positive[1] for p in pts]
        hi = [p.p_positive[2] for p in pts]
        model = [p.analytic.p_any_leak if p.analytic else np.nan for p in pts]
    else:
        y = [p.blocking.estimate if p.blocking else np.nan for p in pts]
        lo = [p.blocking.low if p.blocking else np.nan for p in pts]
        hi = [p.blocking.high if p.blocking else np.nan for p in pts]
        model = [p.analytic.erlang_blocking if p.analytic else np.nan for p in pts]
    n = [f"{p.ok} runs" + (f", {p.failed} failed" if p.failed else "") for p in pts]
    return {"x": x, "y": np.array(y, float), "lo": np.array(lo, float), "hi": np.array(hi, float),
            "model": np.array(model, float), "n": n}


def model_note(curves: list[Curve]) -> str:
    """The caption's account of the dashed lines: where the arrival rate of Erlang's formula comes from."""
    points = [pt.analytic for c in curves for pt in c.points if pt.analytic is not None]
    if not points:
        return ""
    note = ("dashed: textbook estimate, Erlang B(c, lambda h) and binomial Pk; lambda = arrival rate over the "
            "period the threats arrive (central 80% of arrival times), h = mean channel holding time")
    if not all(a.rate_over_arrivals for a in points):
        note += ("; where runs lack arrival times, lambda over the whole run: a lower bound of the load, and of "
                 "the blocking, for a raid shorter than the run")
    return note


MODEL_LABEL = {"mean": "Erlang B + binomial Pk (expected leakers)", "p": "Erlang B + binomial Pk",
               "blocking": "Erlang B(c, lambda h)"}


def plotly_figure(plan: SweepPlan, curves: list[Curve], metric: str) -> Any:
    """The saturation figure as a plotly ``Figure``."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    numeric, log = _x_axis(plan)
    panels = _panels(curves, metric)
    note = textwrap.wrap(model_note(curves), 150 * len(panels) // 2)  # about 150 characters in 900 pixels
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[t for t, _ in panels])
    for ci, curve in enumerate(curves):
        color = PALETTE[ci % len(PALETTE)]
        for pi, (_, kind) in enumerate(panels):
            s = _series(curve, kind, numeric)
            fig.add_trace(go.Scatter(
                x=s["x"], y=s["y"], mode="lines+markers", name=curve.label, legendgroup=curve.label,
                showlegend=pi == 0, line={"color": color}, text=s["n"],
                error_y={"type": "data", "symmetric": False, "array": np.maximum(s["hi"] - s["y"], 0.0),
                         "arrayminus": np.maximum(s["y"] - s["lo"], 0.0)},
                hovertemplate="%{x}: %{y:.3g} (%{text})<extra>" + curve.label + "</extra>",
            ), row=1, col=pi + 1)
            if np.any(np.isfinite(s["model"])) and (kind != "mean" or metric == "engagement.leakers"):
                fig.add_trace(go.Scatter(
                    x=s["x"], y=s["model"], mode="lines", name=f"{MODEL_LABEL[kind]}: {curve.label}",
                    legendgroup=curve.label, showlegend=False, line={"color": color, "dash": "dash"},
                    hovertemplate="%{x}: %{y:.3g}<extra>" + MODEL_LABEL[kind] + "</extra>",
                ), row=1, col=pi + 1)
    x_title = field_label(plan, plan.x_path)[0]
    ticks = grid_ticks(plan)
    for pi in range(len(panels)):
        fig.update_xaxes(title=dict(text="<br>".join(textwrap.wrap(x_title, 50)), font=dict(size=12)),
                         type="log" if log else None, row=1, col=pi + 1)
        if ticks is not None:
            fig.update_xaxes(tickmode="array", tickvals=ticks[0], ticktext=ticks[1], minor=dict(showgrid=False),
                             row=1, col=pi + 1)
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    for pi in range(1, len(panels)):
        fig.update_yaxes(range=[0, 1.02], row=1, col=pi + 1)
    fig.update_annotations(font_size=12)
    fig.update_layout(
        title=dict(text=f"Sweep {plan.spec.name}: {plan.spec.seeds_per_point} seeds per point, base scenario "
                        f"'{plan.base.name}'" + "".join(f"<br><sup>{line}</sup>" for line in note), x=0.01,
                   xanchor="left"),
        template="plotly_white", height=560 + 18 * len(note), autosize=True,
        legend=dict(orientation="h", x=0, xanchor="left", y=-0.3, yanchor="top",
                    title=dict(text="Curves (solid: simulated, 95% intervals; dashed: textbook)")),
        margin=dict(t=90 + 18 * len(note), b=170, l=60, r=20),
    )
    return fig


def matplotlib_figure(plan: SweepPlan, curves: list[Curve], metric: str) -> Any:
    """The saturation figure as a matplotlib ``Figure`` (no pyplot state)."""
    from matplotlib.figure import Figure

    numeric, log = _x_axis(plan)
    panels = _panels(curves, metric)
    fig = Figure(figsize=(5.2 * len(panels), 4.4), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ci, curve in enumerate(curves):
        color = PALETTE[ci % len(PALETTE)]
        for ax, (_, kind) in zip(axes, panels, strict=True):
            s = _series(curve, kind, numeric)
            xs = s["x"] if numeric else [str(v) for v in s["x"]]
            err = np.maximum(np.nan_to_num(np.vstack([s["y"] - s["lo"], s["hi"] - s["y"]])), 0.0)
            ax.errorbar(xs, s["y"], yerr=err, color=color, marker="o", capsize=3,
                        label=curve.label)
            if np.any(np.isfinite(s["model"])) and (kind != "mean" or metric == "engagement.leakers"):
                label = "dashed: Erlang B + binomial Pk" if ci == 0 else "_nolegend_"
                ax.plot(xs, s["model"], color=color, linestyle="--", label=label)
    ticks = sorted({gp.values[plan.x_path] for gp in plan.points}) if numeric else []
    for ax, (title, kind) in zip(axes, panels, strict=True):
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(plan.x_path)
        if log:
            ax.set_xscale("log")
        if 0 < len(ticks) <= 12:
            ax.set_xticks(ticks, [_show(t) for t in ticks])
            ax.minorticks_off()
        ax.set_ylim(0, 1.02 if kind != "mean" else None)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(bottom=0)
    axes[0].legend(fontsize=7)
    note = textwrap.wrap(model_note(curves), 14 * len(panels) * 5)  # about 14 characters an inch at 9 pt
    fig.suptitle("\n".join([f"Sweep {plan.spec.name} (base '{plan.base.name}', {plan.spec.seeds_per_point} seeds "
                            "per point)", *note]), fontsize=9)
    return fig


#: Below 760 pixels the panels of the sweep page stack vertically (same data; domains and titles moved).
NARROW_SCRIPT = r"""
(function () {
  const gd = document.getElementById('{plot_id}');
  const wide = JSON.parse(JSON.stringify(gd.layout));
  const n = Object.keys(gd._fullLayout).filter(k => /^xaxis\d*$/.test(k)).length;
  let narrow = null;
  function fit() {
    const w = gd.parentElement.clientWidth;
    const now = w < 760;
    if (now === narrow) return;
    narrow = now;
    const upd = {};
    const ann = JSON.parse(JSON.stringify(wide.annotations || []));
    for (let i = 0; i < n; i++) {
      const sx = i === 0 ? '' : String(i + 1);
      if (now) {
        const top = 1 - i / n, bottom = 1 - (i + 1) / n + 0.09;
        upd['xaxis' + sx + '.domain'] = [0, 1];
        upd['yaxis' + sx + '.domain'] = [bottom, top - 0.05];
        if (ann[i]) { ann[i].x = 0.5; ann[i].y = top - 0.045; }
      } else {
        upd['xaxis' + sx + '.domain'] = wide['xaxis' + sx].domain;
        upd['yaxis' + sx + '.domain'] = wide['yaxis' + sx].domain;
      }
    }
    upd.annotations = ann;
    upd.height = now ? 420 * n + 260 : wide.height;
    upd['legend.y'] = now ? -0.06 : wide.legend.y;
    upd['legend.title.text'] = now ? '' : (wide.legend.title ? wide.legend.title.text : '');
    upd['title.text'] = now ? wide.title.text.split('<br>')[0] : wide.title.text;
    upd['title.font.size'] = now ? 13 : null;
    upd['margin.t'] = now ? 50 : wide.margin.t;
    Plotly.relayout(gd, upd);
  }
  fit();
  window.addEventListener('resize', fit);
})();
"""


def write_figures(plan: SweepPlan, table: pa.Table, folder: Path) -> list[Path]:
    """Write ``saturation.html`` and ``saturation.png`` into ``folder``; nothing if no run succeeded."""
    metric = choose_metric(table, plan.spec.figures.metric)
    if metric is None or table.column("error").null_count == 0:
        return []
    curves = sweep_curves(plan, table, metric)
    folder.mkdir(parents=True, exist_ok=True)
    html, png = folder / "saturation.html", folder / "saturation.png"
    tmp_html = folder / f".saturation.html.tmp-{os.getpid()}"
    plotly_figure(plan, curves, metric).write_html(
        tmp_html, include_plotlyjs=True, full_html=True, div_id="airpicture-sweep", default_width="100%",
        config={"responsive": True, "displaylogo": False}, post_script=NARROW_SCRIPT)
    os.replace(tmp_html, html)
    tmp_png = folder / f".saturation.png.tmp-{os.getpid()}"
    matplotlib_figure(plan, curves, metric).savefig(tmp_png, format="png", dpi=110, metadata={"Software": None})
    os.replace(tmp_png, png)
    return [html, png]
