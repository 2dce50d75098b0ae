"""The tracker's decisions for ``decisions.parquet`` (schema: :mod:`airpicture.decisions.schema`), derived after
the run from what the tracker already records -- its history rows (``tracks.parquet``: start, update, confirm,
refused, dropped and deleted_* events, with state, covariance and quality) and the associations (which detection
started or updated which track) -- so the tracker itself carries no extra bookkeeping, and a new confirmation or
deletion rule shows up here by its event name and the numbers it leaves in the history.

Rows (all with the track id and the true target behind it, from the engine's labels):

- ``born``: the track's first detection (``detection_index``, ``sensor_id``); target = that detection's label.
- ``confirmed``: ``hits`` = detections that had updated the track by then, listed with their times in
  ``detail``; ``quality`` at confirmation (the score a sequential rule would test).
- ``coasting``: a confirmed track without a detection for longer than ``coast_gap_s``: from the last update plus
  ``coast_gap_s`` to the next update, the deletion or the end of the run (``until_s``, ``reason`` resumed,
  deleted or run_end).
- ``deleted``: ``reason`` = the history event without its ``deleted_`` prefix (misses, m_of_n, sigma, coast, or
  any rule added later); ``position_sigma_m`` (worst direction), ``hits``, ``misses`` (for ``misses``), the time
  since the last update in ``detail``.
- ``refused`` at capacity: ``other_track_id`` = the least threatening confirmed track holding a slot at that
  moment (the farthest from every defended asset, positions predicted at constant velocity from each track's
  last history row): the slot a ``keep_threatening`` rule would have freed for a closer candidate.
- ``dropped``: a confirmed track replaced by a more threatening candidate.

Target ids follow :mod:`airpicture.identity` (the majority label of a track's detections). Units: s, m.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from airpicture.columns import numpy_of
from airpicture.decisions.schema import Rows
from airpicture.vocab import CoastEnd, Decision, Stage, TrackEvent

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def _codes(column: pa.ChunkedArray) -> tuple[I64, list[str]]:
    """Dictionary codes and values of a text column (one pass, no Python loop over rows)."""
    enc = pc.dictionary_encode(column).combine_chunks()
    return np.asarray(numpy_of(enc.indices), np.int64), enc.dictionary.to_pylist()


def _dense(track_id: I64) -> tuple[I64, I64]:
    """Sorted unique track ids and the dense index of each entry."""
    ids, inv = np.unique(track_id, return_inverse=True)
    return ids, inv.reshape(-1).astype(np.int64)


def _count_at_or_before(key_track: I64, key_time: F64, q_track: I64, q_time: F64) -> I64:
    """For each query (track, time): how many (track, time) keys of that track have time <= the query's."""
    ids = np.unique(np.concatenate([key_track, q_track]))
    span = float(max(np.nanmax(np.abs(key_time)) if key_time.size else 0.0,
                     np.nanmax(np.abs(q_time)) if q_time.size else 0.0)) * 2.0 + 10.0
    kd = np.searchsorted(ids, key_track).astype(float)
    qd = np.searchsorted(ids, q_track).astype(float)
    keys = np.sort(kd * span + key_time + span / 2.0)
    lo = np.searchsorted(keys, qd * span, side="left")
    hi = np.searchsorted(keys, qd * span + q_time + span / 2.0, side="right")
    return (hi - lo).astype(np.int64)


