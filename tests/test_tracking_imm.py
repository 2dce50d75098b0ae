"""The compiled IMM (interaction, model-matched EKF updates, mode probabilities, combination) against FilterPy's
``IMMEstimator`` running FilterPy's ``ExtendedKalmanFilter``s, on two nearly-constant-velocity models that differ
only in their process noise (linear dynamics; the polar measurement linearised by finite differences here).

FilterPy's IMM is discrete-time: its transition matrix over the fixed step is computed here as the matrix
exponential of the continuous-time generator of uniform switching at airpicture's rate (scipy.linalg.expm). The
measurement is given to FilterPy in kilometres and milliradians: an EKF update does not depend on the units, and
mode likelihoods change by a common factor that the normalisation of the mode probabilities removes, while
FilterPy's Gaussian density then meets a well-scaled covariance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from filterpy.common import Q_continuous_white_noise
from filterpy.kalman import ExtendedKalmanFilter, IMMEstimator
from scipy.linalg import expm

from airpicture.geodesy import LocalFrame
from airpicture.scenario import FixedAccuracy, Radar
from airpicture.sensors.geometry import cartesian_to_polar
from airpicture.sensors.placement import radar_geometry
from airpicture.tracking import kernels
from airpicture.tracking.management import initial_states
from airpicture.tracking.models import switching_rate

FRAME = LocalFrame.at(10.0, 20.0, 0.0)
SIG = np.array([40.0, math.radians(0.15), math.radians(0.3)])
UNITS = np.array([1e3, 1e-3, 1e-3])  # FilterPy's measurement units: km, mrad, mrad
DT = 2.0
QS = np.array([1.0, 400.0])  # m^2/s^3: quiet and manoeuvring
SWITCH = 0.05


def _q(q: float, dt: float) -> np.ndarray:
    """Q of white acceleration on three axes, state [e, n, u, ve, vn, vu], from FilterPy's 1-D block."""
    block = Q_continuous_white_noise(dim=2, dt=dt, spectral_density=q)
    Q = np.zeros((6, 6))
    for a in range(3):
        Q[np.ix_([a, a + 3], [a, a + 3])] = block
    return Q


class _Ekf(ExtendedKalmanFilter):
    """FilterPy's EKF with the radar's polar measurement (in UNITS), so that IMMEstimator can call update(z)."""

    def __init__(self, geo, q: float) -> None:
        super().__init__(dim_x=6, dim_z=3)
        self.geo = geo
        self.F = np.eye(6)
        self.F[:3, 3:] = DT * np.eye(3)
        self.Q = _q(q, DT)
        self.R = np.diag(np.square(SIG / UNITS))

    def hx(self, x: np.ndarray) -> np.ndarray:
        r, az, el = cartesian_to_polar(self.geo.to_local(x[:3].reshape(1, 3)))
        return np.array([r[0], az[0], el[0]]) / UNITS

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        H = np.zeros((3, 6))
        for a in range(3):
            d = np.zeros(6)
            d[a] = 0.5
            H[:, a] = (self.hx(x + d) - self.hx(x - d)) / 1.0
        return H

    def update(self, z: np.ndarray) -> None:  # type: ignore[override]
        super().update(z, self.jacobian, self.hx)

    def predict(self, u=None) -> None:  # IMMEstimator passes u=None, which FilterPy's EKF cannot multiply
        super().predict(u=0)


def _truth(n: int, rng: np.random.Generator) -> np.ndarray:
    """A target that flies straight, then turns hard, then straight again (positions every DT)."""
    x = np.array([30e3, 70e3, 6e3, 180.0, -60.0, 0.0])
    out = np.empty((n, 6))
    w = math.radians(5.0)
    for k in range(n):
        out[k] = x
        if 10 <= k < 25:  # a 5 deg/s turn
            c, s = math.cos(w * DT), math.sin(w * DT)
            v = x[3:5].copy()
            x[3:5] = (c * v[0] - s * v[1], s * v[0] + c * v[1])
        x[:3] += x[3:] * DT + rng.normal(0.0, 2.0, 3)
    return out


@pytest.mark.parametrize("seed", [1, 7])
def test_imm_matches_filterpy_imm_estimator(seed):
    rng = np.random.default_rng(seed)
    radar = Radar(id=1, scan_period_s=DT, max_range_m=300e3,
                  accuracy=FixedAccuracy(range_m=SIG[0], azimuth_deg=math.degrees(SIG[1]),
                                         elevation_deg=math.degrees(SIG[2])))
    geo = radar_geometry(radar, FRAME)
    truth = _truth(40, rng)
    r, az, el = cartesian_to_polar(geo.to_local(truth[:, :3]))
    z = np.stack([r, az, el, np.full(r.shape, np.nan)], axis=1) + np.concatenate(
        [rng.normal(0.0, 1.0, (r.shape[0], 3)) * SIG, np.zeros((r.shape[0], 1))], axis=1)
    sig = np.tile(np.append(SIG, 1.0), (z.shape[0], 1))
    times = np.arange(z.shape[0]) * DT

    # airpicture: a one-track store started from the first detection
    x0 = np.empty((1, 6))
    P0 = np.empty((1, 6, 6))
    initial_states(z[:1], sig[:1], geo.position, geo.rotation, 250.0, 250.0, FRAME.earth_radius_m, x0, P0)
    kinds = np.array([kernels.CV, kernels.CV], np.int64)
    kappa = switching_rate(SWITCH, 2)
    t = np.array([times[0]])
    x, P = x0.copy(), P0.copy()
    xm = np.repeat(x0[:, None, :], 2, axis=1)
    Pm = np.repeat(P0[:, None, :, :], 2, axis=1)
    mu = np.full((1, 2), 0.5)

    # FilterPy: the same start, transition matrix exp(G DT) of the uniform switching generator
    filters = [_Ekf(geo, q) for q in QS]
    for f in filters:
        f.x, f.P = x0[0].copy(), P0[0].copy()
    G = kappa * (np.full((2, 2), 0.5) - np.eye(2))
    imm = IMMEstimator(filters, np.array([0.5, 0.5]), expm(G * DT))

    dims = np.full(z.shape[0], 3, np.int64)
    for k in range(1, z.shape[0]):
        kernels.update_assigned(np.array([0]), np.array([k]), t, x, P, xm, Pm, mu, times, z, sig, dims,
                                geo.position, geo.rotation, kinds, QS, np.zeros(2), kappa)
        imm.predict()
        imm.update(z[k, :3] / UNITS)
        np.testing.assert_allclose(mu[0], imm.mu, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(x[0], imm.x, rtol=1e-7, atol=1e-4)
        np.testing.assert_allclose(P[0], imm.P, rtol=1e-5, atol=1e-6)
    # the manoeuvring model took over in the turn and handed back after it
    assert imm.mu[1] < 0.5 and t[0] == times[-1]
