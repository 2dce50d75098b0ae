"""Truth for raids of threats: placement in the approach sector, then flight along their motion profile.

Every threat flies to its raid's defended asset and its truth ends when it gets there (``impact``) or when the
scenario ends (``running``). Frame: local ENU metres; azimuths at the boundary are degrees clockwise from north.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import NDArray

from airpicture.errors import InputError
from airpicture.geodesy import LocalFrame
from airpicture.placement import asset_positions, place_en
from airpicture.scenario import (
    BallisticProfile,
    CruiseProfile,
    LoiterProfile,
    Raid,
    Scenario,
    StraightProfile,
    WaypointProfile,
)
from airpicture.truth.ballistic import fly_arcs
from airpicture.truth.builder import TruthBuilder
from airpicture.truth.paths import PathBuilder, PathError, altitude_profile
from airpicture.truth.table import END_IMPACT, END_RUNNING, grid_times, hermite

F64 = NDArray[np.float64]

#: Threats whose states are computed together (see :func:`add_raid`).
TARGET_BLOCK = 1000


def sector_azimuths(rng: np.random.Generator, n: int, az_min_deg: float, az_max_deg: float) -> F64:
    """Uniform azimuths (radians, clockwise from north) in the sector from az_min clockwise to az_max."""
    width = (az_max_deg - az_min_deg) % 360.0
    if width == 0.0 and az_max_deg != az_min_deg:
        width = 360.0
    return np.radians((az_min_deg + rng.uniform(0.0, width, n)) % 360.0)


def _compass_offset(az: F64, dist: F64) -> F64:
    return np.stack([dist * np.sin(az), dist * np.cos(az)], axis=-1)


def add_raid(builder: TruthBuilder, scenario: Scenario, index: int, raid: Raid, frame: LocalFrame,
             rng: np.random.Generator, source: str) -> None:
    """Generate the threats of ``raid`` (the ``index``-th raid) and add them to ``builder``."""
    n = raid.count
    if n == 0:
        return
    t0 = raid.launch_start_s + rng.uniform(0.0, raid.launch_spread_s, n)
    az = sector_azimuths(rng, n, raid.azimuth_min_deg, raid.azimuth_max_deg)
    asset_i = scenario.asset_index(raid.asset)
    goal = asset_positions(scenario, frame)[asset_i]
    start = goal + _compass_offset(az, np.full(n, raid.start_distance_m))
    callsigns = np.array([f"{raid.name}-{i + 1:03d}" for i in range(n)], dtype=object)
    prof = raid.profile
    if isinstance(prof, BallisticProfile):
        _add_ballistic(builder, scenario, raid, asset_i, prof, start, goal, t0, frame, callsigns)
        return

    speed = float(cast(float, raid.speed_mps))  # validated non-None for path profiles
    paths = PathBuilder()
    try:
        if isinstance(prof, LoiterProfile):
            if prof.loiter_distance_m + prof.loiter_radius_m >= raid.start_distance_m:
                raise PathError("start_distance_m must exceed loiter_distance_m + loiter_radius_m")
            direction = np.where(rng.random(n) < 0.5, 1.0, -1.0)
            centre = goal + _compass_offset(az, np.full(n, prof.loiter_distance_m))
            for i in range(n):
                paths.add_loiter(start[i], centre[i], prof.loiter_radius_m, goal,
                                 speed * prof.loiter_time_s, float(direction[i]))
        else:
            if isinstance(prof, (WaypointProfile, CruiseProfile)):
                wps = np.asarray(prof.waypoints_m, dtype=float).reshape(-1, 2)
                jitter = prof.waypoint_jitter_m
                radius = speed**2 / prof.max_lateral_accel_mps2
            else:
                wps = np.zeros((0, 2))
                jitter = 0.0
                radius = 1.0
            offsets = rng.normal(0.0, 1.0, (n, len(wps), 2)) * jitter
            for i in range(n):
                pts = np.concatenate([start[i : i + 1], wps + offsets[i], goal[None, :]])
                paths.add_route(pts, radius)
    except PathError as exc:
        raise InputError(source, str(exc), field=f"raids[{index}].profile") from None
    p = paths.build()
    duration = scenario.duration_s
    t_end = t0 + p.total / speed
    reason = np.where(t_end <= duration, END_IMPACT, END_RUNNING).astype(object)
    if isinstance(prof, CruiseProfile):
        pop_d, pop_h = prof.popup_distance_m, prof.popup_height_m
    else:
        pop_d, pop_h = 0.0, 0.0
    terrain = None
    if scenario.terrain is not None:  # imported here: without terrain, the truth does not load its kernels
        from airpicture.terrain.load import follows_terrain, terrain_grid

        terrain = terrain_grid(scenario, source) if follows_terrain(scenario, prof.kind) else None
    # States of a block of threats at a time (every random draw is made above): the temporaries of the path
    # evaluation then take memory for one block, not for the whole raid.
    for lo in range(0, n, TARGET_BLOCK):
        sl = slice(lo, min(n, lo + TARGET_BLOCK))
        owner, t = grid_times(t0[sl], t_end[sl], scenario.time_step_s, duration)
        path_of = owner + lo
        s = (t - t0[path_of]) * speed
        pos, direction_2d, _ = p.evaluate(path_of, s)
        s_rem = p.total[path_of] - s
        k = owner.size
        h, slope = altitude_profile(s_rem, np.full(k, raid.height_m), np.full(k, pop_d), np.full(k, pop_h),
                                    np.full(k, prof.dive_distance_m))
        dh = slope * speed
        if terrain is not None:  # terrain following: the profile's heights are above the terrain below
            ground, gradient = terrain.height_and_slope(pos[:, 0], pos[:, 1])
            h = h + ground
            dh = dh + np.sum(gradient * direction_2d, axis=1) * speed
        x = _states_over_ground(frame, pos, direction_2d * speed, h, dh)
        builder.add(kind=raid.kind, hostile=True, rcs_m2=raid.mean_rcs_m2,
                    rcs_broadside_ratio=raid.rcs_broadside_ratio, asset_index=asset_i, start_s=t0[sl],
                    end_s=t_end[sl], end_reason=reason[sl], group=raid.name, callsign=callsigns[sl], owner=owner,
                    t=t, x=x)


def _states_over_ground(frame: LocalFrame, pos: F64, vel_h: F64, h: F64, dh: F64) -> F64:
    """ENU states of points at horizontal (e, n) = pos with horizontal velocity vel_h, height h above the
    spherical ground changing at dh (m/s)."""
    u = frame.up_from_height(pos[:, 0], pos[:, 1], h)
    vu = frame.vertical_velocity(pos[:, 0], pos[:, 1], u, vel_h[:, 0], vel_h[:, 1], dh)
    return np.column_stack([pos[:, 0], pos[:, 1], u, vel_h[:, 0], vel_h[:, 1], vu])


def _add_ballistic(builder: TruthBuilder, scenario: Scenario, raid: Raid, asset_i: int, prof: BallisticProfile,
                   start: F64, goal: F64, t0: F64, frame: LocalFrame, callsigns: NDArray) -> None:
    r_e = frame.earth_radius_m
    n = start.shape[0]
    centre = np.array([0.0, 0.0, -r_e])
    launch = np.column_stack([start, frame.up_from_height(start[:, 0], start[:, 1], 0.0)])
    aim = np.array([goal[0], goal[1], float(frame.up_from_height(goal[0], goal[1], 0.0))])
    rl = launch - centre
    ra = aim - centre
    up_hat = rl / np.linalg.norm(rl, axis=1)[:, None]
    down = ra[None, :] - np.sum(ra[None, :] * up_hat, axis=1)[:, None] * up_hat
    down_hat = down / np.linalg.norm(down, axis=1)[:, None]
    cosang = np.sum(up_hat * (ra / np.linalg.norm(ra))[None, :], axis=1)
    range_angle = np.arccos(np.clip(cosang, -1.0, 1.0))
    beta = np.full(n, np.inf if prof.ballistic_coefficient_kg_m2 is None else prof.ballistic_coefficient_kg_m2)
    arcs = fly_arcs(range_angle, np.full(n, prof.apogee_m), r_e, beta)
    t_end = t0 + arcs.impact_time_s
    owner, t = grid_times(t0, t_end, scenario.time_step_s, scenario.duration_s)
    tau = t - t0[owner]
    step = arcs.step_s
    n_hist = arcs.pos.shape[1]
    i0 = np.clip(np.floor(tau / step).astype(np.int64), 0, n_hist - 2)
    z = np.zeros((owner.size, 1))
    a = np.concatenate([arcs.pos[owner, i0], z, arcs.vel[owner, i0], z], axis=1)
    b = np.concatenate([arcs.pos[owner, i0 + 1], z, arcs.vel[owner, i0 + 1], z], axis=1)
    st = hermite(cast(F64, i0 * step), a, cast(F64, (i0 + 1) * step), b, tau)
    # in-plane (downrange, up-from-centre) -> ENU; launch is at in-plane (0, R)
    p3 = centre + st[:, [0]] * down_hat[owner] + st[:, [1]] * up_hat[owner]
    v3 = st[:, [3]] * down_hat[owner] + st[:, [4]] * up_hat[owner]
    x = np.concatenate([p3, v3], axis=1)
    reason = np.where(t_end <= scenario.duration_s, END_IMPACT, END_RUNNING).astype(object)
    builder.add(kind=raid.kind, hostile=True, rcs_m2=raid.mean_rcs_m2,
                rcs_broadside_ratio=raid.rcs_broadside_ratio, asset_index=asset_i, start_s=t0,
                end_s=t_end, end_reason=reason, group=raid.name, callsign=callsigns, owner=owner, t=t, x=x)


def add_straight_flights(builder: TruthBuilder, *, kind: str, hostile: bool, rcs_m2: float, group: str,
                         start_en: F64, end_en: F64, speed: F64, height: F64, t0: F64, duration_s: float,
                         step_s: float, frame: LocalFrame, callsigns: NDArray, end_reason: str,
                         rcs_broadside_ratio: float = 1.0) -> None:
    """Straight level flights from ``start_en`` to ``end_en`` (K, 2) at per-flight speed and height."""
    seg = end_en - start_en
    length = np.hypot(seg[:, 0], seg[:, 1])
    direction = seg / length[:, None]
    t_end = t0 + length / speed
    live = (t_end >= 0.0) & (t0 <= duration_s)
    idx = np.flatnonzero(live)
    if idx.size == 0:
        return
    owner, t = grid_times(t0[idx], t_end[idx], step_s, duration_s)
    g = idx[owner]
    pos = start_en[g] + direction[g] * (speed[g] * (t - t0[g]))[:, None]
    x = _states_over_ground(frame, pos, direction[g] * speed[g, None], height[g], np.zeros(owner.size))
    reason = np.where(t_end[idx] <= duration_s, end_reason, END_RUNNING).astype(object)
    builder.add(kind=kind, hostile=hostile, rcs_m2=rcs_m2, rcs_broadside_ratio=rcs_broadside_ratio, asset_index=-1,
                start_s=np.maximum(t0[idx], 0.0), end_s=t_end[idx], end_reason=reason, group=group,
                callsign=callsigns[idx], owner=owner, t=t, x=x)


__all__ = ["StraightProfile", "add_raid", "add_straight_flights", "asset_positions", "place_en"]
