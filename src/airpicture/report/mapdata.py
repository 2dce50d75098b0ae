"""What the map shows, as plain arrays in local kilometres (east, north from the site): places and rings, truth
paths, tracks, engagement marks, and the snapshots of the picture for the time slider.

Plan view: positions are the ENU east/north coordinates (the Earth's curvature is ignored on the map, as on any
local plot). Heights in hover texts are above the spherical ground (``LocalFrame.height_from_enu``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from airpicture.report.decimate import nice_step, path_keep, path_order, with_breaks
from airpicture.report.load import RunData
from airpicture.report.style import class_colour, class_label
from airpicture.vocab import ALL_KINDS, THREAT_KINDS, EngagementEvent, TrackStatus

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

KM = 1e-3


@dataclass(frozen=True)
class Site:
    """A named point on the ground: role 'asset', 'radar' or 'battery'."""

    role: str
    name: str
    e_km: float
    n_km: float


@dataclass(frozen=True)
class Ring:
    """A circle on the map: role 'asset' (leaker radius), 'coverage' (radar range) or 'envelope'."""

    role: str
    label: str
    e_km: float
    n_km: float
    radius_km: float


@dataclass(frozen=True)
class Points:
    """Points (or broken lines, NaN between pieces) with the target/track id and time of each point."""

    label: str
    colour: str
    e_km: F64
    n_km: F64
    ident: F64
    time_s: F64
    height_km: F64

    def __len__(self) -> int:
        return int(np.count_nonzero(np.isfinite(self.e_km)))


@dataclass
class Frames:
    """Snapshots of the sky for the time slider: at each time, truth points per class and picture tracks."""

    times_s: F64
    truth: list[list[Points]] = field(default_factory=list)  # [frame][class]
    tracks: list[list[Points]] = field(default_factory=list)  # [frame][class]
    leaders: list[Points] = field(default_factory=list)  # [frame]: 30 s velocity leaders of the picture tracks
    truth_classes: list[tuple[str, str]] = field(default_factory=list)  # (label, colour)
    track_classes: list[tuple[str, str]] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------ places
def sites_and_rings(run: RunData) -> tuple[list[Site], list[Ring]]:
    """Assets, radars and batteries, with asset radii, radar coverage and engagement-envelope rings."""
    from airpicture.placement import place_en

    sc, frame = run.scenario, run.frame
    sites: list[Site] = []
    rings: list[Ring] = []
    for a in sc.assets:
        e, n = place_en(a, frame)
        sites.append(Site("asset", a.name, e * KM, n * KM))
        rings.append(Ring("asset", f"{a.name}: leaker radius {a.radius_m * KM:g} km", e * KM, n * KM, a.radius_m * KM))
    for s in sc.sensors:
        e, n = place_en(s, frame)
        sites.append(Site("radar", s.name, e * KM, n * KM))
        rings.append(Ring("coverage", f"{s.name} coverage ({s.max_range_m * KM:g} km)", e * KM, n * KM,
                          s.max_range_m * KM))
    present = set(run.get("targets")["kind"][run.get("targets")["hostile"]].tolist())
    threat_kinds = [k for k in THREAT_KINDS if k in present] or list(THREAT_KINDS)
    for b in sc.batteries:
        e, n = place_en(b, frame)
        sites.append(Site("battery", b.name, e * KM, n * KM))
        by_radius: dict[float, list[str]] = {}
        for k in threat_kinds:
            env = b.envelopes.get(k)
            if env is not None:
                by_radius.setdefault(env.max_range_m, []).append(k.replace("_", " "))
        for radius, kinds in sorted(by_radius.items(), reverse=True):
            rings.append(Ring("envelope", f"{b.name} reach vs {', '.join(kinds)} ({radius * KM:g} km)",
                              e * KM, n * KM, radius * KM))
    return sites, rings


def battery_positions(run: RunData) -> dict[str, tuple[float, float]]:
    from airpicture.placement import place_en

    out: dict[str, tuple[float, float]] = {}
    for b in run.scenario.batteries:
        e, n = place_en(b, run.frame)
        out[b.name] = (e * KM, n * KM)
    return out


# ------------------------------------------------------------------------------------------------ truth
def kill_times(run: RunData) -> F64:
    """(N,) time each target was killed (first 'kill' event), +inf if never."""
    n = len(run.get("targets")["target_id"])
    out = np.full(n, np.inf)
    if run.has("events"):
        ev = run.get("events")
        k = (ev["event"] == EngagementEvent.KILL) & (ev["target_id"] >= 0)
        np.minimum.at(out, ev["target_id"][k], ev["time_s"][k])
    return out


@dataclass(frozen=True)
class SortedTruth:
    """Truth rows sorted by (target, time), cut at each target's kill, with the class of each target."""

    target_id: I64
    time_s: F64
    e_m: F64
    n_m: F64
    u_m: F64
    ve_mps: F64 | None
    vn_mps: F64 | None
    height_km: F64
    classes: list[tuple[str, bool]]  # (kind, hostile) per class index
    class_of_target: I64


