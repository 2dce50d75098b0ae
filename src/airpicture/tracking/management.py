"""Track management: looks, single-point initiation, M-of-N confirmation, deletion and track capacity.

Looks. A look is one sensor's beam sweep over a track's predicted position. For a :class:`Look` sweeping
azimuths ``[a0, a0 + sweep)`` over ``[start, end)``, a track is looked at when the beam passes the trailing
edge of its azimuth gate: the beam-minus-(azimuth + margin) phase (in turns, the track's azimuth predicted at
constant velocity to both ends) passes an integer inside the look -- the rule the radar simulation uses for
targets, so that each crossing belongs to exactly one look. The margin is the gate's half-width in azimuth
(sqrt(gate threshold) predicted azimuth sigmas of the track, at most a quarter turn): an uncertain track's
detection may come after the beam passed its predicted azimuth, and a miss is only declared once the beam has
swept the whole gate. The predicted position must also be inside the sensor's instrumented range and
elevation limits (no
horizon test: a track whose target went below the horizon *should* be deleted by its misses). A track hit by
the same sensor less than half a rotation before the look starts is not counted again (a detection at the
end of one look would otherwise count as a miss in the next). A track updated by a detection of the look
always counts a hit.

Confirmation and deletion. A new track is tentative; its first detection is its first look and first hit. It
is confirmed once it has ``confirm_m`` hits, and deleted as soon as it can no longer reach ``confirm_m`` hits
within its first ``confirm_n`` looks. A confirmed track is deleted after ``delete_misses`` consecutive missed
looks. Any track is deleted when the standard deviation of its predicted position along its worst direction
exceeds ``delete_position_sigma_m``.

Capacity. The capacity bounds the number of *confirmed* tracks (tentative tracks do not count: they are
candidates, not tracks the picture holds). When a tentative track reaches confirmation at capacity:

* ``keep_existing``: it is refused -- deleted and counted (refusals are recorded with their times). Its target
  may start a new candidate later, which is refused again while the picture stays full.
* ``keep_threatening``: candidates are taken closest first (horizontal distance to the nearest defended
  asset, or to the site without assets); a candidate closer than the confirmed track farthest from every asset
  replaces it (that track is dropped and counted), otherwise it is refused.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit
from airpicture.scenario import TrackerConfig
from airpicture.tracking.store import CONFIRMED, TENTATIVE, TrackStore

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


@njit(cache=True)
def _gate_edge(i, t, trk_t, x, P, q, gate_k, spos, srot) -> tuple[float, float, float]:
    """Track ``i`` predicted at constant velocity to ``t``, seen from the sensor: (trailing edge of its azimuth
    gate in turns -- azimuth plus ``gate_k`` predicted azimuth sigmas, the margin at most a quarter turn --,
    range m, elevation rad). ``q``: process noise intensity (m^2/s^3) added to the predicted covariance."""
    dt = t - trk_t[i]
    p0 = x[i, 0] + dt * x[i, 3] - spos[0]
    p1 = x[i, 1] + dt * x[i, 4] - spos[1]
    p2 = x[i, 2] + dt * x[i, 5] - spos[2]
    dx = srot[0, 0] * p0 + srot[0, 1] * p1 + srot[0, 2] * p2
    dy = srot[1, 0] * p0 + srot[1, 1] * p1 + srot[1, 2] * p2
    dz = srot[2, 0] * p0 + srot[2, 1] * p1 + srot[2, 2] * p2
    # azimuth variance: g' P_pos(dt) g with g = d(az)/d(site position) = srot' (dy, -dx, 0) / rh^2
    rh2 = max(dx * dx + dy * dy, 1.0)
    g0 = (srot[0, 0] * dy - srot[1, 0] * dx) / rh2
    g1 = (srot[0, 1] * dy - srot[1, 1] * dx) / rh2
    g2 = (srot[0, 2] * dy - srot[1, 2] * dx) / rh2
    var = 0.0
    for a in range(3):
        ga = g0 if a == 0 else g1 if a == 1 else g2
        for b in range(3):
            gb = g0 if b == 0 else g1 if b == 1 else g2
            pab = P[i, a, b] + dt * (P[i, a, b + 3] + P[i, a + 3, b]) + dt * dt * P[i, a + 3, b + 3]
            if a == b:
                pab += q * abs(dt) ** 3 / 3.0
            var += ga * gb * pab
    margin = min(gate_k * math.sqrt(max(var, 0.0)) / (2.0 * math.pi), 0.25)
    edge = math.atan2(dx, dy) / (2.0 * math.pi) + margin
    return edge, math.sqrt(dx * dx + dy * dy + dz * dz), math.atan2(dz, math.sqrt(dx * dx + dy * dy))


@njit(cache=True)
def swept(slots, trk_t, x, P, q, gate_k, ta, tb, spos, srot, az0_turns, sweep_turns, rmin, rmax, elmin, elmax,
          out) -> None:
    """``out[k]``: did the look ``[ta, tb)`` (beam from ``az0_turns`` over ``sweep_turns``, in turns) sweep
    over the trailing edge of track ``slots[k]``'s azimuth gate (see :func:`_gate_edge`), with the predicted
    position inside the sensor's range and elevation coverage?"""
    for k in range(slots.shape[0]):
        i = slots[k]
        # the edge is evaluated at each end with that end's prediction, so that cutting [ta, tb) in two counts
        # the same crossings (the phase telescopes)
        edge_a, _, _ = _gate_edge(i, ta, trk_t, x, P, q, gate_k, spos, srot)
        edge_b, rng, el = _gate_edge(i, tb, trk_t, x, P, q, gate_k, spos, srot)
        phi_a = az0_turns - edge_a
        phi_a -= math.floor(phi_a)  # [0, 1)
        dphase = edge_b - edge_a
        dphase -= math.floor(dphase + 0.5)  # [-0.5, 0.5)
        phi_b = phi_a + sweep_turns - dphase
        crossings = math.ceil(phi_b) - math.ceil(phi_a)
        out[k] = crossings >= 1 and rmin <= rng <= rmax and elmin <= el <= elmax


