"""Statistical checks of the whole tracker on a single target (Monte Carlo, seeded):

* NEES consistency: the normalised estimation error squared, averaged over runs, against chi-square bounds;
* efficiency: the position RMSE against the posterior Cramér-Rao bound (Tichavsky, Muravchik & Nehorai 1998),
  computed here independently with finite-difference Jacobians of the sensor geometry's polar conversion.

The truth follows the filter's own motion model (continuous white-noise acceleration, sampled exactly) with an
initial velocity drawn from the tracker's velocity prior, so both statistics have known targets.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2

from airpicture.detections import Detections
from airpicture.geodesy import LocalFrame
from airpicture.scenario import FixedAccuracy, Radar, TrackerConfig
from airpicture.sensors.geometry import cartesian_to_polar
from airpicture.sensors.placement import radar_geometry
from airpicture.testing.detections import full_look
from airpicture.tracking import Tracker
from airpicture.tracking.models import process_noise, transition_matrix

RUNS = 80
SCANS = 40
ACCEL_SIGMA = 1.0
SPEED_SIGMA = 60.0
SIGMAS = (20.0, math.radians(0.1), math.radians(0.1))


def _radar() -> Radar:
    return Radar(id=7, scan_period_s=1.0, max_range_m=300e3,
                 accuracy=FixedAccuracy(range_m=SIGMAS[0], azimuth_deg=0.1, elevation_deg=0.1))


def _polar(geo, p: np.ndarray) -> np.ndarray:
    r, az, el = cartesian_to_polar(geo.to_local(p.reshape(1, 3)))
    return np.array([r[0], az[0], el[0]])


def _monte_carlo():
    """Per run and scan: truth, estimate, covariance, and the Fisher information of the measurement."""
    frame = LocalFrame.at(10.0, 20.0, 0.0)
    radar = _radar()
    geo = radar_geometry(radar, frame)
    q = ACCEL_SIGMA**2
    cfg = TrackerConfig(model={"kind": "cv", "accel_sigma_mps2": ACCEL_SIGMA}, initial_speed_sigma_mps=SPEED_SIGMA,
                        initial_vertical_speed_sigma_mps=SPEED_SIGMA, confirmation="m_of_n", confirm_m=1, confirm_n=1,
                        defer_at_window_end=False)  # every scan's update is scored, none held back
    rng = np.random.default_rng(42)
    truth = np.empty((RUNS, SCANS, 6))
    est = np.empty((RUNS, SCANS, 6))
    cov = np.empty((RUNS, SCANS, 6, 6))
    info = np.empty((RUNS, SCANS, 6, 6))
    times = np.empty((RUNS, SCANS))
    R_inv = np.diag(1.0 / np.square(SIGMAS))
    for run in range(RUNS):
        az = rng.uniform(0, 2 * np.pi)
        x = np.array([80e3 * math.sin(az), 80e3 * math.cos(az), 8e3, *rng.normal(0.0, SPEED_SIGMA, 3)])
        tracker = Tracker(cfg, [radar], frame, capacity=None, record_history=False)
        t_prev = None
        for k in range(SCANS):
            t = k + 0.5 + 0.01 * rng.standard_normal()
            if t_prev is not None:
                dt = t - t_prev
                x = transition_matrix(0, dt) @ x + rng.multivariate_normal(np.zeros(6), process_noise(q, dt))
            t_prev = t
            z = _polar(geo, x[:3]) + rng.standard_normal(3) * SIGMAS
            det = Detections(np.array([t]), np.array([radar.id]), np.array([z[0]]),
                             np.array([math.degrees(z[1]) % 360.0]), np.array([math.degrees(z[2])]),
                             np.array([np.nan]), np.array([20.0]))
            tracker.process(det, [full_look(radar, k)])
            pic = tracker.picture(t)
            assert len(pic) == 1, f"run {run} scan {k}: expected one track, got {len(pic)}"
            truth[run, k], est[run, k], cov[run, k], times[run, k] = x, pic.x[0], pic.P[0], t
            H = np.zeros((3, 6))
            for a in range(3):
                h = np.zeros(3)
                h[a] = 1.0
                H[:, a] = (_polar(geo, x[:3] + h) - _polar(geo, x[:3] - h)) / 2.0
            H[1] = (H[1] + np.pi) % (2 * np.pi) - np.pi
            info[run, k] = H.T @ R_inv @ H
    return truth, est, cov, info, times


@pytest.fixture(scope="module")
def mc():
    return _monte_carlo()


def test_nees_is_chi_square_consistent(mc):
    truth, est, cov, _, _ = mc
    err = est - truth
    nees = np.einsum("rki,rkij,rkj->rk", err, np.linalg.inv(cov), err)
    mean = nees[:, 5:].mean(axis=0)  # after the velocity has been observed
    lo, hi = chi2.ppf([0.005, 0.995], 6 * RUNS) / RUNS
    inside = np.mean((mean >= lo) & (mean <= hi))
    assert inside >= 0.9, f"run-averaged NEES inside the 99 % band at only {inside:.0%} of scans: {mean}"
    overall = nees[:, 5:].mean()
    assert 6 * 0.9 < overall < 6 * 1.1, overall


def test_position_rmse_is_close_to_the_posterior_cramer_rao_bound(mc):
    truth, est, _, info, times = mc
    q = ACCEL_SIGMA**2
    # PCRB recursion J+ = (Q + F J^-1 F^T)^-1 + H^T R^-1 H along each run's geometry, started from the velocity
    # prior and the first measurement (the information the tracker's single-point initiation uses); the runs'
    # bounds on the mean square error are averaged like the errors are
    J = np.diag([0.0, 0.0, 0.0, *([1.0 / SPEED_SIGMA**2] * 3)]) + info[:, 0]
    bound = [math.sqrt(np.mean(np.trace(np.linalg.inv(J)[:, :3, :3], axis1=1, axis2=2)))]
    for k in range(1, SCANS):
        dt = times[:, k] - times[:, k - 1]
        F = np.array([transition_matrix(0, d) for d in dt])
        Q = np.array([process_noise(q, d) for d in dt])
        J = np.linalg.inv(Q + F @ np.linalg.inv(J) @ np.swapaxes(F, 1, 2)) + info[:, k]
        bound.append(math.sqrt(np.mean(np.trace(np.linalg.inv(J)[:, :3, :3], axis1=1, axis2=2))))
    bound = np.array(bound)
    rmse = np.sqrt(np.mean(np.sum((est[..., :3] - truth[..., :3]) ** 2, axis=-1), axis=0))
    ratio = rmse[3:] / bound[3:]
    assert 0.9 < ratio.mean() < 1.15, ratio
    assert np.all((ratio > 0.7) & (ratio < 1.4)), ratio
