"""The report's terrain section: the relief of the scenario's DEM and each radar's low-altitude coverage (the
height above the ground at which a target becomes visible), from ``terrain.parquet`` (written only by runs of
scenarios with a ``[terrain]``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from airpicture.columns import numpy_of
from airpicture.errors import InputError, Problem
from airpicture.io import read_parquet
from airpicture.report.plotlyjson import template
from airpicture.report.subplots import subplot_grid

#: Colour scale top of the coverage maps (m above the ground): higher is drawn with the top colour.
COVERAGE_TOP_M = 1000.0
TERRAIN_FILE = "terrain.parquet"
#: plotly's named colour scales 'Earth' and 'Viridis', spelt out as plotly.py expands them
EARTH = [[0.0, "rgb(161, 105, 40)"], [0.16666666666666666, "rgb(189, 146, 90)"],
         [0.3333333333333333, "rgb(214, 189, 141)"], [0.5, "rgb(237, 234, 194)"],
         [0.6666666666666666, "rgb(181, 200, 184)"], [0.8333333333333334, "rgb(121, 167, 172)"],
         [1.0, "rgb(40, 135, 161)"]]
VIRIDIS = [[0.0, "#440154"], [0.1111111111111111, "#482878"], [0.2222222222222222, "#3e4989"],
           [0.3333333333333333, "#31688e"], [0.4444444444444444, "#26828e"], [0.5555555555555556, "#1f9e89"],
           [0.6666666666666666, "#35b779"], [0.7777777777777778, "#6ece58"], [0.8888888888888888, "#b5de2b"],
           [1.0, "#fde725"]]
COLUMNS = ("sensor_id", "e_m", "n_m", "elevation_m", "visible_height_m")


def has_terrain(run_dir: Path) -> bool:
    return (Path(run_dir) / TERRAIN_FILE).is_file()


def terrain_figure(run_dir: Path, radar_names: dict[int, str], radar_en: dict[int, tuple[float, float]]) -> Any:
    """Relief and one coverage map per radar, side by side (km east/north of the site): a plotly figure dict
    (see :mod:`airpicture.report.plotlyjson`)."""
    path = Path(run_dir) / TERRAIN_FILE
    try:
        table = read_parquet(path, COLUMNS)
    except Exception as exc:  # a broken or foreign file
        raise InputError(str(path), Problem("", f"unreadable ({exc}); expected the terrain table of a run")) \
            from None
    sid = numpy_of(table.column("sensor_id"))
    ids = [int(i) for i in np.unique(sid) if i >= 0]
    first = sid == (ids[0] if ids else -1)
    e = numpy_of(table.column("e_m"))[first]
    n = numpy_of(table.column("n_m"))[first]
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
    grid = subplot_grid(rows, cols, titles, horizontal_spacing=0.08, vertical_spacing=0.12)
    layout = grid.layout
    data: list[dict[str, Any]] = []
    x_km, y_km = xs / 1e3, ys / 1e3
    relief = image(numpy_of(table.column("elevation_m"))[first])
    data.append({"type": "heatmap", "x": x_km, "y": y_km, "z": relief, "colorscale": EARTH, "showscale": True,
                 "colorbar": {"title": {"text": "m"}, "len": 0.9 / rows, "x": 1.0 / cols - 0.02,
                              "y": 1 - 0.5 / rows},
                 "hovertemplate": "%{x:.1f} km E, %{y:.1f} km N<br>%{z:.0f} m<extra></extra>", **grid.axes(1, 1)})
    vis_all = numpy_of(table.column("visible_height_m"))
    for k, i in enumerate(ids, start=1):
        r, c = divmod(k, cols)
        vis = image(vis_all[sid == i])
        data.append({
            "type": "heatmap", "x": x_km, "y": y_km, "z": np.minimum(vis, COVERAGE_TOP_M), "customdata": vis,
            "colorscale": VIRIDIS, "zmin": 0.0, "zmax": COVERAGE_TOP_M, "showscale": k == 1,
            "colorbar": {"title": {"text": "m AGL"}, "len": 0.9 / rows, "y": 1 - 0.5 / rows},
            "hovertemplate": "%{x:.1f} km E, %{y:.1f} km N<br>visible from %{customdata:.0f} m above the ground"
                             "<extra></extra>", **grid.axes(r + 1, c + 1)})
    for k, shown in enumerate([None, *ids]):
        r, c = divmod(k, cols)
        for rid, name in radar_names.items():
            re, rn = radar_en[rid]
            colour = "red" if shown is None or shown == rid else "white"
            data.append({"type": "scatter", "x": [float(re / 1e3)], "y": [float(rn / 1e3)], "mode": "markers+text",
                         "text": [name], "textposition": "top center", "showlegend": False, "hoverinfo": "skip",
                         "marker": {"symbol": "triangle-up", "size": 10, "color": colour,
                                    "line": {"width": 1, "color": "black"}}, **grid.axes(r + 1, c + 1)})
        layout[grid.axis_name("x", r + 1, c + 1)]["title"] = {"text": "km east"}
        yaxis = layout[grid.axis_name("y", r + 1, c + 1)]
        yaxis["title"] = {"text": "km north"}
        yaxis["scaleanchor"] = f"x{k + 1 if k else ''}"
    layout.update(template=template("plotly_white"), height=430 * rows,
                  margin={"l": 50, "r": 30, "t": 50, "b": 40})
    return {"data": data, "layout": layout}
