"""The self-contained HTML report: one file with plotly's JavaScript embedded, no network needed to open it.
The figures are plotly figure dicts written by :mod:`~airpicture.report.plotlyjson` (plotly.py is not imported).

Deterministic: fixed element ids, no timestamps, data in a fixed order, so the same results folder gives a
byte-identical page. Each section is built only when its tables exist, otherwise it says what is missing.

First screen: the verdict written from the run's decision log, the bottleneck strip (which limit bound when) and
the outcomes by threat kind; then every threat in a sortable table whose rows highlight the threat on the map and
the engagement timeline. The page lays itself out from 400 to 2,560 pixels wide without sideways scrolling: the
script below moves legends under narrow plots and trims their margins, and section headings stop below the sticky
navigation bar.
"""

from __future__ import annotations

import html
import json
from typing import Any

import numpy as np

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
    target_paths,
    track_layers,
    truth_paths,
)
from airpicture.report.plotlyjson import figure_div, plotly_js
from airpicture.report.ppi import choose_scans, scan_view
from airpicture.report.series import time_series
from airpicture.report.terrain import COVERAGE_TOP_M, has_terrain
from airpicture.vocab import Decision, EngagementEvent

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": False,
                 "toImageButtonOptions": {"format": "png", "scale": 2}}

CSS = """
*{box-sizing:border-box}
html{scroll-padding-top:var(--navh,48px)}
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa;overflow-wrap:break-word}
header{background:#1f2d3d;color:#fff;padding:10px 24px}
header h1{margin:0;font-size:21px}
header p{margin:2px 0;color:#d8e0ea;font-size:14px}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:8px 24px;z-index:10;
  white-space:nowrap;overflow-x:auto}
nav a{margin-right:16px;color:#1f4e9c;text-decoration:none;font-weight:bold;font-size:15px}
main{padding:4px 24px 40px 24px;max-width:1560px;margin:0 auto}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:14px 0;padding:10px 16px;
  scroll-margin-top:calc(var(--navh,48px) + 8px);min-width:0}
section h2{margin:4px 0 6px 0;font-size:20px}
p.how{color:#555;margin:2px 0 10px 0;max-width:1100px}
#sec-verdict p{margin:4px 0;max-width:1200px;line-height:1.4}
#sec-verdict p.lead{font-size:18px;font-weight:bold;color:#7a0000}
div.kfgrid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(440px,100%),1fr));gap:4px 36px}
table.kf{border-collapse:collapse;font-size:14px;width:100%;align-self:start}
table.kf td,table.kf th{border-bottom:1px solid #eee;padding:5px 14px 5px 0;text-align:left;vertical-align:top}
table.kf td+td{min-width:9em}
table.kf th.sec{color:#1f4e9c;padding-top:12px}
div.scroll{overflow-x:auto;max-width:100%}
div.scroll.tall{max-height:560px;overflow-y:auto;border:1px solid #e3e3e3}
table.grid{border-collapse:collapse;font-size:13px;width:100%}
table.grid th,table.grid td{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}
table.grid th{background:#f3f5f8;position:sticky;top:0;z-index:1;white-space:nowrap}
table.grid td.num,table.grid th.num{text-align:right;white-space:nowrap}
table.kinds{width:auto}
table.grid tr.total td{font-weight:bold;border-top:1px solid #ccc}
table.threats th{cursor:pointer}
table.threats td.why{min-width:20em;width:34%;color:#444}
table.threats td:first-child{white-space:nowrap}
table.threats td.cause{min-width:10em}
table.threats tbody tr{cursor:pointer}
table.threats tbody tr:hover{background:#f0f4fa}
table.threats tbody tr.sel{background:#ffe9a8}
span.id{color:#888;font-size:11px}
span.badge{padding:1px 6px;border-radius:8px;font-size:12px;white-space:nowrap}
span.badge.killed{background:#d9f0d3}
span.badge.leaked{background:#f8c9c4}
span.badge.survived{background:#e6e6e6}
div.tools{margin:4px 0 8px 0;font-size:14px}
div.tools .hint{color:#666}
div.plot{width:100%;min-width:0}
div.na{color:#888;font-style:italic;padding:16px;border:1px dashed #ccc;border-radius:4px}
pre{background:#f4f4f4;padding:10px;overflow:auto;font-size:12px;max-width:100%}
@media (max-width:700px){
  header,nav{padding-left:10px;padding-right:10px}
  main{padding:4px 6px 30px 6px}
  section{padding:8px 8px;margin:10px 0}
  header h1{font-size:18px}
  #sec-verdict p.lead{font-size:16px}
}
"""

