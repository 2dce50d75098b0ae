"""Batched Kalman filtering on struct-of-arrays: ``x`` (N, 6), ``P`` (N, 6, 6), one state per row.

Pure functions with textbook names (F, Q, H, R, K, S). ``predict`` and ``ekf_update`` run the compiled
per-track kernels of :mod:`airpicture.tracking.kernels` over the batch; ``kf_update`` is the linear update in
Joseph form with NumPy on stacks (it is the reference the tests compare against FilterPy). States are
``[e, n, u, ve, vn, vu]`` in site ENU metres and m/s; polar measurements ``[range m, azimuth rad clockwise from
north, elevation rad, range rate m/s]`` in the sensor's local axes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from airpicture.compiled import njit
from airpicture.tracking.kernels import (
    CV,
    innovation,
    joseph_update,
    measure,
    predict_model,
)

F64 = NDArray[np.float64]


@njit(cache=True)
def _predict_batch(kind, q, omega, x, P, dt, xo, Po) -> None:
    for i in range(x.shape[0]):
        predict_model(kind, q, omega, x[i], P[i], dt[i], xo[i], Po[i])


def predict(x: ArrayLike, P: ArrayLike, dt: ArrayLike, q: float, kind: int = CV,
            omega: float = 0.0) -> tuple[F64, F64]:
    """Predict every state by ``dt`` seconds (scalar or (N,)) with one motion model (kind code of
    :mod:`~airpicture.tracking.kernels`, process-noise PSD ``q`` m^2/s^3, turn rate ``omega`` rad/s)."""
    x = np.ascontiguousarray(x, dtype=float).reshape(-1, 6)
    P = np.ascontiguousarray(P, dtype=float).reshape(-1, 6, 6)
    dt = np.broadcast_to(np.asarray(dt, dtype=float), (x.shape[0],)).copy()
    xo = np.empty_like(x)
    Po = np.empty_like(P)
    _predict_batch(int(kind), float(q), float(omega), x, P, dt, xo, Po)
    return xo, Po


def kf_update(x: ArrayLike, P: ArrayLike, z: ArrayLike, H: ArrayLike, R: ArrayLike) -> tuple[F64, F64]:
    """Linear Kalman update of N states with measurements ``z`` (N, m), ``H`` (m, 6) or (N, m, 6) and ``R``
    (m, m) or (N, m, m), covariance in Joseph form: P+ = (I - K H) P (I - K H)^T + K R K^T."""
    x = np.asarray(x, dtype=float).reshape(-1, 6)
    P = np.asarray(P, dtype=float).reshape(-1, 6, 6)
    n = x.shape[0]
    z = np.asarray(z, dtype=float).reshape(n, -1)
    m = z.shape[1]
    H = np.broadcast_to(np.asarray(H, dtype=float), (n, m, 6))
    R = np.broadcast_to(np.asarray(R, dtype=float), (n, m, m))
    Ht = np.swapaxes(H, 1, 2)
    PHt = P @ Ht
    S = H @ PHt + R
    K = np.swapaxes(np.linalg.solve(S, np.swapaxes(PHt, 1, 2)), 1, 2)  # P H^T S^-1 (S symmetric)
    y = z - np.einsum("nij,nj->ni", H, x)
    xo = x + np.einsum("nij,nj->ni", K, y)
    A = np.eye(6) - K @ H
    Po = A @ P @ np.swapaxes(A, 1, 2) + K @ R @ np.swapaxes(K, 1, 2)
    return xo, 0.5 * (Po + np.swapaxes(Po, 1, 2))


@njit(cache=True)
def _measure_batch(x, spos, srot, zp, H) -> None:
    for i in range(x.shape[0]):
        measure(x[i], spos, srot, zp[i], H[i])


def measurement(x: ArrayLike, sensor_position: ArrayLike, sensor_rotation: ArrayLike) -> tuple[F64, F64]:
    """Predicted polar measurements (N, 4) = [r, az, el, rr] and Jacobians (N, 4, 6) of states ``x`` (N, 6) seen
    by a sensor at ``sensor_position`` (3,) site ENU with axes ``sensor_rotation`` (3, 3)."""
    x = np.ascontiguousarray(x, dtype=float).reshape(-1, 6)
    zp = np.empty((x.shape[0], 4))
    H = np.empty((x.shape[0], 4, 6))
    _measure_batch(x, np.ascontiguousarray(sensor_position, dtype=float),
                   np.ascontiguousarray(sensor_rotation, dtype=float), zp, H)
    return zp, H


@njit(cache=True)
def _ekf_batch(x, P, z, sig, m, spos, srot, xo, Po, d2o) -> None:
    nu = np.empty(4)
    S = np.empty((4, 4))
    L = np.zeros((4, 4))
    PHt = np.empty((6, 4))
    H = np.empty((4, 6))
    zp = np.empty(4)
    y = np.empty(4)
    K = np.empty((6, 4))
    A = np.empty((6, 6))
    T = np.empty((6, 6))
    for i in range(x.shape[0]):
        d2, logdet, ok = innovation(x[i], P[i], z[i], sig[i], m[i], spos, srot, nu, S, L, PHt, H, zp, y)
        d2o[i] = d2
        if ok:
            joseph_update(x[i], P[i], nu, sig[i], m[i], L, PHt, H, xo[i], Po[i], K, y, A, T)
        else:
            xo[i] = x[i]
            Po[i] = P[i]


def ekf_update(x: ArrayLike, P: ArrayLike, z: ArrayLike, sigmas: ArrayLike, sensor_position: ArrayLike,
               sensor_rotation: ArrayLike) -> tuple[F64, F64, F64]:
    """EKF update of N states with polar measurements ``z`` (N, 4) of standard deviations ``sigmas`` (N, 4)
    (range m, azimuth rad, elevation rad, range rate m/s); a NaN range rate means "not measured". Joseph form;
    the azimuth innovation is wrapped into [-pi, pi). Returns (x+, P+, squared Mahalanobis distances)."""
    x = np.ascontiguousarray(x, dtype=float).reshape(-1, 6)
    P = np.ascontiguousarray(P, dtype=float).reshape(-1, 6, 6)
    z = np.ascontiguousarray(z, dtype=float).reshape(-1, 4)
    sig = np.ascontiguousarray(sigmas, dtype=float).reshape(-1, 4)
    m = np.where(np.isfinite(z[:, 3]), 4, 3).astype(np.int64)
    xo = np.empty_like(x)
    Po = np.empty_like(P)
    d2 = np.empty(x.shape[0])
    _ekf_batch(x, P, z, sig, m, np.ascontiguousarray(sensor_position, dtype=float),
               np.ascontiguousarray(sensor_rotation, dtype=float), xo, Po, d2)
    return xo, Po, d2
