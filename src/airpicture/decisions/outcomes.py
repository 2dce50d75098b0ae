"""Every target's sensing facts and every threat's outcome with its first cause, for ``decisions.parquet``.

Sensing rows: ``visible`` (first in view of a radar, and what hid it before: :mod:`.visibility`) and
``detected`` (first detection). Outcome rows: one per threat -- ``killed``, ``leaked`` or ``survived`` (still
flying at the end) -- and for the ones not killed, the *first cause*: the earliest link of the chain
detection -> track -> engagement -> kill that failed, tested in this order up to the leak (or the end):

1. never tracked (no confirmed track followed it): never detected because hidden (``below_horizon``,
   ``out_of_range``, ``out_of_elevation``, ``masked_by_terrain``) or, in view, not detected (``not_detected``);
   detected but refused a track slot at capacity (``track_slots_full``); hidden for the first part of its flight
   (the hiding reason, "until X s before impact"); otherwise detected but no track confirmed (``not_confirmed``);
2. tracked, never engaged: tracked too late to act on (within the reaction time and two steps of impact: the
   hiding reason if it was hidden before, else ``tracked_late``); else the first resource it waited for
   (``channels``, ``in_flight``, ``ready_rounds``), else never engageable (``envelope``, ``too_late``), its track
   lost (``track_lost``), or its track never closing on an asset (``not_closing``);
3. engaged, not killed: the first engagement's interceptors (``pk_draw`` when one inside the correction radius
   failed its draw, else ``correction_radius``, else ``reached_asset``, else ``target_gone``).

``cause_s`` is when that cause began; ``detail`` says it in a sentence, with what followed ("then ..."). The
rules read only decision rows, so they apply as well to a decisions table read back from a results folder.
Units: s, m.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from airpicture.decisions.schema import OUTCOME_CAUSES, WAIT_REASONS, Rows
from airpicture.decisions.visibility import Visibility
from airpicture.vocab import Cause, Decision, Hidden, InterceptResult, Stage, WaitReason

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

HIDDEN_TEXT: dict[str, str] = {Hidden.BELOW_HORIZON: "below the radar horizon",
                               Hidden.OUT_OF_RANGE: "beyond radar range",
                               Hidden.OUT_OF_ELEVATION: "outside the radars' elevation cover",
                               Hidden.MASKED_BY_TERRAIN: "masked by the terrain"}
WAIT_TEXT: dict[str, str] = {WaitReason.CHANNELS: "fire channels busy", WaitReason.IN_FLIGHT: "in-flight limit reached",
                             WaitReason.READY_ROUNDS: "no ready rounds", WaitReason.TRACK_SLOT: "no track slot"}


def sensing_rows(vis: Visibility, first_detection: Mapping[str, NDArray], radar_names: Mapping[int, str]) -> Rows:
    """``visible`` and ``detected`` rows of every target. ``first_detection``: per target ``time_s`` (inf if
    never), ``sensor_id``, ``detection_index``, ``range_m``."""
    rows = Rows()
    seen = np.flatnonzero(np.isfinite(vis.first_visible_s))
    hid = vis.hidden[seen]
    rows.extend(int(seen.size), time_s=vis.first_visible_s[seen], stage=Stage.SENSING, event=Decision.VISIBLE,
                reason=hid, target_id=seen, sensor_id=vis.sensor_id[seen], range_m=vis.range_m[seen],
                detail=[f"in view of {radar_names.get(s, f'radar {s}')} at {r / 1000:.0f} km"
                        + (f" ({HIDDEN_TEXT[h]} before)" if h else "")
                        for s, r, h in zip(vis.sensor_id[seen].tolist(), vis.range_m[seen].tolist(), hid.tolist(),
                                           strict=True)])
    ft = first_detection["time_s"]
    det = np.flatnonzero(np.isfinite(ft))
    sid = first_detection["sensor_id"][det]
    rng = first_detection["range_m"][det]
    rows.extend(int(det.size), time_s=ft[det], stage=Stage.SENSING, event=Decision.DETECTED, target_id=det,
                sensor_id=sid, detection_index=first_detection["detection_index"][det], range_m=rng,
                detail=[f"first detection, by {radar_names.get(s, f'radar {s}')} at {r / 1000:.0f} km"
                        for s, r in zip(sid.tolist(), rng.tolist(), strict=True)])
    return rows


def _ago(t: float, end: float, leaked: bool) -> str:
    return f"{end - t:.0f} s before {'impact' if leaked else 'the end of the run'}"


def outcome_rows(cols: Mapping[str, NDArray], outcomes: Mapping[str, NDArray], vis: Visibility,
                 first_detection_s: F64, target_start_s: F64, target_battery: Sequence[str], t_end: float,
                 time_step_s: float, reaction_time_s: Sequence[float], tracking_time_s: float) -> Rows:
    """One outcome row per threat (see the module doc). ``cols``: the other decision rows (any order);
    ``outcomes``: fire control's per-target masks and times (:meth:`FireControl.outcomes`);
    ``target_battery``: the battery defending each target's asset ("" none); ``reaction_time_s``: per target;
    ``tracking_time_s``: about the time a track needs to be confirmed (a target in view for less than that
    before its impact was hidden too long)."""
    rows = Rows()
    threat = np.flatnonzero(outcomes["threat"])
    if threat.size == 0:
        return rows
    tgt = np.asarray(cols["target_id"], np.int64)
    ev, reason, time_s = cols["event"], cols["reason"], cols["time_s"]
    order = np.lexsort((time_s, tgt))  # by target, then time (stable)
    bounds = np.searchsorted(tgt[order], np.arange(len(target_battery) + 1))
    impact = np.where(outcomes["leak_time_s"] <= t_end, outcomes["leak_time_s"], np.nan)
    for i in threat.tolist():
        r = order[bounds[i]: bounds[i + 1]]
        battery = target_battery[i]
        if outcomes["killed"][i]:
            kt = float(outcomes["kill_time_s"][i])
            kill = r[(ev[r] == Decision.INTERCEPT) & (reason[r] == InterceptResult.KILL)]
            by = f" by {cols['battery'][kill[0]]}" if kill.size else ""
            track = int(cols["track_id"][kill[0]]) if kill.size else -1
            rows.add(time_s=kt, stage=Stage.OUTCOME, event=Decision.KILLED, battery=battery, target_id=i,
                     track_id=track, impact_s=float(impact[i]), detail=f"destroyed{by} at {kt:.1f} s")
            continue
        leaked = bool(outcomes["leaked"][i])
        end = float(outcomes["leak_time_s"][i]) if leaked else float(t_end)
        code, since, text, track = first_cause(cols, r, i, end, leaked, vis, float(first_detection_s[i]),
                                               float(target_start_s[i]), time_step_s, float(reaction_time_s[i]),
                                               tracking_time_s)
        rows.add(time_s=end, stage=Stage.OUTCOME,
                 event=Decision.LEAKED if leaked else Decision.SURVIVED, reason=code,
                 battery=battery, target_id=i, track_id=track, cause_s=since, impact_s=float(impact[i]),
                 detail=("got through: " if leaked else "still flying at the end: ") + text)
    return rows


def first_cause(cols: Mapping[str, NDArray], r: I64, target: int, end: float, leaked: bool, vis: Visibility,
                first_det: float, start_s: float, time_step_s: float, reaction_s: float,
                tracking_time_s: float = 30.0) -> tuple[str, float, str, int]:
    """(cause code, when it began, sentence, last track id) for threat ``target`` whose rows (time-sorted
    indices into ``cols``) are ``r``, not killed by ``end`` (its leak, or the end of the run)."""
    ev, reason, time_s = cols["event"], cols["reason"], cols["time_s"]
    r_all = r
    r = r[time_s[r] <= end + 1e-9]
    evr, reason_r = ev[r], reason[r]  # the rows' events and reasons, looked up once
    stage = cols["stage"]
    track_rows = r[stage[r] == Stage.TRACKER]
    last_track = int(cols["track_id"][track_rows[-1]]) if track_rows.size else -1
    conf = r[evr == Decision.CONFIRMED]
    vis_t = float(vis.first_visible_s[target])
    hidden = str(vis.hidden[target])
    if conf.size == 0:  # 1. never tracked
        refused = r[(evr == Decision.REFUSED) | ((evr == Decision.WAIT) & (reason_r == WaitReason.TRACK_SLOT))]
        born = r[evr == Decision.BORN]
        if not np.isfinite(first_det) or first_det > end:
            if not np.isfinite(vis_t) or vis_t > end:
                what = HIDDEN_TEXT.get(hidden, "out of view")
                tail = "all the way to its asset" if leaked else "for the whole run"
                return hidden or Cause.BELOW_HORIZON, start_s, f"never tracked: {what} {tail}", last_track
            if hidden and vis_t > start_s + 1.5 * time_step_s and end - vis_t < tracking_time_s:
                return (hidden, start_s, f"never tracked: {HIDDEN_TEXT[hidden]} until {_ago(vis_t, end, leaked)} "
                        "(never detected after)", last_track)
            return (Cause.NOT_DETECTED, vis_t, f"never tracked: in view from {vis_t:.0f} s "
                    f"({_ago(vis_t, end, leaked)}) but never detected", last_track)
        if refused.size:
            t0 = float(time_s[refused[0]])
            n_ref = int(np.count_nonzero(ev[refused] == Decision.REFUSED))
            return (Cause.TRACK_SLOTS_FULL, t0, f"never tracked: track slots full from {t0:.0f} s (refused "
                    f"{n_ref} time{'s' if n_ref != 1 else ''}); first detected {_ago(first_det, end, leaked)}",
                    last_track)
        if hidden and vis_t > start_s + 1.5 * time_step_s and end - vis_t < tracking_time_s:
            return (hidden, start_s, f"never tracked: {HIDDEN_TEXT[hidden]} until {_ago(vis_t, end, leaked)}; "
                    f"first detected {_ago(first_det, end, leaked)}", last_track)
        n_born = int(born.size)
        seen = f"in view from {_ago(vis_t, end, leaked)}, " if np.isfinite(vis_t) else ""
        return (Cause.NOT_CONFIRMED, first_det, f"never tracked: {seen}first detected at {first_det:.0f} s "
                f"({_ago(first_det, end, leaked)}); {n_born} track{'s' if n_born != 1 else ''} started, none "
                "confirmed", last_track)
    t_conf = float(time_s[conf[0]])
    tracked = f"tracked from {t_conf:.0f} s ({_ago(t_conf, end, leaked)})"
    eng = r[evr == Decision.ENGAGE]
    waits = r[(evr == Decision.WAIT) & (reason_r != WaitReason.TRACK_SLOT)]
    if eng.size == 0 and end - t_conf <= reaction_s + 2.0 * time_step_s:  # 2a. tracked too late to act on
        if hidden and vis_t > start_s + 1.5 * time_step_s:
            return (hidden, start_s, f"tracked only {end - t_conf:.0f} s before impact: {HIDDEN_TEXT[hidden]} until "
                    f"{_ago(vis_t, end, leaked)}", last_track)
        return (Cause.TRACKED_LATE, t_conf, f"tracked too late to engage: {tracked}, less than the reaction time",
                last_track)
    if eng.size == 0:  # 2. tracked, never engaged
        if waits.size:
            w0 = waits[0]
            code = str(reason[w0])
            t0 = float(time_s[w0])
            seq = _then(cols, waits, code)
            gave_up = r[evr == Decision.ABANDON]
            tail = f"; given up at {float(time_s[gave_up[0]]):.0f} s" if gave_up.size else ""
            return (code, t0, f"{WAIT_TEXT[code]} from {t0:.0f} s{seq}; never engaged{tail}; {tracked}",
                    last_track)
        out = r[evr == Decision.OUT_OF_ENVELOPE]
        if out.size:
            code = str(reason[out[0]])
            t0 = float(time_s[out[0]])
            return (code, t0, f"{OUTCOME_CAUSES[code]} from {t0:.0f} s; {tracked}", last_track)
        dele = r[(evr == Decision.DELETED) | (evr == Decision.DROPPED)]
        live_confirmed = _confirmed_live_at(cols, r, end)
        if dele.size and not live_confirmed:
            t0 = float(time_s[dele[-1]])
            return (Cause.TRACK_LOST, t0, f"its track was lost at {t0:.0f} s ({cols['reason'][dele[-1]]}) and not "
                    f"re-established; {tracked}", last_track)
        return (Cause.NOT_CLOSING, t_conf, f"its track never closed on a defended asset as fire control saw it; "
                f"{tracked}", last_track)
    # 3. engaged, not killed
    e0 = eng[0]
    t_eng = float(time_s[e0])
    track = int(cols["track_id"][e0])
    n_int = int(cols["interceptors"][e0])
    # the first engagement's interceptors: the first n_int intercepts of its track after the decision
    ints = r_all[(ev[r_all] == Decision.INTERCEPT) & (cols["track_id"][r_all] == track)
                 & (time_s[r_all] >= t_eng)][:n_int]
    codes = [str(x) for x in reason[ints].tolist()]
    before = waits[time_s[waits] < t_eng]
    waited = (f" after waiting ({WAIT_TEXT[str(reason[before[0]])]}) from {float(time_s[before[0]]):.0f} s"
              if before.size else "")
    head = f"engaged at {t_eng:.0f} s by {cols['battery'][e0]} with {n_int} interceptor{'s' if n_int != 1 else ''}"
    if InterceptResult.PK_DRAW in codes:
        k = ints[[c == InterceptResult.PK_DRAW for c in codes]]
        draws = ", ".join(f"{float(cols['draw'][j]):.2f}" for j in k.tolist())
        text = (f"missed: inside the correction radius but failed the Pk draw (draw {draws} vs Pk "
                f"{float(cols['pk'][k[0]]):g})")
        code = Cause.PK_DRAW
    elif InterceptResult.CORRECTION_RADIUS in codes:
        k = ints[[c == InterceptResult.CORRECTION_RADIUS for c in codes]]
        d = float(np.nanmin(cols["miss_distance_m"][k]))
        text = (f"missed: true target {d:.0f} m from the aim point (correction radius "
                f"{float(cols['correction_radius_m'][k[0]]):g} m)")
        code = Cause.CORRECTION_RADIUS
    elif InterceptResult.REACHED_ASSET in codes:
        text, code = "missed: the intercept came after it reached its asset", Cause.REACHED_ASSET
    elif not codes:
        text, code = "interceptors still flying at the end of the run", Cause.TARGET_GONE
    else:
        text, code = f"missed ({', '.join(dict.fromkeys(codes))})", Cause.TARGET_GONE
    t_miss = float(time_s[ints[0]]) if ints.size else t_eng
    later = waits[time_s[waits] > t_miss]
    more = f"; engaged {eng.size} times" if eng.size > 1 else ""
    then = (f"; then {WAIT_TEXT[str(reason[later[0]])]} from {float(time_s[later[0]]):.0f} s" if later.size and
            eng.size == 1 else "")
    return code, t_miss, f"{text}; {head}{waited}{more}{then}", track


def _then(cols: Mapping[str, Any], waits: I64, first_code: str) -> str:
    """'; then no ready rounds from 330 s' for the binding resources after the first, in order."""
    seen = [first_code]
    parts = []
    for w in waits.tolist():
        code = str(cols["reason"][w])
        if code not in seen and code in WAIT_REASONS:
            seen.append(code)
            parts.append(f"{WAIT_TEXT[code]} from {float(cols['time_s'][w]):.0f} s")
    return "".join(f"; then {p}" for p in parts)


def _confirmed_live_at(cols: Mapping[str, Any], r: I64, t: float) -> bool:
    """Was some track of these rows confirmed and not yet deleted at ``t``?"""
    ev = cols["event"][r]
    trk = np.asarray(cols["track_id"][r]).astype(np.int64)
    conf = set(trk[ev == Decision.CONFIRMED].tolist())
    ended = ((ev == Decision.DELETED) | (ev == Decision.DROPPED)) & (cols["time_s"][r] <= t)
    return bool(conf - set(trk[ended].tolist()))