SECTIONS = (("verdict", "Verdict"), ("threats", "Threats"), ("summary", "Key figures"), ("map", "Map"),
            ("picture", "Picture over time"), ("timeseries", "Capacity & quality"),
            ("engagements", "Engagement timeline"), ("scan", "Radar scan"), ("details", "Details"))

#: The page's script: responsive plots, sticky-navigation offset, the threat table (sort, filter, choose a row).
SCRIPT = r"""
(function () {
  const AP = JSON.parse(document.getElementById('ap-data').textContent);
  const nav = document.querySelector('nav');
  function navHeight() { document.documentElement.style.setProperty('--navh', nav.offsetHeight + 'px'); }
  const plots = () => Array.from(document.querySelectorAll('.js-plotly-plot'));
  const wide = {};
  function fit() {
    navHeight();
    plots().forEach(gd => {
      if (!gd._fullLayout) return;
      const w = gd.parentElement.clientWidth;
      const narrow = w < 760;
      if (wide[gd.id] === undefined) {
        const lay = gd.layout;
        wide[gd.id] = {legend: JSON.parse(JSON.stringify(lay.legend || {})),
                       margin: JSON.parse(JSON.stringify(lay.margin || {})),
                       height: lay.height, narrow: false,
                       title: lay.title && lay.title.text !== undefined ? lay.title.text : null,
                       xr: lay.xaxis && lay.xaxis.range ? lay.xaxis.range.slice() : null,
                       yr: lay.yaxis && lay.yaxis.range ? lay.yaxis.range.slice() : null,
                       square: !!(lay.yaxis && lay.yaxis.scaleanchor),
                       ticktext: lay.yaxis && lay.yaxis.ticktext ? Array.from(lay.yaxis.ticktext) : null};
      }
      const orig = wide[gd.id];
      if (narrow === orig.narrow && !(narrow && orig.square)) { Plotly.Plots.resize(gd); return; }
      orig.narrow = narrow;
      const upd = {};
      if (orig.square) {  // equal-scale maps: restore the ranges the scale constraint may have stretched
        upd['xaxis.range'] = orig.xr; upd['yaxis.range'] = orig.yr; upd['xaxis.domain'] = [0, 1];
      }
      if (narrow) {
        upd['legend.orientation'] = 'h'; upd['legend.x'] = 0; upd['legend.xanchor'] = 'left';
        upd['legend.y'] = -0.12; upd['legend.yanchor'] = 'top'; upd['legend.font.size'] = 10;
        upd['margin.l'] = Math.min(orig.margin.l === undefined ? 60 : orig.margin.l, 44);
        upd['margin.r'] = 8;
        upd['title.text'] = '';  // the section's heading says it; long titles do not fit
        if (orig.square || gd.id === 'scan') upd['height'] = Math.round(w) + (gd.id === 'scan' ? 260 : 560);
        if (gd.id === 'timeline' && orig.ticktext) {  // names only ('name · kind' is too wide for a phone)
          upd['yaxis.ticktext'] = orig.ticktext.map(t => String(t).split(' \u00b7 ')[0]);
          upd['yaxis.tickfont.size'] = 9;
        }
      } else {
        ['orientation', 'x', 'xanchor', 'y', 'yanchor'].forEach(k => {
          upd['legend.' + k] = orig.legend[k] === undefined ? null : orig.legend[k]; });
        upd['legend.font.size'] = (orig.legend.font && orig.legend.font.size) || null;
        upd['margin.l'] = orig.margin.l === undefined ? null : orig.margin.l;
        upd['margin.r'] = orig.margin.r === undefined ? null : orig.margin.r;
        upd['title.text'] = orig.title;
        upd['height'] = orig.height;
        if (gd.id === 'timeline' && orig.ticktext) { upd['yaxis.ticktext'] = orig.ticktext;
                                                     upd['yaxis.tickfont.size'] = 10; }
      }
      Plotly.relayout(gd, upd);
      if (gd.id === 'bottlenecks') Plotly.restyle(gd, {showscale: !narrow}, [0]);  // the caption explains it
    });
  }
  let timer = null;
  window.addEventListener('resize', () => { clearTimeout(timer); timer = setTimeout(fit, 150); });
  window.addEventListener('load', fit);
  navHeight();

  // ---- the threat table: sort, filter, choose a row
  const table = document.getElementById('threat-table');
  if (!table) return;
  const body = table.tBodies[0];
  Array.from(table.tHead.rows[0].cells).forEach((th, col) => {
    const sort = () => {
      const asc = th.dataset.dir !== 'asc';
      Array.from(table.tHead.rows[0].cells).forEach(c => { delete c.dataset.dir;
        c.querySelector('.arrow').textContent = ''; });
      th.dataset.dir = asc ? 'asc' : 'desc';
      th.querySelector('.arrow').textContent = asc ? ' \u25b2' : ' \u25bc';
      const num = th.dataset.k === 'num';
      const key = tr => { const td = tr.cells[col]; const v = td.dataset.v !== undefined ? td.dataset.v
                                                                                         : td.textContent;
                          return num ? parseFloat(v) : v.toLowerCase(); };
      const rows = Array.from(body.rows);
      rows.sort((a, b) => { const x = key(a), y = key(b);
        const c = num ? (x === y ? 0 : (x < y ? -1 : 1)) : x.localeCompare(y);
        return asc ? c : -c; });
      rows.forEach(r => body.appendChild(r));
    };
    th.addEventListener('click', sort);
    th.addEventListener('keydown', e => { if (e.key === 'Enter') sort(); });
  });
  const filter = document.getElementById('threat-filter');
  filter.addEventListener('change', () => {
    Array.from(body.rows).forEach(r => { r.style.display = (!filter.value || r.dataset.out === filter.value)
                                                           ? '' : 'none'; });
  });
  function highlight(tid) {
    Array.from(body.rows).forEach(r => r.classList.toggle('sel', tid !== null && r.dataset.tid === String(tid)));
    const map = document.getElementById('map');
    if (map && map.data) {
      const sel = map.data.findIndex(t => t.meta === 'selected');
      const src = tid === null ? -1 : map.data.findIndex(t => t.meta === tid);
      if (sel >= 0) {
        const full = src >= 0 ? map._fullData.find(t => t.index === src) : null;
        const x = full ? Array.from(full.x) : [];
        const y = full ? Array.from(full.y) : [];
        const name = tid === null ? '' : (AP.names[tid] || ('target ' + tid));
        Plotly.restyle(map, {x: [x], y: [y], showlegend: [tid !== null], name: ['Selected: ' + name]}, [sel]);
      }
    }
    const tl = document.getElementById('timeline');
    if (tl && tl.layout) {
      const row = tid === null ? undefined : AP.timeline_row[tid];
      const shapes = row === undefined ? [] : [{type: 'rect', xref: 'paper', x0: 0, x1: 1, yref: 'y',
        y0: row - 0.5, y1: row + 0.5, fillcolor: 'rgba(255,200,0,0.35)', line: {width: 0}, layer: 'below'}];
      Plotly.relayout(tl, {shapes: shapes});
    }
    window.__selectedThreat = tid;
  }
  body.addEventListener('click', e => { const tr = e.target.closest('tr');
    if (tr) highlight(Number(tr.dataset.tid)); });
  body.addEventListener('keydown', e => { if (e.key === 'Enter') { const tr = e.target.closest('tr');
    if (tr) highlight(Number(tr.dataset.tid)); } });
  document.addEventListener('keydown', e => { if (e.key === 'Escape') highlight(null); });
  window.airpictureSelectThreat = highlight;
})();
"""


