"""When each target first came into view of a radar, and what hid it before: the geometry behind "never tracked:
below the radar horizon until 31 s before impact".

On every truth sample, for every radar, the three conditions of the radar simulation's visibility
(:meth:`airpicture.sensors.radar.RadarSimulator.visible`): inside the instrumented range, inside the elevation
limits, above the radar horizon over the effective Earth; with a ``[terrain]``, a fourth: no terrain between antenna
and target above the ray (:mod:`airpicture.terrain.los`, tested only where the other three hold, and for each
target only until its first unmasked sample: the later ones change nothing below). A target is in
view when all hold for some radar; its first such sample is its first visibility. What hid it is read at the sample
just before, for the radar that then saw it (the horizon first, then range, then elevation, then the terrain); a
target never in view is judged at its last sample.
Sampled at the truth's time step (ample against scan periods of seconds). Units: s, m.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from airpicture.geodesy import LocalFrame
from airpicture.placement import antenna_height_m
from airpicture.scenario import Radar
from airpicture.sensors.look_geometry import look_geometry
from airpicture.sensors.physics import above_horizon
from airpicture.sensors.placement import radar_geometry
from airpicture.truth import Truth
from airpicture.vocab import Hidden

if TYPE_CHECKING:
    from airpicture.terrain.grid import TerrainGrid

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Hidden-reason codes, in the order they are tested.
HIDDEN: tuple[Hidden, ...] = tuple(Hidden)


@dataclass(frozen=True)
class Visibility:
    """Per target (N,): first time in view of any radar (inf: never), that radar's id (-1), the range from it
    (m, NaN), and what hid the target before ("" when in view from its first sample)."""

    first_visible_s: F64
    sensor_id: I64
    range_m: F64
    hidden: NDArray[np.object_]


def flags(radar: Radar, frame: LocalFrame, state: F64) -> tuple[NDArray[np.bool_], NDArray[np.bool_],
                                                                  NDArray[np.bool_], F64]:
    """(in range, in elevation, above the horizon, range m) of site-ENU states (K, 6) seen by ``radar``."""
    look = look_geometry(state, radar_geometry(radar, frame), frame.earth_radius_m)
    in_range = (look.range_m >= radar.min_range_m) & (look.range_m <= radar.max_range_m)
    in_elev = ((look.elevation_rad >= math.radians(radar.elevation_min_deg))
               & (look.elevation_rad <= math.radians(radar.elevation_max_deg)))
    horizon = above_horizon(look.ground_angle_rad, antenna_height_m(radar, frame), look.height_m,
                            frame.earth_radius_m, radar.refraction_k)
    return in_range, in_elev, horizon, look.range_m


def unmasked(radar: Radar, frame: LocalFrame, state: F64, in_view: NDArray[np.bool_], terrain: TerrainGrid | None,
             step_m: float, offsets: NDArray[np.int64]) -> NDArray[np.bool_]:
    """The terrain flag of ``radar`` for states (K, 6) whose rows ``offsets[t]:offsets[t + 1]`` are target t's
    samples in time order: False at the samples in view otherwise (``in_view``) that the terrain masks, up to
    each target's first unmasked one; True elsewhere -- all the first visibility reads (see
    :func:`airpicture.terrain.los.first_unmasked`)."""
    if terrain is None:
        return np.ones(state.shape[0], bool)
    from airpicture.terrain.los import first_unmasked

    geo = radar_geometry(radar, frame)
    look = look_geometry(state, geo, frame.earth_radius_m)
    return first_unmasked(terrain, geo.position, antenna_height_m(radar, frame), frame.earth_radius_m,
                          radar.refraction_k, state, look.height_m, look.ground_angle_rad, step_m, offsets, in_view)


def first_visibility(radars: list[Radar], frame: LocalFrame, truth: Truth,
                     until_s: F64 | None = None, block_samples: int = 1 << 18, terrain: TerrainGrid | None = None,
                     step_m: float = 100.0) -> Visibility:
    """Every target's first visibility (see the module doc); samples after ``until_s`` (N,) are ignored (e.g. the
    kill time). Targets are taken in blocks of about ``block_samples`` samples (each target's answer depends on
    its own samples only), so memory holds one block's geometry, not the whole truth's. ``terrain``: the
    scenario's terrain grid (None: none), sampled every ``step_m`` along each line of sight."""
    n = truth.n_targets
    out = Visibility(np.full(n, np.inf), np.full(n, -1, np.int64), np.full(n, np.nan),
                     np.full(n, "", dtype=object))
    s = truth.samples
    if n == 0 or len(s) == 0 or not radars:
        if n and not radars:
            out.hidden[:] = Hidden.OUT_OF_RANGE
        return out
    offsets = np.searchsorted(s.target_id, np.arange(n + 1, dtype=np.int64))
    lo = 0
    while lo < n:
        hi = int(np.searchsorted(offsets, offsets[lo] + block_samples, side="right")) - 1
        hi = min(max(hi, lo + 1), n)
        _first_visibility_block(radars, frame, truth, until_s, lo, hi, int(offsets[lo]), int(offsets[hi]), out,
                                terrain, step_m)
        lo = hi
    return out


