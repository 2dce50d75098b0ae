"""Motion models of the tracker: the configured model as arrays the kernels take, and the textbook matrices.

A configured :class:`~airpicture.scenario.TrackerModel` becomes a :class:`MotionModels`: one entry per model of
the (possibly one-model) IMM -- kind code, process-noise power spectral density ``q`` (m^2/s^3) and turn rate
(rad/s) -- plus the IMM switching rate. Chosen from an explicit ``kind -> builder`` table.

The matrices below (:func:`transition_matrix`, :func:`process_noise`) are the reference forms of what the
compiled kernels compute in closed form; tests compare the two.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from airpicture.scenario import BallisticModel, CvModel, ImmModel, TrackerModel
from airpicture.tracking.kernels import BALLISTIC, CT, CV, G

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class MotionModels:
    """Models of one tracker: ``kinds`` (M,) codes, ``q`` (M,) PSD of the white acceleration noise in
    m^2/s^3 (``accel_sigma_mps2^2 x 1 s``), ``omega`` (M,) turn rates in rad/s, and ``kappa`` the IMM switching
    rate in 1/s (0 for a single model)."""

    kinds: I64
    q: F64
    omega: F64
    kappa: float

    @property
    def count(self) -> int:
        return int(self.kinds.shape[0])

    @cached_property
    def q_max(self) -> float:
        return float(self.q.max())

    @cached_property
    def initial_mode_probabilities(self) -> F64:
        """Mode probabilities of a new track: uniform."""
        return np.full(self.count, 1.0 / self.count)


def switching_rate(switch_probability: float, m_models: int) -> float:
    """Rate kappa (1/s) of the uniform continuous-time Markov chain that leaves a model with probability
    ``switch_probability`` over one second: exp(-kappa) = 1 - p M / (M - 1)."""
    if m_models < 2:
        return 0.0
    stay = 1.0 - switch_probability * m_models / (m_models - 1)
    return -math.log(max(stay, 1e-12))


def _single(kind: int) -> Callable[[CvModel | BallisticModel], MotionModels]:
    def build(cfg: CvModel | BallisticModel) -> MotionModels:
        return MotionModels(np.array([kind], np.int64), np.array([cfg.accel_sigma_mps2**2]), np.zeros(1), 0.0)

    return build


def _imm(cfg: ImmModel) -> MotionModels:
    q0 = cfg.accel_sigma_mps2**2
    q1 = cfg.manoeuvre_accel_sigma_mps2**2
    if cfg.manoeuvre == "cv":
        kinds = np.array([CV, CV], np.int64)
        q = np.array([q0, q1])
        omega = np.zeros(2)
    else:  # quiet CV, left and right coordinated turns at the configured rate
        w = math.radians(cfg.turn_rate_deg_s)
        kinds = np.array([CV, CT, CT], np.int64)
        q = np.array([q0, q1, q1])
        omega = np.array([0.0, w, -w])
    return MotionModels(kinds, q, omega, switching_rate(cfg.switch_probability, kinds.shape[0]))


_BUILDERS: dict[str, Callable] = {"cv": _single(CV), "ballistic": _single(BALLISTIC), "imm": _imm}


def motion_models(cfg: TrackerModel) -> MotionModels:
    """The kernel arrays of a configured motion model."""
    return _BUILDERS[cfg.kind](cfg)


# ------------------------------------------------------------------------------------------------ reference forms
def transition_matrix(kind: int, dt: float, omega: float = 0.0) -> F64:
    """F (6, 6) of one model over ``dt`` seconds (state [e, n, u, ve, vn, vu])."""
    F = np.eye(6)
    F[0:3, 3:6] = dt * np.eye(3)
    if kind == CT and omega != 0.0:
        s, c = math.sin(omega * dt), math.cos(omega * dt)
        F[0, 3], F[0, 4] = s / omega, -(1 - c) / omega
        F[1, 3], F[1, 4] = (1 - c) / omega, s / omega
        F[3, 3], F[3, 4], F[4, 3], F[4, 4] = c, -s, s, c
    return F


def control_offset(kind: int, dt: float) -> F64:
    """Known input added after F x (gravity for the ballistic model), (6,)."""
    u = np.zeros(6)
    if kind == BALLISTIC:
        u[2] = -0.5 * G * dt * dt
        u[5] = -G * dt
    return u


def process_noise(q: float, dt: float) -> F64:
    """Q (6, 6) of continuous white-noise acceleration with PSD ``q`` (m^2/s^3) over ``dt`` (|dt| for dt < 0,
    with the retrodiction sign on the position-velocity terms)."""
    a = abs(dt)
    Q = np.zeros((6, 6))
    for i in range(3):
        Q[i, i] = q * a**3 / 3.0
        Q[i, i + 3] = Q[i + 3, i] = q * dt * a / 2.0
        Q[i + 3, i + 3] = q * a
    return Q