def _figure_div(fig: dict[str, Any], div_id: str, auto_play: bool = False, modebar: bool = True) -> str:
    config = PLOTLY_CONFIG if modebar else {**PLOTLY_CONFIG, "displayModeBar": False}
    return '<div class="plot">' + figure_div(fig, div_id, config, auto_play=auto_play) + "</div>"


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


def _battle(run: RunData) -> Any:
    if not run.has("decisions"):
        return None
    from airpicture.explain.battle import load_battle

    return load_battle(run.run_dir, run)


def _first_screen(run: RunData, battle: Any) -> list[str]:
    """The verdict section and the threat table section."""
    if battle is None:
        why = ("no decisions.parquet in this results folder (written before the decision log existed, or without "
               "radars); run the scenario again for the verdict and the threat table")
        return [_section("verdict", "Verdict", "", _na(why)), _section("threats", "Every threat", "", _na(why))]
    from airpicture.report.threats import threat_table_html
    from airpicture.report.verdict import bottleneck_figure, kinds_html, strip_caption, verdict_html

    body = verdict_html(battle)
    if battle.has_engagement:
        body += (f'<p class="how">{html.escape(strip_caption(battle))}</p>'
                 + _figure_div(bottleneck_figure(battle), "bottlenecks", modebar=False) + kinds_html(battle))
    parts = [_section("verdict", "Verdict", "", body)]
    if battle.has_engagement and battle.threats.threat.any():
        parts.append(_section(
            "threats", "Every threat",
            "One row per threat: when it came into view of a radar, was first detected, first tracked (a confirmed "
            "track), first engaged; its shots (engagements and interceptors), how long it waited and for which "
            "limit, how it ended and, if not killed, the first cause -- the earliest link of the chain detection, "
            "track, engagement, kill that failed (<code>airpicture explain RUN --threat NAME</code> tells the whole "
            "story).", threat_table_html(battle)))
    else:
        parts.append(_section("threats", "Every threat", "", _na("no engagement stage in this run")))
    return parts


