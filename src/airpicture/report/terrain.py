"""The report's terrain section: the relief of the scenario's DEM and each radar's low-altitude coverage (the
height above the ground at which a target becomes visible), from ``terrain.parquet`` (written only by runs of
scenarios with a ``[terrain]``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from airpicture.errors import InputError, Problem

#: Colour scale top of the coverage maps (m above the ground): higher is drawn with the top colour.
COVERAGE_TOP_M = 1000.0
TERRAIN_FILE = "terrain.parquet"
COLUMNS = ("sensor_id", "e_m", "n_m", "elevation_m", "visible_height_m")


def has_terrain(run_dir: Path) -> bool:
    return (Path(run_dir) / TERRAIN_FILE).is_file()


def terrain_figure(run_dir: Path, radar_names: dict[int, str], radar_en: dict[int, tuple[float, float]]) -> Any:
    """Relief and one coverage map per radar, side by side (km east/north of the site)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    path = Path(run_dir) / TERRAIN_FILE
    try:
        table = pq.read_table(path, columns=list(COLUMNS))
    except Exception as exc:  # a broken or foreign file
        raise InputError(str(path), Problem("", f"unreadable ({exc}); expected the terrain table of a run")) \
            from None
    sid = table.column("sensor_id").to_numpy()
    ids = [int(i) for i in np.unique(sid) if i >= 0]
    first = sid == (ids[0] if ids else -1)
    e = table.column("e_m").to_numpy()[first]
    n = table.column("n_m").to_numpy()[first]
    xs, ys = np.unique(e), np.unique(n)
    ix, iy = np.searchsorted(xs, e), np.searchsorted(ys, n)

    def image(values: np.ndarray) -> np.ndarray:
        out = np.full((ys.size, xs.size), np.nan)
        out[iy, ix] = values
        return out

    titles = ["Relief (m above sea level)"] + [f"{radar_names.get(i, str(i))}: lowest visible height above ground"
                                               for i in ids]
    cols = min(len(titles), 3)
    rows = math.ceil(len(titles) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.08,
                        vertical_spacing=0.12)
    x_km, y_km = xs / 1e3, ys / 1e3
    relief = image(table.column("elevation_m").to_numpy()[first])
    fig.add_trace(go.Heatmap(x=x_km, y=y_km, z=relief, colorscale="Earth", showscale=True,
                             colorbar={"title": "m", "len": 0.9 / rows, "x": 1.0 / cols - 0.02,
                                       "y": 1 - 0.5 / rows},
                             hovertemplate="%{x:.1f} km E, %{y:.1f} km N<br>%{z:.0f} m<extra></extra>"), 1, 1)
    vis_all = table.column("visible_height_m").to_numpy()
    for k, i in enumerate(ids, start=1):
        r, c = divmod(k, cols)
        vis = image(vis_all[sid == i])
        fig.add_trace(go.Heatmap(
            x=x_km, y=y_km, z=np.minimum(vis, COVERAGE_TOP_M), customdata=vis, colorscale="Viridis",
            zmin=0.0, zmax=COVERAGE_TOP_M, showscale=k == 1,
            colorbar={"title": "m AGL", "len": 0.9 / rows, "y": 1 - 0.5 / rows},
            hovertemplate="%{x:.1f} km E, %{y:.1f} km N<br>visible from %{customdata:.0f} m above the ground"
                          "<extra></extra>"), r + 1, c + 1)
    for k, shown in enumerate([None, *ids]):
        r, c = divmod(k, cols)
        for rid, name in radar_names.items():
            re, rn = radar_en[rid]
            colour = "red" if shown is None or shown == rid else "white"
            fig.add_trace(go.Scatter(x=[re / 1e3], y=[rn / 1e3], mode="markers+text", text=[name],
                                     textposition="top center", showlegend=False, hoverinfo="skip",
                                     marker={"symbol": "triangle-up", "size": 10, "color": colour,
                                             "line": {"width": 1, "color": "black"}}), r + 1, c + 1)
        fig.update_xaxes(title_text="km east", row=r + 1, col=c + 1)
        fig.update_yaxes(title_text="km north", scaleanchor=f"x{k + 1 if k else ''}", row=r + 1, col=c + 1)
    fig.update_layout(height=430 * rows, margin={"l": 50, "r": 30, "t": 50, "b": 40}, template="plotly_white")
    return fig