def tracker_decisions(history: pa.Table, assoc_detection: I64, assoc_track: I64, assoc_started: NDArray[np.bool_],
                      det_time_s: F64, det_target: I64, followed: Callable[[I64], I64], *, t_end: float,
                      capacity: int | None, capacity_rule: str, assets_en: F64 | None, coast_gap_s: float,
                      delete_misses: int, confirm_score: float | None = None) -> dict[str, NDArray]:
    """The tracker's rows of the decision log (unsorted columns). ``confirm_score``: the score threshold when the
    tracker confirms by track score (the detail then gives the score at confirmation, read back from the
    quality); None under M-of-N."""
    rows = Rows()
    n = history.num_rows
    if n == 0:
        return rows.arrays()
    t = np.asarray(numpy_of(history.column("time_s")), float)
    tid = np.asarray(numpy_of(history.column("track_id")), np.int64)
    ev_code, ev_names = _codes(history.column("event"))
    ev_of = {name: i for i, name in enumerate(ev_names)}
    sensor = np.asarray(numpy_of(history.column("sensor_id")), np.int64)
    quality = np.asarray(numpy_of(history.column("quality")), float)

    def rows_of(name: str) -> I64:
        code = ev_of.get(name, -1)
        return np.flatnonzero(ev_code == code) if code >= 0 else np.zeros(0, np.int64)

    assoc_detection = np.asarray(assoc_detection, np.int64)
    assoc_track = np.asarray(assoc_track, np.int64)
    assoc_time = det_time_s[assoc_detection] if assoc_detection.size else np.zeros(0)

    # ---- born
    start = rows_of(TrackEvent.START)
    st_tracks = assoc_track[assoc_started]
    st_det = assoc_detection[assoc_started]
    order = np.argsort(st_tracks, kind="stable")
    st_tracks, st_det = st_tracks[order], st_det[order]
    pos = np.clip(np.searchsorted(st_tracks, tid[start]), 0, max(st_tracks.size - 1, 0))
    found = (st_tracks.size > 0) & (st_tracks[pos] == tid[start]) if st_tracks.size else np.zeros(start.size, bool)
    det_idx = np.where(found, st_det[pos] if st_tracks.size else -1, -1)
    label = np.where(det_idx >= 0, det_target[np.maximum(det_idx, 0)] if det_target.size else -1, -1)
    rows.extend(int(start.size), time_s=t[start], stage=Stage.TRACKER, event=Decision.BORN, track_id=tid[start],
                target_id=label, sensor_id=sensor[start], detection_index=det_idx, quality=quality[start],
                hits=1, detail="tentative track from one detection")

    # ---- confirmed: the hits that did it
    conf = rows_of(TrackEvent.CONFIRM)
    hits = _count_at_or_before(assoc_track, assoc_time, tid[conf], t[conf] + 1e-9)
    a_order = np.lexsort((assoc_time, assoc_track))
    a_trk, a_t = assoc_track[a_order], assoc_time[a_order]
    details = []
    q_conf = quality[conf]
    for track, h, q in zip(tid[conf].tolist(), hits.tolist(), q_conf.tolist(), strict=True):
        lo = int(np.searchsorted(a_trk, track, side="left"))
        times = a_t[lo: lo + h]
        shown = ", ".join(f"{x:.1f}" for x in times[:4].tolist())
        if h > 5:
            shown = ", ".join(f"{x:.1f}" for x in times[:2].tolist()) + ", ..., " + f"{times[-1]:.1f}"
        elif h == 5:
            shown += f", {times[-1]:.1f}"
        text = f"confirmed after {h} hit{'s' if h != 1 else ''} (detections at {shown} s)"
        if confirm_score is not None:
            score = f"{math.log(q / (1.0 - q)):.1f}" if 0.0 < q < 1.0 - 1e-12 else "above 35"
            text += f"; track score {score} (confirms at {confirm_score:g})"
        details.append(text)
    conf_target = followed(tid[conf])
    rows.extend(int(conf.size), time_s=t[conf], stage=Stage.TRACKER, event=Decision.CONFIRMED, track_id=tid[conf],
                target_id=conf_target, hits=hits, quality=quality[conf], detail=details)

    # ---- last update of each track; deletions
    upd = np.flatnonzero((ev_code == ev_of.get(TrackEvent.UPDATE, -2))
                   | (ev_code == ev_of.get(TrackEvent.START, -2)))
    ids, dense = _dense(tid)
    last_upd = np.full(ids.size, -np.inf)
    np.maximum.at(last_upd, dense[upd], t[upd])
    pos_cov = np.stack([numpy_of(history.column(c)) for c in ("pee_m2", "pnn_m2", "puu_m2", "pen_m2", "peu_m2",
                                                                "pnu_m2")], axis=1).astype(float)

    def sigma_of(r: I64) -> F64:
        if r.size == 0:
            return np.zeros(0)
        c = pos_cov[r]
        m = np.empty((r.size, 3, 3))
        m[:, 0, 0], m[:, 1, 1], m[:, 2, 2] = c[:, 0], c[:, 1], c[:, 2]
        m[:, 0, 1] = m[:, 1, 0] = c[:, 3]
        m[:, 0, 2] = m[:, 2, 0] = c[:, 4]
        m[:, 1, 2] = m[:, 2, 1] = c[:, 5]
        return np.sqrt(np.clip(np.linalg.eigvalsh(m)[:, -1], 0.0, None))

    deleted_codes = [i for i, name in enumerate(ev_names) if name.startswith("deleted_")]
    dele = np.flatnonzero(np.isin(ev_code, deleted_codes))
    reason = [ev_names[c][len("deleted_"):] for c in ev_code[dele].tolist()]
    since = t[dele] - last_upd[dense[dele]]
    sig = sigma_of(dele)
    n_hits = _count_at_or_before(assoc_track, assoc_time, tid[dele], t[dele] + 1e-9)
    why: dict[str, str] = {"misses": f"{delete_misses} consecutive missed looks",
                           "m_of_n": "can no longer reach confirmation",
                           "score": "its track score fell to the deletion threshold",
                           "sigma": "position uncertainty too large",
                           "coverage": "its prediction left every radar's coverage (range or horizon)",
                           "coast": "no radar update for the coast limit"}
    rows.extend(int(dele.size), time_s=t[dele], stage=Stage.TRACKER, event=Decision.DELETED, reason=reason,
                track_id=tid[dele], target_id=followed(tid[dele]), hits=n_hits,
                misses=np.where(np.asarray(reason, dtype=object) == "misses", delete_misses, -1),
                position_sigma_m=sig, quality=quality[dele],
                detail=[f"{why.get(r, r.replace('_', ' '))}; {h} hit{'s' if h != 1 else ''}; last update "
                        f"{s:.1f} s before; position sigma {g / 1000:.1f} km"
                        for r, h, s, g in zip(reason, n_hits.tolist(), since.tolist(), sig.tolist(), strict=True)])

    # ---- dropped for a more threatening candidate
    drop = rows_of(TrackEvent.DROPPED)
    rows.extend(int(drop.size), time_s=t[drop], stage=Stage.TRACKER, event=Decision.DROPPED, reason=capacity_rule,
                track_id=tid[drop], target_id=followed(tid[drop]), in_use=capacity if capacity is not None else -1,
                limit=capacity if capacity is not None else -1,
                detail="dropped at capacity for a candidate closer to a defended asset")

    # ---- confirmed lifetimes (for coasting and slot holders)
    conf_t = np.full(ids.size, np.inf)
    np.minimum.at(conf_t, dense[conf], t[conf])
    end_t = np.full(ids.size, np.inf)
    gone = np.concatenate([dele, drop])
    np.minimum.at(end_t, dense[gone], t[gone])

    # ---- refused at capacity: the least threatening slot holder
    ref = rows_of(TrackEvent.REFUSED)
    holder, holder_dist = _slot_holders(t, tid, dense, ids, history, conf_t, end_t, t[ref], assets_en)
    rule = capacity_rule.replace("_", " ")
    cap_text = f"all {capacity} slots held" if capacity is not None else "no slot free"
    rows.extend(int(ref.size), time_s=t[ref], stage=Stage.TRACKER, event=Decision.REFUSED, reason="capacity",
                track_id=tid[ref], target_id=followed(tid[ref]), other_track_id=holder,
                in_use=capacity if capacity is not None else -1, limit=capacity if capacity is not None else -1,
                quality=quality[ref],
                detail=[f"{cap_text} ({rule}); least threatening holder: track {h}, {d / 1000:.0f} km from the "
                        "nearest asset" if h >= 0 else f"{cap_text} ({rule})"
                        for h, d in zip(holder.tolist(), holder_dist.tolist(), strict=True)])

    # ---- coasting confirmed tracks
    _coasting(rows, t, tid, dense, ids, upd, conf_t, end_t, dele, drop, t_end, coast_gap_s, followed)
    return rows.arrays()