def sorted_truth(run: RunData) -> SortedTruth:
    tr = run.get("truth")
    tg = run.get("targets")
    order = path_order(tr["target_id"], tr["time_s"])
    tid = tr["target_id"][order]
    t = tr["time_s"][order]
    alive = t <= kill_times(run)[tid]
    order, tid, t = order[alive], tid[alive], t[alive]
    e, n, u = tr["e_m"][order], tr["n_m"][order], tr["u_m"][order]
    kinds, hostile = tg["kind"], tg["hostile"]
    keys = sorted({(str(k), bool(h)) for k, h in zip(kinds, hostile, strict=True)},
                  key=lambda kh: (not kh[1], ALL_KINDS.index(kh[0]) if kh[0] in ALL_KINDS else 99, kh[0]))
    index = {kh: i for i, kh in enumerate(keys)}
    class_of = np.array([index[(str(k), bool(h))] for k, h in zip(kinds, hostile, strict=True)], dtype=np.int64)
    ve = tr["ve_mps"][order] if "ve_mps" in tr else None
    vn = tr["vn_mps"][order] if "vn_mps" in tr else None
    h = run.frame.height_from_enu(e, n, u) * KM
    return SortedTruth(tid, t, e, n, u, ve, vn, h, keys, class_of.reshape(-1))


def truth_paths(st: SortedTruth, step_s: float) -> list[Points]:
    """One broken line per truth class, decimated to one point per ``step_s`` per target (ends kept)."""
    keep = path_keep(st.target_id, st.time_s, step_s)
    cls = st.class_of_target[st.target_id[keep]]
    out = []
    for i, (kind, hostile) in enumerate(st.classes):
        m = cls == i
        tid = st.target_id[keep][m]
        e, n, ident, t, h = with_breaks(tid, st.e_m[keep][m] * KM, st.n_m[keep][m] * KM, tid,
                                        st.time_s[keep][m], st.height_km[keep][m])
        out.append(Points(class_label(kind, hostile), class_colour(kind, hostile), e, n, ident, t, h))
    return out


@dataclass(frozen=True)
class TargetPath:
    """One target's decimated path (km) with its class index and display name."""

    target_id: int
    cls: int
    name: str
    points: Points


def target_paths(st: SortedTruth, step_s: float, names: list[str]) -> list[TargetPath]:
    """One decimated path per target (see :func:`truth_paths`), in target order."""
    keep = path_keep(st.target_id, st.time_s, step_s)
    tid = st.target_id[keep]
    e, n, t, h = st.e_m[keep] * KM, st.n_m[keep] * KM, st.time_s[keep], st.height_km[keep]
    bounds = np.flatnonzero(np.diff(tid)) + 1
    out = []
    for lo, hi in zip(np.concatenate([[0], bounds]).tolist(), np.concatenate([bounds, [tid.size]]).tolist(),
                      strict=True):
        if hi <= lo:
            continue
        i = int(tid[lo])
        c = int(st.class_of_target[i])
        kind, hostile = st.classes[c]
        out.append(TargetPath(i, c, names[i], Points(class_label(kind, hostile), class_colour(kind, hostile),
                                                     e[lo:hi], n[lo:hi], tid[lo:hi].astype(float), t[lo:hi],
                                                     h[lo:hi])))
    return out


