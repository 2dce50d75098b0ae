"""``airpicture compare RUN_A RUN_B``: two runs side by side for "what if" questions -- what differs in their
scenarios, their key figures with the differences (B - A), and their capacity time series overlaid -- as a text
table and one self-contained HTML page.

Key figures come from each folder's ``summary.json`` and decision log (:mod:`airpicture.explain.battle`), so they
read as in the report and ``airpicture explain``. Times are seconds from each scenario's start.
"""

from __future__ import annotations

import html
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from airpicture.errors import InputError
from airpicture.explain.battle import (
    CAUSE_GROUPS,
    RESOURCES,
    Battle,
    kind_label,
    load_battle,
    merge_spans,
    verdict,
    wait_intervals,
)
from airpicture.report.load import load_run
from airpicture.vocab import Decision

#: Marks a page written by ``airpicture compare`` (only such a page is replaced with ``--overwrite``).
GENERATOR = "airpicture compare"

Row = tuple[str, str, float | None, float | None, str]  # section, label, A, B, format


@dataclass
class Comparison:
    a: Battle
    b: Battle
    rows: list[Row]
    scenario_changes: list[tuple[str, str, str]]


def _get(d: dict[str, Any], path: str) -> float | None:
    cur: Any = d
    for key in path.split("."):
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    return float(cur) if isinstance(cur, int | float) and not isinstance(cur, bool) else None


def _binding_s(battle: Battle, resource: str) -> float:
    a, b, _ = wait_intervals(battle.d, resource, battle.run.scenario.duration_s)
    return float(sum(y - x for x, y in merge_spans(a, b, 0.0)))


def _first_binding(battle: Battle, resource: str) -> float | None:
    a, _, _ = wait_intervals(battle.d, resource, battle.run.scenario.duration_s)
    return float(a.min()) if a.size else None


