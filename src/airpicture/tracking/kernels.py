"""Compiled per-track kernels: motion prediction, IMM mixing, polar measurement model, Joseph-form EKF update.

Everything here works on one track's arrays at a time and is called from the batch loops below it (and from
:mod:`airpicture.testing.filters`). Written out by hand in Numba (``cache=True``) because a closed-form 6x6
update costs ~0.2-0.4 us per track against ~1.5 us for batched NumPy on (N, 6, 6) stacks, and because the
tracker needs each track predicted to *its own* detection time, which has no batched-NumPy form without
copies.

Frames and units: states are ``[e, n, u, ve, vn, vu]`` in site East-North-Up metres and m/s; covariances in
m^2, m^2/s, m^2/s^2. Measurements are ``[range m, azimuth rad (clockwise from north), elevation rad, range rate
m/s]`` in the sensor's own local axes: ``d = rot @ (p - pos)``.

Motion models (``kind`` codes):

* ``CV`` (0): nearly constant velocity; continuous white-noise acceleration of power spectral density
  ``q = sigma_a^2 * 1 s`` on each axis, so Q(dt) = q [[dt^3/3, dt^2/2], [dt^2/2, dt]] (Bar-Shalom, Li &
  Kirubarajan, *Estimation with Applications to Tracking and Navigation*, sec. 6.2.2). Continuous-time noise
  makes predictions composable: predicting by a then b equals predicting by a + b, which the tracker relies on
  because it predicts to every detection's own time.
* ``BALLISTIC`` (1): CV plus the known gravity ``-G`` on the site's up axis (flat-Earth gravity; the noise
  covers the few degrees of tilt at long range).
* ``CT`` (2): coordinated turn at a *known* rate ``omega`` (rad/s, positive = counter-clockwise seen from
  above) in the horizontal plane, CV vertically, with the CV process noise.

Negative ``dt`` (a detection slightly older than the track, e.g. from another radar in the same window) is a
retrodiction: the mean moves with F(dt) and the covariance *grows* by F(dt) Q(|dt|) F(dt)^T, which for CV is
q [[|dt|^3/3, dt|dt|/2], [dt|dt|/2, |dt|]] -- a conservative (never overconfident) approximation of the exact
out-of-sequence update (Bar-Shalom 2002, "Update with out-of-sequence measurements", algorithm B1 neglects the
same correlation).
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit
from airpicture.threads import MIN_ROWS_PER_THREAD, run_split

CV = 0
BALLISTIC = 1
CT = 2
G = 9.80665  # m/s^2, standard gravity
LOG_2PI = math.log(2.0 * math.pi)
MIN_RHO_FRACTION = 1e-9  # horizontal range floor (fraction of range) for the azimuth Jacobian near zenith


# ------------------------------------------------------------------------------------------------ prediction
@njit(cache=True)
def _predict_turn(q: float, omega: float, x, P, dt: float, xo, Po, n: int) -> None:
    """Coordinated-turn prediction, kept out of line so the CV path stays small. F rotates the horizontal
    velocity by omega dt and moves the position along the arc; vertically it is CV. Each row of F has at most
    three non-zero terms (indices ``fi``, coefficients ``fc``), so F P F^T is summed over those only, with no
    work arrays. ``n``: 6 predicts everything, 3 the position part only (see :func:`predict_rows`)."""
    s = math.sin(omega * dt)
    c = math.cos(omega * dt)
    a = s / omega
    b = (1.0 - c) / omega
    fi = ((0, 3, 4), (1, 3, 4), (2, 5, 5), (3, 4, 4), (3, 4, 4), (5, 5, 5))
    fc = ((1.0, a, -b), (1.0, b, a), (1.0, dt, 0.0), (c, -s, 0.0), (s, c, 0.0), (1.0, 0.0, 0.0))
    for i in range(n):
        ri = fi[i]
        ci = fc[i]
        xo[i] = ci[0] * x[ri[0]] + ci[1] * x[ri[1]] + ci[2] * x[ri[2]]
    for i in range(n):
        ri = fi[i]
        ci = fc[i]
        for j in range(i, n):
            rj = fi[j]
            cj = fc[j]
            acc = 0.0
            for u in range(3):
                if ci[u] == 0.0:
                    continue
                pu = P[ri[u]]
                acc += ci[u] * (cj[0] * pu[rj[0]] + cj[1] * pu[rj[1]] + cj[2] * pu[rj[2]])
            Po[i, j] = acc
            Po[j, i] = acc
    _add_noise(q, dt, Po, n)


@njit(cache=True, forceinline=True)
def _add_noise(q: float, dt: float, Po, n: int) -> None:
    """Add the process noise Q(dt) of the module doc to ``Po`` (``n = 3``: its position block only)."""
    adt = abs(dt)
    qpp = q * adt * adt * adt / 3.0
    qpv = q * dt * adt / 2.0
    qvv = q * adt
    for i in range(3):
        Po[i, i] += qpp
        if n == 6:
            Po[i, i + 3] += qpv
            Po[i + 3, i] += qpv
            Po[i + 3, i + 3] += qvv


@njit(cache=True, forceinline=True)
def predict_rows(kind: int, q: float, omega: float, x, P, dt: float, xo, Po, n: int) -> None:
    """Predict state ``x`` (6,) and covariance ``P`` (6, 6) by ``dt`` seconds with one motion model into ``xo``,
    ``Po`` (may not alias the inputs): everything (``n = 6``), or the position ``xo[:3]``, ``Po[:3, :3]`` alone
    (``n = 3``: each entry the same sum, the rest left as it was; all a 3-D measurement reads -- and a CV or
    ballistic prediction of the position never reads the velocity-position block ``P[3:, :3]``)."""
    if kind == CT and omega != 0.0:
        _predict_turn(q, omega, x, P, dt, xo, Po, n)
        return
    # CV / ballistic: F = [[I, dt I], [0, I]]; blocks A (pos), B (pos-vel), C (vel) in closed form
    for i in range(3):
        xo[i] = x[i] + dt * x[i + 3]
        if n == 6:
            xo[i + 3] = x[i + 3]
    if kind == BALLISTIC:
        xo[2] -= 0.5 * G * dt * dt
        if n == 6:
            xo[5] -= G * dt
    dt2 = dt * dt
    for i in range(3):
        for j in range(3):
            c_ij = P[i + 3, j + 3]
            b_ij = P[i, j + 3]
            b_ji = P[j, i + 3]
            Po[i, j] = P[i, j] + dt * (b_ij + b_ji) + dt2 * c_ij
            if n == 6:
                Po[i, j + 3] = b_ij + dt * c_ij
                Po[j + 3, i] = Po[i, j + 3]
                Po[i + 3, j + 3] = c_ij
    _add_noise(q, dt, Po, n)


@njit(cache=True, forceinline=True)
def predict_model(kind: int, q: float, omega: float, x, P, dt: float, xo, Po) -> None:
    """Predict state ``x`` (6,) and covariance ``P`` (6, 6) by ``dt`` seconds with one motion model into
    ``xo``, ``Po`` (may not alias the inputs)."""
    predict_rows(kind, q, omega, x, P, dt, xo, Po, 6)


@njit(cache=True, inline="always")
def markov_stay(m_models: int, kappa: float, dt: float) -> tuple[float, float]:
    """IMM transition probabilities over ``dt``: (stay, move to one given other model). Uniform switching
    at rate ``kappa``: Pi(dt) = 11^T / M + (I - 11^T / M) exp(-kappa |dt|)."""
    if m_models == 1:
        return 1.0, 0.0
    e = math.exp(-kappa * abs(dt))
    inv = 1.0 / m_models
    return inv + (1.0 - inv) * e, inv * (1.0 - e)


@njit(cache=True, forceinline=True)
def _mode_probabilities(mu, dt: float, kappa: float, c) -> tuple[float, float]:
    """Predicted mode probabilities ``c`` (M,) of an IMM track with mode probabilities ``mu`` (M,) over ``dt``;
    returns the Markov (stay, move) probabilities used."""
    m_models = mu.shape[0]
    stay, move = markov_stay(m_models, kappa, dt)
    for j in range(m_models):
        acc = 0.0
        for i in range(m_models):
            acc += (stay if i == j else move) * mu[i]
        c[j] = max(acc, 1e-300)
    return stay, move


@njit(cache=True, forceinline=True)
def _mixed(xm, Pm, mu, c, j: int, stay: float, move: float, lower_left: bool, x0, P0) -> None:
    """IMM interaction: the mixed initial state ``x0`` (6,) and covariance ``P0`` (6, 6) of model ``j``.
    ``lower_left=False`` leaves the velocity-position block ``P0[3:, :3]`` unset (a constant-velocity prediction
    of the position alone never reads it); every other entry is the same sum either way."""
    m_models = xm.shape[0]
    for k in range(6):
        x0[k] = 0.0
    for i in range(m_models):
        w = (stay if i == j else move) * mu[i] / c[j]
        for k in range(6):
            x0[k] += w * xm[i, k]
    for k in range(6):
        for l in range(6):
            P0[k, l] = 0.0
    for i in range(m_models):
        w = (stay if i == j else move) * mu[i] / c[j]
        if w == 0.0:
            continue
        for k in range(6):
            dk = xm[i, k] - x0[k]
            for l in range(0 if lower_left or k < 3 else 3, 6):
                P0[k, l] += w * (Pm[i, k, l] + dk * (xm[i, l] - x0[l]))


@njit(cache=True)
def imm_predict(xm, Pm, mu, dt: float, kinds, qs, omegas, kappa: float, xo, Po, c, x0, P0) -> None:
    """IMM interaction and model-matched prediction of one track.

    ``xm`` (M, 6), ``Pm`` (M, 6, 6), ``mu`` (M,) -> ``xo`` (M, 6), ``Po`` (M, 6, 6) and the predicted mode
    probabilities ``c`` (M,). ``x0`` (6,), ``P0`` (6, 6) are scratch. With M = 1 this is a plain prediction.
    """
    m_models = xm.shape[0]
    if m_models == 1:
        predict_model(kinds[0], qs[0], omegas[0], xm[0], Pm[0], dt, xo[0], Po[0])
        c[0] = 1.0
        return
    stay, move = _mode_probabilities(mu, dt, kappa, c)
    for j in range(m_models):
        _mixed(xm, Pm, mu, c, j, stay, move, True, x0, P0)
        predict_model(kinds[j], qs[j], omegas[j], x0, P0, dt, xo[j], Po[j])


@njit(cache=True, forceinline=True)
def imm_predict_position(xm, Pm, mu, dt: float, kinds, qs, omegas, kappa: float, xo, Po, c, x0, P0, xc,
                         Pc) -> None:
    """:func:`imm_predict` then :func:`combine`, of the position only: ``xo[:, :3]``, ``Po[:, :3, :3]``, ``c``
    and the moment-matched ``xc[:3]``, ``Pc[:3, :3]``, bit for bit the values the full prediction gives (every
    entry is the same sum) at a fraction of its cost -- all a 3-D (range, azimuth, elevation) measurement
    reads. Velocities are left as they were."""
    m_models = xm.shape[0]
    if m_models == 1:
        predict_rows(kinds[0], qs[0], omegas[0], xm[0], Pm[0], dt, xo[0], Po[0], 3)
        c[0] = 1.0
    else:
        stay, move = _mode_probabilities(mu, dt, kappa, c)
        for j in range(m_models):
            turn = kinds[j] == CT and omegas[j] != 0.0
            _mixed(xm, Pm, mu, c, j, stay, move, turn, x0, P0)
            predict_rows(kinds[j], qs[j], omegas[j], x0, P0, dt, xo[j], Po[j], 3)
    combine(xo, Po, c, xc, Pc, 3)


@njit(cache=True, forceinline=True)
def combine(xm, Pm, w, xo, Po, n: int = 6) -> None:
    """Moment-matched single Gaussian of the mixture ``sum_m w[m] N(xm[m], Pm[m])`` (weights sum to 1): of the
    whole state, or (``n = 3``) of the position ``xo[:3]``, ``Po[:3, :3]`` alone, each entry the same sum."""
    m_models = xm.shape[0]
    for k in range(n):
        acc = 0.0
        for m in range(m_models):
            acc += w[m] * xm[m, k]
        xo[k] = acc
    for k in range(n):
        for l in range(k, n):
            acc = 0.0
            for m in range(m_models):
                acc += w[m] * (Pm[m, k, l] + (xm[m, k] - xo[k]) * (xm[m, l] - xo[l]))
            Po[k, l] = acc
            Po[l, k] = acc


# ------------------------------------------------------------------------------------------------ measurement
@njit(cache=True, forceinline=True)
def measure(x, spos, srot, zp, H) -> None:
    """Predicted polar measurement ``zp`` (4,) = [r, az, el, rr] of state ``x`` seen from a sensor at ``spos``
    (3,) with axes ``srot`` (3, 3), and its Jacobian ``H`` (4, 6) with respect to the site-ENU state."""
    d0 = x[0] - spos[0]
    d1 = x[1] - spos[1]
    d2 = x[2] - spos[2]
    dx = srot[0, 0] * d0 + srot[0, 1] * d1 + srot[0, 2] * d2
    dy = srot[1, 0] * d0 + srot[1, 1] * d1 + srot[1, 2] * d2
    dz = srot[2, 0] * d0 + srot[2, 1] * d1 + srot[2, 2] * d2
    wx = srot[0, 0] * x[3] + srot[0, 1] * x[4] + srot[0, 2] * x[5]
    wy = srot[1, 0] * x[3] + srot[1, 1] * x[4] + srot[1, 2] * x[5]
    wz = srot[2, 0] * x[3] + srot[2, 1] * x[4] + srot[2, 2] * x[5]
    rho2 = dx * dx + dy * dy
    r2 = rho2 + dz * dz
    r = math.sqrt(r2)
    if r < 1e-6:
        r = 1e-6
        r2 = r * r
    rho = math.sqrt(rho2)
    rho_min = MIN_RHO_FRACTION * r + 1e-9
    if rho < rho_min:
        rho = rho_min
        rho2 = rho * rho
    dot = dx * wx + dy * wy + dz * wz
    zp[0] = r
    az = math.atan2(dx, dy)
    if az < 0.0:
        az += 2.0 * math.pi
    zp[1] = az
    zp[2] = math.atan2(dz, math.sqrt(dx * dx + dy * dy))
    zp[3] = dot / r
    # derivatives with respect to the sensor-axes offset d, then chained through srot
    g0x, g0y, g0z = dx / r, dy / r, dz / r
    g1x, g1y, g1z = dy / rho2, -dx / rho2, 0.0
    g2x = -dx * dz / (r2 * rho)
    g2y = -dy * dz / (r2 * rho)
    g2z = rho / r2
    rr = dot / r
    g3x = (wx - rr * g0x) / r
    g3y = (wy - rr * g0y) / r
    g3z = (wz - rr * g0z) / r
    for k in range(3):
        ax, ay, az_ = srot[0, k], srot[1, k], srot[2, k]
        H[0, k] = g0x * ax + g0y * ay + g0z * az_
        H[1, k] = g1x * ax + g1y * ay + g1z * az_
        H[2, k] = g2x * ax + g2y * ay + g2z * az_
        H[3, k] = g3x * ax + g3y * ay + g3z * az_
        H[0, k + 3] = 0.0
        H[1, k + 3] = 0.0
        H[2, k + 3] = 0.0
        H[3, k + 3] = g0x * ax + g0y * ay + g0z * az_


@njit(cache=True, inline="always")
def wrap_angle(a: float) -> float:
    """Angle wrapped into [-pi, pi)."""
    return (a + math.pi) % (2.0 * math.pi) - math.pi


@njit(cache=True, forceinline=True)
def innovation(x, P, z, sig, m: int, spos, srot, nu, S, L, PHt, H, zp, y, rows: int = 6) -> tuple[float, float, bool]:
    """Innovation ``nu`` (m,), its covariance ``S`` (m, m), Cholesky factor ``L`` and ``PHt`` (6, m) of
    state (x, P) against measurement ``z`` with standard deviations ``sig``; m = 3 (r, az, el) or 4 (+ rr).
    ``y`` (4,) is scratch. ``rows``: the rows of ``PHt`` computed -- the update needs all 6; the distance and
    likelihood of a 3-D measurement need only the position rows (3), and then read only ``x[:3]``, ``P[:3, :3]``.

    Returns (squared Mahalanobis distance, log det S, ok); ok is False if S is not positive-definite."""
    measure(x, spos, srot, zp, H)
    nu[0] = z[0] - zp[0]
    nu[1] = wrap_angle(z[1] - zp[1])
    nu[2] = z[2] - zp[2]
    if m == 4:
        nu[3] = z[3] - zp[3]
    # rows 0-2 of H (range, azimuth, elevation) have no velocity part: sum over position columns only
    for i in range(rows):
        for j in range(m):
            kk = 3 if j < 3 else 6
            acc = 0.0
            for k in range(kk):
                acc += P[i, k] * H[j, k]
            PHt[i, j] = acc
    for i in range(m):
        kk = 3 if i < 3 else 6
        for j in range(i, m):
            acc = 0.0
            for k in range(kk):
                acc += H[i, k] * PHt[k, j]
            S[i, j] = acc
            S[j, i] = acc
        S[i, i] += sig[i] * sig[i]
    # Cholesky S = L L^T (m <= 4): hand-written, np.linalg would allocate per call
    logdet = 0.0
    for j in range(m):
        acc = S[j, j]
        for k in range(j):
            acc -= L[j, k] * L[j, k]
        if not acc > 0.0:
            return math.inf, math.inf, False
        ljj = math.sqrt(acc)
        L[j, j] = ljj
        logdet += 2.0 * math.log(ljj)
        for i in range(j + 1, m):
            acc = S[i, j]
            for k in range(j):
                acc -= L[i, k] * L[j, k]
            L[i, j] = acc / ljj
    # d2 = |L^-1 nu|^2
    d2 = 0.0
    for i in range(m):
        acc = nu[i]
        for k in range(i):
            acc -= L[i, k] * y[k]
        y[i] = acc / L[i, i]
        d2 += y[i] * y[i]
    return d2, logdet, True


@njit(cache=True, forceinline=True)
def joseph_update(x, P, nu, sig, m: int, L, PHt, H, xo, Po, K, y, A, T) -> None:
    """EKF update in Joseph form, P+ = (I - K H) P (I - K H)^T + K R K^T, with K = P H^T S^-1 from the
    factors computed by :func:`innovation`. Writes ``xo`` (6,), ``Po`` (6, 6) (may alias x, P). ``K`` (6, 4),
    ``y`` (4,), ``A``, ``T`` (6, 6) are scratch."""
    # K^T = S^-1 (P H^T)^T, solved with the Cholesky factor column by column
    for r in range(6):
        for i in range(m):  # forward: L y = PHt[r]
            acc = PHt[r, i]
            for k in range(i):
                acc -= L[i, k] * y[k]
            y[i] = acc / L[i, i]
        for i in range(m - 1, -1, -1):  # backward: L^T k = y
            acc = y[i]
            for k in range(i + 1, m):
                acc -= L[k, i] * K[r, k]
            K[r, i] = acc / L[i, i]
    # Joseph form evaluated without multiplying H's zero blocks:
    # T = (I - K H) P = P - K (H P);  P+ = T (I - K H)^T + K R K^T = T - (T H^T) K^T + K R K^T
    for i in range(6):
        for j in range(6):
            acc = P[i, j]
            for k in range(m):
                acc -= K[i, k] * PHt[j, k]  # (H P)[k, j] = PHt[j, k]
            T[i, j] = acc
    for i in range(6):  # A holds T H^T (6, m)
        for j in range(m):
            kk = 3 if j < 3 else 6
            acc = 0.0
            for k in range(kk):
                acc += T[i, k] * H[j, k]
            A[i, j] = acc
    for i in range(6):
        acc = x[i]
        for k in range(m):
            acc += K[i, k] * nu[k]
        xo[i] = acc
    for i in range(6):
        for j in range(i, 6):
            acc = T[i, j]
            for k in range(m):
                acc += K[j, k] * (K[i, k] * sig[k] * sig[k] - A[i, k])
            Po[i, j] = acc
            Po[j, i] = acc


# ------------------------------------------------------------------------------------------------ scratch
@njit(cache=True, inline="always")
def _scratch(m_models: int):
    """Work arrays of one batch loop, allocated once: model predictions xo (M, 6), Po (M, 6, 6), c (M,), mixing
    scratch x0 (6,), P0 (6, 6), and the filter scratch ``f`` = (nu, S, L, PHt, H, zp, y, K, A, T)."""
    f = (np.empty(4), np.empty((4, 4)), np.zeros((4, 4)), np.empty((6, 4)), np.empty((4, 6)), np.empty(4),
         np.empty(4), np.empty((6, 4)), np.empty((6, 6)), np.empty((6, 6)))
    return np.empty((m_models, 6)), np.empty((m_models, 6, 6)), np.empty(m_models), np.empty(6), np.empty((6, 6)), f


@njit(cache=True, inline="always")
def _innovation(x, P, z, sig, m, spos, srot, f) -> tuple[float, float, bool]:
    return innovation(x, P, z, sig, m, spos, srot, f[0], f[1], f[2], f[3], f[4], f[5], f[6])


@njit(cache=True, inline="always")
def _distance(x, P, z, sig, m, spos, srot, f) -> tuple[float, float, bool]:
    """:func:`innovation`'s distance and log det S only (``PHt``'s position rows alone for a 3-D measurement)."""
    return innovation(x, P, z, sig, m, spos, srot, f[0], f[1], f[2], f[3], f[4], f[5], f[6], 3 if m == 3 else 6)


@njit(cache=True, inline="always")
def _joseph(x, P, sig, m, f, xo, Po) -> None:
    joseph_update(x, P, f[0], sig, m, f[2], f[3], f[4], xo, Po, f[7], f[6], f[8], f[9])


@njit(cache=True, forceinline=True)
def _gate_position(x, P, dt, kind, q, z, sig, spos, srot, f, xp, Pp) -> tuple[float, float, bool]:
    """Squared Mahalanobis distance and log det S of a (range, azimuth, elevation) detection against a CV or
    ballistic track predicted by dt, computing only the predicted position and its 3x3 covariance (what S
    needs). ``xp`` (6,), ``Pp`` (6, 6) are scratch; f is the filter scratch."""
    nu, S, L, PHt, H, zp, y = f[0], f[1], f[2], f[3], f[4], f[5], f[6]
    adt = abs(dt)
    qpp = q * adt * adt * adt / 3.0
    for a in range(3):
        xp[a] = x[a] + dt * x[a + 3]
        xp[a + 3] = x[a + 3]
    if kind == BALLISTIC:
        xp[2] -= 0.5 * G * dt * dt
    for a in range(3):
        for b in range(a, 3):
            v = P[a, b] + dt * (P[a, b + 3] + P[b, a + 3]) + dt * dt * P[a + 3, b + 3]
            Pp[a, b] = v
            Pp[b, a] = v
        Pp[a, a] += qpp
    measure(xp, spos, srot, zp, H)
    nu[0] = z[0] - zp[0]
    nu[1] = wrap_angle(z[1] - zp[1])
    nu[2] = z[2] - zp[2]
    for i in range(3):
        for j in range(3):
            acc = 0.0
            for k in range(3):
                acc += Pp[i, k] * H[j, k]
            PHt[i, j] = acc
    for i in range(3):
        for j in range(i, 3):
            acc = 0.0
            for k in range(3):
                acc += H[i, k] * PHt[k, j]
            S[i, j] = acc
            S[j, i] = acc
        S[i, i] += sig[i] * sig[i]
    logdet = 0.0
    for j in range(3):
        acc = S[j, j]
        for k in range(j):
            acc -= L[j, k] * L[j, k]
        if not acc > 0.0:
            return math.inf, math.inf, False
        ljj = math.sqrt(acc)
        L[j, j] = ljj
        logdet += 2.0 * math.log(ljj)
        for i in range(j + 1, 3):
            acc = S[i, j]
            for k in range(j):
                acc -= L[i, k] * L[j, k]
            L[i, j] = acc / ljj
    d2 = 0.0
    for i in range(3):
        acc = nu[i]
        for k in range(i):
            acc -= L[i, k] * y[k]
        y[i] = acc / L[i, i]
        d2 += y[i] * y[i]
    return d2, logdet, True


# Each batch loop exists twice: a single-model version (plain EKF) and an IMM version. Compiling only what a
# configuration uses keeps the first-call compile time down; the Python functions at the end pick the version
# from the number of models. The filter steps (predict_model, innovation, joseph_update, ...) are ordinary
# compiled calls, not inlined by Numba (inline="always" re-types a callee at every call site: it cost about
# twice the compile time of the calls, measured by benchmarks/bench_first_run.py); LLVM still inlines them
# where it pays. Only the tiny helpers (scratch allocation, argument unpacking, angle wrapping) are inlined.
@njit(cache=True, nogil=True)
def _gate_single(pslot, pdet, trk_t, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds, qs, omegas,
                 kappa, out_d2, out_lnn, gamma) -> None:
    xo, Po, c, x0, P0, f = _scratch(1)
    for k in range(pslot.shape[0]):
        i = pslot[k]
        j = pdet[k]
        m = det_m[j]
        dt = det_t[j] - trk_t[i]
        if m == 3 and kinds[0] != CT:
            d2, logdet, ok = _gate_position(xm[i, 0], Pm[i, 0], dt, kinds[0], qs[0], det_z[j], det_sig[j], spos,
                                            srot, f, x0, P0)
        else:
            predict_model(kinds[0], qs[0], omegas[0], xm[i, 0], Pm[i, 0], dt, xo[0], Po[0])
            d2, logdet, ok = _distance(xo[0], Po[0], det_z[j], det_sig[j], m, spos, srot, f)
        out_d2[k] = d2
        out_lnn[k] = -0.5 * (d2 + logdet + m * LOG_2PI) if ok else -math.inf


@njit(cache=True, nogil=True)
def _gate_imm(pslot, pdet, trk_t, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds, qs, omegas,
              kappa, out_d2, out_lnn, gamma) -> None:
    m_models = xm.shape[1]
    xo, Po, c, x0, P0, f = _scratch(m_models)
    xo[:] = 0.0  # a 3-D detection's prediction sets positions only; velocities stay finite for measure()
    Po[:] = 0.0
    xc = np.zeros(6)
    Pc = np.zeros((6, 6))
    lnm = np.empty(m_models)
    for k in range(pslot.shape[0]):
        i = pslot[k]
        j = pdet[k]
        m = det_m[j]
        dt = det_t[j] - trk_t[i]
        if m == 3:  # range, azimuth, elevation: only the predicted positions count
            imm_predict_position(xm[i], Pm[i], mu[i], dt, kinds, qs, omegas, kappa, xo, Po, c, x0, P0, xc, Pc)
        else:
            imm_predict(xm[i], Pm[i], mu[i], dt, kinds, qs, omegas, kappa, xo, Po, c, x0, P0)
            combine(xo, Po, c, xc, Pc)
        d2, logdet, ok = _distance(xc, Pc, det_z[j], det_sig[j], m, spos, srot, f)
        out_d2[k] = d2 if ok else math.inf
        if not out_d2[k] <= gamma[m]:  # outside the gate: the pair is discarded, no likelihood needed
            out_lnn[k] = -math.inf
            continue
        best = -math.inf
        for mm in range(m_models):
            d2, logdet, ok = _distance(xo[mm], Po[mm], det_z[j], det_sig[j], m, spos, srot, f)
            lnm[mm] = math.log(c[mm]) - 0.5 * (d2 + logdet + m * LOG_2PI) if ok else -math.inf
            best = max(best, lnm[mm])
        if best == -math.inf:
            out_lnn[k] = -math.inf
        else:
            acc = 0.0
            for mm in range(m_models):
                acc += math.exp(lnm[mm] - best)
            out_lnn[k] = best + math.log(acc)


@njit(cache=True)
def _update_one(xm_i, Pm_i, mu_i, dt, z, sig, m, spos, srot, kinds, qs, omegas, kappa, xo, Po, c, x0, P0, f,
                lnm) -> bool:
    """IMM predict to the detection and update every model in place of (xo, Po); mode log-weights in lnm
    (ln c_m + ln N_m). Returns False when no model could be updated."""
    m_models = xm_i.shape[0]
    imm_predict(xm_i, Pm_i, mu_i, dt, kinds, qs, omegas, kappa, xo, Po, c, x0, P0)
    any_ok = False
    for mm in range(m_models):
        d2, logdet, ok = _innovation(xo[mm], Po[mm], z, sig, m, spos, srot, f)
        if ok:
            _joseph(xo[mm], Po[mm], sig, m, f, xo[mm], Po[mm])
            lnm[mm] = math.log(c[mm]) - 0.5 * (d2 + logdet + m * LOG_2PI)
            any_ok = True
        else:
            lnm[mm] = -math.inf
    return any_ok


@njit(cache=True, inline="always")
def _copy_models(xs, Ps, xd, Pd) -> None:
    """Copy model states ``xs`` (M, 6), ``Ps`` (M, 6, 6) into ``xd``, ``Pd`` element by element (an array
    assignment would compile a shape check and its error message)."""
    for mm in range(xs.shape[0]):
        for a in range(6):
            xd[mm, a] = xs[mm, a]
            for b in range(6):
                Pd[mm, a, b] = Ps[mm, a, b]


@njit(cache=True, inline="always")
def _normalise_log(lnm, out) -> None:
    best = -math.inf
    for v in lnm:
        best = max(best, v)
    acc = 0.0
    for k in range(lnm.shape[0]):
        out[k] = math.exp(lnm[k] - best)
        acc += out[k]
    for k in range(lnm.shape[0]):
        out[k] = max(out[k] / acc, 1e-12)


@njit(cache=True)
def _assigned_single(pslot, pdet, trk_t, x, P, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds,
                     qs, omegas, kappa) -> None:
    xo, Po, c, x0, P0, f = _scratch(1)
    for k in range(pslot.shape[0]):
        i = pslot[k]
        j = pdet[k]
        predict_model(kinds[0], qs[0], omegas[0], xm[i, 0], Pm[i, 0], det_t[j] - trk_t[i], xo[0], Po[0])
        d2, logdet, ok = _innovation(xo[0], Po[0], det_z[j], det_sig[j], det_m[j], spos, srot, f)
        if not ok:
            continue
        _joseph(xo[0], Po[0], det_sig[j], det_m[j], f, xm[i, 0], Pm[i, 0])
        for a in range(6):
            x[i, a] = xm[i, 0, a]
            for b in range(6):
                P[i, a, b] = Pm[i, 0, a, b]
        trk_t[i] = det_t[j]


@njit(cache=True)
def _assigned_imm(pslot, pdet, trk_t, x, P, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds,
                  qs, omegas, kappa) -> None:
    m_models = xm.shape[1]
    xo, Po, c, x0, P0, f = _scratch(m_models)
    lnm = np.empty(m_models)
    for k in range(pslot.shape[0]):
        i = pslot[k]
        j = pdet[k]
        ok = _update_one(xm[i], Pm[i], mu[i], det_t[j] - trk_t[i], det_z[j], det_sig[j], det_m[j], spos, srot,
                         kinds, qs, omegas, kappa, xo, Po, c, x0, P0, f, lnm)
        if not ok:
            continue
        _normalise_log(lnm, mu[i])
        _copy_models(xo, Po, xm[i], Pm[i])
        combine(xm[i], Pm[i], mu[i], x[i], P[i])
        trk_t[i] = det_t[j]


@njit(cache=True)
def _mixture_single(tptr, pslot, pdet, beta, beta0, trk_t, x, P, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos,
                    srot, kinds, qs, omegas, kappa) -> None:
    xo, Po, c, x0, P0, f = _scratch(1)
    kmax = 1
    for a in range(tptr.shape[0] - 1):
        kmax = max(kmax, tptr[a + 1] - tptr[a] + 1)
    cx = np.empty((kmax, 6))
    cP = np.empty((kmax, 6, 6))
    cw = np.zeros(kmax)
    for a in range(tptr.shape[0] - 1):
        lo, hi = tptr[a], tptr[a + 1]
        if hi <= lo:
            continue
        i = pslot[lo]
        t_star = det_t[pdet[lo]]
        for k in range(lo + 1, hi):
            t_star = max(t_star, det_t[pdet[k]])
        ncomp = hi - lo + 1
        predict_model(kinds[0], qs[0], omegas[0], xm[i, 0], Pm[i, 0], t_star - trk_t[i], cx[0], cP[0])
        cw[0] = beta0[a]
        for k in range(lo, hi):
            j = pdet[k]
            n = k - lo + 1
            cw[n] = 0.0
            predict_model(kinds[0], qs[0], omegas[0], xm[i, 0], Pm[i, 0], det_t[j] - trk_t[i], xo[0], Po[0])
            d2, logdet, ok = _innovation(xo[0], Po[0], det_z[j], det_sig[j], det_m[j], spos, srot, f)
            if not ok:
                continue
            _joseph(xo[0], Po[0], det_sig[j], det_m[j], f, xo[0], Po[0])
            predict_model(kinds[0], qs[0], omegas[0], xo[0], Po[0], t_star - det_t[j], cx[n], cP[n])
            cw[n] = beta[k]
        s = 0.0
        for n in range(ncomp):
            s += cw[n]
        if not s > 0.0:
            continue
        for n in range(ncomp):
            cw[n] /= s
        combine(cx[:ncomp], cP[:ncomp], cw[:ncomp], xm[i, 0], Pm[i, 0])
        for p in range(6):
            x[i, p] = xm[i, 0, p]
            for q in range(6):
                P[i, p, q] = Pm[i, 0, p, q]
        trk_t[i] = t_star


@njit(cache=True)
def _mixture_imm(tptr, pslot, pdet, beta, beta0, trk_t, x, P, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos,
                 srot, kinds, qs, omegas, kappa) -> None:
    m_models = xm.shape[1]
    xo, Po, c, x0, P0, f = _scratch(m_models)
    lnm = np.empty(m_models)
    wm = np.empty(m_models)
    kmax = 1
    for a in range(tptr.shape[0] - 1):
        kmax = max(kmax, tptr[a + 1] - tptr[a] + 1)
    cx = np.empty((kmax, m_models, 6))
    cP = np.empty((kmax, m_models, 6, 6))
    cw = np.zeros((kmax, m_models))
    for a in range(tptr.shape[0] - 1):
        lo, hi = tptr[a], tptr[a + 1]
        if hi <= lo:
            continue
        i = pslot[lo]
        t_star = det_t[pdet[lo]]
        for k in range(lo + 1, hi):
            t_star = max(t_star, det_t[pdet[k]])
        ncomp = hi - lo + 1
        # missed-detection hypothesis: the prediction to t*
        imm_predict(xm[i], Pm[i], mu[i], t_star - trk_t[i], kinds, qs, omegas, kappa, xo, Po, c, x0, P0)
        _copy_models(xo, Po, cx[0], cP[0])
        for mm in range(m_models):
            cw[0, mm] = beta0[a] * c[mm]
        for k in range(lo, hi):
            j = pdet[k]
            n = k - lo + 1
            for mm in range(m_models):
                cw[n, mm] = 0.0
            ok = _update_one(xm[i], Pm[i], mu[i], det_t[j] - trk_t[i], det_z[j], det_sig[j], det_m[j], spos, srot,
                             kinds, qs, omegas, kappa, xo, Po, c, x0, P0, f, lnm)
            if not ok:
                continue
            _normalise_log(lnm, wm)
            for mm in range(m_models):
                predict_model(kinds[mm], qs[mm], omegas[mm], xo[mm], Po[mm], t_star - det_t[j], cx[n, mm],
                              cP[n, mm])
                cw[n, mm] = beta[k] * wm[mm]
        total = 0.0
        for mm in range(m_models):
            s = 0.0
            for n in range(ncomp):
                s += cw[n, mm]
            mu[i, mm] = max(s, 1e-300)
            total += mu[i, mm]
            for n in range(ncomp):
                cw[n, mm] /= mu[i, mm]
            combine(cx[:ncomp, mm], cP[:ncomp, mm], cw[:ncomp, mm], xm[i, mm], Pm[i, mm])
        for mm in range(m_models):
            mu[i, mm] = max(mu[i, mm] / total, 1e-12)
        combine(xm[i], Pm[i], mu[i], x[i], P[i])
        trk_t[i] = t_star


# ------------------------------------------------------------------------------------ entry points by bundle
class TrackArrays(Protocol):
    """The track store's state arrays (:class:`~airpicture.tracking.store.TrackStore`): each slot's time ``t``
    (s), combined state ``x`` (N, 6) and covariance ``P`` (N, 6, 6), per-model states ``xm`` (N, M, 6),
    covariances ``Pm`` (N, M, 6, 6) and mode probabilities ``mu`` (N, M)."""

    @property
    def t(self) -> NDArray[np.float64]: ...
    @property
    def x(self) -> NDArray[np.float64]: ...
    @property
    def P(self) -> NDArray[np.float64]: ...
    @property
    def xm(self) -> NDArray[np.float64]: ...
    @property
    def Pm(self) -> NDArray[np.float64]: ...
    @property
    def mu(self) -> NDArray[np.float64]: ...


class MeasurementArrays(Protocol):
    """One sensor's detections in kernel units (:class:`~airpicture.tracking.sensors.DetectionBatch`): times
    ``time_s`` (s), measurements ``z`` (K, 4), sigmas ``sigma`` (K, 4), dimensions ``dim`` (K,)."""

    @property
    def time_s(self) -> NDArray[np.float64]: ...
    @property
    def z(self) -> NDArray[np.float64]: ...
    @property
    def sigma(self) -> NDArray[np.float64]: ...
    @property
    def dim(self) -> NDArray[np.int64]: ...


class SensorPose(Protocol):
    """Where a radar is (``position`` (3,), site ENU m) and how it is turned (``rotation`` (3, 3), site axes to
    the radar's)."""

    @property
    def position(self) -> NDArray[np.float64]: ...
    @property
    def rotation(self) -> NDArray[np.float64]: ...


class Models(Protocol):
    """Motion models (:class:`~airpicture.tracking.models.MotionModels`): ``kinds`` (M,), process noises ``q``
    (M,), turn rates ``omega`` (M,), IMM switching rate ``kappa`` (1/s)."""

    @property
    def kinds(self) -> NDArray[np.int64]: ...
    @property
    def q(self) -> NDArray[np.float64]: ...
    @property
    def omega(self) -> NDArray[np.float64]: ...
    @property
    def kappa(self) -> float: ...


# The tracker calls these with its own bundles (store, batch, sensor, models). The compiled kernels below them
# keep flat array arguments: Numba types every field of a tuple argument on every call, which costs a few
# microseconds per call (BENCHMARKS.md, "Compiled kernels with named arguments"), and the tracker makes about
# fifteen such calls per scan.
def gate(pslot: NDArray[np.int64], pdet: NDArray[np.int64], tracks: TrackArrays, meas: MeasurementArrays,
         pose: SensorPose, models: Models, out_d2: NDArray[np.float64], out_lnn: NDArray[np.float64],
         gamma: NDArray[np.float64] | None = None, q: NDArray[np.float64] | None = None) -> None:
    """:func:`gate_pairs` on bundles; ``q`` replaces the models' process noises (manoeuvre recovery)."""
    gate_pairs(pslot, pdet, tracks.t, tracks.xm, tracks.Pm, tracks.mu, meas.time_s, meas.z, meas.sigma, meas.dim,
               pose.position, pose.rotation, models.kinds, models.q if q is None else q, models.omega,
               models.kappa, out_d2, out_lnn, gamma)


def update(pslot: NDArray[np.int64], pdet: NDArray[np.int64], tracks: TrackArrays, meas: MeasurementArrays,
           pose: SensorPose, models: Models, q: NDArray[np.float64] | None = None) -> None:
    """:func:`update_assigned` on bundles; ``q`` replaces the models' process noises (manoeuvre recovery)."""
    update_assigned(pslot, pdet, tracks.t, tracks.x, tracks.P, tracks.xm, tracks.Pm, tracks.mu, meas.time_s,
                    meas.z, meas.sigma, meas.dim, pose.position, pose.rotation, models.kinds,
                    models.q if q is None else q, models.omega, models.kappa)


def update_pda(tptr: NDArray[np.int64], pslot: NDArray[np.int64], pdet: NDArray[np.int64],
               beta: NDArray[np.float64], beta0: NDArray[np.float64], tracks: TrackArrays, meas: MeasurementArrays,
               pose: SensorPose, models: Models) -> None:
    """:func:`update_mixture` on bundles."""
    update_mixture(tptr, pslot, pdet, beta, beta0, tracks.t, tracks.x, tracks.P, tracks.xm, tracks.Pm, tracks.mu,
                   meas.time_s, meas.z, meas.sigma, meas.dim, pose.position, pose.rotation, models.kinds, models.q,
                   models.omega, models.kappa)


def predict(slots: NDArray[np.int64], tracks: TrackArrays, t: float, models: Models, xout: NDArray[np.float64],
            Pout: NDArray[np.float64]) -> None:
    """:func:`predict_combined` on bundles."""
    predict_combined(slots, tracks.t, tracks.xm, tracks.Pm, tracks.mu, t, models.kinds, models.q, models.omega,
                     models.kappa, xout, Pout)


def worst_sigma(slots: NDArray[np.int64], tracks: TrackArrays, t: float, models: Models,
                out: NDArray[np.float64]) -> None:
    """:func:`position_sigma` on bundles."""
    position_sigma(slots, tracks.t, tracks.xm, tracks.Pm, tracks.mu, t, models.kinds, models.q, models.omega,
                   models.kappa, out)


def gate_pairs(pslot, pdet, trk_t, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds, qs, omegas,
               kappa, out_d2, out_lnn, gamma=None) -> None:
    """For each candidate pair k (track slot ``pslot[k]``, detection ``pdet[k]``): predict the track to the
    detection's time and write the squared Mahalanobis distance of the moment-matched predicted measurement
    (``out_d2``) and the log likelihood ln p(z | track) of the (IMM mixture) prediction (``out_lnn``). Given the
    gate thresholds ``gamma`` (indexed by measurement dimension), an IMM pair beyond its gate gets
    ``out_lnn = -inf`` without the per-model likelihoods (the caller discards it)."""
    if gamma is None:
        gamma = _NO_GATE
    kernel = _gate_single if xm.shape[1] == 1 else _gate_imm
    n = pslot.shape[0]
    if n < 2 * MIN_ROWS_PER_THREAD:  # most calls: too few pairs to share
        kernel(pslot, pdet, trk_t, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds, qs, omegas, kappa,
               out_d2, out_lnn, gamma)
        return

    def span(lo: int, hi: int) -> None:  # the pairs lo..hi-1, each computed as in one call (nogil kernel)
        kernel(pslot[lo:hi], pdet[lo:hi], trk_t, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds, qs,
               omegas, kappa, out_d2[lo:hi], out_lnn[lo:hi], gamma)

    run_split(n, span)


_NO_GATE = np.full(5, np.inf)


def update_assigned(pslot, pdet, trk_t, x, P, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds, qs,
                    omegas, kappa) -> None:
    """Update each track ``pslot[k]`` with its one detection ``pdet[k]`` (GNN), at the detection's time; IMM:
    interaction, model-matched updates, mode probabilities from the model likelihoods."""
    kernel = _assigned_single if xm.shape[1] == 1 else _assigned_imm
    kernel(pslot, pdet, trk_t, x, P, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds, qs, omegas, kappa)


def update_mixture(tptr, pslot, pdet, beta, beta0, trk_t, x, P, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos,
                   srot, kinds, qs, omegas, kappa) -> None:
    """JPDA update: for track ``pslot[tptr[a]]`` with candidate detections ``pdet[tptr[a]:tptr[a+1]]`` of
    association probabilities ``beta`` and miss probability ``beta0[a]``, replace the track by the moment-matched
    mixture of its hypotheses: missed (prediction) and each detection (EKF posterior at the detection's time).
    All hypotheses are carried to the latest detection time t* first. Per IMM model m the hypothesis weights are
    beta_j c_m N_mj / sum_m' c_m' N_m'j (miss: beta0 c_m), which also gives the new mode probabilities.
    Equals the classical PDA update when the detections share one time and covariance."""
    kernel = _mixture_single if xm.shape[1] == 1 else _mixture_imm
    kernel(tptr, pslot, pdet, beta, beta0, trk_t, x, P, xm, Pm, mu, det_t, det_z, det_sig, det_m, spos, srot, kinds,
           qs, omegas, kappa)


@njit(cache=True)
def predict_combined(slots, trk_t, xm, Pm, mu, t, kinds, qs, omegas, kappa, xout, Pout) -> None:
    """Combined (moment-matched) prediction of tracks ``slots`` to time ``t`` into ``xout``/``Pout`` (K, ...)."""
    m_models = xm.shape[1]
    xo, Po, c, x0, P0, f = _scratch(m_models)
    for k in range(slots.shape[0]):
        i = slots[k]
        if m_models == 1:
            predict_model(kinds[0], qs[0], omegas[0], xm[i, 0], Pm[i, 0], t - trk_t[i], xout[k], Pout[k])
            continue
        imm_predict(xm[i], Pm[i], mu[i], t - trk_t[i], kinds, qs, omegas, kappa, xo, Po, c, x0, P0)
        combine(xo, Po, c, xout[k], Pout[k])


@njit(cache=True)
def coarse_prediction(slots, trk_t, x, P, t, half_span, q_max, out_pos, out_pos_var, out_speed) -> None:
    """Cheap look-ahead for the spatial pre-gate and look accounting: the combined state carried to ``t`` at
    constant velocity, an upper bound of the trace of the predicted position covariance over
    ``[t - half_span, t + half_span]`` (with the largest model's noise; the trace is convex in time, so its
    maximum is at an end) and the speed."""
    for k in range(slots.shape[0]):
        i = slots[k]
        dt0 = t - trk_t[i]
        for a in range(3):
            out_pos[k, a] = x[i, a] + dt0 * x[i, a + 3]
        best = 0.0
        for side in range(2):
            dt = dt0 - half_span if side == 0 else dt0 + half_span
            adt = abs(dt)
            tr = 0.0
            for a in range(3):
                tr += P[i, a, a] + 2.0 * dt * P[i, a, a + 3] + dt * dt * P[i, a + 3, a + 3]
            tr += q_max * adt * adt * adt  # 3 axes x q |dt|^3 / 3
            best = max(best, tr)
        out_pos_var[k] = best
        out_speed[k] = math.sqrt(x[i, 3] ** 2 + x[i, 4] ** 2 + x[i, 5] ** 2)


@njit(cache=True)
def largest_eigenvalue_3x3(A) -> float:
    """Largest eigenvalue of a symmetric 3x3 matrix (closed form, Smith 1961 trigonometric method)."""
    p1 = A[0, 1] ** 2 + A[0, 2] ** 2 + A[1, 2] ** 2
    q = (A[0, 0] + A[1, 1] + A[2, 2]) / 3.0
    if p1 <= 1e-30 * max(q * q, 1e-300):
        return max(A[0, 0], A[1, 1], A[2, 2])
    p2 = (A[0, 0] - q) ** 2 + (A[1, 1] - q) ** 2 + (A[2, 2] - q) ** 2 + 2.0 * p1
    p = math.sqrt(p2 / 6.0)
    b00, b11, b22 = (A[0, 0] - q) / p, (A[1, 1] - q) / p, (A[2, 2] - q) / p
    b01, b02, b12 = A[0, 1] / p, A[0, 2] / p, A[1, 2] / p
    detb = b00 * (b11 * b22 - b12 * b12) - b01 * (b01 * b22 - b12 * b02) + b02 * (b01 * b12 - b11 * b02)
    r = min(max(detb / 2.0, -1.0), 1.0)
    phi = math.acos(r) / 3.0
    return q + 2.0 * p * math.cos(phi)


@njit(cache=True)
def position_sigma(slots, trk_t, xm, Pm, mu, t, kinds, qs, omegas, kappa, out) -> None:
    """Standard deviation along the worst direction (sqrt of the largest eigenvalue of the position block) of
    each track's combined covariance predicted to ``t``, metres."""
    m_models = xm.shape[1]
    xo, Po, c, x0, P0, f = _scratch(m_models)
    xc = np.empty(6)
    Pc = np.empty((6, 6))
    for k in range(slots.shape[0]):
        i = slots[k]
        imm_predict_position(xm[i], Pm[i], mu[i], t - trk_t[i], kinds, qs, omegas, kappa, xo, Po, c, x0, P0, xc, Pc)
        out[k] = math.sqrt(max(largest_eigenvalue_3x3(Pc), 0.0))