def render_html(run: RunData) -> str:
    """The whole report page for a loaded results folder."""
    from airpicture.explain.names import target_names

    sc = run.scenario
    st = sorted_truth(run)
    sites, rings = sites_and_rings(run)
    extent = map_extent_km(run, st)
    step = path_step(run)
    paths = truth_paths(st, step)
    n_targets = len(run.get("targets")["target_id"])
    names = target_names(run.get("targets").get("callsign"), n_targets)
    battle = _battle(run)
    parts: list[str] = _first_screen(run, battle)

    rows = key_figures(run, st)
    table = ['<div class="kfgrid">']
    for section in dict.fromkeys(r[0] for r in rows):
        table.append(f'<table class="kf"><tr><th class="sec" colspan="2">{html.escape(section)}</th></tr>')
        for _, label, value in (r for r in rows if r[0] == section):
            table.append(f"<tr><td>{html.escape(label)}</td><td><b>{html.escape(value)}</b></td></tr>")
        table.append("</table>")
    table.append("</div>")
    c_km = sc.metrics.gospa_cutoff_m / 1000
    parts.append(_section("summary", "Key figures",
                          "Counted from this run's tables. Threats are hostile targets; civil traffic must never be "
                          "engaged. Every threat ends killed, leaked (it reached its defended asset) or survived "
                          "(still flying when the run ends). Saturation: an engageable threat had to wait because "
                          "every fire channel was busy or no interceptor was ready; the tracker's refusals of track "
                          "slots are counted apart. GOSPA is a score of the whole picture, not a distance: each "
                          f"missed target or false track adds c²/2 (c = {c_km:g} km) to GOSPA², so a picture "
                          "missing many targets scores tens of kilometres while the tracks it has are accurate to "
                          "the position error shown.", "\n".join(table)))

    tracks = track_layers(run, step) if run.has("tracks") else None
    marks, flyouts = engagement_marks(run, st) if run.has("events") else (None, None)
    missing = [n for n, have in (("tracks", tracks), ("engagement events", marks)) if have is None]
    note = f" Not in this run: {', '.join(missing)}." if missing else ""
    per_target = target_paths(st, step, names)
    leakers = None
    if battle is not None:
        th = battle.threats
        leakers = {int(i) for i in np.flatnonzero(th.threat & (th.outcome == Decision.LEAKED))}
    elif run.has("events"):
        ev = run.get("events")
        leakers = {int(i) for i in ev["target_id"][(ev["event"] == EngagementEvent.LEAK) & (ev["target_id"] >= 0)]}
    parts.append(_section(
        "map", "Map of the run",
        "Local kilometres east and north of the site. Coloured lines are the true flight paths (threats in warm "
        "colours, civil traffic in green); a pale blue band under a path means the target was held as a confirmed "
        "track there; a broad red band marks the path of a threat that got through. Markers show where targets "
        "were engaged, killed, or leaked (crosses, drawn on top), and where threats that survived were when the "
        "run ended. Hover a path for the target's name. Drag to zoom (double-click to reset); click legend entries "
        "to hide or show layers." + note,
        _figure_div(map_figure(sites, rings, paths, tracks, marks, flyouts, extent, per_target, leakers, names),
                    "map")))

    terrain = has_terrain(run.run_dir)
    if terrain:
        from airpicture.report.terrain import terrain_figure
        from airpicture.truth.threats import place_en

        radars = {r.id: r.name for r in sc.sensors}
        radar_en = {r.id: place_en(r, run.frame) for r in sc.sensors}
        parts.append(_section(
            "terrain", "Terrain and low-altitude coverage",
            "Left: the relief of the scenario's elevation model. Then, for each radar (a red triangle), the lowest "
            "height above the ground at which a target is in its line of sight: over the 4/3 effective Earth, past "
            "every ridge between the antenna and the point (within the radar's instrumented range; elevation "
            "limits aside). Dark means even a target skimming the ground is seen; yellow means a target must climb "
            f"{COVERAGE_TOP_M:.0f} m or more. Low fliers hide where the colours are bright.",
            _figure_div(terrain_figure(run.run_dir, radars, radar_en), "terrain")))

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
                          _figure_div(picture_figure(sites, rings, paths, frames, extent, start, names), "picture")))

    parts.append(_section(
        "timeseries", "Capacity and picture quality over time",
        "Dashed dark-red lines are the limits: when a load line sits on its limit, the battery is saturated. "
        "GOSPA scores how far the whole picture is from the truth: the position errors of the tracked targets, plus "
        f"c²/2 (c = {c_km:g} km) for every missed target and every false track, under a square root. It is not a "
        "position error: a GOSPA of 20 km with most of GOSPA² in 'missed targets' means targets were not tracked, "
        "not that tracks were 20 km off (the right panel splits it).",
        _figure_div(timeseries_figure(time_series(run, st)), "timeseries")))

    timeline_row: dict[int, int] = {}
    if run.has("events"):
        tl = engagement_timeline(run.get("events"), run.get("targets"),
                                 battle if battle is not None and battle.has_engagement else None)
        timeline_row = {int(t): i for i, t in enumerate(tl.target_id.tolist())}
        body = _figure_div(timeline_figure(tl), "timeline") if len(tl) else _na("no target was engaged in this run")
    else:
        body = _na("no events.parquet in this results folder (engagement stage not run)")
    parts.append(_section(
        "engagements", "Engagement timeline",
        "One row per threat (engaged threats first, in order of engagement; then the others, in order of their end). "
        "A thin blue line: the threat was tracked. Coloured bars: it waited (orange: every fire channel busy, "
        "purple: the in-flight limit, red: no ready rounds, grey: no track slot). The grey bar runs from the "
        "decision to engage to the last shot; blue bars are interceptors in flight; the markers give the outcome "
        "(star: kill, circle: miss, cross: leaker, open square: still flying at the end). The top rows show each "
        "launcher's reloads." if battle is not None else
        "Each row is one engaged target. The grey bar runs from the decision to engage to the last event; blue bars "
        "are interceptors in flight; the markers give the outcome (star: kill, circle: miss, cross: leaker, open "
        "square: survived, i.e. still flying at the end of the run).", body))

    if not run.has("detections"):
        body = _na("no detections.parquet in this results folder (sensing stage not run)")
    elif not (chosen := choose_scans(run)):
        body = _na("no radar of the scenario made any detection in this run")
    else:
        scans = [scan_view(run, st, radar, index) for radar, index in chosen]
        body = _figure_div(ppi_figure(scans, run.get("targets")["kind"], names), "scan")
    parts.append(_section(
        "scan", "One radar rotation (plan-position view)",
        "What one radar reported during one turn of its antenna, in its own polar coordinates (north up, azimuth "
        "clockwise). Coloured dots are detections of real targets, grey crosses are false alarms, open circles are "
        "where the targets truly were at mid-rotation. Shown: the rotation with the most target detections; the "
        "menu at the top left chooses the radar.", body))

    have = [n for n in OPTIONAL_TABLES if run.has(n)]
    absent = [n for n in OPTIONAL_TABLES if not run.has(n)]
    details = (f"<p>Tables used: truth, targets{''.join(', ' + n for n in have)}."
               f"{' Not in this folder: ' + ', '.join(absent) + '.' if absent else ''}</p>"
               f"<p>summary.json:</p><pre>{html.escape(json.dumps(run.summary, indent=2))}</pre>")
    parts.append(_section("details", "Details", "Where the numbers come from.", details))

    data = {"names": names, "timeline_row": timeline_row}
    sections = SECTIONS if not terrain else (*SECTIONS[:4], ("terrain", "Terrain"), *SECTIONS[4:])
    nav = "".join(f'<a href="#sec-{sid}">{html.escape(title)}</a>' for sid, title in sections)
    head_desc = html.escape(sc.description) if sc.description else ""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>airpicture report: {html.escape(sc.name)}</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<style>{CSS}</style>",
        f'<script type="text/javascript">{plotly_js()}</script>',
        "</head><body>",
        f"<header><h1>airpicture report: {html.escape(sc.name)}</h1><p>{head_desc}</p>"
        f"<p>{sc.duration_s:g} s simulated, seed {sc.seed}, site {sc.site.latitude_deg:.4f}°, "
        f"{sc.site.longitude_deg:.4f}°.</p></header>",
        f"<nav>{nav}</nav>",
        "<main>",
        *parts,
        "</main>",
        f'<script type="application/json" id="ap-data">{_json_for_script(data)}</script>',
        f'<script type="text/javascript">{SCRIPT}</script>',
        "</body></html>",
        "",
    ])


def _json_for_script(data: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
