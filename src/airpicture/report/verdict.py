"""The report's first screen: the verdict written from the run, the bottleneck strip (which limit bound when) and
the outcomes by threat kind, from the decision log (:mod:`airpicture.explain.battle`).

The strip has one lane per limit (track slots, fire channels, in-flight limit, ready rounds): a pale cell where
the limit was at its level (from ``timeline.parquet``) with nobody waiting, a coloured cell where threats waited
for it (darker: more threats waiting), and a lane of the moments threats got through. Times are seconds from the
scenario start.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from airpicture.explain.battle import RESOURCES, Battle, at_limit, outcomes_by_kind, verdict, waiting_counts
from airpicture.report.plotlyjson import template
from airpicture.report.style import EVENT_STYLE
from airpicture.vocab import Decision, EngagementEvent

#: Most columns of the strip (time bins); the bin is a whole number of time steps.
STRIP_BINS = 450


def strip_times(battle: Battle) -> np.ndarray:
    sc = battle.run.scenario
    step = sc.time_step_s * max(1, int(np.ceil(sc.duration_s / sc.time_step_s / STRIP_BINS)))
    return np.arange(step, sc.duration_s + 1e-9, step)


def bottleneck_figure(battle: Battle) -> dict[str, Any]:
    """The bottleneck strip: lanes of limits over time, coloured by the threats waiting, and the leaks (a plotly
    figure dict, see :mod:`airpicture.report.plotlyjson`)."""
    times = strip_times(battle)
    waiting = waiting_counts(battle, times)
    full = at_limit(battle.run, times)
    lanes = list(RESOURCES)
    z = np.full((len(lanes), times.size), np.nan)
    for i, res in enumerate(lanes):
        z[i] = np.where(waiting[res] > 0, waiting[res], np.where(full[res], 0.0, np.nan))
    labels = [RESOURCES[r].capitalize() for r in lanes]
    text = [[(f"{RESOURCES[r]}: {int(v)} threat{'s' if v != 1 else ''} waiting" if v > 0 else
              f"{RESOURCES[r]}: at the limit, nobody waiting") if np.isfinite(v) else "" for v in row]
            for r, row in zip(lanes, z, strict=True)]
    zmax = float(np.nanmax(z)) if np.isfinite(z).any() else 1.0
    data: list[dict[str, Any]] = [dict(
        type="heatmap",
        x=times.astype(np.float32), y=labels, z=z.astype(np.float32), text=text, zmin=0, zmax=max(zmax, 1.0),
        colorscale=[[0.0, "#e4e4e4"], [1e-6, "#fdd49e"], [0.35, "#fc8d59"], [1.0, "#990000"]],
        colorbar=dict(title=dict(text="threats<br>waiting", side="top"), thickness=10, len=1.0, x=1.0,
                      xpad=4),
        hovertemplate="t = %{x:.0f} s<br>%{text}<extra></extra>", xgap=0, ygap=3, name="waiting")]
    th = battle.threats
    leak = np.flatnonzero(th.threat & (th.outcome == Decision.LEAKED))
    if leak.size:
        _, symbol, colour = EVENT_STYLE[EngagementEvent.LEAK]
        data.append(dict(
            type="scatter", x=th.outcome_s[leak].astype(np.float32), y=["Got through"] * int(leak.size), mode="markers",
            marker=dict(symbol=symbol, color=colour, size=8), name="Leaker",
            text=[th.name[i] for i in leak.tolist()], customdata=leak,
            hovertemplate="%{text} got through at %{x:.0f} s<extra></extra>", showlegend=False))
    layout = dict(
        template=template("plotly_white"), height=235, font=dict(family="Helvetica, Arial, sans-serif", size=12),
        margin=dict(l=10, r=10, t=8, b=38),
        xaxis=dict(title=dict(text="time (s)", standoff=4), range=[0, battle.run.scenario.duration_s],
                   showgrid=True, zeroline=False),
        yaxis=dict(autorange="reversed", automargin=True, showgrid=False, fixedrange=True),
        hoverlabel=dict(namelength=-1))
    return {"data": data, "layout": layout}


def verdict_html(battle: Battle) -> str:
    """The verdict sentences (the first one in bold) as HTML."""
    sentences = verdict(battle)
    if not sentences:
        if not battle.has_engagement:
            return ("<p>No battery in this run: nothing was engaged, so there is no verdict on the defence; the key "
                    "figures below judge the air picture.</p>")
        return "<p>No threat in this run.</p>"
    first, *rest = sentences
    return (f'<p class="lead">{html.escape(first)}</p>'
            + "".join(f"<p>{html.escape(s)}</p>" for s in rest))


def kinds_html(battle: Battle) -> str:
    """Outcomes by threat kind as a small table."""
    rows = outcomes_by_kind(battle)
    if not rows:
        return ""
    head = ("Threat kind", "Threats", "Would have hit", "Killed", "Got through", "Still flying", "Engaged",
            "Never tracked")
    keys = ("threats", "would_hit", "killed", "leaked", "survived", "engaged", "never_tracked")
    out = ['<div class="scroll"><table class="grid kinds"><thead><tr>'
           + "".join(f'<th{" class=num" if i else ""}>{html.escape(h)}</th>' for i, h in enumerate(head))
           + "</tr></thead><tbody>"]
    for r in rows:
        cells = "".join(f'<td class="num">{r[k]}</td>' for k in keys)
        out.append(f"<tr><td>{html.escape(r['label'].capitalize())}</td>{cells}</tr>")
    tot = {k: sum(r[k] for r in rows) for k in keys}
    out.append('<tr class="total"><td>All threats</td>' + "".join(f'<td class="num">{tot[k]}</td>' for k in keys)
               + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def strip_caption(battle: Battle) -> str:
    names = ", ".join(RESOURCES.values())
    return (f"Which limit bound when ({names}): grey where a limit was at its level with nobody waiting, orange to "
            "dark red where threats waited for it (darker: more threats waiting); red crosses: threats getting "
            "through. Hover for the numbers.")
