"""Static PNG figures of a results folder (matplotlib, no display needed): the map, the time series, the
engagement timeline and the radar scan, for slides and documents. Same data and colours as the HTML report.

Rendered in memory (``render_pngs`` returns file name -> PNG bytes) with matplotlib's object API (no pyplot
global state), without the software-version metadata so the same run gives the same bytes on the same install.
"""

from __future__ import annotations

import io
from typing import cast

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.projections.polar import PolarAxes

from airpicture.report.engagements import engagement_timeline
from airpicture.report.figures import TIMELINE_MAX_ROWS
from airpicture.report.load import RunData
from airpicture.report.mapdata import (
    engagement_marks,
    sites_and_rings,
    sorted_truth,
    track_layers,
    truth_paths,
)
from airpicture.report.ppi import choose_scan, scan_view
from airpicture.report.series import time_series
from airpicture.report.style import (
    ASSET,
    BATTERY,
    CAPACITY,
    EVENT_STYLE,
    FALSE_ALARM,
    KIND_NAMES,
    MPL_MARKERS,
    RADAR,
    class_colour,
)

DPI = 110


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _na(ax, text: str) -> None:
    ax.text(0.5, 0.5, f"not available:\n{text}", ha="center", va="center", color="#888888", transform=ax.transAxes)


