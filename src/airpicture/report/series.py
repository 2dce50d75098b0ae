"""Time series of the report (loads, capacities, inventory, picture quality) gathered from the tables that exist.

Returns plain ``(time_s, values)`` pairs keyed as :func:`airpicture.report.figures.timeseries_figure` expects;
a key is absent when its table is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from airpicture.report.load import RunData
from airpicture.report.mapdata import SortedTruth


def _per_battery(tl: dict[str, np.ndarray], column: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for name in dict.fromkeys(tl["battery"].tolist()):
        m = tl["battery"] == name
        order = np.argsort(tl["time_s"][m], kind="stable")
        out[str(name) or "battery"] = (tl["time_s"][m][order], tl[column][m][order])
    return out


def time_series(run: RunData, st: SortedTruth) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if st.time_s.size:
        on = np.abs(st.time_s / run.scenario.time_step_s - np.round(st.time_s / run.scenario.time_step_s)) < 1e-6
        t, n = np.unique(st.time_s[on], return_counts=True)
        out["truth"] = (t, n.astype(float))
    cap = run.scenario.track_capacity
    if run.has("timeline"):
        tl = run.get("timeline")
        out["tracks"] = _per_battery(tl, "tracks_held")
        out["capacity"] = _per_battery(tl, "track_capacity")
        out["channels"] = _per_battery(tl, "channels_busy")
        out["channels_cap"] = _per_battery(tl, "fire_channels")
        out["flight"] = _per_battery(tl, "in_flight")
        out["flight_cap"] = _per_battery(tl, "max_in_flight")
        if "inventory_left" in tl:
            out["inventory"] = _per_battery(tl, "inventory_left")
        if "ready_rounds" in tl:
            out["ready"] = _per_battery(tl, "ready_rounds")
    else:
        if run.has("picture"):
            t, n = np.unique(run.get("picture")["time_s"], return_counts=True)
            out["tracks"] = {"confirmed tracks in the picture": (t, n.astype(float))}
        if cap is not None:
            end = run.scenario.duration_s
            out["capacity"] = {"picture": (np.array([0.0, end]), np.array([cap, cap], dtype=float))}
    if run.has("metrics"):
        m = run.get("metrics")
        order = np.argsort(m["time_s"], kind="stable")
        t = m["time_s"][order]
        out["gospa"] = (t, m["gospa_m"][order])
        parts = {}
        for col, label in (("localisation_m2", "Localisation error"), ("missed_m2", "Missed targets"),
                           ("false_m2", "False tracks")):
            if col in m:
                parts[label] = (t, np.nan_to_num(m[col][order]))
        out["parts"] = parts
    return out
