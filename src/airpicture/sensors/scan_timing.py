"""When a rotating beam sweeps over each target.

The beam azimuth (in the radar's own local axes, clockwise from north) is ``beta(t) = beta0 + 2 pi t / T``.
A target at azimuth ``alpha(t)`` is illuminated when ``beta(t) = alpha(t)`` modulo a turn. Counted in turns,
the phase ``phi(t) = beta0 / 2 pi + t / T - alpha(t) / 2 pi`` increases through every integer m exactly once
per crossing (when the target's azimuth rate is below the beam's), so the crossings inside a time span
``[ta, tb)`` are the integers in ``[phi(ta), phi(tb))``: usually one per rotation, none when a target moving
with the beam slips past a rotation boundary, two when one moving against it does. Because ``phi`` at a rotation
boundary is computed the same way by both rotations, every crossing belongs to exactly one rotation.

Each crossing time is found by linear interpolation of ``phi`` between ``ta`` and ``tb`` (which already
accounts for the mean azimuth rate), then Newton steps ``t -= (phi(t) - m) / phi'(t)`` on the moving target's
true state, in one compiled loop over the targets, until the error left (bounded from the phase curvature
over the rotation) is below a tolerance -- one step for nearly every target. The state at the last step is carried to
the converged time at constant velocity (the last step is a tiny fraction of a second). Assumes a target
turns less than half a turn in azimuth per rotation.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit
from airpicture.sensors.geometry import SensorGeometry
from airpicture.sensors.truth_index import TruthIndex, TruthSamples, interpolate_one

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

TWO_PI = 2.0 * math.pi


def sweep_time_s(azimuth_rad: F64, rotation: int, start_azimuth_rad: float, period_s: float) -> F64:
    """Time (s) at which the beam of rotation ``rotation`` points at fixed azimuths ``azimuth_rad``."""
    frac = np.mod(np.asarray(azimuth_rad, dtype=float) - start_azimuth_rad, TWO_PI) / TWO_PI
    return rotation * period_s + np.minimum(frac, np.nextafter(1.0, 0.0)) * period_s


@njit(cache=True, nogil=True, inline="always")
def _azimuth_rate(state: F64, position: F64, rotation: F64) -> tuple[float, float]:
    """Azimuth (rad) and its rate (rad/s) of one site-ENU state in the sensor's axes."""
    de = state[0] - position[0]
    dn = state[1] - position[1]
    du = state[2] - position[2]
    east = rotation[0, 0] * de + rotation[0, 1] * dn + rotation[0, 2] * du
    north = rotation[1, 0] * de + rotation[1, 1] * dn + rotation[1, 2] * du
    v_east = rotation[0, 0] * state[3] + rotation[0, 1] * state[4] + rotation[0, 2] * state[5]
    v_north = rotation[1, 0] * state[3] + rotation[1, 1] * state[4] + rotation[1, 2] * state[5]
    rho2 = max(east * east + north * north, 1e-6)
    return math.atan2(east, north), (north * v_east - east * v_north) / rho2


@njit(cache=True, nogil=True, inline="always")
def _wrap_turns(x: float) -> float:
    """Wrap a phase in turns into [-0.5, 0.5)."""
    return x - math.floor(x + 0.5)


class Beam(NamedTuple):
    """A rotating beam as the compiled crossing solver sees it: the antenna (site ENU, m), the rotation from site
    ENU to the sensor's axes, the beam's azimuth at t = 0 (turns), the period (s), and the Newton iteration's
    limits (most steps; time tolerance, s)."""

    position: F64
    rotation: F64
    start_turns: float
    period_s: float
    max_steps: int
    tolerance_s: float


class Crossings(NamedTuple):
    """Output buffers of the crossing solver: each crossing's owner (index into ``target_id``), time (s) and
    site-ENU state (K, 6)."""

    owner: I64
    t: F64
    state: F64