def position_at(st: SortedTruth, target_id: I64, time_s: F64) -> tuple[F64, F64, F64]:
    """East, north (km) and height (km) of targets at times, linearly interpolated between truth samples and
    clamped to each target's first/last (kept) sample. NaN for a target with no samples."""
    target_id = np.asarray(target_id, dtype=np.int64)
    time_s = np.asarray(time_s, dtype=float)
    if st.target_id.size == 0 or target_id.size == 0:
        nan = np.full(target_id.size, np.nan)
        return nan, nan.copy(), nan.copy()
    # composite sort key (target, time): scenario times lie well within +-1e6 s
    key = st.target_id * 4e6 + st.time_s
    q = target_id * 4e6 + time_s
    j = np.searchsorted(key, q, side="right")
    lo = np.clip(j - 1, 0, key.size - 1)
    hi = np.clip(j, 0, key.size - 1)
    lo = np.where(st.target_id[lo] == target_id, lo, hi)
    hi = np.where(st.target_id[hi] == target_id, hi, lo)
    valid = st.target_id[lo] == target_id
    span = st.time_s[hi] - st.time_s[lo]
    w = np.clip(np.where(span > 0, (time_s - st.time_s[lo]) / np.where(span > 0, span, 1.0), 0.0), 0.0, 1.0)
    out = []
    for col in (st.e_m * KM, st.n_m * KM, st.height_km):
        v = col[lo] + w * (col[hi] - col[lo])
        out.append(np.where(valid, v, np.nan))
    return out[0], out[1], out[2]


# ------------------------------------------------------------------------------------------------ tracks
def track_layers(run: RunData, step_s: float, max_points: int = 20000) -> list[Points]:
    """Confirmed tracks as lines, tentative track points and where confirmed tracks were deleted, from
    ``tracks.parquet``."""
    from airpicture.report.style import TRACK_COLOURS

    tk = run.get("tracks")
    order = path_order(tk["track_id"], tk["time_s"])
    tid, t, status = tk["track_id"][order], tk["time_s"][order], tk["status"][order]
    e, n, u = tk["e_m"][order], tk["n_m"][order], tk["u_m"][order]
    h = run.frame.height_from_enu(e, n, u) * KM
    out = []
    conf = status == TrackStatus.CONFIRMED
    keep = np.zeros(tid.size, dtype=bool)
    keep[conf] = path_keep(tid[conf], t[conf], step_s)
    cols = with_breaks(tid[keep], e[keep] * KM, n[keep] * KM, tid[keep], t[keep], h[keep])
    out.append(Points("Confirmed track", TRACK_COLOURS[TrackStatus.CONFIRMED], *cols))
    tent = np.flatnonzero(status == TrackStatus.TENTATIVE)
    tent = tent[path_keep(tid[tent], t[tent], step_s)]
    tent = tent[:: max(1, int(np.ceil(tent.size / max_points)))]
    out.append(Points("Tentative track", TRACK_COLOURS[TrackStatus.TENTATIVE], e[tent] * KM, n[tent] * KM, tid[tent],
                      t[tent], h[tent]))
    # deletions of tracks that had been confirmed (tentative tracks dropped are mostly false alarms: noise here)
    dele = np.flatnonzero((status == TrackStatus.DELETED) & np.isin(tid, np.unique(tid[conf])))
    dele = dele[:: max(1, int(np.ceil(dele.size / max_points)))]
    out.append(Points("Confirmed track deleted", TRACK_COLOURS[TrackStatus.DELETED], e[dele] * KM, n[dele] * KM,
                      tid[dele], t[dele], h[dele]))
    return out