@njit(cache=True)
def swept_unhit(slots, trk_t, x, P, q, gate_k, ta, tb, spos, srot, az0_turns, sweep_turns, rmin, rmax, elmin,
                elmax, last_hit, half_period_s, out) -> None:
    """:func:`swept`, and not hit by this sensor (``last_hit``: each slot's last hit time by it, s) less than
    ``half_period_s`` before the beam points at the track: the beam's time is when the look's azimuth reaches
    the track's current position, clipped to the look (a track hit just before that was hit by the previous
    look, not missed by this one). One compiled pass for the miss and recovery candidates of a look."""
    span = tb - ta
    turns = max(sweep_turns, 1e-9)
    swept(slots, trk_t, x, P, q, gate_k, ta, tb, spos, srot, az0_turns, sweep_turns, rmin, rmax, elmin, elmax,
          out)
    for k in range(slots.shape[0]):
        if not out[k]:
            continue
        i = slots[k]
        p0 = x[i, 0] - spos[0]
        p1 = x[i, 1] - spos[1]
        p2 = x[i, 2] - spos[2]
        dx = p0 * srot[0, 0] + p1 * srot[0, 1] + p2 * srot[0, 2]
        dy = p0 * srot[1, 0] + p1 * srot[1, 1] + p2 * srot[1, 2]
        ahead = math.atan2(dx, dy) / (2.0 * math.pi) - az0_turns
        ahead -= math.floor(ahead)  # [0, 1)
        beam = ta + min(ahead / turns, 1.0) * span
        out[k] = last_hit[i] <= beam - half_period_s


@njit(cache=True)
def gate_open(slots, trk_t, x, P, q, gate_k, t_end, beam_end_turns, spos, srot, out) -> None:
    """``out[k]``: at ``t_end``, with the beam at ``beam_end_turns``, is the trailing edge of track
    ``slots[k]``'s azimuth gate (see :func:`_gate_edge`) still ahead of the beam (within half a turn)? Such a
    track may yet meet a detection of the same look after ``t_end``."""
    for k in range(slots.shape[0]):
        edge, _, _ = _gate_edge(slots[k], t_end, trk_t, x, P, q, gate_k, spos, srot)
        d = beam_end_turns - edge
        d -= math.floor(d + 0.5)  # [-0.5, 0.5)
        out[k] = d < 0.0


