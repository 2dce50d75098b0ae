"""Plotly figures of the report, built from the arrays of :mod:`~airpicture.report.mapdata`,
:mod:`~airpicture.report.engagements` and :mod:`~airpicture.report.ppi`.

Each figure is a plain dict in plotly.js's figure schema (``{"data": [...], "layout": {...}}``), written into the
page by :mod:`~airpicture.report.plotlyjson` without plotly.py (see there why); the tests check every figure
against plotly.py's own validation and serialisation.

Coordinates on the maps are local kilometres east/north of the site; times are seconds from the scenario start.
Arrays go to plotly as float32 (base64 in the page): ample for kilometres at metre precision, and half the size.
"""

from __future__ import annotations

import base64
import html
from typing import Any

import numpy as np
from numpy.typing import NDArray

from airpicture.report.decimate import bucket_series
from airpicture.report.engagements import Timeline
from airpicture.report.mapdata import Frames, Points, Ring, Site, TargetPath
from airpicture.report.plotlyjson import template
from airpicture.report.ppi import Scan
from airpicture.report.style import (
    ASSET,
    BATTERY,
    CAPACITY,
    EVENT_STYLE,
    FALSE_ALARM,
    KIND_NAMES,
    RADAR,
    RELOAD,
    TRACKED,
    WAIT_COLOURS,
    class_colour,
)
from airpicture.report.subplots import subplot_grid
from airpicture.vocab import EngagementEvent

FONT = dict(family="Helvetica, Arial, sans-serif", size=13)
SERIES_POINTS = 2000
TIMELINE_MAX_ROWS = 400


def _f4(a: Any) -> NDArray[np.float32]:
    return np.asarray(a, dtype=np.float32)


def typed_array(a: Any) -> dict[str, str]:
    """plotly.js's base64 typed-array form of a float32 array (1-D, or 2-D with its shape), as plotly.py writes it
    for validated figures. Used for animation frames, which are passed as plain dicts: validating ~100 frames
    through plotly's figure classes costs about a second, and unvalidated NumPy arrays would be written as
    (larger) JSON number lists."""
    v = np.ascontiguousarray(a, dtype="<f4")
    out = {"dtype": "f4", "bdata": base64.b64encode(v.tobytes()).decode("ascii")}
    if v.ndim > 1:
        out["shape"] = ", ".join(str(n) for n in v.shape)
    return out


def _circle(e: float, n: float, r: float, k: int = 181) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    a = np.linspace(0.0, 2 * np.pi, k)
    return e + r * np.sin(a), n + r * np.cos(a)


def _hover(p: Points, what: str) -> dict[str, Any]:
    """Hover showing the object id, time and height of each point (customdata columns)."""
    return dict(
        customdata=_f4(np.column_stack([p.ident, p.time_s, p.height_km])),
        hovertemplate=(f"<b>%{{fullData.name}}</b><br>{what} %{{customdata[0]:.0f}}<br>t = %{{customdata[1]:.0f}} s"
                       "<br>east %{x:.1f} km, north %{y:.1f} km<br>height %{customdata[2]:.2f} km<extra></extra>"),
    )


def _base_layout(title: str, height: int) -> dict[str, Any]:
    return dict(template=template("plotly_white"), title=dict(text=title, x=0.01, xanchor="left"), height=height,
                font=dict(FONT), margin=dict(l=70, r=20, t=70, b=60), hoverlabel=dict(namelength=-1))


def scatter(kind: str = "scatter", legendgrouptitle: str | None = None, **props: Any) -> dict[str, Any]:
    """A trace dict of type ``kind``; ``legendgrouptitle`` (if any) as plotly's ``legendgrouptitle.text``."""
    out = {"type": kind, **props}
    if legendgrouptitle is not None:
        out["legendgrouptitle"] = {"text": legendgrouptitle}
    return out


