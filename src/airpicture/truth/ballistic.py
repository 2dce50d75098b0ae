"""Ballistic arcs under central (inverse-square) gravity, with optional exponential-atmosphere drag.

Each missile flies in the plane through the Earth's centre, its launch point and its aim point. The launch
velocity (horizontal, vertical) is found by Newton iteration so that the apogee is at the requested height and
the arc ends at the aim point; all missiles are solved and integrated together (RK4, batched). Units: metres,
seconds, kg/m^2 for the ballistic coefficient beta = m / (Cd A).

No guidance: these are unpowered free-flight arcs from burnout at the ground, a textbook simplification.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

MU_EARTH = 3.986004418e14  # m^3/s^2
RHO0 = 1.225  # kg/m^3, sea-level air density
SCALE_HEIGHT_M = 7200.0


def _norms(v: F64) -> F64:
    """Euclidean norm of each row of ``v`` (N, D): ``np.linalg.norm(v, axis=1)``, the same arithmetic without its
    argument checks (this runs some ten thousand times per ballistic raid)."""
    return np.sqrt(np.add.reduce(v * v, axis=1))


def _accel(pos: F64, vel: F64, radius_m: float, beta: F64 | None) -> F64:
    """Acceleration (K, 2) of gravity, plus drag where ``beta`` is finite (None: no missile has drag)."""
    r = _norms(pos)
    a = -MU_EARTH * pos / (r**3)[:, None]
    if beta is None:
        return a
    # Drag acts on the descent only: the arc starts at burnout, and the boost through the dense lower
    # atmosphere is not modelled; re-entry deceleration is what a tracker sees.
    drag = np.isfinite(beta) & (np.add.reduce(pos * vel, axis=1) < 0.0)
    if drag.any():
        h = np.maximum(r - radius_m, 0.0)
        rho = RHO0 * np.exp(-h / SCALE_HEIGHT_M)
        speed = _norms(vel)
        k = np.where(drag, rho * speed / (2.0 * np.where(drag, beta, 1.0)), 0.0)
        a = a - k[:, None] * vel
    return a


def _rk4(pos: F64, vel: F64, h: float, radius_m: float, beta: F64 | None) -> tuple[F64, F64]:
    a1 = _accel(pos, vel, radius_m, beta)
    p2, v2 = pos + 0.5 * h * vel, vel + 0.5 * h * a1
    a2 = _accel(p2, v2, radius_m, beta)
    p3, v3 = pos + 0.5 * h * v2, vel + 0.5 * h * a2
    a3 = _accel(p3, v3, radius_m, beta)
    p4, v4 = pos + h * v3, vel + h * a3
    a4 = _accel(p4, v4, radius_m, beta)
    return (pos + h / 6.0 * (vel + 2 * v2 + 2 * v3 + v4), vel + h / 6.0 * (a1 + 2 * a2 + 2 * a3 + a4))


def _fly(v0: F64, radius_m: float, beta: F64, h: float, keep: bool = False, max_time_s: float = 7200.0):
    """Integrate in-plane arcs launched from (0, R) with velocity v0 (K, 2) = (downrange, up).

    Returns apogee heights, range angles at impact, impact times and, when ``keep``, the state history.
    """
    k = v0.shape[0]
    pos = np.tile([0.0, radius_m], (k, 1))
    vel = v0.astype(float).copy()
    apogee = np.zeros(k)
    impact_angle = np.full(k, np.nan)
    impact_time = np.full(k, np.nan)
    history_p, history_v = [pos.copy()], [vel.copy()]
    t = 0.0
    flying = np.ones(k, dtype=bool)
    drag_beta = beta if np.isfinite(beta).any() else None  # no drag at all: gravity alone, the same numbers
    while flying.any() and t < max_time_s:
        new_p, new_v = _rk4(pos, vel, h, radius_m, drag_beta)
        r_old = _norms(pos)
        r_new = _norms(new_p)
        apogee = np.where(flying, np.maximum(apogee, r_new - radius_m), apogee)
        landed = flying & (r_new < radius_m) & (t > 0)
        if landed.any():
            frac = (r_old[landed] - radius_m) / (r_old[landed] - r_new[landed])
            p_hit = pos[landed] + frac[:, None] * (new_p[landed] - pos[landed])
            impact_angle[landed] = np.arctan2(p_hit[:, 0], p_hit[:, 1])
            impact_time[landed] = t + frac * h
            flying &= ~landed
        pos, vel = new_p, new_v
        t += h
        if keep:
            history_p.append(pos.copy())
            history_v.append(vel.copy())
    if keep:
        return apogee, impact_angle, impact_time, np.stack(history_p, 1), np.stack(history_v, 1)
    return apogee, impact_angle, impact_time


def solve_launch_velocity(range_angle: F64, apogee_m: F64, radius_m: float, beta: F64,
                          step_s: float = 1.0, iterations: int = 12, start: F64 | None = None) -> F64:
    """Launch velocities (K, 2) = (downrange, up) m/s that reach ``apogee_m`` and land ``range_angle`` radians
    downrange. Newton iteration with finite differences, all missiles at once."""
    g = MU_EARTH / radius_m**2
    dist = range_angle * radius_m
    vz = np.sqrt(2 * g * apogee_m)
    vx = dist / (2 * vz / g)
    v = np.stack([vx, vz], axis=1) if start is None else np.array(start, dtype=float)
    target = np.stack([apogee_m, range_angle], axis=1)
    k = v.shape[0]
    for _ in range(iterations):
        dv = np.maximum(1e-4 * np.linalg.norm(v, axis=1), 0.05)
        trial = np.concatenate([v, v + np.stack([dv, 0 * dv], 1), v + np.stack([0 * dv, dv], 1)])
        bb = np.concatenate([beta, beta, beta])
        apo, ang, _ = _fly(trial, radius_m, bb, step_s)
        f = np.stack([apo, ang], axis=1)
        f0, fx, fz = f[:k], f[k:2 * k], f[2 * k:]
        jac = np.stack([(fx - f0) / dv[:, None], (fz - f0) / dv[:, None]], axis=2)  # (K, 2, 2)
        resid = f0 - target
        if np.all(np.abs(resid[:, 0]) < 1.0) and np.all(np.abs(resid[:, 1]) * radius_m < 1.0):
            break
        step = np.linalg.solve(jac, resid[:, :, None])[:, :, 0]
        # damp wild steps
        scale = np.minimum(1.0, 0.5 * np.linalg.norm(v, axis=1) / np.maximum(np.linalg.norm(step, axis=1), 1e-9))
        v = v - step * scale[:, None]
        v[:, 1] = np.maximum(v[:, 1], 1.0)
    return v


@dataclass(frozen=True)
class BallisticArcs:
    """Integrated arcs: in-plane history sampled every ``step_s`` from launch, and impact times."""

    step_s: float
    pos: F64  # (K, T, 2) in-plane positions from the Earth's centre (downrange, up), metres
    vel: F64  # (K, T, 2)
    impact_time_s: F64  # (K,) flight time from launch to impact


def fly_arcs(range_angle: F64, apogee_m: F64, radius_m: float, beta: F64, step_s: float = 0.25) -> BallisticArcs:
    """Solve and integrate the arcs of K missiles."""
    v0 = solve_launch_velocity(range_angle, apogee_m, radius_m, beta)
    if np.any(np.isfinite(beta)):  # refine at the final step: drag makes the arc step-size sensitive
        v0 = solve_launch_velocity(range_angle, apogee_m, radius_m, beta, step_s=step_s, iterations=4, start=v0)
    _, _, impact, hp, hv = _fly(v0, radius_m, beta, step_s, keep=True)
    return BallisticArcs(step_s, hp, hv, impact)