def _slot_holders(t: F64, tid: I64, dense: I64, ids: I64, history: pa.Table, conf_t: F64, end_t: F64,
                  when: F64, assets_en: F64 | None) -> tuple[I64, F64]:
    """For each time in ``when``: the confirmed track (live then) farthest from every asset, and that distance.

    One pass per confirmed track over the queries (sorted by time) while it is live, each query against the track's
    last history row at or before it: the per-query maximum is kept in place over those contiguous query ranges
    (tracks in id order, so that a tie goes to the higher id, as ``keep_threatening`` drops it first). Work grows
    with (queries x live tracks), as before, but in contiguous slices and look-ups within one track's rows rather
    than in the whole history (a 10,000-threat raid: ~260,000 refusals against up to the capacity's live tracks)."""
    holder = np.full(when.size, -1, np.int64)
    dist = np.full(when.size, np.nan)
    if when.size == 0:
        return holder, dist
    tracks = np.flatnonzero(np.isfinite(conf_t))
    if tracks.size == 0:
        return holder, dist
    order = np.lexsort((t, dense))  # rows by (track, time); a track's rows are order[starts[j]:starts[j + 1]]
    starts = np.searchsorted(dense[order], np.arange(ids.size + 1))
    t_rows = t[order]
    e_rows, n_rows, ve_rows, vn_rows = (np.asarray(numpy_of(history.column(c)), float)[order]
                                        for c in ("e_m", "n_m", "ve_mps", "vn_mps"))
    a = (np.zeros((1, 2)) if assets_en is None or len(assets_en) == 0
         else np.asarray(assets_en, float).reshape(-1, 2))
    by_time = np.argsort(when, kind="stable")
    q = when[by_time]
    far = np.full(q.size, -np.inf)
    best = np.full(q.size, -1, np.int64)
    first = np.searchsorted(q, conf_t[tracks], side="left")  # live: confirmed at or before the query ...
    stop = np.searchsorted(q, end_t[tracks], side="left")  # ... and not gone by then
    for j, lo, hi in zip(tracks.tolist(), first.tolist(), stop.tolist(), strict=True):
        if lo >= hi:
            continue
        tq = q[lo:hi]
        rows_t = t_rows[starts[j]: starts[j + 1]]
        k = np.searchsorted(rows_t, tq, side="right") - 1  # last row at or before the query (else the first)
        np.maximum(k, 0, out=k)
        k += starts[j]
        dt = tq - t_rows[k]
        e = e_rows[k] + ve_rows[k] * dt
        nn = n_rows[k] + vn_rows[k] * dt
        dmin = np.hypot(e - a[0, 0], nn - a[0, 1])  # the nearest asset, one asset at a time (same values as
        for ax, ay in a[1:].tolist():  # a (rows x assets) array's minimum, without its short-axis reduction)
            np.minimum(dmin, np.hypot(e - ax, nn - ay), out=dmin)
        span = far[lo:hi]
        take = dmin >= span  # farther, or as far with a higher id
        span[take] = dmin[take]
        best[lo:hi][take] = ids[j]
    seen = best >= 0
    holder[by_time[seen]] = best[seen]
    dist[by_time[seen]] = far[seen]
    return holder, dist