def _place_traces(sites: list[Site], rings: list[Ring], faint: bool = False) -> list[dict[str, Any]]:
    """Rings (radar coverage, battery reach, asset radii) and the assets, radars and batteries."""
    traces = []
    styles = {
        "coverage": ("Radar coverage (instrumented range)", RADAR, "dash", 1.2),
        "envelope": ("Battery reach (engagement envelope, max range per threat kind)", BATTERY, "dot", 1.5),
        "asset": ("Asset: a threat inside this circle is a leaker", ASSET, "solid", 1.2),
    }
    titled = False
    for role, (label, colour, dash, width) in styles.items():
        sel = [r for r in rings if r.role == role]
        if not sel:
            continue
        title = "Defence" if not faint and not titled else None
        titled = True
        xs: list[Any] = []
        ys: list[Any] = []
        for r in sel:
            x, y = _circle(r.e_km, r.n_km, r.radius_km)
            xs += [x, [np.nan]]
            ys += [y, [np.nan]]
        traces.append(scatter(x=_f4(np.concatenate(xs)), y=_f4(np.concatenate(ys)), mode="lines", name=label,
                              line=dict(color=colour, dash=dash, width=width), hoverinfo="skip",
                              legendgroup=f"places-{role}", legendgrouptitle=title, opacity=0.45 if faint else 0.9))
        if role != "asset" and not faint:
            # radar coverage labelled at the ring's north, battery reach at its south, so labels do not collide
            sign = 1.0 if role == "coverage" else -1.0
            traces.append(scatter(
                x=[float(r.e_km) for r in sel], y=[float(r.n_km + sign * r.radius_km) for r in sel],
                text=[r.label for r in sel],
                mode="text", textposition="top center" if sign > 0 else "bottom center",
                textfont=dict(color=colour, size=11), showlegend=False, hoverinfo="skip",
                legendgroup=f"places-{role}"))
    symbols = {"asset": ("Defended asset", "square", ASSET, 11), "radar": ("Radar", "triangle-up", RADAR, 11),
               "battery": ("Battery", "pentagon", BATTERY, 13)}
    for role, (label, symbol, colour, size) in symbols.items():
        marks = [s for s in sites if s.role == role]
        if not marks:
            continue
        traces.append(scatter(
            x=[float(s.e_km) for s in marks], y=[float(s.n_km) for s in marks], text=[s.name for s in marks],
            name=label,
            mode="markers" if role != "asset" else "markers+text", textposition="bottom right",
            marker=dict(symbol=symbol, color=colour, size=size, line=dict(color="white", width=1)),
            hovertemplate=f"{label}: %{{text}}<br>east %{{x:.1f}} km, north %{{y:.1f}} km<extra></extra>",
            legendgroup=f"sites-{role}"))
    return traces


def _map_axes(extent_km: float) -> dict[str, Any]:
    return dict(
        xaxis=dict(title=dict(text="East of the site (km)"), range=[-extent_km, extent_km], zeroline=False,
                   constrain="domain"),
        yaxis=dict(title=dict(text="North of the site (km)"), range=[-extent_km, extent_km], zeroline=False,
                   constrain="domain", scaleanchor="x", scaleratio=1),
    )


#: Above this many targets the map draws one line per class instead of one per target (hover then shows ids).
MAX_TARGET_TRACES = 600


