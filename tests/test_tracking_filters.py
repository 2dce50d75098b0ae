"""Batched filter kernels against independent implementations: FilterPy, textbook matrices, finite differences
and the sensor geometry's own polar conversion; covariance properties with hypothesis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from filterpy.common import Q_continuous_white_noise
from filterpy.kalman import KalmanFilter
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import block_diag

from airpicture.geodesy import LocalFrame
from airpicture.sensors.geometry import SensorGeometry, cartesian_to_polar, range_rate
from airpicture.testing import filters
from airpicture.tracking.kernels import BALLISTIC, CT, CV, G
from airpicture.tracking.models import control_offset, process_noise, transition_matrix

RNG = np.random.default_rng(20261122)


def spd(rng: np.random.Generator, n: int, scale: float = 100.0) -> np.ndarray:
    a = rng.normal(size=(n, 6, 6))
    return a @ np.swapaxes(a, 1, 2) * scale + np.eye(6) * scale


def filterpy_q(q: float, dt: float) -> np.ndarray:
    """FilterPy's CWNA Q (per axis [pos, vel]) rearranged to the state order [e, n, u, ve, vn, vu]."""
    blk = Q_continuous_white_noise(dim=2, dt=dt, spectral_density=q)
    Q = block_diag(blk, blk, blk)  # order e, ve, n, vn, u, vu
    perm = [0, 2, 4, 1, 3, 5]
    return Q[np.ix_(perm, perm)]