# ------------------------------------------------------------------------------------------------ engagements
def engagement_marks(run: RunData, st: SortedTruth) -> tuple[list[tuple[str, Points]], Points]:
    """Event markers at the target's true position ((event, points) per event type) and interceptor flyout lines
    from the battery to the target's position at the planned intercept time."""
    from airpicture.report.style import EVENT_STYLE

    ev = run.get("events")
    marks = []
    for name, (label, _symbol, colour) in EVENT_STYLE.items():
        if name == EngagementEvent.LAUNCH:
            continue
        m = (ev["event"] == name) & (ev["target_id"] >= 0)
        e, n, h = position_at(st, ev["target_id"][m], ev["time_s"][m])
        marks.append((name, Points(label, colour, e, n, ev["target_id"][m].astype(float), ev["time_s"][m], h)))
    bpos = battery_positions(run)
    launch = (ev["event"] == EngagementEvent.LAUNCH) & (ev["target_id"] >= 0)
    if "intercept_time_s" in ev:
        launch &= np.isfinite(ev["intercept_time_s"])
    idx = np.flatnonzero(launch)
    t_hit = ev["intercept_time_s"][idx] if "intercept_time_s" in ev else ev["time_s"][idx]
    e1, n1, h1 = position_at(st, ev["target_id"][idx], t_hit)
    b = [bpos.get(str(name), (np.nan, np.nan)) for name in ev["battery"][idx]]
    e0 = np.array([p[0] for p in b], dtype=float)
    n0 = np.array([p[1] for p in b], dtype=float)
    k = idx.size
    xs = np.column_stack([e0, e1, np.full(k, np.nan)]).ravel()
    ys = np.column_stack([n0, n1, np.full(k, np.nan)]).ravel()
    tid = np.repeat(ev["target_id"][idx].astype(float), 3)
    ts = np.column_stack([ev["time_s"][idx], t_hit, np.full(k, np.nan)]).ravel()
    hs = np.column_stack([np.zeros(k), h1, np.full(k, np.nan)]).ravel()
    flyouts = Points("Interceptor flyout (battery to intercept point)", "#1f77b4", xs, ys, tid, ts, hs)
    return marks, flyouts


# ------------------------------------------------------------------------------------------------ time slider
#: Budgets that keep report.html small whatever the scenario's size (points drawn, all frames / all paths).
FRAME_POINTS_BUDGET = 60_000
PATH_POINTS_BUDGET = 60_000