def map_figure(sites: list[Site], rings: list[Ring], truth: list[Points], tracks: list[Points] | None,
               marks: list[tuple[str, Points]] | None, flyouts: Points | None, extent_km: float,
               paths: list[TargetPath] | None = None, leakers: set[int] | None = None,
               names: list[str] | None = None) -> dict[str, Any]:
    """The overview map: places and rings, truth paths (one per target, named, when ``paths`` is given; else per
    class), tracks by status, engagement marks on top (leaks last, above the asset markers), the paths of
    threats that got through emphasised, and an empty 'selected threat' trace the page's script fills.

    The per-target paths (hundreds of traces) carry typed arrays (:func:`typed_array`), as the slider's frames do."""
    data: list[dict[str, Any]] = []
    place = _place_traces(sites, rings)
    rings_only = [tr for tr in place if tr["mode"] != "markers" and tr["mode"] != "markers+text"]
    site_traces = [tr for tr in place if tr["mode"] in ("markers", "markers+text")]
    data += rings_only
    if tracks is not None:  # beneath the truth: a true path with a blue halo is a tracked one
        for i, p in enumerate(tracks):
            style: dict[str, Any]
            if i == 0:  # track_layers gives: confirmed lines, tentative points, deletions
                style = dict(mode="lines", line=dict(color=p.colour, width=4), opacity=0.35,
                             name="Confirmed track (halo under the true path)")
            elif i == 1:
                style = dict(mode="markers", marker=dict(color=p.colour, size=3), visible="legendonly",
                             name="Tentative track (click to show)")
            else:
                style = dict(mode="markers", marker=dict(color="#555555", size=5, symbol="x-thin-open",
                                                         line=dict(width=1, color="#555555")), name=p.label)
            data.append(scatter(x=_f4(p.e_km), y=_f4(p.n_km), legendgroup=f"tracks{i}", legendrank=900,
                                legendgrouptitle="Tracks (by status)" if i == 0 else None,
                                **style, **_hover(p, "track")))
    leak_paths = [tp for tp in (paths or []) if leakers and tp.target_id in leakers]
    if leak_paths:
        e = np.concatenate([np.append(tp.points.e_km, np.nan) for tp in leak_paths])
        n = np.concatenate([np.append(tp.points.n_km, np.nan) for tp in leak_paths])
        data.append(scatter(x=_f4(e), y=_f4(n), mode="lines", name=f"Path of a threat that got through "
                            f"({len(leak_paths)})", line=dict(color="#d62728", width=5), opacity=0.3,
                            hoverinfo="skip", legendgroup="leakpaths", legendrank=1001))
    if paths is not None and len(paths) <= MAX_TARGET_TRACES:
        shown: set[int] = set()
        for tp in paths:
            p = tp.points
            first = tp.cls not in shown
            shown.add(tp.cls)
            trace: dict[str, Any] = {
                "type": "scatter", "x": typed_array(p.e_km), "y": typed_array(p.n_km), "mode": "lines",
                "name": p.label, "meta": tp.target_id, "line": {"color": p.colour, "width": 1.2}, "opacity": 0.8,
                "legendgroup": f"truth{tp.cls}", "showlegend": first,
                "customdata": typed_array(np.column_stack([p.time_s, p.height_km])),
                "hovertemplate": (f"<b>{html.escape(tp.name)}</b> (#{tp.target_id}, {html.escape(p.label)})<br>"
                                  "t = %{customdata[0]:.0f} s<br>east %{x:.1f} km, north %{y:.1f} km"
                                  "<br>height %{customdata[1]:.2f} km<extra></extra>")}
            if first and tp.cls == 0:
                trace["legendgrouptitle"] = {"text": "True paths (click: show or hide a class)"}
            data.append(trace)
    else:
        for i, p in enumerate(truth):
            data.append(scatter(x=_f4(p.e_km), y=_f4(p.n_km), mode="lines", name=p.label,
                                line=dict(color=p.colour, width=1.2), opacity=0.8, legendgroup=f"truth{i}",
                                legendgrouptitle="True paths" if i == 0 else None, **_hover(p, "target")))
    data += site_traces
    if flyouts is not None and len(flyouts):
        data.append(scatter(x=_f4(flyouts.e_km), y=_f4(flyouts.n_km), mode="lines", name=flyouts.label,
                            line=dict(color=flyouts.colour, width=1), opacity=0.5, legendgroup="eng",
                            legendgrouptitle="Engagements", hoverinfo="skip"))
    if marks is not None:
        ordered = sorted(marks, key=lambda m: m[0] == EngagementEvent.LEAK)  # leaks drawn last: on top of everything
        for j, (event, p) in enumerate(ordered):
            _label, symbol, colour = EVENT_STYLE[event]
            leak = event == EngagementEvent.LEAK
            who = ([names[int(i)] if 0 <= int(i) < len(names) else f"target {int(i)}" for i in p.ident.tolist()]
                   if names is not None else [f"target {int(i)}" for i in p.ident.tolist()])
            data.append(scatter(
                x=_f4(p.e_km), y=_f4(p.n_km), mode="markers", name=f"{p.label} ({len(p)})",
                marker=dict(symbol=symbol, color=colour,
                            size=12 if leak else 11 if event != EngagementEvent.ENGAGE else 8,
                            line=dict(width=2 if leak else 1.5,
                                      color=colour if "open" in symbol or leak else "white")),
                legendgroup=f"eng{j}",
                legendgrouptitle="Engagements" if (j == 0 and flyouts is None) else None, text=who,
                customdata=_f4(np.column_stack([p.time_s, p.height_km])),
                hovertemplate=(f"<b>{_label}</b>: %{{text}}<br>t = %{{customdata[0]:.0f}} s<br>east %{{x:.1f}} km, "
                               "north %{y:.1f} km<br>height %{customdata[1]:.2f} km<extra></extra>")))
    data.append(scatter(x=[], y=[], mode="lines+markers", name="Selected threat (choose a row of the table)",
                        line=dict(color="#111111", width=4), marker=dict(size=4, color="#111111"),
                        showlegend=False, hoverinfo="skip", meta="selected"))
    layout = dict(**_base_layout("Overview map: defence, true paths, tracks and engagements "
                                 "(local km; click legend entries to show or hide)", 820),
                  **_map_axes(extent_km), legend=dict(groupclick="togglegroup", tracegroupgap=4, font=dict(size=11)))
    return {"data": data, "layout": layout}


