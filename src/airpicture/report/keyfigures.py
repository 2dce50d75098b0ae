"""The key figures of a run, computed from its tables (so the report agrees with what it plots), as rows of
(section, label, value) for the summary table. Counts follow summary.json's definitions: every threat (hostile
target started by the end) is killed, leaked or survived; saturation events are waiting episodes, not threats.
Only the run-wide false-track count is taken from summary.json (it needs the scorer's pairings)."""

from __future__ import annotations

from typing import Any

import numpy as np

from airpicture.report.load import RunData
from airpicture.report.mapdata import SortedTruth
from airpicture.report.style import KIND_NAMES
from airpicture.vocab import SATURATION_EVENTS, EndReason, EngagementEvent, TrackStatus

Row = tuple[str, str, str]

#: Events that mark the start of a threat's wait because a resource was exhausted (fire control's
#: ``SATURATION_EVENTS``): every channel busy, no round ready or the in-flight limit reached, no track slot free.
SATURATION = SATURATION_EVENTS


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
    reached = _count(hostile & (tg.get("end_reason", np.full(hostile.size, "")) == EndReason.IMPACT))
    eng = run.summary.get("engagement")
    within = eng.get("threats_would_hit") if isinstance(eng, dict) else None
    if isinstance(within, int):
        rows.append(("Targets", "Threats whose unopposed flight reaches their asset's radius within the run (would "
                                "have hit)", f"{within} ({reached} end at their asset)"))
    else:
        rows.append(("Targets", "Threats whose flight reaches their asset (undefended truth)", str(reached)))
    rows.extend(_tracking(run))
    rows.extend(_engagement(run))
    return rows


def _tracking(run: RunData) -> list[Row]:
    rows: list[Row] = []
    cap = run.scenario.track_capacity
    if run.has("tracks"):
        tk = run.get("tracks")
        confirmed = np.unique(tk["track_id"][tk["status"] == TrackStatus.CONFIRMED])
        rows.append(("Tracking", "Tracks ever confirmed", str(confirmed.size)))
    if run.has("timeline"):
        tl = run.get("timeline")
        rows.append(("Tracking", "Most tracks held at once (capacity)",
                     f"{_peak(tl['tracks_held']):.0f} ({_peak(tl['track_capacity']):.0f})"))
    elif run.has("picture"):
        _, n = np.unique(run.get("picture")["time_s"], return_counts=True)
        rows.append(("Tracking", "Most confirmed tracks in the picture (capacity)", f"{_peak(n):.0f} ({cap})"))
    section = run.summary.get("tracking")
    tracking: dict[str, Any] = section if isinstance(section, dict) else {}
    rmse = tracking.get("rmse_position_m")
    if isinstance(rmse, int | float):
        vel = tracking.get("rmse_velocity_mps")
        rows.append(("Tracking", "Position error of tracked targets (RMSE over the epochs each is tracked)",
                     f"{rmse:.0f} m" + (f" (velocity {vel:.0f} m/s)" if isinstance(vel, int | float) else "")))
    mean_tt, med_tt = tracking.get("time_to_track_mean_s"), tracking.get("time_to_track_median_s")
    if isinstance(mean_tt, int | float):
        rows.append(("Tracking", "Time from first detection to first track (mean, median)",
                     f"{mean_tt:.1f} s, {med_tt:.1f} s" if isinstance(med_tt, int | float) else f"{mean_tt:.1f} s"))
    if isinstance(tracking.get("id_switches"), int):
        rows.append(("Tracking", "ID switches (a target followed by a new track id) / track breaks",
                     f"{tracking['id_switches']} / {tracking.get('track_breaks', '—')}"))
    if isinstance(tracking.get("capacity_refusals"), int):
        rows.append(("Tracking", "Candidate tracks the tracker refused at capacity (any target; not fire control's "
                                 "waits)", f"{tracking['capacity_refusals']}"
                     + (f" (capacity {tracking['capacity']})" if tracking.get("capacity") is not None else "")))
    if run.has("metrics"):
        m = run.get("metrics")
        rows.append(("Tracking", "Mean GOSPA over the run (not a position error: see below)", _gospa_text(run, m)))
        for col, label in (("n_missed", "Targets missed by the picture, mean per epoch"),
                           ("n_false", "False tracks in the picture, mean per epoch (tracks matching no target "
                                       "at that epoch)")):
            if col in m:
                rows.append(("Tracking", label, f"{_mean(m[col]):.1f}"))
    # a different definition from the per-epoch mean above: track ids never paired with a target at any epoch
    false_tracks = tracking.get("false_tracks") if isinstance(tracking, dict) else None
    if isinstance(false_tracks, int):
        rows.append(("Tracking", "False tracks over the run (confirmed tracks that never matched any target; "
                                 "summary.json tracking.false_tracks)", str(false_tracks)))
    if not rows:
        rows.append(("Tracking", "Tracking", "not available (no tracks, picture or metrics in this run)"))
    return rows