def _first_visibility_block(radars: list[Radar], frame: LocalFrame, truth: Truth, until_s: F64 | None,
                            lo: int, hi: int, a: int, b: int, out: Visibility, terrain: TerrainGrid | None = None,
                            step_m: float = 100.0) -> None:
    """:func:`first_visibility` of targets ``lo..hi-1``, whose samples are rows ``a..b-1``, into ``out``."""
    s = truth.samples
    tid, t = s.target_id[a:b], s.time_s[a:b]
    keep = np.ones(t.size, bool) if until_s is None else t <= until_s[tid]
    idx = np.flatnonzero(keep)
    tid, t, x = tid[idx], t[idx], s.x[a:b][idx]
    m = len(radars)
    own = np.searchsorted(tid, np.arange(lo, hi + 1)) if terrain is not None else np.zeros(0, np.int64)
    fl = np.zeros((m, 4, idx.size), bool)
    rng = np.zeros((m, idx.size))
    for k, radar in enumerate(radars):
        c_range, c_elev, c_horizon, r = flags(radar, frame, x)
        fl[k, 0], fl[k, 1], fl[k, 2], rng[k] = c_range, c_elev, c_horizon, r
        fl[k, 3] = unmasked(radar, frame, x, c_range & c_elev & c_horizon, terrain, step_m, own)
    vis = np.asarray(fl.all(axis=1))  # (m, K)
    any_vis = vis.any(axis=0)
    # first visible sample of each target (samples are sorted by target, then time)
    cand = np.flatnonzero(any_vis)
    first = np.full(hi - lo, -1, np.int64)
    if cand.size:
        tg, pos = np.unique(tid[cand], return_index=True)
        first[tg - lo] = cand[pos]
    seen = first >= 0
    j = first[seen]
    targets = np.arange(lo, hi)
    seen_ids = targets[seen]
    radar_k = np.argmax(vis[:, j], axis=0)
    out.first_visible_s[seen_ids] = t[j]
    out.sensor_id[seen_ids] = np.array([radars[k].id for k in radar_k.tolist()], np.int64)
    out.range_m[seen_ids] = rng[radar_k, j]
    # what hid it: the sample before the first visible one (same target), for that radar
    prev = j - 1
    has_prev = (prev >= 0) & (tid[np.maximum(prev, 0)] == tid[j])
    hid = np.full(j.size, "", dtype=object)
    p, k = prev[has_prev], radar_k[has_prev]
    hid[has_prev] = _reason(fl[k, 0, p], fl[k, 1, p], fl[k, 2, p], fl[k, 3, p])
    out.hidden[seen_ids] = hid
    # never visible: judged at the last sample, for the radar closest to seeing it (fewest failed conditions)
    never = targets[~seen & np.isin(targets, tid)]
    if never.size:
        last = np.searchsorted(tid, never, side="right") - 1
        fails = (~fl[:, :, last]).sum(axis=1)  # (m, L)
        kk = np.argmin(fails, axis=0)
        out.hidden[never] = _reason(fl[kk, 0, last], fl[kk, 1, last], fl[kk, 2, last], fl[kk, 3, last])


def _reason(in_range: NDArray[np.bool_], in_elev: NDArray[np.bool_], horizon: NDArray[np.bool_],
            clear: NDArray[np.bool_]) -> NDArray:
    return np.where(~horizon, HIDDEN[0], np.where(~in_range, HIDDEN[1], np.where(
        ~in_elev, HIDDEN[2], np.where(~clear, HIDDEN[3], ""))))