def picture_figure(sites: list[Site], rings: list[Ring], background: list[Points], frames: Frames,
                   extent_km: float, start_index: int, names: list[str] | None = None) -> dict[str, Any]:
    """The picture over time: true targets (dots) and published tracks (rings with a 30 s heading leader) at each
    slider time: a figure dict with frames (the frames' arrays as typed arrays, :func:`typed_array`)."""
    fig_data = _place_traces(sites, rings, faint=True)
    if background:
        e = np.concatenate([np.append(p.e_km, np.nan) for p in background])
        n = np.concatenate([np.append(p.n_km, np.nan) for p in background])
        fig_data.append(scatter(x=_f4(e), y=_f4(n), mode="lines", name="True paths (whole run)",
                                line=dict(color="#c8c8c8", width=0.8), hoverinfo="skip"))
    dynamic_start = len(fig_data)

    def traces_at(f: int, full: bool) -> list[dict[str, Any]]:
        """The moving traces at frame f: data only for frames (styles persist), data and style for the figure."""
        out: list[dict[str, Any]] = []
        moving = list(frames.truth[f])
        if frames.tracks:
            moving += [frames.leaders[f], *frames.tracks[f]]
        for i, p in enumerate(moving):
            enc = _f4 if full else typed_array
            data: dict[str, Any] = dict(x=enc(p.e_km), y=enc(p.n_km))
            is_leader = bool(frames.tracks) and i == len(frames.truth[f])
            is_track = bool(frames.tracks) and i > len(frames.truth[f])
            if not is_leader:
                data["customdata"] = enc(_hover(p, "track" if is_track else "target")["customdata"])
            if names is not None and not is_leader and not is_track:
                data["text"] = [names[int(i)] if 0 <= int(i) < len(names) else f"target {int(i)}"
                                for i in p.ident.tolist()]
            if full:
                data.update(name=p.label, legendgroup="tracks" if (is_leader or is_track) else "truth")
                if is_leader:
                    data.update(mode="lines", line=dict(color=p.colour, width=1), hoverinfo="skip")
                elif is_track:
                    data.update(mode="markers", marker=dict(color=p.colour, size=12, symbol="circle-open",
                                                            line=dict(width=1.6)),
                                hovertemplate=_hover(p, "track")["hovertemplate"])
                else:
                    data.update(mode="markers", marker=dict(color=p.colour, size=6),
                                hovertemplate=_hover(p, "target")["hovertemplate"] if names is None else (
                                    "<b>%{text}</b> (#%{customdata[0]:.0f}, %{fullData.name})<br>"
                                    "t = %{customdata[1]:.0f} s<br>east %{x:.1f} km, north %{y:.1f} km"
                                    "<br>height %{customdata[2]:.2f} km<extra></extra>"))
            out.append(data)
        return out

    fig_data += [scatter(**tr) for tr in traces_at(start_index, full=True)]
    dyn = list(range(dynamic_start, len(fig_data)))
    plain_frames = []
    steps = []
    for f, t in enumerate(frames.times_s):
        name = f"{t:g}"
        plain_frames.append(dict(name=name, data=traces_at(f, full=False), traces=dyn))
        steps.append(dict(method="animate", label=f"{t:g}",
                          args=[[name], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                             transition=dict(duration=0))]))
    title = ("The air picture over time: dots are true targets, open circles the tracks the battery sees "
             "(drag the slider or press Play)" if frames.tracks else
             "True targets over time (no picture in this run: the tracker's output is not available)")
    layout = dict(
        **_base_layout(title, 820), **_map_axes(extent_km),
        sliders=[dict(active=start_index, steps=steps, font=dict(size=10), pad=dict(t=50, b=10), len=0.9, x=0.1,
                      currentvalue=dict(prefix="time (s): ", font=dict(size=14), xanchor="right"))],
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=0, xanchor="left", yanchor="top",
                          pad=dict(t=60, r=10), showactive=False, buttons=[
                              dict(label="Play", method="animate",
                                   args=[None, dict(frame=dict(duration=250, redraw=False), fromcurrent=True,
                                                    transition=dict(duration=0), mode="immediate")]),
                              dict(label="Pause", method="animate",
                                   args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate",
                                                      transition=dict(duration=0))])])],
    )
    layout["margin"] = dict(l=70, r=20, t=70, b=130)
    return {"data": fig_data, "layout": layout, "frames": plain_frames}