@njit(cache=True)
def initial_states(z, sig, spos, srot, speed_sigma: float, vertical_speed_sigma: float, earth_radius_m: float,
                   x, P) -> None:
    """Single-point initiation of one track per detection into ``x`` (K, 6) and ``P`` (K, 6, 6), site ENU.

    Position: the detection ``z[k] = (range m, azimuth rad, elevation rad, range rate m/s or NaN)`` in the
    sensor's axes (sensor at ``spos``, site -> sensor rotation ``srot``), its polar covariance
    ``diag(sig[k, :3]^2)`` carried to site axes to first order (J diag(sigma^2) J'). Velocity: zero, with
    ``speed_sigma`` (m/s) on each horizontal axis and ``vertical_speed_sigma`` along the local vertical at the
    detection (the normal of the spherical ground of radius ``earth_radius_m`` below it: h^2 I + (v^2 - h^2)
    u u'); a measured range rate then updates the velocity along the line of sight (Kalman update of a zero
    prior mean). Position and velocity start uncorrelated. Compiled: one call per batch of new tracks."""
    h2 = speed_sigma * speed_sigma
    dv2 = vertical_speed_sigma * vertical_speed_sigma - h2
    G = np.empty((3, 3))
    J = np.empty((3, 3))
    d = np.empty(3)
    up = np.empty(3)
    Pu = np.empty(3)
    for k in range(z.shape[0]):
        r, az, el = z[k, 0], z[k, 1], z[k, 2]
        ce, se, ca, sa = math.cos(el), math.sin(el), math.cos(az), math.sin(az)
        # sensor-axes offset and its Jacobian with respect to (r, az, el), by columns
        d[0], d[1], d[2] = r * ce * sa, r * ce * ca, r * se
        G[0, 0], G[1, 0], G[2, 0] = ce * sa, ce * ca, se
        G[0, 1], G[1, 1], G[2, 1] = r * ce * ca, -r * ce * sa, 0.0
        G[0, 2], G[1, 2], G[2, 2] = -r * se * sa, -r * se * ca, r * ce
        for a in range(3):  # site axes: srot' (.)
            x[k, a] = spos[a] + srot[0, a] * d[0] + srot[1, a] * d[1] + srot[2, a] * d[2]
            x[k, a + 3] = 0.0
            for b in range(3):
                J[a, b] = srot[0, a] * G[0, b] + srot[1, a] * G[1, b] + srot[2, a] * G[2, b]
        for a in range(6):
            for b in range(6):
                P[k, a, b] = 0.0
        for a in range(3):
            for b in range(a, 3):
                c = 0.0
                for m in range(3):
                    c += J[a, m] * J[b, m] * sig[k, m] * sig[k, m]
                P[k, a, b] = c
                P[k, b, a] = c
        norm = math.sqrt(x[k, 0] ** 2 + x[k, 1] ** 2 + (x[k, 2] + earth_radius_m) ** 2)
        up[0], up[1], up[2] = x[k, 0] / norm, x[k, 1] / norm, (x[k, 2] + earth_radius_m) / norm
        for a in range(3):
            for b in range(3):
                P[k, a + 3, b + 3] = dv2 * up[a] * up[b] + (h2 if a == b else 0.0)
        rr = z[k, 3]
        if math.isfinite(rr):
            # line of sight (d range / d position) = first column of J; K = Pv u / (u' Pv u + sigma_rr^2)
            s = sig[k, 3] * sig[k, 3]
            for a in range(3):
                Pu[a] = P[k, a + 3, 3] * J[0, 0] + P[k, a + 3, 4] * J[1, 0] + P[k, a + 3, 5] * J[2, 0]
                s += J[a, 0] * Pu[a]
            for a in range(3):
                x[k, a + 3] = Pu[a] / s * rr
            for a in range(3):
                for b in range(3):
                    P[k, a + 3, b + 3] -= Pu[a] * Pu[b] / s


def status_decisions(store: TrackStore, slots: I64, config: TrackerConfig,
                     confirm_score: float | None = None) -> tuple[I64, I64, I64]:
    """Of ``slots``: tentative tracks that reached confirmation, tentative tracks that are given up, confirmed
    tracks to delete -- by the configured rule (:func:`score_decisions`, at ``confirm_score`` if given, see
    :func:`confirmation_threshold`; or :func:`m_of_n_decisions`)."""
    if config.confirmation == "score":
        return score_decisions(store, slots, config.confirm_score if confirm_score is None else confirm_score,
                               config.tentative_delete_score, config.delete_score_drop, config.confirm_min_hits)
    return m_of_n_decisions(store, slots, config.confirm_m, config.confirm_n, config.delete_misses)


def confirmation_threshold(confirm_score: float, false_alarms_per_scan: float, false_track_rate: float) -> float:
    """The score a tentative track must reach: ``confirm_score``, raised where false alarms are dense so that the
    expected false confirmations per scan stay below ``false_track_rate``. A false alarm's candidate starts at
    score 0 and reaches a score s with probability at most e^-s (Wald's bound for a sequential test), and every
    false alarm starts one: at most ``false_alarms_per_scan x e^-s`` false confirmations per scan, hence
    s >= ln(false_alarms_per_scan / false_track_rate)."""
    if false_alarms_per_scan <= 0.0:
        return confirm_score
    return max(confirm_score, math.log(false_alarms_per_scan / false_track_rate))