def frame_step(run: RunData, max_frames: int = 100) -> float:
    """Slider spacing (s): a round step giving at most ``max_frames`` snapshots, fewer for crowded skies so that
    all snapshots together hold about ``FRAME_POINTS_BUDGET`` points (at least 20 snapshots)."""
    sc = run.scenario
    _, per_time = np.unique(run.get("truth")["time_s"], return_counts=True)
    crowd = (per_time.max() if per_time.size else 0) * (2 if run.has("picture") else 1)
    frames = int(np.clip(FRAME_POINTS_BUDGET // max(crowd, 1), 20, max_frames))
    return nice_step(sc.duration_s, frames, sc.time_step_s)


def path_step(run: RunData, max_points: int = 120) -> float:
    """Spacing (s) of the points kept along each path: at most ``max_points`` per path, fewer when there are many
    targets so that all paths together hold about ``PATH_POINTS_BUDGET`` points (at least 20 per path)."""
    sc = run.scenario
    n = max(len(run.get("targets")["target_id"]), 1)
    points = int(np.clip(PATH_POINTS_BUDGET // n, 20, max_points))
    return nice_step(sc.duration_s, points, sc.time_step_s)


def picture_frames(run: RunData, st: SortedTruth, step_s: float, leader_s: float = 30.0) -> Frames:
    """Truth and picture snapshots every ``step_s`` from 0 to the scenario's end."""
    times = np.arange(0.0, run.scenario.duration_s + 1e-9, step_s)
    frames = Frames(times)
    frames.truth_classes = [(class_label(k, h), class_colour(k, h)) for k, h in st.classes]
    # truth rows at frame times (the truth grid is a multiple of time_step_s, and so is step_s)
    on = np.abs(st.time_s / step_s - np.round(st.time_s / step_s)) < 1e-6
    fi = np.round(st.time_s[on] / step_s).astype(np.int64)
    cls = st.class_of_target[st.target_id[on]]
    rows = np.flatnonzero(on)
    order = np.lexsort((st.target_id[on], cls, fi))
    fi, cls, rows = fi[order], cls[order], rows[order]
    bounds = np.searchsorted(fi * len(st.classes) + cls, np.arange(times.size * len(st.classes) + 1) - 0.5)
    for f in range(times.size):
        per = []
        for c, (label, colour) in enumerate(frames.truth_classes):
            r = rows[bounds[f * len(st.classes) + c]: bounds[f * len(st.classes) + c + 1]]
            per.append(Points(label, colour, st.e_m[r] * KM, st.n_m[r] * KM, st.target_id[r].astype(float),
                              st.time_s[r], st.height_km[r]))
        frames.truth.append(per)
    if run.has("picture"):
        _picture_snapshots(run, frames, leader_s)
    return frames


def _picture_snapshots(run: RunData, frames: Frames, leader_s: float) -> None:
    from airpicture.report.style import TRACK_COLOURS

    pic = run.get("picture")
    hostile = run.get("targets")["hostile"]
    epochs = np.unique(pic["time_s"])
    classes = [("Track on a threat", "#1f4e9c"), ("Track on civil traffic", "#2ca02c"),
               ("Track with no target (false)", "#7f7f7f")]
    if "target_id" not in pic:
        classes = [("Picture track", TRACK_COLOURS[TrackStatus.CONFIRMED])]
    frames.track_classes = classes
    order = np.lexsort((pic["track_id"], pic["time_s"]))
    t_sorted = pic["time_s"][order]
    if "target_id" in pic:
        tid = pic["target_id"][order]
        cls = np.where(tid < 0, 2, np.where(hostile[np.maximum(tid, 0)], 0, 1))
    else:
        cls = np.zeros(order.size, dtype=np.int64)
    h_all = run.frame.height_from_enu(pic["e_m"], pic["n_m"], pic["u_m"]) * KM  # per original row
    for t in frames.times_s:
        j = np.searchsorted(epochs, t + 1e-6) - 1  # the latest epoch at or before t
        r = np.zeros(0, dtype=np.int64)
        rc = np.zeros(0, dtype=np.int64)
        if j >= 0:
            lo, hi = np.searchsorted(t_sorted, [epochs[j] - 1e-9, epochs[j] + 1e-9])
            r = order[lo:hi]
            rc = cls[lo:hi]
        per = []
        for c, (label, colour) in enumerate(classes):
            rr = r[rc == c]
            per.append(Points(label, colour, pic["e_m"][rr] * KM, pic["n_m"][rr] * KM,
                              pic["track_id"][rr].astype(float), pic["time_s"][rr], h_all[rr]))
        frames.tracks.append(per)
        if r.size and "ve_mps" in pic and "vn_mps" in pic:
            e0, n0 = pic["e_m"][r] * KM, pic["n_m"][r] * KM
            e1 = e0 + pic["ve_mps"][r] * leader_s * KM
            n1 = n0 + pic["vn_mps"][r] * leader_s * KM
            nan = np.full(r.size, np.nan)
            xs = np.column_stack([e0, e1, nan]).ravel()
            ys = np.column_stack([n0, n1, nan]).ravel()
        else:
            xs = ys = np.zeros(0)
        frames.leaders.append(Points(f"Track heading ({leader_s:g} s ahead)", "#1f4e9c", xs, ys,
                                     np.zeros(xs.size), np.zeros(xs.size), np.zeros(xs.size)))