def _scan_traces(scan: Scan, target_kind: NDArray[np.object_], names: list[str] | None) -> list[dict[str, Any]]:
    traces = []
    who = ([names[int(i)] if 0 <= int(i) < len(names) else f"target {int(i)}" for i in scan.truth_target_id.tolist()]
           if names is not None else [f"target {int(i)}" for i in scan.truth_target_id.tolist()])
    traces.append(scatter(
        "scatterpolar", r=_f4(scan.truth_range_km), theta=_f4(scan.truth_azimuth_deg), mode="markers",
        name="True target at mid-rotation", marker=dict(symbol="circle-open", size=11, color="#555555"),
        customdata=_f4(np.column_stack([scan.truth_target_id, scan.truth_elevation_deg])), text=who,
        hovertemplate="truth: <b>%{text}</b> (#%{customdata[0]:.0f})<br>range %{r:.1f} km, azimuth %{theta:.1f}°"
                      "<br>elevation %{customdata[1]:.2f}°<extra></extra>"))
    hover = ("<b>%{fullData.name}</b><br>range %{r:.2f} km, azimuth %{theta:.2f}°<br>elevation %{customdata[0]:.2f}°"
             "<br>SNR %{customdata[1]:.1f} dB<extra></extra>")
    cd = np.column_stack([scan.elevation_deg, scan.snr_db])
    if scan.target_id is None:
        traces.append(scatter("scatterpolar", r=_f4(scan.range_km), theta=_f4(scan.azimuth_deg), mode="markers",
                                      name="Detection (no labels in this run)", marker=dict(color="#1f4e9c", size=6),
                                      customdata=_f4(cd), hovertemplate=hover))
        return traces
    false = scan.target_id < 0
    traces.append(scatter("scatterpolar", r=_f4(scan.range_km[false]), theta=_f4(scan.azimuth_deg[false]),
                                  mode="markers", name=f"False alarm ({int(false.sum())})",
                                  marker=dict(color=FALSE_ALARM, size=7, symbol="x-thin-open",
                                              line=dict(width=1.5, color=FALSE_ALARM)),
                                  customdata=_f4(cd[false]), hovertemplate=hover))
    kinds = np.where(false, "", target_kind[np.maximum(scan.target_id, 0)])
    for kind in dict.fromkeys(kinds[~false].tolist()):
        m = (~false) & (kinds == kind)
        label = [names[int(i)] if names is not None else f"target {int(i)}" for i in scan.target_id[m].tolist()]
        traces.append(scatter(
            "scatterpolar", r=_f4(scan.range_km[m]), theta=_f4(scan.azimuth_deg[m]), mode="markers",
            name=f"Detection of {KIND_NAMES.get(kind, kind).lower()} ({int(m.sum())})", text=label,
            marker=dict(color=class_colour(kind, False), size=7), customdata=_f4(cd[m]),
            hovertemplate=hover.replace("</b>", "</b>: %{text}")))
    return traces


def _scan_title(scan: Scan) -> str:
    s = scan.sensor
    return (f"Radar scan: '{s.name}' (sensor {s.id}), rotation {scan.index}, t = {scan.start_s:g}–{scan.end_s:g} s: "
            f"{scan.range_km.size} detections, {scan.n_false} false alarms")


