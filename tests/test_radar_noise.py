"""Measurement noise: residuals of detections against the truth at the detection time are zero-mean Gaussian
with the configured (or SNR-dependent) standard deviations (chi-square intervals on the variance)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from airpicture.sensors.accuracy import measurement_sigmas
from airpicture.sensors.geometry import cartesian_to_polar, range_rate
from airpicture.sensors.radar import RadarSimulator
from tests.radar_support import FRAME, at_height, radar, straight_truth

SCANS = 50


def moving_targets(n: int = 150, seed: int = 2):
    rng = np.random.default_rng(seed)
    az = np.radians(np.arange(n) * (360.0 / n))
    dist = rng.uniform(20e3, 45e3, n)
    p = at_height(dist * np.sin(az), dist * np.cos(az), rng.uniform(1500.0, 6000.0, n))
    heading = rng.uniform(0, 2 * np.pi, n)
    speed = rng.uniform(50.0, 300.0, n)
    v = np.column_stack([speed * np.sin(heading), speed * np.cos(heading), rng.uniform(-5, 5, n)])
    return straight_truth(p, v, end_s=4.0 * SCANS + 4.0, step_s=2.0)


def residuals(rad, truth, seed: int = 8):
    """Measured minus true (range m, azimuth rad, elevation rad, range rate m/s) and the reported SNR (dB)."""
    sim = RadarSimulator(rad, FRAME, truth, seed=seed, sensor_index=0)
    out = []
    for k in range(SCANS):
        det, lab = sim.scan(k)
        real = lab.merged == 1  # single-target detections (crossing paths sometimes merge)
        x = truth.state_at(lab.target_id[real], det.time_s[real])
        d = sim.geometry.to_local(x[:, :3])
        v = x[:, 3:] @ sim.geometry.rotation.T
        r, az, el = cartesian_to_polar(d)
        out.append(np.column_stack([
            det.range_m[real] - r,
            np.angle(np.exp(1j * (np.radians(det.azimuth_deg[real]) - az))),
            np.radians(det.elevation_deg[real]) - el,
            det.range_rate_mps[real] - range_rate(d, v),
            det.snr_db[real],
        ]))
    res = np.concatenate(out)
    return res[:, :4], res[:, 4]


def assert_standard_normal(z: np.ndarray) -> None:
    n = z.size
    assert abs(z.mean()) < 4.0 / math.sqrt(n)
    chi = np.sum((z - z.mean()) ** 2)
    assert stats.chi2.ppf(0.0005, n - 1) <= chi <= stats.chi2.ppf(0.9995, n - 1)


def test_fixed_sigmas() -> None:
    truth = moving_targets()
    rad = radar(swerling=0, pfa=1e-6, max_range_m=60e3, range_rate=True, range_rate_sigma_mps=1.5,
                accuracy={"kind": "fixed", "range_m": 40.0, "azimuth_deg": 0.25, "elevation_deg": 0.4},
                sensitivity={"kind": "reference", "snr_db": 30.0, "range_m": 45e3, "rcs_m2": 1.0})
    res, _ = residuals(rad, truth)
    assert res.shape[0] > 0.8 * SCANS * truth.n_targets
    for col, sigma in enumerate([40.0, math.radians(0.25), math.radians(0.4), 1.5]):
        assert_standard_normal(res[:, col] / sigma)


def test_snr_dependent_sigmas_follow_the_reported_snr() -> None:
    truth = moving_targets(seed=3)
    rad = radar(swerling=1, pfa=1e-6, max_range_m=60e3, range_resolution_m=300.0, azimuth_beamwidth_deg=2.0,
                accuracy={"kind": "snr", "range_floor_m": 5.0, "azimuth_floor_deg": 0.02,
                          "elevation_floor_deg": 0.05},
                sensitivity={"kind": "reference", "snr_db": 18.0, "range_m": 45e3, "rcs_m2": 1.0})
    res, snr_db = residuals(rad, truth)
    s_r, s_az, s_el, _ = measurement_sigmas(rad, snr_db)
    # thermal term dR / sqrt(2 SNR) with a floor, by hand for one reported SNR
    snr = 10 ** (snr_db[0] / 10)
    assert s_r[0] == pytest.approx(math.hypot(300.0 / math.sqrt(2 * snr), 5.0))
    assert np.ptp(s_r) > 1.0  # the SNR spread really changes the sigmas
    for col, sigma in enumerate([s_r, s_az, s_el]):
        assert_standard_normal(res[:, col] / sigma)


def test_range_rate_is_nan_when_not_measured() -> None:
    truth = moving_targets(n=20)
    rad = radar(swerling=0, max_range_m=60e3)
    det, _ = RadarSimulator(rad, FRAME, truth, seed=1, sensor_index=0).scan(2)
    assert len(det) > 0 and np.all(np.isnan(det.range_rate_mps))
