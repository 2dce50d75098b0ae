"""The key figures of a run, computed from its tables (so the report agrees with what it plots), as rows of
(section, label, value) for the summary table."""

from __future__ import annotations

import numpy as np

from airpicture.report.load import RunData
from airpicture.report.mapdata import SortedTruth
from airpicture.report.style import KIND_NAMES

Row = tuple[str, str, str]

REFUSALS = ("no-channel", "no-interceptor", "out-of-envelope", "capacity-refused", "abandon")


def _count(mask: np.ndarray) -> int:
    return int(np.count_nonzero(mask))


def _peak(values: np.ndarray) -> float:
    """Largest value, 0 for an empty column (a stage that wrote a table with no rows)."""
    return float(np.nanmax(values)) if values.size else 0.0


def _mean(values: np.ndarray) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def key_figures(run: RunData, st: SortedTruth) -> list[Row]:
    sc = run.scenario
    tg = run.get("targets")
    rows: list[Row] = [
        ("Scenario", "Name", sc.name),
        ("Scenario", "Simulated time", f"{sc.duration_s:g} s ({sc.duration_s / 60:.1f} min), seed {sc.seed}"),
    ]
    hostile = tg["hostile"]
    by_kind = ", ".join(f"{KIND_NAMES.get(k, k).lower()} {_count(tg['kind'] == k)}"
                        for k in dict.fromkeys(tg["kind"].tolist()))
    rows.append(("Targets", "Targets", f"{hostile.size} ({_count(hostile)} threats, {_count(~hostile)} civil)"))
    rows.append(("Targets", "By kind", by_kind or "none"))
    if st.time_s.size:
        _, per_time = np.unique(st.time_s, return_counts=True)
        rows.append(("Targets", "Most targets in the sky at once", str(int(per_time.max()))))
    else:
        rows.append(("Targets", "Most targets in the sky at once", "0"))
    reached = _count(hostile & (tg.get("end_reason", np.full(hostile.size, "")) == "impact"))
    rows.append(("Targets", "Threats whose flight reaches their asset (undefended truth)", str(reached)))
    rows.extend(_tracking(run))
    rows.extend(_engagement(run))
    return rows


def _tracking(run: RunData) -> list[Row]:
    rows: list[Row] = []
    cap = run.scenario.track_capacity
    if run.has("tracks"):
        tk = run.get("tracks")
        confirmed = np.unique(tk["track_id"][tk["status"] == "confirmed"])
        rows.append(("Tracking", "Tracks ever confirmed", str(confirmed.size)))
    if run.has("timeline"):
        tl = run.get("timeline")
        rows.append(("Tracking", "Most tracks held at once (capacity)",
                     f"{_peak(tl['tracks_held']):.0f} ({_peak(tl['track_capacity']):.0f})"))
    elif run.has("picture"):
        _, n = np.unique(run.get("picture")["time_s"], return_counts=True)
        rows.append(("Tracking", "Most confirmed tracks in the picture (capacity)", f"{_peak(n):.0f} ({cap})"))
    if run.has("metrics"):
        m = run.get("metrics")
        rows.append(("Tracking", "Mean GOSPA over the run",
                     f"{_mean(m['gospa_m']):.0f} m (cut-off {run.scenario.metrics.gospa_cutoff_m:g} m)"))
        for col, label in (("n_missed", "Mean targets missed by the picture"),
                           ("n_false", "Mean false tracks in the picture")):
            if col in m:
                rows.append(("Tracking", label, f"{_mean(m[col]):.1f}"))
    if not rows:
        rows.append(("Tracking", "Tracking", "not available (no tracks, picture or metrics in this run)"))
    return rows


def _engagement(run: RunData) -> list[Row]:
    if not run.has("events"):
        return [("Engagement", "Engagement", "not available (no events.parquet in this run)")]
    ev = run.get("events")
    tg = run.get("targets")
    name, tid = ev["event"], ev["target_id"]
    engaged = np.unique(tid[np.isin(name, ("engage", "launch")) & (tid >= 0)])
    hostile = tg["hostile"]
    killed = np.unique(tid[(name == "kill") & (tid >= 0)])
    leaked = np.unique(tid[(name == "leak") & (tid >= 0)])
    launched = float(np.nansum(ev["interceptors"][name == "launch"])) if "interceptors" in ev else float(
        _count(name == "launch"))
    rows: list[Row] = [
        ("Engagement", "Threats engaged", f"{_count(hostile[engaged])} of {_count(hostile)}"),
        ("Engagement", "Threats killed", str(_count(hostile[killed]))),
        ("Engagement", "Leakers (threats that reached their asset)", str(_count(hostile[leaked]))),
        ("Engagement", "Interceptors launched", f"{launched:.0f}"),
        ("Engagement", "Engagements that missed", str(_count(name == "miss"))),
        ("Engagement", "Civil aircraft engaged", str(_count(~hostile[engaged]))),
        ("Engagement", "Kills per interceptor", f"{_count(killed) / launched:.2f}" if launched else "—"),
    ]
    refused = ", ".join(f"{r} {_count(name == r)}" for r in REFUSALS if _count(name == r))
    rows.append(("Engagement", "Engagements refused (events, by reason)", refused or "none"))
    if run.has("timeline"):
        tl = run.get("timeline")
        rows.append(("Engagement", "Most fire channels busy (of)",
                     f"{_peak(tl['channels_busy']):.0f} ({_peak(tl['fire_channels']):.0f})"))
        rows.append(("Engagement", "Most interceptors in flight (limit)",
                     f"{_peak(tl['in_flight']):.0f} ({_peak(tl['max_in_flight']):.0f})"))
        if "inventory_left" in tl:
            last = tl["time_s"] == _peak(tl["time_s"])
            rows.append(("Engagement", "Interceptors left at the end", f"{np.nansum(tl['inventory_left'][last]):.0f}"))
    return rows