def ppi_figure(scans: Scan | list[Scan], target_kind: NDArray[np.object_], names: list[str] | None = None
               ) -> dict[str, Any]:
    """One rotation of each radar in its own polar coordinates: detections by what caused them (``target_kind``
    and ``names`` are indexed by target id), and the truth. With several radars, a menu chooses the radar."""
    scans = [scans] if isinstance(scans, Scan) else list(scans)
    data = []
    owner = []
    for k, scan in enumerate(scans):
        for tr in _scan_traces(scan, target_kind, names):
            tr["visible"] = k == 0
            tr["legendgroup"] = f"radar{k}"
            data.append(tr)
            owner.append(k)
    s0 = scans[0]
    layout = dict(
        **_base_layout(_scan_title(s0), 720),
        polar=dict(radialaxis=dict(range=[0, s0.sensor.max_range_m * 1e-3], ticksuffix=" km", angle=45, tickangle=45,
                                   tickfont=dict(size=10, color="#666666")),
                   angularaxis=dict(direction="clockwise", rotation=90, dtick=30, ticksuffix="°")),
    )
    if len(scans) > 1:
        buttons = [dict(label=f"{sc.sensor.name} (sensor {sc.sensor.id})", method="update",
                        args=[{"visible": [o == k for o in owner]},
                              {"title.text": _scan_title(sc),
                               "polar.radialaxis.range": [0, sc.sensor.max_range_m * 1e-3]}])
                   for k, sc in enumerate(scans)]
        layout["updatemenus"] = [dict(type="dropdown", buttons=buttons, x=0.0, xanchor="left", y=1.0,
                                      yanchor="bottom", pad=dict(t=4, b=4), showactive=True, active=0,
                                      bgcolor="#ffffff", bordercolor="#999999")]
        layout["margin"] = {**layout["margin"], "t": 110}
    return {"data": data, "layout": layout}


def _not_available(layout: dict[str, Any], row: int, col: int, text: str) -> None:
    idx = (row - 1) * 2 + col
    suffix = "" if idx == 1 else str(idx)
    layout["annotations"].append(dict(text=text, showarrow=False, font=dict(color="#888888", size=12),
                                      xref=f"x{suffix} domain", yref=f"y{suffix} domain", x=0.5, y=0.5))


