"""Intercept point and flyout timing against a constant-velocity prediction, and the engagement envelope.

An interceptor launched at ``t_L`` from the launcher point ``b`` flies straight at the mean speed ``s`` to the
point where the target, predicted at constant velocity, will be when it arrives: with ``r`` the predicted
target position at ``t_L`` relative to ``b`` and ``v`` its velocity, the flyout time ``tau >= 0`` solves
``|r + v tau| = s tau``, i.e. ``(v.v - s^2) tau^2 + 2 (r.v) tau + r.r = 0``. We take the root
``tau = 2 r.r / (-2 r.v + sqrt(D))`` (``D`` the discriminant), which is the earliest non-negative one whether
the interceptor is faster than the target (one positive root) or not (two or none), and is free of the
cancellation of the textbook form. Written by hand: it is a closed form on small arrays.

Frame and units: local ENU metres, m/s, seconds from the scenario start. Range is the slant distance from the
launcher point; altitude is height above the scenario's spherical ground (``LocalFrame.height_from_enu``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]
B1 = NDArray[np.bool_]


@dataclass(frozen=True)
class InterceptSolution:
    """Per track: whether an intercept exists, the launch and intercept times (s), the aim point (K, 3) ENU
    and the flyout range (m, slant from the launcher). Infeasible rows hold inf times and NaN points."""

    feasible: B1
    launch_time_s: F64
    intercept_time_s: F64
    point_m: F64
    range_m: F64


def solve_intercept(position_m: F64, velocity_mps: F64, state_time_s: float | F64, launch_time_s: ArrayLike,
                    launcher_m: F64, speed_mps: float) -> InterceptSolution:
    """Earliest intercept of targets at ``position_m`` (K, 3) moving at ``velocity_mps`` (K, 3) (states valid at
    ``state_time_s``) by interceptors launched at ``launch_time_s`` (scalar or (K,)) from ``launcher_m`` (3,)
    flying at ``speed_mps``."""
    p = np.asarray(position_m, float).reshape(-1, 3)
    v = np.asarray(velocity_mps, float).reshape(-1, 3)
    t_launch = np.broadcast_to(np.asarray(launch_time_s, float), (p.shape[0],))
    r = p + v * (t_launch - np.asarray(state_time_s, float))[..., None] - np.asarray(launcher_m, float)
    a = np.einsum("ij,ij->i", v, v) - speed_mps * speed_mps
    half_b = np.einsum("ij,ij->i", r, v)
    c = np.einsum("ij,ij->i", r, r)
    disc = half_b * half_b - a * c  # D / 4
    root = np.sqrt(np.maximum(disc, 0.0))
    den = root - half_b
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # such roots are not finite: infeasible
        tau = np.where(c == 0.0, 0.0, c / den)
    feasible = (disc >= 0.0) & ((c == 0.0) | (den > 0.0)) & np.isfinite(tau) & (tau >= 0.0)
    tau = np.where(feasible, tau, np.inf)
    point = np.where(feasible[:, None], r + v * np.where(feasible, tau, 0.0)[:, None] + launcher_m, np.nan)
    return InterceptSolution(feasible, np.asarray(t_launch, float).copy(), t_launch + tau, point,
                             np.where(feasible, speed_mps * tau, np.inf))


def in_envelope(range_m: F64, height_m: F64, min_range_m: F64, max_range_m: F64, min_altitude_m: F64,
                max_altitude_m: F64) -> B1:
    """Whether intercept points at slant ``range_m`` and ``height_m`` above the ground lie in the envelope
    (limits per row, bounds inclusive)."""
    return ((range_m >= min_range_m) & (range_m <= max_range_m) & (height_m >= min_altitude_m)
            & (height_m <= max_altitude_m))