def key_rows(battle: Battle) -> dict[str, tuple[str, str, float | None, str]]:
    """The compared figures of one run: key -> (section, label, value, format)."""
    s = battle.run.summary
    th = battle.threats
    t = th.threat
    out: dict[str, tuple[str, str, float | None, str]] = {}

    def put(key: str, section: str, label: str, value: float | None, fmt: str = "{:.0f}") -> None:
        out[key] = (section, label, value, fmt)

    put("threats", "Outcome", "Threats", float(t.sum()))
    would = float((t & th.would_hit).sum())
    leaked = float((t & (th.outcome == Decision.LEAKED)).sum())
    put("would_hit", "Outcome", "Threats that would have hit (unopposed, within the run)", would)
    put("killed", "Outcome", "Threats killed", float((t & (th.outcome == Decision.KILLED)).sum()))
    put("leaked", "Outcome", "Threats that got through (leakers)", leaked)
    put("leak_share", "Outcome", "Share of would-hit threats that got through", leaked / would if would else None,
        "{:.0%}")
    put("survived", "Outcome", "Threats still flying at the end", float((t & (th.outcome == Decision.SURVIVED)).sum()))
    put("civil_engaged", "Outcome", "Civil aircraft engaged", _get(s, "engagement.civil_engaged"))
    for kind in dict.fromkeys(th.kind[t].tolist()):
        m = t & (th.kind == kind)
        put(f"leaked_{kind}", "Outcome", f"Got through: {kind_label(str(kind))}",
            float((m & (th.outcome == Decision.LEAKED)).sum()))
    put("interceptors", "Fire control", "Interceptors launched", _get(s, "engagement.interceptors_expended"))
    put("kpi", "Fire control", "Kills per interceptor", _get(s, "engagement.kills_per_interceptor"), "{:.2f}")
    put("engagements", "Fire control", "Engagements", _get(s, "engagement.engagements"))
    put("first_sat", "Fire control", "First saturation (s)", _get(s, "engagement.first_saturation_s"))
    for res, label in RESOURCES.items():
        put(f"bind_{res}", "Limits", f"Time {label} bound (threats waiting), s", _binding_s(battle, res))
        put(f"first_{res}", "Limits", f"First wait for {label} (s)", _first_binding(battle, res))
    leaked_mask = t & (th.outcome == Decision.LEAKED)
    for group, codes in CAUSE_GROUPS.items():
        put(f"cause_{group}", "Leaks by first cause", group.capitalize(),
            float(np.count_nonzero(leaked_mask & np.isin(th.cause, codes))))
    put("gospa", "Tracking", "Mean GOSPA (m)", _get(s, "tracking.gospa_mean_m"))
    put("rmse", "Tracking", "Position RMSE of tracked targets (m)", _get(s, "tracking.rmse_position_m"))
    put("ttt", "Tracking", "Mean time from first detection to first track (s)",
        _get(s, "tracking.time_to_track_mean_s"), "{:.1f}")
    put("idsw", "Tracking", "ID switches", _get(s, "tracking.id_switches"))
    put("refused", "Tracking", "Candidate tracks refused at capacity", _get(s, "tracking.capacity_refusals"))
    put("confirmed", "Tracking", "Tracks confirmed", _get(s, "tracking.tracks_confirmed"))
    put("false_alarms", "Sensing", "False alarms", _get(s, "sensing.false_alarms"))
    put("detections", "Sensing", "Detections", _get(s, "sensing.detections"))
    return out


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out.update(_flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = d
    return out


def scenario_changes(a: Battle, b: Battle) -> list[tuple[str, str, str]]:
    """Scenario fields that differ (field path, A, B), seed included."""
    from airpicture.scenario import scenario_to_toml_dict

    fa = _flatten(scenario_to_toml_dict(a.run.scenario))
    fb = _flatten(scenario_to_toml_dict(b.run.scenario))
    out = []
    for key in sorted(set(fa) | set(fb)):
        va, vb = fa.get(key, "—"), fb.get(key, "—")
        if va != vb:
            out.append((key, _show(va), _show(vb)))
    return out


def _show(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def compare_runs(dir_a: Path, dir_b: Path) -> Comparison:
    """Load two results folders and line up their figures."""
    if Path(dir_a).resolve() == Path(dir_b).resolve():
        raise InputError("command line", f"RUN_A and RUN_B are the same folder ({dir_a}); give two results folders")
    only = ("targets", "decisions", "timeline")
    a = load_battle(dir_a, load_run(dir_a, only=only))
    b = load_battle(dir_b, load_run(dir_b, only=only))
    ka, kb = key_rows(a), key_rows(b)
    rows: list[Row] = []
    for key in dict.fromkeys([*ka, *kb]):
        sec, label, _, fmt = ka[key] if key in ka else kb[key]
        va = ka[key][2] if key in ka else None
        vb = kb[key][2] if key in kb else None
        rows.append((sec, label, va, vb, fmt))
    return Comparison(a, b, rows, scenario_changes(a, b))


def _fmt(v: float | None, fmt: str) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return fmt.format(v)


def _diff(va: float | None, vb: float | None, fmt: str) -> str:
    if va is None or vb is None or not (math.isfinite(va) and math.isfinite(vb)):
        return ""
    d = vb - va
    if d == 0:
        return "="
    if fmt.endswith("%}"):
        return f"{d * 100:+.0f} pts"
    text = ("{:+" + fmt[2:]).format(d)
    if va != 0 and not fmt.endswith("%}"):
        text += f" ({d / abs(va):+.0%})"
    return text


def comparison_text(c: Comparison) -> str:
    """The side-by-side table as plain text."""
    na, nb = _label(c.a), _label(c.b)
    lines = [f"A: {na}", f"B: {nb}", ""]
    if c.scenario_changes:
        lines.append("Scenario differences (A -> B):")
        for key, va, vb in c.scenario_changes[:40]:
            lines.append(f"  {key}: {va} -> {vb}")
        if len(c.scenario_changes) > 40:
            lines.append(f"  ... and {len(c.scenario_changes) - 40} more")
        lines.append("")
    width = max(len(r[1]) for r in c.rows)
    lines.append(f"{'':<{width}}  {'A':>10}  {'B':>10}  B - A")
    section = ""
    for sec, label, value_a, value_b, fmt in c.rows:
        if sec != section:
            lines.append(f"{sec}:")
            section = sec
        lines.append(f"  {label:<{width - 2}}  {_fmt(value_a, fmt):>10}  {_fmt(value_b, fmt):>10}  "
                     f"{_diff(value_a, value_b, fmt)}")
    lines += ["", "Verdict A: " + " ".join(verdict(c.a)[:2]), "Verdict B: " + " ".join(verdict(c.b)[:2])]
    return "\n".join(lines) + "\n"


def _label(b: Battle) -> str:
    sc = b.run.scenario
    return f"{b.run.run_dir} ({sc.name}, seed {sc.seed})"


def _series(b: Battle, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A timeline column summed over batteries, by time."""
    if not b.run.has("timeline"):
        return np.zeros(0), np.zeros(0)
    tl = b.run.get("timeline")
    if column not in tl:
        return np.zeros(0), np.zeros(0)
    t, inv = np.unique(tl["time_s"], return_inverse=True)
    v: np.ndarray = np.bincount(inv, weights=np.nan_to_num(tl[column]), minlength=t.size)
    if column == "tracks_held" or column == "track_capacity":  # the shared picture: the same for every battery
        v = np.zeros(t.size)
        np.maximum.at(v, inv, np.nan_to_num(tl[column]))
    return t, v


def comparison_figure(c: Comparison) -> Any:
    """Capacity time series of both runs overlaid (A solid, B dashed), threats waiting and leaks over time."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from airpicture.explain.battle import waiting_counts

    panels = (("tracks_held", "track_capacity", "Tracks held (capacity dotted)"),
              ("channels_busy", "fire_channels", "Fire channels busy"),
              ("in_flight", "max_in_flight", "Interceptors in flight"),
              ("ready_rounds", None, "Ready rounds on the launchers"))
    fig = make_subplots(rows=3, cols=2, shared_xaxes=True, vertical_spacing=0.09, horizontal_spacing=0.08,
                        subplot_titles=[p[2] for p in panels] + ["Threats waiting (any limit)",
                                                                 "Threats got through (cumulative)"])
    colours = {"A": "#1f4e9c", "B": "#d62728"}
    for which, b in (("A", c.a), ("B", c.b)):
        dash = "solid" if which == "A" else "dash"
        for i, (col, cap, _title) in enumerate(panels):
            r, k = divmod(i, 2)
            t, v = _series(b, col)
            fig.add_trace(go.Scatter(x=t.astype(np.float32), y=v.astype(np.float32), mode="lines", name=which,
                                     legendgroup=which, showlegend=i == 0,
                                     line=dict(color=colours[which], dash=dash, width=1.8, shape="hv"),
                                     hovertemplate=f"{which}: %{{y:.0f}} at %{{x:.0f}} s<extra></extra>"),
                          row=r + 1, col=k + 1)
            if cap is not None:
                tc, vc = _series(b, cap)
                fig.add_trace(go.Scatter(x=tc.astype(np.float32), y=vc.astype(np.float32), mode="lines",
                                         showlegend=False, legendgroup=which, hoverinfo="skip",
                                         line=dict(color=colours[which], dash="dot", width=1)),
                              row=r + 1, col=k + 1)
        step = b.run.scenario.time_step_s
        times = np.arange(step, b.run.scenario.duration_s + 1e-9, step)
        waiting = sum(waiting_counts(b, times).values())
        fig.add_trace(go.Scatter(x=times.astype(np.float32), y=np.asarray(waiting, np.float32), mode="lines",
                                 showlegend=False, legendgroup=which,
                                 line=dict(color=colours[which], dash=dash, width=1.8, shape="hv"),
                                 hovertemplate=f"{which}: %{{y:.0f}} waiting at %{{x:.0f}} s<extra></extra>"),
                      row=3, col=1)
        th = b.threats
        lt = np.sort(th.outcome_s[th.threat & (th.outcome == Decision.LEAKED)])
        fig.add_trace(go.Scatter(x=np.concatenate([[0.0], lt, [b.run.scenario.duration_s]]).astype(np.float32),
                                 y=np.concatenate([[0], np.arange(1, lt.size + 1), [lt.size]]).astype(np.float32),
                                 mode="lines", showlegend=False, legendgroup=which,
                                 line=dict(color=colours[which], dash=dash, width=1.8, shape="hv"),
                                 hovertemplate=f"{which}: %{{y:.0f}} leakers by %{{x:.0f}} s<extra></extra>"),
                      row=3, col=2)
    fig.update_layout(height=820, template="plotly_white", margin=dict(l=50, r=20, t=60, b=50),
                      font=dict(family="Helvetica, Arial, sans-serif", size=12),
                      legend=dict(orientation="h", x=0, y=1.06, yanchor="bottom"), hoverlabel=dict(namelength=-1))
    fig.update_xaxes(title_text="time (s)", row=3)
    fig.update_yaxes(rangemode="tozero")
    return fig


def comparison_html(c: Comparison) -> str:
    """The self-contained comparison page."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    from airpicture.report.html import PLOTLY_CONFIG, _json_for_script

    def esc(x: Any) -> str:
        return html.escape(str(x))

    body = [f"<h1>airpicture: comparison of two runs</h1><p><b>A</b>: {esc(_label(c.a))}<br><b>B</b>: "
            f"{esc(_label(c.b))}</p>"]
    body.append("<h2>Verdicts</h2><div class='two'>"
                + "".join(f"<div><h3>{w}</h3>" + "".join(f"<p>{esc(s)}</p>" for s in verdict(b)) + "</div>"
                          for w, b in (("A", c.a), ("B", c.b))) + "</div>")
    if c.scenario_changes:
        body.append("<h2>What differs in the scenarios</h2><div class='scroll'><table class='grid'><thead><tr>"
                    "<th>field</th><th>A</th><th>B</th></tr></thead><tbody>"
                    + "".join(f"<tr><td>{esc(k)}</td><td>{esc(a)}</td><td>{esc(b)}</td></tr>"
                              for k, a, b in c.scenario_changes) + "</tbody></table></div>")
    rows = []
    section = ""
    for sec, label, va, vb, fmt in c.rows:
        if sec != section:
            rows.append(f"<tr class='sec'><th colspan='4'>{esc(sec)}</th></tr>")
            section = sec
        rows.append(f"<tr><td>{esc(label)}</td><td class='num'>{esc(_fmt(va, fmt))}</td>"
                    f"<td class='num'>{esc(_fmt(vb, fmt))}</td><td class='num'>{esc(_diff(va, vb, fmt))}</td></tr>")
    body.append("<h2>Key figures</h2><div class='scroll'><table class='grid' id='compare-table'><thead><tr>"
                "<th>figure</th><th class='num'>A</th><th class='num'>B</th><th class='num'>B - A</th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table></div>")
    fig = comparison_figure(c)
    body.append("<h2>Capacity over time</h2><p class='how'>A solid, B dashed; dotted lines are the limits.</p>"
                + pio.to_html(fig, config=PLOTLY_CONFIG, include_plotlyjs=False, full_html=False,
                              div_id="compare-series", validate=False, default_width="100%"))
    css = ("*{box-sizing:border-box}body{font-family:Helvetica,Arial,sans-serif;margin:0 auto;padding:12px 20px;"
           "max-width:1400px;color:#222;overflow-wrap:break-word}h1{font-size:22px}h2{font-size:18px;"
           "margin-top:22px}div.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(420px,100%),1fr));"
           "gap:0 24px}div.scroll{overflow-x:auto}table.grid{border-collapse:collapse;font-size:14px}"
           "table.grid td,table.grid th{border-bottom:1px solid #eee;padding:4px 10px;text-align:left}"
           "td.num,th.num{text-align:right;white-space:nowrap}tr.sec th{color:#1f4e9c;padding-top:10px}"
           "p.how{color:#555}@media (max-width:700px){body{padding:8px}}")
    script = ("(function(){const g=document.getElementById('compare-series');function fit(){if(!g._fullLayout)"
              "return;const w=g.parentElement.clientWidth;Plotly.relayout(g,{height:w<700?1000:820,'margin.l':"
              "w<700?36:50});}window.addEventListener('load',fit);window.addEventListener('resize',fit);})();")
    data = _json_for_script({"a": str(c.a.run.run_dir), "b": str(c.b.run.run_dir)})
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta name="generator" content="{GENERATOR}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>airpicture comparison</title>", f"<style>{css}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>', "</head><body>", *body,
        f'<script type="application/json" id="compare-data">{data}</script>',
        f"<script>{script}</script>", "</body></html>", ""])


def write_page(path: Path, page: str, overwrite: bool) -> None:
    """Write ``page`` to ``path`` atomically; an existing file is replaced only with ``overwrite`` and only if an
    earlier comparison wrote it."""
    path = Path(path)
    if path.exists():
        if path.is_dir():
            raise InputError(str(path), "is a folder; expected a file name for the comparison page (--out)")
        if not overwrite:
            raise InputError(str(path), "already exists; choose another --out or pass --overwrite")
        head = path.read_bytes()[:2000].decode("utf-8", errors="replace")
        if f'content="{GENERATOR}"' not in head:
            raise InputError(str(path), "exists and was not written by 'airpicture compare'; refusing to replace "
                                        "it (choose another --out)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(page.encode("utf-8"))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _finite(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


def default_out(dir_a: Path, dir_b: Path) -> Path:
    return Path(f"compare-{Path(dir_a).resolve().name}-vs-{Path(dir_b).resolve().name}.html")


def compare_command(dir_a: Path, dir_b: Path, out: Path | None, overwrite: bool, as_json: bool) -> str:
    """Write the page and return the text ``airpicture compare`` prints."""
    c = compare_runs(dir_a, dir_b)
    target = out if out is not None else default_out(dir_a, dir_b)
    write_page(target, comparison_html(c), overwrite)
    if as_json:
        return json.dumps({"a": str(dir_a), "b": str(dir_b), "page": str(target),
                           "scenario_changes": [list(x) for x in c.scenario_changes],
                           "figures": [{"section": s, "figure": lab, "a": _finite(a), "b": _finite(b)}
                                       for s, lab, a, b, _ in c.rows]},
                          indent=2) + "\n"
    return comparison_text(c) + f"\npage -> {target}\n"