def _gospa_text(run: RunData, m: dict[str, np.ndarray]) -> str:
    """Mean GOSPA with what it is made of: its parts' shares of GOSPA² (mean over epochs)."""
    c = run.scenario.metrics.gospa_cutoff_m
    text = f"{_mean(m['gospa_m']):.0f} m (cut-off c = {c:g} m)"
    parts = [(k, label) for k, label in (("missed_m2", "missed targets"), ("false_m2", "false tracks"),
                                         ("localisation_m2", "position error")) if k in m]
    if parts:
        means = {k: _mean(m[k]) for k, _ in parts}
        total = sum(v for v in means.values() if np.isfinite(v))
        if total > 0:
            text += ": " + ", ".join(f"{label} {100 * means[k] / total:.0f} %" for k, label in parts) + " of GOSPA²"
    return text


def _events_of(name: np.ndarray, kinds: tuple[str, ...]) -> str:
    """'kind n, kind n' for the event kinds that occur, or 'none'."""
    return ", ".join(f"{k} {_count(name == k)}" for k in kinds if _count(name == k)) or "none"


def _engagement(run: RunData) -> list[Row]:
    if not run.has("events"):
        return [("Engagement", "Engagement", "not available (no events.parquet in this run)")]
    ev = run.get("events")
    tg = run.get("targets")
    name, tid, t = ev["event"], ev["target_id"], ev["time_s"]
    hostile = tg["hostile"]
    # threats as fire control counts them: hostile targets that started by the end of the run
    threat = hostile & (tg["start_s"] <= run.scenario.duration_s)
    n_threats = _count(threat)

    def flag(event: EngagementEvent) -> np.ndarray:
        out = np.zeros(hostile.size, dtype=bool)
        out[tid[(name == event) & (tid >= 0)]] = True
        return out

    engaged = flag(EngagementEvent.ENGAGE) | flag(EngagementEvent.LAUNCH)
    killed = threat & flag(EngagementEvent.KILL)
    leaked = threat & flag(EngagementEvent.LEAK) & ~killed
    survived = threat & ~killed & ~leaked
    launched = float(np.nansum(ev["interceptors"][name == EngagementEvent.LAUNCH])) if "interceptors" in ev else float(
        _count(name == EngagementEvent.LAUNCH))
    n_killed, n_leaked, n_survived = _count(killed), _count(leaked), _count(survived)
    rows: list[Row] = [
        ("Engagement", "Threats engaged", f"{_count(threat & engaged)} of {n_threats}"),
        ("Engagement", "Threats killed", str(n_killed)),
        ("Engagement", "Leakers (threats that reached their asset)", str(n_leaked)),
        ("Engagement", "Threats that survived (neither killed nor leaked by the end)", str(n_survived)),
        ("Engagement", "Outcome of every threat (killed + leaked + survived = threats)",
         f"{n_killed} + {n_leaked} + {n_survived} = {n_threats}"),
        ("Engagement", "Interceptors launched", f"{launched:.0f}"),
        ("Engagement", "Engagements that missed", str(_count(name == EngagementEvent.MISS))),
        ("Engagement", "Civil aircraft engaged", str(_count(~hostile & engaged))),
        ("Engagement", "Kills per interceptor", f"{n_killed / launched:.2f}" if launched else "—"),
    ]
    sat = np.isin(name, SATURATION)
    if sat.any():
        i = int(np.flatnonzero(sat)[np.argmin(t[sat])])
        first = f"{t[i]:g} s ({name[i]})"
    else:
        first = "none"
    rows.append(("Engagement", "First saturation (a threat had to wait: no channel, no interceptor or no track "
                               "slot)", first))
    rows.append(("Engagement", "Waits for a saturated resource (episodes, not threats: one threat may wait "
                               "several times)", _events_of(name, SATURATION[:2])))
    rows.append(("Engagement", "Threats refused a track slot while no track followed them (capacity-refused "
                               "episodes; the tracker's refusals are under Tracking)",
                 str(_count(name == EngagementEvent.CAPACITY_REFUSED))))
    rows.append(("Engagement", "Not engageable: tracks first seen out of the envelope or too late to intercept "
                               "(events, once per track and battery; not saturation)",
                 str(_count(name == EngagementEvent.OUT_OF_ENVELOPE))))
    rows.append(("Engagement", "Given up: tracks that waited longer than max_wait_s (abandon events)",
                 str(_count(name == EngagementEvent.ABANDON))))
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