def render_pngs(run: RunData) -> dict[str, bytes]:
    """PNG files of the report's main figures, by file name."""
    from airpicture.report.html import map_extent_km
    from airpicture.report.mapdata import path_step

    st = sorted_truth(run)
    sc = run.scenario
    out = {}

    # ---- map
    fig = Figure(figsize=(12.5, 9), layout="constrained")  # legend right of the map, not over it
    ax = fig.add_subplot()
    sites, rings = sites_and_rings(run)
    ring_style = {"coverage": (RADAR, "--"), "envelope": (BATTERY, ":"), "asset": (ASSET, "-")}
    a = np.linspace(0, 2 * np.pi, 181)
    for r in rings:
        colour, ls = ring_style[r.role]
        ax.plot(r.e_km + r.radius_km * np.sin(a), r.n_km + r.radius_km * np.cos(a), ls, color=colour, lw=1)
    step = path_step(run)
    if run.has("tracks"):
        conf = track_layers(run, step)[0]
        ax.plot(conf.e_km, conf.n_km, color=conf.colour, lw=3.5, alpha=0.3, label="Confirmed track (halo)")
    for p in truth_paths(st, step):
        ax.plot(p.e_km, p.n_km, color=p.colour, lw=0.8, alpha=0.85, label=p.label)
    if run.has("events"):
        marks, _ = engagement_marks(run, st)
        for event, p in marks:
            _label, symbol, colour = EVENT_STYLE[event]
            ax.scatter(p.e_km, p.n_km, marker=MPL_MARKERS[symbol], s=40, label=f"{p.label} ({len(p)})",
                       facecolors="none" if "open" in symbol else colour, edgecolors=colour, zorder=5)
    for role, marker, colour in (("asset", "s", ASSET), ("radar", "^", RADAR), ("battery", "p", BATTERY)):
        pts = [s for s in sites if s.role == role]
        if pts:
            ax.scatter([s.e_km for s in pts], [s.n_km for s in pts], marker=marker, color=colour, s=50, zorder=6,
                       label={"asset": "Defended asset", "radar": "Radar", "battery": "Battery"}[role])
    ext = map_extent_km(run, st)
    ax.set_xlim(-ext, ext)
    ax.set_ylim(-ext, ext)
    ax.set_aspect("equal")
    ax.set_xlabel("East of the site (km)")
    ax.set_ylabel("North of the site (km)")
    ax.set_title(f"{sc.name}: true paths, tracks and engagements")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    out["map.png"] = _png(fig)

    # ---- time series
    ser = time_series(run, st)
    fig = Figure(figsize=(13, 10))
    axes = fig.subplots(3, 2, sharex=True)
    titles = ("Tracks held vs track capacity", "Fire channels busy", "Interceptors in flight",
              "Interceptors left", "GOSPA (m)", "GOSPA² parts (km²)")
    for axx, title in zip(axes.ravel(), titles, strict=True):
        axx.set_title(title, fontsize=11)
        axx.grid(alpha=0.3)
    ax = axes[0, 0]
    if "truth" in ser:
        ax.step(*ser["truth"], where="post", color="#9a9a9a", label="targets in the sky (truth)")
    for name, (t, v) in ser.get("tracks", {}).items():
        ax.step(t, v, where="post", color=BATTERY, label=f"tracks held: {name}")
    for t, v in ser.get("capacity", {}).values():
        ax.step(t, v, where="post", color=CAPACITY, ls="--", label="capacity")
    for key, cap_key, axx in (("channels", "channels_cap", axes[0, 1]), ("flight", "flight_cap", axes[1, 0])):
        if key not in ser:
            _na(axx, "no timeline.parquet")
            continue
        for name, (t, v) in ser[key].items():
            axx.step(t, v, where="post", color=BATTERY, label=name)
        for t, v in ser[cap_key].values():
            axx.step(t, v, where="post", color=CAPACITY, ls="--", label="limit")
    if "inventory" in ser:
        for name, (t, v) in ser["inventory"].items():
            axes[1, 1].step(t, v, where="post", color=BATTERY, label=f"incl. reloads: {name}")
        for name, (t, v) in ser.get("ready", {}).items():
            axes[1, 1].step(t, v, where="post", color=BATTERY, ls=":", label=f"ready: {name}")
    else:
        _na(axes[1, 1], "no timeline.parquet")
    if "gospa" in ser:
        axes[2, 0].plot(*ser["gospa"], color="black", lw=1)
        parts = ser.get("parts", {})
        if parts:
            colours = ["#1f77b4", "#d62728", "#7f7f7f"]
            t = next(iter(parts.values()))[0]
            axes[2, 1].stackplot(t, *[v * 1e-6 for _, v in parts.values()], labels=list(parts),
                                 colors=colours[: len(parts)], alpha=0.7)
    else:
        _na(axes[2, 0], "no metrics.parquet")
        _na(axes[2, 1], "no metrics.parquet")
    for axx in axes.ravel():
        if axx.get_legend_handles_labels()[0]:
            axx.legend(fontsize=7, loc="upper right")
    for axx in axes[2]:
        axx.set_xlabel("time (s)")
    fig.suptitle(f"{sc.name}: capacity and picture quality over time")
    fig.tight_layout()
    out["timeseries.png"] = _png(fig)

    # ---- engagement timeline
    if run.has("events"):
        tl = engagement_timeline(run.get("events"), run.get("targets"))
        rows = min(len(tl), TIMELINE_MAX_ROWS)
        # constrained layout keeps the legend below the axes (outside the rows) and leaves it room
        fig = Figure(figsize=(12, float(np.clip(2.3 + 0.22 * rows, 3.5, 41))), layout="constrained")
        ax = fig.add_subplot()
        if rows:
            ax.hlines(np.arange(rows), tl.first_s[:rows], tl.last_s[:rows], color="#c8c8c8", lw=3,
                      label="under engagement")
            k = tl.flyout_row < rows
            ax.hlines(tl.flyout_row[k], tl.flyout_start_s[k], tl.flyout_end_s[k], color="#1f77b4", lw=6, alpha=0.6,
                      label="interceptors flying")
            for event, (label, symbol, colour) in EVENT_STYLE.items():
                m = tl.mark_row[event] < rows
                ax.scatter(tl.mark_time_s[event][m], tl.mark_row[event][m], marker=MPL_MARKERS[symbol], s=36,
                           facecolors="none" if "open" in symbol else colour, edgecolors=colour, label=label,
                           zorder=4)
            ax.set_yticks(np.arange(rows), tl.label[:rows], fontsize=7)
            ax.set_ylim(rows - 0.5, -0.5)
            fig.legend(*ax.get_legend_handles_labels(), fontsize=8, loc="outside lower center", ncols=7,
                       frameon=False)
        else:
            _na(ax, "no target was engaged")
        ax.set_xlabel("time (s)")
        ax.set_xlim(0, sc.duration_s)
        ax.grid(axis="x", alpha=0.3)
        ax.set_title(f"{sc.name}: engagement timeline (one row per engaged target)")
        out["engagements.png"] = _png(fig)

    # ---- radar scan
    chosen = choose_scan(run) if run.has("detections") else None
    if chosen is not None:
        scan = scan_view(run, st, *chosen)
        fig = Figure(figsize=(9, 9))
        ax = cast(PolarAxes, fig.add_subplot(projection="polar"))
        ax.set_theta_zero_location("N")
        ax.set_theta_direction(-1)
        th = np.radians
        ax.scatter(th(scan.truth_azimuth_deg), scan.truth_range_km, s=50, facecolors="none", edgecolors="#555555",
                   label="true target at mid-rotation")
        if scan.target_id is None:
            ax.scatter(th(scan.azimuth_deg), scan.range_km, s=12, color=BATTERY, label="detection")
        else:
            false = scan.target_id < 0
            ax.scatter(th(scan.azimuth_deg[false]), scan.range_km[false], marker="x", s=20, color=FALSE_ALARM,
                       label=f"false alarm ({int(false.sum())})")
            kinds = np.where(false, "", run.get("targets")["kind"][np.maximum(scan.target_id, 0)])
            for kind in dict.fromkeys(kinds[~false].tolist()):
                m = (~false) & (kinds == kind)
                ax.scatter(th(scan.azimuth_deg[m]), scan.range_km[m], s=14, color=class_colour(kind, False),
                           label=f"{KIND_NAMES.get(kind, kind).lower()} ({int(m.sum())})")
        ax.set_rmax(scan.sensor.max_range_m * 1e-3)
        ax.set_title(f"'{scan.sensor.name}' rotation {scan.index}, t = {scan.start_s:g}–{scan.end_s:g} s "
                     "(range in km)", fontsize=11)
        ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(-0.1, -0.1))
        out["scan.png"] = _png(fig)
    return out