def timeseries_figure(series: dict[str, Any]) -> dict[str, Any]:
    """Loads against capacities and picture quality over time (3 x 2 panels sharing the time axis).

    ``series`` keys (each optional): 'truth' (t, n), 'tracks' {name: (t, n)}, 'capacity' {name: (t, n)},
    'channels', 'channels_cap', 'flight', 'flight_cap', 'ready', 'inventory' ({name: (t, v)} each),
    'gospa' (t, v), 'parts' {label: (t, v_m2)}.
    """
    titles = ("Tracks held against the track capacity", "Fire channels busy (targets under engagement)",
              "Interceptors in flight", "Interceptors left", "Picture quality: GOSPA (m, lower is better)",
              "GOSPA² split into its parts (km²)")
    grid = subplot_grid(3, 2, titles, horizontal_spacing=0.08, vertical_spacing=0.1, shared_x=True)
    layout = grid.layout
    data: list[dict[str, Any]] = []

    def line(t: Any, v: Any, name: str, colour: str, row: int, col: int, dash: str = "solid",
             group: str = "", width: float = 2.0, shape: str = "hv", showlegend: bool = True) -> None:
        tt, vv = bucket_series(np.asarray(t, float), np.asarray(v, float), SERIES_POINTS)
        data.append(scatter(x=_f4(tt), y=_f4(vv), mode="lines", name=name, legendgroup=group or name,
                            showlegend=showlegend, line=dict(color=colour, dash=dash, width=width, shape=shape),
                            hovertemplate=f"{name}<br>t = %{{x:.0f}} s: %{{y:.4g}}<extra></extra>",
                            **grid.axes(row, col)))

    palette = ["#1f4e9c", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"]
    if "truth" in series:
        t_truth, v_truth = series["truth"]
        line(t_truth, v_truth, "Targets in the sky (truth)", "#9a9a9a", 1, 1, width=1.5)
    for i, (name, (t, v)) in enumerate(series.get("tracks", {}).items()):
        line(t, v, f"Tracks held: {name}", palette[i % 5], 1, 1)
    for i, (t, v) in enumerate(series.get("capacity", {}).values()):
        line(t, v, "Capacity (limit)", CAPACITY, 1, 1, dash="dash", showlegend=i == 0, group="cap")
    panels = (("channels", "channels_cap", 1, 2, "Channels busy"), ("flight", "flight_cap", 2, 1, "In flight"))
    for key, cap_key, row, col, label in panels:
        if key not in series:
            _not_available(layout, row, col, "not available: no timeline.parquet in this results folder")
            continue
        for i, (name, (t, v)) in enumerate(series[key].items()):
            line(t, v, f"{label}: {name}", palette[i % 5], row, col)
        for t, v in series[cap_key].values():
            line(t, v, "Capacity (limit)", CAPACITY, row, col, dash="dash", showlegend=False, group="cap")
    if "inventory" in series:
        for i, (name, (t, v)) in enumerate(series["inventory"].items()):
            line(t, v, f"Rounds left incl. reloads: {name}", palette[i % 5], 2, 2)
        for i, (name, (t, v)) in enumerate(series.get("ready", {}).items()):
            line(t, v, f"Ready on launchers: {name}", palette[i % 5], 2, 2, dash="dot")
    else:
        _not_available(layout, 2, 2, "not available: no timeline.parquet in this results folder")
    if "gospa" in series:
        t_gospa, v_gospa = series["gospa"]
        line(t_gospa, v_gospa, "GOSPA", "#000000", 3, 1, shape="linear", width=1.5)
        colours = {"localisation": "#1f77b4", "missed": "#d62728", "false": "#7f7f7f"}
        for label, (t, v) in series.get("parts", {}).items():
            tt, vv = bucket_series(np.asarray(t, float), np.asarray(v, float) * 1e-6, SERIES_POINTS,
                                   np.add.reduceat)
            if tt.size < np.asarray(t).size:  # mean per bucket, not sum
                vv = vv / np.diff(np.append(np.searchsorted(t, tt), np.asarray(t).size))
            key = label.split()[0].lower()
            data.append(scatter(x=_f4(tt), y=_f4(vv), mode="lines", stackgroup="gospa", name=label,
                                line=dict(color=colours.get(key, "#888888"), width=0.5),
                                hovertemplate=f"{label}<br>t = %{{x:.0f}} s: %{{y:.3g}} km²<extra></extra>",
                                **grid.axes(3, 2)))
    else:
        for col in (1, 2):
            _not_available(layout, 3, col, "not available: no metrics.parquet in this results folder")
    layout.update(**_base_layout("Capacity and picture quality over time", 900),
                  legend=dict(orientation="h", y=-0.08, x=0, yanchor="top"))
    layout["margin"] = dict(l=60, r=20, t=90, b=150)
    for row in (1, 2, 3):
        for col in (1, 2):
            xaxis = layout[grid.axis_name("x", row, col)]
            xaxis["showticklabels"] = True
            if row == 3:
                xaxis["title"] = {"text": "time (s)"}
            layout[grid.axis_name("y", row, col)]["rangemode"] = "tozero"
    return {"data": data, "layout": layout}


def timeline_figure(tl: Timeline) -> dict[str, Any]:
    """One row per engaged target (and, with the decision log, per threat never engaged): when it was tracked,
    when it waited and for which limit, the engagement span, interceptor flyouts and each event as a marker; a
    row of launcher reloads per battery on top."""
    rows = min(len(tl), TIMELINE_MAX_ROWS)
    keep_flyout = tl.flyout_row < rows
    data: list[dict[str, Any]] = []

    def bars(row: np.ndarray, a: np.ndarray, b: np.ndarray, name: str, colour: str, width: float,
             opacity: float = 1.0, text: list[str] | None = None, legend: bool = True) -> None:
        k = row.size
        xs = np.column_stack([a, b, np.full(k, np.nan)]).ravel()
        ys = np.repeat(np.asarray(row, float), 3)
        extra: dict[str, Any] = dict(hoverinfo="skip")
        if text is not None:
            extra = dict(text=np.repeat(np.asarray(text, dtype=object), 3).tolist(),
                         hovertemplate="%{text}<extra></extra>")
        data.append(scatter(x=_f4(xs), y=_f4(ys), mode="lines", name=name, showlegend=legend and k > 0,
                            line=dict(color=colour, width=width), opacity=opacity, **extra))

    batteries = list(dict.fromkeys(tl.reload_battery))
    reload_rows = {b: -1 - i for i, b in enumerate(batteries)}
    if batteries:
        # each launcher's reloads on its own thin line within its battery's row
        lau = np.array([int(t.split()[1].rstrip(":")) if t.startswith("launcher ") else 1 for t in tl.reload_text])
        spread = 0.7 * ((lau - 1) / max(int(lau.max()) - 1, 1) - 0.5) if lau.size else lau
        yr = np.array([reload_rows[b] for b in tl.reload_battery], float) + spread
        bars(yr, tl.reload_start_s, tl.reload_end_s, RELOAD[0], RELOAD[1], 2, 0.9,
             text=[f"{b} {t}" for b, t in zip(tl.reload_battery, tl.reload_text, strict=True)])
    keep = tl.tracked_row < rows
    bars(tl.tracked_row[keep], tl.tracked_start_s[keep], tl.tracked_end_s[keep], TRACKED[0], TRACKED[1], 2)
    for reason, (label, colour) in WAIT_COLOURS.items():
        m = np.array([r == reason for r in tl.wait_reason], bool) & (tl.wait_row < rows) if tl.wait_reason else \
            np.zeros(0, bool)
        if m.any():
            bars(tl.wait_row[m], tl.wait_start_s[m], tl.wait_end_s[m], label, colour, 6, 0.45)
    span_x = np.column_stack([tl.first_s[:rows], tl.last_s[:rows], np.full(rows, np.nan)]).ravel()
    span_y = np.repeat(np.arange(rows, dtype=float), 3)
    data.append(scatter(x=_f4(span_x), y=_f4(span_y), mode="lines", name="Under engagement",
                        line=dict(color="#a0a0a0", width=3), hoverinfo="skip"))
    k = int(keep_flyout.sum())
    fx = np.column_stack([tl.flyout_start_s[keep_flyout], tl.flyout_end_s[keep_flyout], np.full(k, np.nan)]).ravel()
    fy = np.repeat(tl.flyout_row[keep_flyout].astype(float), 3)
    data.append(scatter(x=_f4(fx), y=_f4(fy), mode="lines", name="Interceptors flying (launch to intercept)",
                        line=dict(color="#1f77b4", width=7), opacity=0.6, hoverinfo="skip"))
    for event, (label, symbol, colour) in EVENT_STYLE.items():
        m = tl.mark_row[event] < rows
        r = tl.mark_row[event][m]
        if event == EngagementEvent.LAUNCH:
            label = "Launch"
        data.append(scatter(
            x=_f4(tl.mark_time_s[event][m]), y=_f4(r), mode="markers", name=label,
            marker=dict(symbol=symbol, color=colour,
                        size=10 if event in (EngagementEvent.KILL, EngagementEvent.LEAK) else 8,
                        line=dict(width=1.5, color=colour if "open" in symbol else "white")),
            text=[tl.label[i] for i in r],
            hovertemplate=f"<b>{label}</b><br>%{{text}}<br>t = %{{x:.0f}} s<extra></extra>"))
    row_px = 15
    height = int(np.clip(170 + row_px * (rows + len(batteries)), 320, 6200))
    more = f" (first {rows} of {len(tl)})" if rows < len(tl) else ""
    what = "engaged target" if tl.wait_reason == [] and tl.tracked_row.size == 0 else "threat"
    tickvals = [reload_rows[b] for b in batteries] + list(range(rows))
    ticktext = [f"{b} reloads" for b in batteries] + tl.label[:rows]
    layout = dict(
        **_base_layout(f"Engagement timeline: one row per {what}{more}", height),
        xaxis=dict(title=dict(text="time (s)"), side="top", showgrid=True),
        yaxis=dict(tickmode="array", tickvals=tickvals, ticktext=ticktext, range=[rows - 0.5, -len(batteries) - 0.6],
                   tickfont=dict(size=10), showgrid=True, gridcolor="#f0f0f0", automargin=True),
        legend=dict(orientation="h", y=-0.01, yanchor="top", x=0),
    )
    layout["margin"] = dict(l=10, r=20, t=110, b=60)
    return {"data": data, "layout": layout}