def test_process_noise_matches_filterpy():
    for dt in (0.1, 1.0, 7.5):
        np.testing.assert_allclose(process_noise(3.7, dt), filterpy_q(3.7, dt), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("kind,omega", [(CV, 0.0), (BALLISTIC, 0.0), (CT, 0.05), (CT, -0.02)])
@pytest.mark.parametrize("dt", [0.8, -0.3, 12.0])
def test_compiled_predict_equals_matrix_form(kind, omega, dt):
    x = RNG.normal(size=(7, 6)) * 1000.0
    P = spd(RNG, 7)
    xo, Po = filters.predict(x, P, dt, q=4.0, kind=kind, omega=omega)
    F = transition_matrix(kind, dt, omega)
    np.testing.assert_allclose(xo, x @ F.T + control_offset(kind, dt), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(Po, F @ P @ F.T + process_noise(4.0, dt), rtol=1e-12, atol=1e-9)


def test_ballistic_prediction_is_free_fall():
    x = np.array([[0.0, 0.0, 10_000.0, 100.0, 0.0, 0.0]])
    xo, _ = filters.predict(x, np.eye(6)[None], 10.0, q=1.0, kind=BALLISTIC)
    assert xo[0, 2] == pytest.approx(10_000.0 - 0.5 * G * 100.0)
    assert xo[0, 5] == pytest.approx(-G * 10.0)
    assert xo[0, 0] == pytest.approx(1000.0)


def test_turn_model_keeps_speed_and_turns_the_velocity():
    w = math.radians(3.0)
    x = np.array([[0.0, 0.0, 0.0, 0.0, 200.0, 0.0]])  # heading north
    xo, _ = filters.predict(x, np.eye(6)[None], 30.0, q=1.0, kind=CT, omega=w)
    assert np.hypot(xo[0, 3], xo[0, 4]) == pytest.approx(200.0)
    # counter-clockwise seen from above: north-flying target turns west by 90 degrees in 30 s
    assert xo[0, 3] == pytest.approx(-200.0, abs=1e-9)
    assert xo[0, 4] == pytest.approx(0.0, abs=1e-9)
    radius = 200.0 / w
    assert xo[0, 0] == pytest.approx(-radius) and xo[0, 1] == pytest.approx(radius)


def test_retrodiction_never_shrinks_the_covariance():
    P = spd(RNG, 5)
    _, back = filters.predict(np.zeros((5, 6)), P, -2.0, q=9.0)
    # backward prediction is F(-dt) P F(-dt)^T + Q: with Q > 0 the position variance of a track with no
    # velocity uncertainty grows
    P0 = np.tile(np.diag([100.0, 100.0, 100.0, 1e-9, 1e-9, 1e-9]), (1, 1, 1))
    _, back0 = filters.predict(np.zeros((1, 6)), P0, -2.0, q=9.0)
    assert np.all(np.diag(back0[0])[:3] > 100.0)
    assert np.all(np.linalg.eigvalsh(back) > 0)


def test_linear_kalman_filter_agrees_with_filterpy_over_100_steps():
    dt, q = 1.5, 2.0
    F = transition_matrix(CV, dt)
    Q = filterpy_q(q, dt)
    H = np.zeros((3, 6))
    H[:, :3] = np.eye(3)
    R = np.diag([400.0, 900.0, 2500.0])
    kf = KalmanFilter(dim_x=6, dim_z=3)
    kf.F, kf.Q, kf.H, kf.R = F, Q, H, R
    kf.x = np.array([1000.0, -2000.0, 3000.0, 50.0, -20.0, 0.0])
    kf.P = np.diag([1e4, 1e4, 1e4, 1e3, 1e3, 1e3])
    x, P = kf.x.copy()[None], kf.P.copy()[None]
    truth = kf.x.copy()
    rng = np.random.default_rng(5)
    for _ in range(100):
        truth = F @ truth + rng.multivariate_normal(np.zeros(6), Q)
        z = H @ truth + rng.multivariate_normal(np.zeros(3), R)
        kf.predict()
        kf.update(z)
        x, P = filters.predict(x, P, dt, q=q)
        x, P = filters.kf_update(x, P, z[None], H, R)
        np.testing.assert_allclose(x[0], kf.x, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(P[0], kf.P, rtol=1e-9, atol=1e-9)


def polar_reference(x: np.ndarray, geo: SensorGeometry) -> np.ndarray:
    d = geo.to_local(x[None, :3])
    r, az, el = cartesian_to_polar(d)
    rr = range_rate(d, (x[3:] @ geo.rotation.T)[None])
    return np.array([r[0], az[0], el[0], rr[0]])


def sensor(e: float = 3000.0, n: float = -8000.0, h: float = 30.0) -> SensorGeometry:
    return SensorGeometry.at(1, LocalFrame.at(34.5, -38.2, 20.0), e, n, h)


def test_measurement_model_matches_geometry_and_finite_differences():
    geo = sensor()
    x = np.array([[60e3, 45e3, 7e3, -210.0, 95.0, 4.0], [-5e3, 2e3, 900.0, 30.0, 10.0, -2.0]])
    zp, H = filters.measurement(x, geo.position, geo.rotation)
    for i in range(2):
        np.testing.assert_allclose(zp[i], polar_reference(x[i], geo), rtol=1e-12, atol=1e-12)
        num = np.empty((4, 6))
        for k in range(6):
            h = 1e-3 * max(abs(x[i, k]), 1.0)
            dp, dm = x[i].copy(), x[i].copy()
            dp[k] += h
            dm[k] -= h
            num[:, k] = (polar_reference(dp, geo) - polar_reference(dm, geo)) / (2 * h)
        np.testing.assert_allclose(H[i], num, rtol=1e-5, atol=1e-12)


def textbook_ekf(x, P, z, sig, geo):
    """Plain EKF with a finite-difference Jacobian and an explicit inverse (reference only)."""
    m = 4 if np.isfinite(z[3]) else 3
    h0 = polar_reference(x, geo)[:m]
    H = np.empty((m, 6))
    for k in range(6):
        d = np.zeros(6)
        d[k] = 1e-4 * max(abs(x[k]), 1.0)
        H[:, k] = (polar_reference(x + d, geo)[:m] - polar_reference(x - d, geo)[:m]) / (2 * d[k])
    R = np.diag(sig[:m] ** 2)
    S = H @ P @ H.T + R
    K = P @ H.T @ np.linalg.inv(S)
    nu = z[:m] - h0
    nu[1] = (nu[1] + np.pi) % (2 * np.pi) - np.pi
    A = np.eye(6) - K @ H
    return x + K @ nu, A @ P @ A.T + K @ R @ K.T, nu @ np.linalg.inv(S) @ nu


@pytest.mark.parametrize("with_rr", [False, True])
def test_ekf_update_matches_textbook_reference(with_rr):
    geo = sensor()
    x = np.array([[60e3, 45e3, 7e3, -210.0, 95.0, 4.0]] * 3) + RNG.normal(size=(3, 6)) * [300, 300, 300, 10, 10, 5]
    P = np.array([np.diag([250.0, 250.0, 400.0, 30.0, 30.0, 10.0]) ** 2] * 3)
    sig = np.array([[30.0, math.radians(0.2), math.radians(0.3), 2.0]] * 3)
    z = np.array([polar_reference(xi, geo) for xi in x]) + RNG.normal(size=(3, 4)) * sig
    if not with_rr:
        z[:, 3] = np.nan
    xo, Po, d2 = filters.ekf_update(x, P, z, sig, geo.position, geo.rotation)
    for i in range(3):
        xr, Pr, d2r = textbook_ekf(x[i], P[i], z[i], sig[i], geo)
        np.testing.assert_allclose(xo[i], xr, rtol=1e-6, atol=1e-3)
        np.testing.assert_allclose(Po[i], Pr, rtol=1e-5, atol=1e-6 * np.abs(Pr).max())
        assert d2[i] == pytest.approx(d2r, rel=1e-5)


def test_azimuth_innovation_is_wrapped_through_north():
    geo = SensorGeometry(1, np.zeros(3), np.eye(3))
    x = np.array([[-10.0, 50e3, 1e3, 0.0, 0.0, 0.0]])  # azimuth just below 360 degrees
    P = np.diag([1e4, 1e4, 1e4, 100.0, 100.0, 100.0])[None]
    zp, _ = filters.measurement(x, geo.position, geo.rotation)
    z = zp.copy()
    z[0, 1] = 2e-4  # measured just past north: a 0.04 degree difference, not 359.96
    z[0, 3] = np.nan
    xo, _, d2 = filters.ekf_update(x, P, z, np.array([[30.0, 1e-3, 1e-3, 1.0]]), geo.position, geo.rotation)
    assert d2[0] < 1.0
    assert xo[0, 0] > x[0, 0]  # pulled east, a few metres
    assert abs(xo[0, 0] - x[0, 0]) < 50.0


def test_a_batch_equals_its_rows_one_by_one():
    geo = sensor()
    n = 20
    x = np.column_stack([RNG.uniform(-1e5, 1e5, (n, 2)), RNG.uniform(100, 1e4, n), RNG.normal(0, 200, (n, 3))])
    P = spd(RNG, n)
    sig = np.tile([30.0, 0.003, 0.004, 2.0], (n, 1))
    z = np.array([polar_reference(xi, geo) for xi in x]) + RNG.normal(size=(n, 4)) * sig
    z[::2, 3] = np.nan
    xo, Po, d2 = filters.ekf_update(x, P, z, sig, geo.position, geo.rotation)
    for i in (0, 7, 13):
        a, b, c = filters.ekf_update(x[i:i + 1], P[i:i + 1], z[i:i + 1], sig[i:i + 1], geo.position, geo.rotation)
        np.testing.assert_array_equal(a[0], xo[i])
        np.testing.assert_array_equal(b[0], Po[i])
        assert c[0] == d2[i]


def is_spd(P: np.ndarray) -> bool:
    if not np.all(np.isfinite(P)):
        return False
    if not np.allclose(P, np.swapaxes(P, -1, -2), rtol=0, atol=1e-9 * np.abs(P).max()):
        return False
    try:
        np.linalg.cholesky(P)
    except np.linalg.LinAlgError:
        return False
    return True


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    log_range=st.floats(1.0, math.log10(3e6)),
    elevation_deg=st.floats(-5.0, 89.999),
    steps=st.integers(20, 200),
    log_gap=st.floats(-3.0, 3.5),
    q=st.floats(0.01, 400.0),
    kind=st.sampled_from([CV, BALLISTIC, CT]),
    with_rr=st.booleans(),
)
def test_covariances_stay_symmetric_positive_definite(seed, log_range, elevation_deg, steps, log_gap, q, kind,
                                                      with_rr):
    """Long runs of predict/update at tiny to huge ranges, up to near-zenith, with gaps up to ~50 min."""
    rng = np.random.default_rng(seed)
    geo = SensorGeometry(1, np.zeros(3), np.eye(3))
    r = 10.0**log_range
    az = rng.uniform(0, 2 * np.pi)
    el = math.radians(elevation_deg)
    x = np.array([[r * math.cos(el) * math.sin(az), r * math.cos(el) * math.cos(az), r * math.sin(el),
                   *rng.normal(0, 150, 3)]])
    P = np.diag([1e4, 1e4, 1e4, 300.0**2, 300.0**2, 300.0**2])[None]
    sig = np.array([[rng.uniform(1.0, 200.0), rng.uniform(1e-5, 0.02), rng.uniform(1e-5, 0.02), 1.0]])
    for k in range(steps):
        dt = 10.0 ** (log_gap + rng.uniform(-0.5, 0.5))
        x, P = filters.predict(x, P, dt, q=q, kind=kind, omega=0.03 if kind == CT else 0.0)
        z = np.array([polar_reference(x[0], geo)]) + rng.normal(size=(1, 4)) * sig
        z[0, 1] %= 2 * np.pi
        if not with_rr or k % 3 == 0:
            z[0, 3] = np.nan
        x, P, _ = filters.ekf_update(x, P, z, sig, geo.position, geo.rotation)
        assert is_spd(P[0]), f"step {k}: covariance lost positive-definiteness"
