"""The self-contained HTML report: one file with plotly's JavaScript embedded, no network needed to open it.

Deterministic: fixed element ids, no timestamps, data in a fixed order, so the same results folder gives a
byte-identical page. Each section is built only when its tables exist, otherwise it says what is missing.
"""

from __future__ import annotations

import html
import json
from typing import Any

import numpy as np
import plotly.io as pio
from plotly.offline import get_plotlyjs

from airpicture.report.engagements import engagement_timeline
from airpicture.report.figures import map_figure, picture_figure, ppi_figure, timeline_figure, timeseries_figure
from airpicture.report.keyfigures import key_figures
from airpicture.report.load import OPTIONAL_TABLES, RunData
from airpicture.report.mapdata import (
    SortedTruth,
    engagement_marks,
    frame_step,
    path_step,
    picture_frames,
    sites_and_rings,
    sorted_truth,
    track_layers,
    truth_paths,
)
from airpicture.report.ppi import choose_scan, scan_view
from airpicture.report.series import time_series

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": False,
                 "toImageButtonOptions": {"format": "png", "scale": 2}}

CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f2d3d;color:#fff;padding:18px 28px}
header h1{margin:0 0 6px 0;font-size:26px}
header p{margin:2px 0;color:#d8e0ea}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:8px 28px;z-index:10}
nav a{margin-right:18px;color:#1f4e9c;text-decoration:none;font-weight:bold}
main{padding:8px 28px 40px 28px;max-width:1500px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:18px 0;padding:12px 18px}
section h2{margin:4px 0 6px 0;font-size:20px}
p.how{color:#555;margin:2px 0 10px 0;max-width:1100px}
div.kfgrid{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:4px 36px}
table.kf{border-collapse:collapse;font-size:14px;width:100%;align-self:start}
table.kf td,table.kf th{border-bottom:1px solid #eee;padding:5px 14px 5px 0;text-align:left;vertical-align:top}
table.kf td+td{min-width:14em}
table.kf th.sec{color:#1f4e9c;padding-top:12px}
div.na{color:#888;font-style:italic;padding:16px;border:1px dashed #ccc;border-radius:4px}
pre{background:#f4f4f4;padding:10px;overflow:auto;font-size:12px}
"""

SECTIONS = (("summary", "Key figures"), ("map", "Map"), ("picture", "Picture over time"),
            ("timeseries", "Capacity & quality"), ("engagements", "Engagement timeline"), ("scan", "Radar scan"),
            ("details", "Details"))


def _figure_div(fig: Any, div_id: str, auto_play: bool = False) -> str:
    return pio.to_html(fig, config=PLOTLY_CONFIG, include_plotlyjs=False, full_html=False, div_id=div_id,
                       validate=False, auto_play=auto_play, default_width="100%")


def _na(text: str) -> str:
    return f'<div class="na">Not available: {html.escape(text)}</div>'


def _section(sid: str, title: str, how: str, body: str) -> str:
    return (f'<section id="sec-{sid}"><h2>{html.escape(title)}</h2><p class="how">{how}</p>\n{body}\n</section>')


def map_extent_km(run: RunData, st: SortedTruth) -> float:
    """Half-width of the initial map view (km, rounded up to 10 km): the truth's extent, but no more than 1.3 times
    the batteries' longest reach (where the engagements are) nor the farthest radar coverage. Users zoom out."""
    reach = [s.max_range_m * 1e-3 for s in run.scenario.sensors]
    env = [e.max_range_m * 1e-3 for b in run.scenario.batteries for e in b.envelopes.values()]
    extent = float(np.nanmax(np.abs(np.concatenate([st.e_m, st.n_m])))) * 1e-3 * 1.03 if st.e_m.size else 50.0
    if env:
        extent = min(extent, max(env) * 1.3)
    if reach:
        extent = min(extent, max(reach) * 1.05)
    return float(np.ceil(max(extent, 10.0) / 10.0) * 10.0)


def render_html(run: RunData) -> str:
    """The whole report page for a loaded results folder."""
    sc = run.scenario
    st = sorted_truth(run)
    sites, rings = sites_and_rings(run)
    extent = map_extent_km(run, st)
    step = path_step(run)
    paths = truth_paths(st, step)
    parts: list[str] = []

    rows = key_figures(run, st)
    table = ['<div class="kfgrid">']
    for section in dict.fromkeys(r[0] for r in rows):
        table.append(f'<table class="kf"><tr><th class="sec" colspan="2">{html.escape(section)}</th></tr>')
        for _, label, value in (r for r in rows if r[0] == section):
            table.append(f"<tr><td>{html.escape(label)}</td><td><b>{html.escape(value)}</b></td></tr>")
        table.append("</table>")
    table.append("</div>")
    parts.append(_section("summary", "Key figures",
                          "Counted from this run's tables. Threats are hostile targets; civil traffic must never be "
                          "engaged. Every threat ends killed, leaked (it reached its defended asset) or survived "
                          "(still flying when the run ends). Saturation: an engageable threat had to wait because "
                          "every fire channel was busy, no interceptor was ready, or the radar had no track slot "
                          "free.", "\n".join(table)))

    tracks = track_layers(run, step) if run.has("tracks") else None
    marks, flyouts = engagement_marks(run, st) if run.has("events") else (None, None)
    missing = [n for n, have in (("tracks", tracks), ("engagement events", marks)) if have is None]
    note = f" Not in this run: {', '.join(missing)}." if missing else ""
    parts.append(_section(
        "map", "Map of the run",
        "Local kilometres east and north of the site. Coloured lines are the true flight paths (threats in warm "
        "colours, civil traffic in green); a pale blue band under a path means the target was held as a confirmed "
        "track there. Markers show where targets were engaged, killed, or leaked, and where threats that survived "
        "were when the run ended. Drag to zoom (double-click to "
        "reset); click legend entries to hide or show layers." + note,
        _figure_div(map_figure(sites, rings, paths, tracks, marks, flyouts, extent), "map")))

    frames = picture_frames(run, st, frame_step(run))
    counts = ([sum(len(p) for p in f) for f in frames.tracks] if frames.tracks else
              [sum(len(p) for p in f) for f in frames.truth])
    start = int(np.argmax(counts)) if counts else 0
    how = (f"Snapshots every {frames.times_s[1] - frames.times_s[0]:g} s (the slider starts at the busiest moment). "
           "Filled dots: where targets really are. Open circles: the confirmed tracks of the published picture, with "
           "a short line showing where each is heading. A dot with no circle is a target the battery does not see; "
           "a grey circle with no dot is a false track." if len(frames.times_s) > 1 else "")
    if not frames.tracks:
        how += " The tracker's picture (picture.parquet) is not in this run, so only the truth is shown."
    parts.append(_section("picture", "The air picture over time", how,
                          _figure_div(picture_figure(sites, rings, paths, frames, extent, start), "picture")))

    parts.append(_section(
        "timeseries", "Capacity and picture quality over time",
        "Dashed dark-red lines are the limits: when a load line sits on its limit, the battery is saturated. "
        "GOSPA measures how far the picture is from the truth, counting localisation errors, missed targets and "
        "false tracks (each missed or false one costs c²/2 with the cut-off c).",
        _figure_div(timeseries_figure(time_series(run, st)), "timeseries")))

    if run.has("events"):
        tl = engagement_timeline(run.get("events"), run.get("targets"))
        body = _figure_div(timeline_figure(tl), "timeline") if len(tl) else _na("no target was engaged in this run")
    else:
        body = _na("no events.parquet in this results folder (engagement stage not run)")
    parts.append(_section(
        "engagements", "Engagement timeline",
        "Each row is one engaged target. The grey bar runs from the decision to engage to the last event; blue bars "
        "are interceptors in flight; the markers give the outcome (star: kill, circle: miss, cross: leaker, open "
        "square: survived, i.e. still flying at the end of the run). A threat that was never engaged has no row.",
        body))

    if not run.has("detections"):
        body = _na("no detections.parquet in this results folder (sensing stage not run)")
    elif (chosen := choose_scan(run)) is None:
        body = _na("no radar of the scenario made any detection in this run")
    else:
        scan = scan_view(run, st, *chosen)
        body = _figure_div(ppi_figure(scan, run.get("targets")["kind"]), "scan")
    parts.append(_section(
        "scan", "One radar rotation (plan-position view)",
        "What one radar reported during one turn of its antenna, in its own polar coordinates (north up, azimuth "
        "clockwise). Coloured dots are detections of real targets, grey crosses are false alarms, open circles are "
        "where the targets truly were at mid-rotation. Shown: the rotation with the most target detections.", body))

    have = [n for n in OPTIONAL_TABLES if run.has(n)]
    absent = [n for n in OPTIONAL_TABLES if not run.has(n)]
    details = (f"<p>Tables used: truth, targets{''.join(', ' + n for n in have)}."
               f"{' Not in this folder: ' + ', '.join(absent) + '.' if absent else ''}</p>"
               f"<p>summary.json:</p><pre>{html.escape(json.dumps(run.summary, indent=2))}</pre>")
    parts.append(_section("details", "Details", "Where the numbers come from.", details))

    nav = "".join(f'<a href="#sec-{sid}">{html.escape(title)}</a>' for sid, title in SECTIONS)
    head_desc = html.escape(sc.description) if sc.description else ""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>airpicture report: {html.escape(sc.name)}</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<style>{CSS}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head><body>",
        f"<header><h1>airpicture report: {html.escape(sc.name)}</h1><p>{head_desc}</p>"
        f"<p>{sc.duration_s:g} s simulated, seed {sc.seed}, site {sc.site.latitude_deg:.4f}°, "
        f"{sc.site.longitude_deg:.4f}°. Sensors see, the tracker builds the air picture, fire control "
        "engages: this page shows each step.</p></header>",
        f"<nav>{nav}</nav>",
        "<main>",
        *parts,
        "</main></body></html>",
        "",
    ])
