"""Ballistic arcs under central (inverse-square) gravity, with optional exponential-atmosphere drag.

Each missile flies in the plane through the Earth's centre, its launch point and its aim point. The launch
velocity (horizontal, vertical) is found by Newton iteration so that the apogee is at the requested height and
the arc ends at the aim point; all missiles are solved and integrated together (RK4, batched). Units: metres,
seconds, kg/m^2 for the ballistic coefficient beta = m / (Cd A).

No guidance: these are unpowered free-flight arcs from burnout at the ground, a textbook simplification.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
B8 = NDArray[np.bool_]

MU_EARTH = 3.986004418e14  # m^3/s^2
RHO0 = 1.225  # kg/m^3, sea-level air density
SCALE_HEIGHT_M = 7200.0


class _Stepper:
    """Classical RK4 of K in-plane arcs at a fixed step ``h`` (s), all arcs together, in buffers kept from step to
    step (small arrays: the cost is the number of NumPy calls, so constants are arrays and results go to ``out``).

    State block ``w[i]`` (6, K) holds one RK4 stage: rows (downrange, up) position from the Earth's centre (m),
    their velocity (m/s) and the acceleration there (m/s^2), so ``w[i, :4]`` is the stage's state and ``w[i, 2:]``
    its derivative. Blocks 0 and 1 take turns holding the state at the start of a step and the one it ends at;
    blocks 2 to 4 are the inner stages. ``norms[i]`` (3, K) holds block ``i``'s distance from the Earth's centre
    ``r[i]`` (m), then, with drag, its speed (m/s) and the sign-giving dot product of position and velocity.

    Each element goes through the same floating-point operations in the same order as the textbook form
    (``p2 = p + (h/2) v``, ``v2 = v + (h/2) a1``, ..., ``y + (h/6) (((k1 + 2 k2) + 2 k3) + k4)``, with
    ``a = (-mu p) / |p|**3 - rho |v| v / (2 beta)``), so an arc's numbers do not depend on which others are flown
    with it, nor on this arrangement of the work.
    """

    def __init__(self, v0: F64, radius_m: float, beta: F64, h: float) -> None:
        k = v0.shape[0]
        self.w = np.empty((5, 6, k))
        self.w[0, 0] = 0.0
        self.w[0, 1] = radius_m
        self.w[0, 2:4] = v0.T
        # views made once: taking a view costs about as much as the arithmetic on a few rows
        self.state = [b[:4] for b in self.w]
        self.pos = [b[:2] for b in self.w]
        self.vel = [b[2:4] for b in self.w]
        self.deriv = [b[2:] for b in self.w]
        self.acc = [b[4:] for b in self.w]
        self.ax, self.ay = [b[4] for b in self.w], [b[5] for b in self.w]
        self.vx, self.vy = [b[2] for b in self.w], [b[3] for b in self.w]
        finite = np.isfinite(beta)
        self.drag = bool(finite.any())  # no drag at all: gravity alone
        self.norms = [np.empty((3 if self.drag else 1, k)) for _ in range(5)]
        self.r = [n[0] for n in self.norms]
        self.root = [n[:2] if self.drag else n[:1] for n in self.norms]
        self.speed = [n[1] if self.drag else n[0] for n in self.norms]
        self.dot = [n[2] if self.drag else n[0] for n in self.norms]
        self.cur = 0
        # constants as arrays (a NumPy call with a Python scalar costs more than the arithmetic on a few rows)
        self.half, self.full, self.sixth = (np.full((4, k), c) for c in (0.5 * h, h, h / 6.0))
        self.two = np.full((4, k), 2.0)
        self.minus_mu = np.full((2, k), -MU_EARTH)
        self.three, self.radius, self.zero = np.full(k, 3.0), np.full(k, radius_m), np.zeros(k)
        self.r3 = np.empty(k)
        self.sum, self.twice = np.empty((4, k)), np.empty((4, k))
        products = np.empty((6, k))  # x^2, y^2, vx^2, vy^2, x vx, y vy
        self.squares, self.squares4, self.dots = products[:2], products[:4], products[4:]
        self.first, self.second, self.first0, self.second0 = products[0::2], products[1::2], products[0], products[1]
        self.finite: B8 | None = None if finite.all() else finite
        self.two_beta = 2.0 * np.where(finite, beta, 1.0)
        self.minus_scale_height, self.rho0 = np.full(k, -SCALE_HEIGHT_M), np.full(k, RHO0)
        self.height, self.rho = np.empty(k), np.empty(k)
        self.kv = np.empty((2, k))
        self.kvx, self.kvy = self.kv[0], self.kv[1]
        self.descending = np.empty(k, dtype=bool)
        self.norm(0)

    def norm(self, i: int) -> None:
        """``norms[i]``: block ``i``'s distance from the Earth's centre, m (and, with drag, speed and r . v)."""
        if self.drag:
            np.multiply(self.state[i], self.state[i], out=self.squares4)
            np.multiply(self.pos[i], self.vel[i], out=self.dots)
            np.add(self.first, self.second, out=self.norms[i])
        else:
            np.multiply(self.pos[i], self.pos[i], out=self.squares)
            np.add(self.first0, self.second0, out=self.r[i])
        np.sqrt(self.root[i], out=self.root[i])

    def accel(self, i: int) -> None:
        """Acceleration of block ``i`` (m/s^2) into its rows 4:6, from its position, velocity and ``norms[i]``."""
        r3, ax, ay = self.r3, self.ax[i], self.ay[i]
        np.power(self.r[i], self.three, out=r3)
        np.multiply(self.pos[i], self.minus_mu, out=self.acc[i])
        np.divide(ax, r3, out=ax)  # row by row: cheaper than broadcasting r3
        np.divide(ay, r3, out=ay)
        if not self.drag:
            return
        # Drag acts on the descent only: the arc starts at burnout, and the boost through the dense lower
        # atmosphere is not modelled; re-entry deceleration is what a tracker sees.
        on = np.less(self.dot[i], self.zero, out=self.descending)
        if self.finite is not None:
            np.logical_and(on, self.finite, out=on)
        if not np.count_nonzero(on):
            return
        height, rho, kv = self.height, self.rho, self.kv
        np.subtract(self.r[i], self.radius, out=height)
        np.maximum(height, self.zero, out=height)
        np.divide(height, self.minus_scale_height, out=height)  # -h / H: the same number as (-h) / H
        np.exp(height, out=rho)
        np.multiply(rho, self.rho0, out=rho)  # air density, kg/m^3
        np.multiply(rho, self.speed[i], out=rho)
        np.divide(rho, self.two_beta, out=rho)
        k = np.where(on, rho, self.zero)
        np.multiply(self.vx[i], k, out=self.kvx)
        np.multiply(self.vy[i], k, out=self.kvy)
        np.subtract(self.acc[i], kv, out=self.acc[i])

    def step(self) -> None:
        """One RK4 step from block ``cur`` into block ``1 - cur`` (and its norms); ``cur`` is left unchanged."""
        c, n = self.cur, 1 - self.cur
        state, deriv = self.state, self.deriv
        self.accel(c)
        np.multiply(deriv[c], self.half, out=state[2])
        np.add(state[c], state[2], out=state[2])
        self.norm(2)
        self.accel(2)
        np.multiply(deriv[2], self.half, out=state[3])
        np.add(state[c], state[3], out=state[3])
        self.norm(3)
        self.accel(3)
        np.multiply(deriv[3], self.full, out=state[4])
        np.add(state[c], state[4], out=state[4])
        self.norm(4)
        self.accel(4)
        total, twice = self.sum, self.twice
        np.multiply(deriv[2], self.two, out=total)
        np.add(deriv[c], total, out=total)
        np.multiply(deriv[3], self.two, out=twice)
        np.add(total, twice, out=total)
        np.add(total, deriv[4], out=total)
        np.multiply(total, self.sixth, out=total)
        np.add(state[c], total, out=state[n])
        self.norm(n)


class _Flight(NamedTuple):
    apogee_m: F64  # (K,) highest height above the ground reached up to landing, m
    impact_angle: F64  # (K,) range angle (radians from launch, at the Earth's centre) where the arc lands
    impact_time_s: F64  # (K,) flight time to impact, s
    history: F64 | None  # (T, 4, keep) states (position m, velocity m/s) of the first ``keep`` arcs, every step


def _fly(v0: F64, radius_m: float, beta: F64, h: float, keep: int | None = None,
         max_time_s: float = 7200.0) -> _Flight:
    """Integrate in-plane arcs launched from (0, R) with velocity v0 (K, 2) = (downrange, up), m/s, at step ``h``
    (s) until all have landed, and find where and when each lands (linear interpolation within the landing step).

    With ``keep`` (a count) the states of the first ``keep`` arcs at every step from launch are returned too, up to the
    step where the last of them landed (the arcs that have landed are flown on below the ground until then):
    exactly the history that flying those ``keep`` arcs alone would give.
    """
    k = v0.shape[0]
    st = _Stepper(v0, radius_m, beta, h)
    # apogee = max(0, max over the steps up to landing of (r - R)) = max(0, (max of r) - R): rounding is monotonic
    r_max = np.full(k, -np.inf)
    apogee = np.zeros(k)
    impact_angle = np.full(k, np.nan)
    impact_time = np.full(k, np.nan)
    history = [] if keep is None else [st.state[0].copy()]
    kept_flying, kept_steps = keep or 0, 0  # kept arcs still in the air; steps until the last of them landed
    below = np.empty(k, dtype=bool)
    flying = np.ones(k, dtype=bool)
    n_flying = k
    t = 0.0
    while n_flying and t < max_time_s:
        st.step()
        c, n = st.cur, 1 - st.cur
        r_old, r_new = st.r[c], st.r[n]
        np.maximum(r_max, r_new, out=r_max)
        if t > 0 and np.count_nonzero(np.less(r_new, st.radius, out=below)):
            landed = below if n_flying == k else below & flying
            n_landed = np.count_nonzero(landed)
            if n_landed:
                frac = (r_old[landed] - radius_m) / (r_old[landed] - r_new[landed])
                pos, new_p = st.pos[c].T[landed], st.pos[n].T[landed]
                p_hit = pos + frac[:, None] * (new_p - pos)
                impact_angle[landed] = np.arctan2(p_hit[:, 0], p_hit[:, 1])
                impact_time[landed] = t + frac * h
                apogee[landed] = np.maximum(apogee[landed], r_max[landed] - radius_m)
                kept_landed = int(np.count_nonzero(landed[:keep])) if kept_flying else 0
                if kept_landed:
                    kept_flying -= kept_landed
                    kept_steps = len(history)  # the states so far, and the one this step ends at
                flying &= ~landed
                n_flying -= int(n_landed)
        st.cur = n
        t += h
        if keep is not None:
            history.append(st.state[n].copy())
    if n_flying:
        apogee[flying] = np.maximum(apogee[flying], r_max[flying] - radius_m)
    kept = None
    if keep is not None:
        kept = np.stack(history[:kept_steps + 1] if not kept_flying else history)[:, :, :keep]
    return _Flight(apogee, impact_angle, impact_time, kept)


def _solve(range_angle: F64, apogee_m: F64, radius_m: float, beta: F64, step_s: float, iterations: int,
           start: F64 | None, keep: bool) -> tuple[F64, _Flight | None]:
    """``solve_launch_velocity``; with ``keep``, also the flight (history kept) of the velocities returned when
    they were flown in the last iteration (the iteration stopped on convergence), else None."""
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
        flight = _fly(trial, radius_m, bb, step_s, keep=k if keep else None)
        f = np.stack([flight.apogee_m, flight.impact_angle], axis=1)
        f0, fx, fz = f[:k], f[k:2 * k], f[2 * k:]
        jac = np.stack([(fx - f0) / dv[:, None], (fz - f0) / dv[:, None]], axis=2)  # (K, 2, 2)
        resid = f0 - target
        if np.all(np.abs(resid[:, 0]) < 1.0) and np.all(np.abs(resid[:, 1]) * radius_m < 1.0):
            if not keep:
                return v, None
            return v, _Flight(flight.apogee_m[:k], flight.impact_angle[:k], flight.impact_time_s[:k], flight.history)
        step = np.linalg.solve(jac, resid[:, :, None])[:, :, 0]
        # damp wild steps
        scale = np.minimum(1.0, 0.5 * np.linalg.norm(v, axis=1) / np.maximum(np.linalg.norm(step, axis=1), 1e-9))
        v = v - step * scale[:, None]
        v[:, 1] = np.maximum(v[:, 1], 1.0)
    return v, None


def solve_launch_velocity(range_angle: F64, apogee_m: F64, radius_m: float, beta: F64,
                          step_s: float = 1.0, iterations: int = 12, start: F64 | None = None) -> F64:
    """Launch velocities (K, 2) = (downrange, up) m/s that reach ``apogee_m`` and land ``range_angle`` radians
    downrange. Newton iteration with finite differences, all missiles at once."""
    return _solve(range_angle, apogee_m, radius_m, beta, step_s, iterations, start, keep=False)[0]


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
    flight = None
    if np.any(np.isfinite(beta)):  # refine at the final step: drag makes the arc step-size sensitive
        # the refinement's last trial flight, when it converged, is the final arcs' flight: kept, not flown again
        v0, flight = _solve(range_angle, apogee_m, radius_m, beta, step_s, 4, v0, keep=True)
    if flight is None:
        flight = _fly(v0, radius_m, beta, step_s, keep=v0.shape[0])
    assert flight.history is not None
    hist = flight.history.transpose(2, 0, 1)  # (K, T, 4)
    return BallisticArcs(step_s, np.ascontiguousarray(hist[:, :, :2]), np.ascontiguousarray(hist[:, :, 2:]),
                         flight.impact_time_s)