@njit(cache=True, nogil=True)
def _solve_crossings(samples: TruthSamples, target_id: I64, t_start: F64, t_end: F64, beam: Beam,
                     out: Crossings) -> int:
    """Fill the crossings of every target (see :func:`beam_crossings`); return how many were written."""
    sample_t, sample_x, offsets = samples.sample_t, samples.sample_x, samples.offsets
    position, rotation, start_turns, period_s = beam.position, beam.rotation, beam.start_turns, beam.period_s
    max_steps, tolerance_s = beam.max_steps, beam.tolerance_s
    out_owner, out_t, out_state = out.owner, out.t, out.state
    x = np.empty(6)
    n_out = 0
    capacity = out_t.shape[0]
    min_slope = 0.05 / period_s
    for i in range(target_id.shape[0]):
        k = target_id[i]
        first = offsets[k]
        last = offsets[k + 1] - 1
        ta = t_start[i]
        tb = t_end[i]
        interpolate_one(sample_t, sample_x, first, last, ta, x)
        alpha_a, rate_a = _azimuth_rate(x, position, rotation)
        interpolate_one(sample_t, sample_x, first, last, tb, x)
        alpha_b, rate_b = _azimuth_rate(x, position, rotation)
        phi_a = start_turns + ta / period_s - alpha_a / TWO_PI
        phi_b_direct = start_turns + tb / period_s - alpha_b / TWO_PI
        expected = phi_a + (tb - ta) / period_s - _wrap_turns((alpha_b - alpha_a) / TWO_PI)
        phi_b = phi_b_direct + np.rint(expected - phi_b_direct)  # np.round without its ndigits path
        m_first = math.ceil(phi_a)
        count = math.ceil(phi_b) - m_first
        duration = max(tb - ta, 1e-12)
        hi_open = np.nextafter(tb, -np.inf)
        # mean phase curvature over the span bounds the error a Newton step h leaves: |phi''| h^2 / (2 phi')
        curvature = abs(rate_b - rate_a) / TWO_PI / duration
        for c in range(count):
            m = m_first + c
            t = ta + (m - phi_a) / max(phi_b - phi_a, 1e-12) * (tb - ta)
            converged = False
            step = 0.0
            for _ in range(max_steps):
                interpolate_one(sample_t, sample_x, first, last, t, x)
                alpha, rate = _azimuth_rate(x, position, rotation)
                residual = _wrap_turns(start_turns + t / period_s - alpha / TWO_PI - m)
                slope = 1.0 / period_s - rate / TWO_PI
                if slope <= min_slope:  # the target outruns the beam: no well-defined crossing
                    break
                t_new = min(max(t - residual / slope, ta), hi_open)
                step = t_new - t
                t = t_new
                if curvature * step * step / (2.0 * slope) <= tolerance_s:
                    converged = True
                    break
            if converged and n_out < capacity:
                out_owner[n_out] = i
                out_t[n_out] = t
                for j in range(3):  # carry the last evaluated state over the last (tiny) step
                    out_state[n_out, j] = x[j] + x[j + 3] * step
                    out_state[n_out, j + 3] = x[j + 3]
                n_out += 1
    return n_out


def beam_crossings(index: TruthIndex, geometry: SensorGeometry, target_id: I64, t_start: F64, t_end: F64,
                   start_azimuth_rad: float, period_s: float, max_newton_steps: int = 8,
                   tolerance_s: float = 1e-6) -> tuple[I64, F64, F64]:
    """Every time the beam sweeps over target ``target_id[i]`` during ``[t_start[i], t_end[i])``.

    Returns ``(owner, time_s, state)``: for each crossing, the index ``i`` of its target in ``target_id``, the
    crossing time (s) and the target's site-ENU state then, (K, 6); sorted by owner, then time. A crossing
    whose time is still uncertain by more than ``tolerance_s`` after ``max_newton_steps`` is left out (only
    targets passing within about ``speed x period / 2 pi`` of the antenna, where the azimuth rate rivals the
    beam's, can get there). Times must lie within each target's life (see ``TruthIndex.first_s/last_s``).

    The per-target loop is compiled with Numba: it fuses the end-point interpolations, the phase bookkeeping
    and the Newton steps of each target, which as NumPy took about sixty temporary arrays per scan and some
    targets needed extra passes (profiled at about twice the time of this kernel during development).
    """
    target_id = np.ascontiguousarray(target_id, dtype=np.int64)
    n = target_id.shape[0]
    capacity = 2 * n + 16  # at most two crossings per rotation for any target slower than the beam
    owner = np.empty(capacity, dtype=np.int64)
    t = np.empty(capacity)
    state = np.empty((capacity, 6))
    if n == 0:
        return owner[:0], t[:0], state[:0]
    beam = Beam(np.ascontiguousarray(geometry.position, dtype=float),
                np.ascontiguousarray(geometry.rotation, dtype=float), start_azimuth_rad / TWO_PI, float(period_s),
                int(max_newton_steps), float(tolerance_s))
    count = _solve_crossings(index.samples, target_id, np.ascontiguousarray(t_start, dtype=float),
                             np.ascontiguousarray(t_end, dtype=float), beam, Crossings(owner, t, state))
    return owner[:count], t[:count], state[:count]