def score_decisions(store: TrackStore, slots: I64, confirm_score: float, tentative_delete_score: float,
                    delete_score_drop: float, min_hits: int = 1) -> tuple[I64, I64, I64]:
    """Sequential probability ratio test on the track score (log likelihood ratio, ``store.llr``; Blackman &
    Popoli 1999, sec. 6.2; Wald's SPRT): of ``slots``, tentative tracks whose score reached ``confirm_score``,
    tentative tracks whose score fell below ``tentative_delete_score``, and confirmed tracks whose score fell
    more than ``delete_score_drop`` below its highest (``store.llr_max``). A track is confirmed only with at least
    ``min_hits`` hits."""
    return _score_decisions(np.asarray(slots, dtype=np.int64), store.status, store.llr, store.llr_max, store.n_hits,
                            float(confirm_score), float(tentative_delete_score), float(delete_score_drop),
                            int(min_hits))


@njit(cache=True)
def _score_decisions(slots, status, llr, llr_max, n_hits, confirm_score, tentative_delete_score, delete_score_drop,
                     min_hits):
    """Compiled body of :func:`score_decisions` (one pass; each output keeps the order of ``slots``)."""
    n = slots.shape[0]
    confirm = np.empty(n, np.int64)
    fail = np.empty(n, np.int64)
    lost = np.empty(n, np.int64)
    nc = nf = nl = 0
    for k in range(n):
        i = slots[k]
        if status[i] == TENTATIVE:
            if llr[i] >= confirm_score and n_hits[i] >= min_hits:
                confirm[nc] = i
                nc += 1
            if llr[i] < tentative_delete_score:
                fail[nf] = i
                nf += 1
        elif status[i] == CONFIRMED and llr[i] < llr_max[i] - delete_score_drop:
            lost[nl] = i
            nl += 1
    return confirm[:nc], fail[:nf], lost[:nl]


def m_of_n_decisions(store: TrackStore, slots: I64, confirm_m: int, confirm_n: int,
                     delete_misses: int) -> tuple[I64, I64, I64]:
    """Of ``slots``: tentative tracks that reached confirmation, tentative tracks that can no longer reach it,
    confirmed tracks with too many consecutive misses."""
    st = store.status[slots]
    hits = store.n_hits[slots]
    looks = store.n_looks[slots]
    tent = st == TENTATIVE
    confirm = slots[tent & (hits >= confirm_m)]
    fail = slots[tent & (hits < confirm_m) & (hits + np.maximum(confirm_n - looks, 0) < confirm_m)]
    lost = slots[(st == CONFIRMED) & (store.misses[slots] >= delete_misses)]
    return confirm, fail, lost


def threat_distance(x: F64, assets_en: F64 | None) -> F64:
    """Horizontal distance (m) of each state to the nearest defended asset (the site if there are none)."""
    if assets_en is None or len(assets_en) == 0:
        return np.hypot(x[:, 0], x[:, 1])
    a = np.asarray(assets_en, dtype=float).reshape(-1, 2)
    return np.min(np.hypot(x[:, None, 0] - a[None, :, 0], x[:, None, 1] - a[None, :, 1]), axis=1)


def resolve_capacity(store: TrackStore, candidates: I64, capacity: int | None, rule: str,
                     assets_en: F64 | None) -> tuple[I64, I64, I64]:
    """Which candidates are confirmed, which are refused, and which confirmed tracks are dropped for them."""
    empty = np.zeros(0, np.int64)
    if candidates.size == 0:
        return empty, empty, empty
    if capacity is None:
        return candidates, empty, empty
    confirmed = np.flatnonzero(store.alive[: store.size] & (store.status[: store.size] == CONFIRMED))
    free = max(capacity - confirmed.shape[0], 0)
    if rule == "keep_existing":
        order = candidates[np.argsort(store.track_id[candidates], kind="stable")]
        return order[:free], order[free:], empty
    dist = threat_distance(store.x[candidates], assets_en)
    order = np.lexsort((store.track_id[candidates], dist))
    cand = candidates[order]
    cdist = dist[order]
    accept = list(cand[:free])
    refused: list[int] = []
    dropped: list[int] = []
    pool = confirmed
    pool_dist = threat_distance(store.x[pool], assets_en) if pool.size else np.zeros(0)
    # farthest confirmed track first (ties: the newer id first). Candidates come closest first, so one accepted
    # in this round is never farther than a later one: only tracks confirmed before can be dropped.
    porder = np.lexsort((-store.track_id[pool], -pool_dist)) if pool.size else np.zeros(0, np.int64)
    pool, pool_dist = pool[porder], pool_dist[porder]
    p = 0
    for s, d in zip(cand[free:].tolist(), cdist[free:].tolist(), strict=True):
        if p < pool.shape[0] and pool_dist[p] > d:
            dropped.append(int(pool[p]))
            p += 1
            accept.append(s)
        else:
            refused.append(s)
    return (np.array(accept, np.int64), np.array(refused, np.int64), np.array(dropped, np.int64))