def _coasting(rows: Rows, t: F64, tid: I64, dense: I64, ids: I64, upd: I64, conf_t: F64, end_t: F64, dele: I64,
              drop: I64, t_end: float, gap_s: float, followed: Callable[[I64], I64]) -> None:
    """Coasting episodes of confirmed tracks: gaps between updates (after confirmation) longer than ``gap_s``,
    and the final gap to the deletion or the end of the run."""
    u = upd[t[upd] >= conf_t[dense[upd]] - 1e-9]
    if u.size == 0:
        return
    order = np.lexsort((t[u], dense[u]))
    d, tu = dense[u][order], t[u][order]
    nxt_t = np.append(tu[1:], np.inf)
    same = np.append(d[1:] == d[:-1], False)
    final_end = np.minimum(end_t[d], t_end)
    until = np.where(same, nxt_t, final_end)
    why = np.where(same, CoastEnd.RESUMED,
                   np.where(np.isfinite(end_t[d]) & (end_t[d] <= t_end), CoastEnd.DELETED, CoastEnd.RUN_END))
    gap = until - tu
    k = np.flatnonzero(gap > gap_s)
    if k.size == 0:
        return
    track = ids[d[k]]
    rows.extend(int(k.size), time_s=tu[k] + gap_s, stage=Stage.TRACKER, event=Decision.COASTING, reason=why[k],
                track_id=track, target_id=followed(track), until_s=until[k],
                detail=[f"no detection for {g:.0f} s after {s:.1f} s" for g, s in
                        zip(gap[k].tolist(), tu[k].tolist(), strict=True)])
