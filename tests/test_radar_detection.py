"""The simulated radar's detections against theory: empirical Pd at several SNRs for Swerling 0, 1 and 3
(within binomial confidence intervals), and scan-to-scan independence of the fluctuation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from airpicture.sensors.physics import detection_probability
from airpicture.sensors.placement import radar_geometry
from airpicture.sensors.radar import RadarSimulator
from tests.radar_support import FRAME, at_height, radar, straight_truth

REF_SNR_DB, REF_RANGE_M = 20.0, 20e3
LEVELS_DB = np.array([2.0, 6.0, 10.0, 14.0, 18.0])
PER_LEVEL = 90
SCANS = 120


def field_of_steady_targets() -> tuple[np.ndarray, object]:
    """PER_LEVEL stationary 1 m^2 targets per SNR level, at distinct azimuths (4 degrees apart) and heights."""
    n_levels = LEVELS_DB.size
    ground = REF_RANGE_M * 10 ** ((REF_SNR_DB - LEVELS_DB) / 40.0)
    az = np.radians(np.arange(PER_LEVEL) * 4.0 + 1.0)
    e = (ground[:, None] * np.sin(az)[None, :]).ravel()
    n = (ground[:, None] * np.cos(az)[None, :]).ravel()
    p = at_height(e, n, 2000.0)
    truth = straight_truth(p, np.zeros((n_levels * PER_LEVEL, 3)), rcs_m2=1.0, end_s=SCANS * 4.0 + 4.0, step_s=20.0)
    return p, truth


@pytest.mark.parametrize("swerling", [0, 1, 3])
def test_empirical_pd_matches_theory(swerling: int) -> None:
    p, truth = field_of_steady_targets()
    rad = radar(swerling=swerling, pfa=1e-6, scan_period_s=4.0, max_range_m=60e3, elevation_min_deg=-2.0,
                sensitivity={"kind": "reference", "snr_db": REF_SNR_DB, "range_m": REF_RANGE_M, "rcs_m2": 1.0})
    sim = RadarSimulator(rad, FRAME, truth, seed=123 + swerling, sensor_index=0)
    # the mean SNR each target should have, from its true slant range (not from the simulator)
    slant = np.linalg.norm(p - radar_geometry(rad, FRAME).position, axis=1)
    snr_db = REF_SNR_DB + 40 * np.log10(REF_RANGE_M / slant)
    hits = np.zeros(truth.n_targets, dtype=np.int64)
    for k in range(SCANS):
        _, lab = sim.scan(k)
        real = lab.target_id >= 0
        assert np.all(lab.merged[real] == 1)
        hits += np.bincount(lab.target_id[real], minlength=truth.n_targets)
    assert hits.max() <= SCANS  # at most one detection per target and scan
    for level in range(LEVELS_DB.size):
        members = slice(level * PER_LEVEL, (level + 1) * PER_LEVEL)
        k = int(hits[members].sum())
        n = PER_LEVEL * SCANS
        theory = float(np.mean(detection_probability(snr_db[members], 1e-6, swerling)))
        ci = stats.binomtest(k, n, theory).proportion_ci(confidence_level=0.999)
        assert ci.low <= theory <= ci.high, (swerling, LEVELS_DB[level], k / n, theory)


def test_swerling1_fluctuation_is_independent_from_scan_to_scan() -> None:
    # one target at 8 dB: under Swerling 1 consecutive scans' detections are independent Bernoulli draws
    p = at_height(np.array([0.0]), np.array([REF_RANGE_M * 10 ** ((REF_SNR_DB - 8.0) / 40)]), 2000.0)
    truth = straight_truth(p, np.zeros((1, 3)), end_s=4.0 * 2001, step_s=100.0)
    rad = radar(swerling=1, pfa=1e-6, max_range_m=60e3,
                sensitivity={"kind": "reference", "snr_db": REF_SNR_DB, "range_m": REF_RANGE_M, "rcs_m2": 1.0})
    sim = RadarSimulator(rad, FRAME, truth, seed=9, sensor_index=0)
    seen = np.array([np.any(sim.scan(k)[1].target_id == 0) for k in range(2000)], dtype=float)
    both = np.mean(seen[1:] * seen[:-1])
    pd = seen.mean()
    # a scan-to-scan-correlated draw (Swerling 2/4 style reuse) would push P(both) towards Pd
    assert abs(both - pd * pd) < 4 * math.sqrt(pd * pd * (1 - pd * pd) / 1999)


def test_reported_snr_is_the_measured_statistic() -> None:
    # steady target: z = |sqrt(S) + n|^2, so E[z] = S + 1 over all draws; detections keep z above the threshold
    p = at_height(np.array([0.0]), np.array([REF_RANGE_M * 10 ** ((REF_SNR_DB - 16.0) / 40)]), 1500.0)
    truth = straight_truth(p, np.zeros((1, 3)), end_s=4.0 * 801, step_s=100.0)
    rad = radar(swerling=0, pfa=1e-6, max_range_m=60e3,
                sensitivity={"kind": "reference", "snr_db": REF_SNR_DB, "range_m": REF_RANGE_M, "rcs_m2": 1.0})
    sim = RadarSimulator(rad, FRAME, truth, seed=4, sensor_index=0)
    slant = float(np.linalg.norm(truth.state_at(np.array([0]), np.array([0.0]))[0, :3] - sim.geometry.position))
    snr = 10 ** ((REF_SNR_DB + 40 * math.log10(REF_RANGE_M / slant)) / 10)
    z = np.concatenate([10 ** (d.snr_db[lab.target_id == 0] / 10) for d, lab in (sim.scan(k) for k in range(800))])
    assert np.all(z > -math.log(1e-6))
    # Pd ~ 1 at 16 dB for a steady target, so the truncation barely moves the mean
    assert z.size > 780
    assert z.mean() == pytest.approx(snr + 1, rel=4 * math.sqrt(2 * snr + 1) / (snr + 1) / math.sqrt(z.size) + 0.01)


def test_aspect_dependent_rcs_follows_the_two_lobe_pattern() -> None:
    """Targets 30 km out flying head-on (radially), at 45 degrees and broadside (tangentially), with a broadside /
    head-on RCS ratio of 10: their mean measured SNR (Swerling 0, strong signal, so the statistic is the signal
    power to within a few per cent) differs by 10 log10(1 + 9 sin^2 a) dB from the head-on one."""
    aspects = np.radians([0.0, 45.0, 90.0])
    az = np.radians([20.0, 140.0, 260.0])  # well apart, so no resolution merging
    radial = np.stack([np.sin(az), np.cos(az), np.zeros(3)], axis=1)
    tangential = np.stack([np.cos(az), -np.sin(az), np.zeros(3)], axis=1)
    v = 200.0 * (np.cos(aspects)[:, None] * radial + np.sin(aspects)[:, None] * tangential)
    p = at_height(30e3 * np.sin(az), 30e3 * np.cos(az), 300.0)  # low: the line of sight is nearly level
    truth = straight_truth(p - 20.0 * v, v, rcs_m2=1.0, end_s=40.0, step_s=1.0, rcs_broadside_ratio=10.0)
    rad = radar(swerling=0, scan_period_s=4.0, max_range_m=60e3,
                sensitivity={"kind": "reference", "snr_db": 40.0, "range_m": 30e3, "rcs_m2": 1.0})
    sim = RadarSimulator(rad, FRAME, truth, seed=3, sensor_index=0)
    snr = [[] for _ in range(3)]  # measured SNR over that of a 1 m^2 target at the detection's range
    for k in range(9):
        det, lab = sim.scan(k)
        for i in range(3):
            mine = lab.target_id == i
            snr[i].extend(10 ** ((det.snr_db[mine] - 40.0) / 10.0) * (det.range_m[mine] / 30e3) ** 4)
    gain_db = 10 * np.log10([np.mean(s) for s in snr])
    expected = 10 * np.log10(1.0 + 9.0 * np.sin(aspects) ** 2)
    assert min(len(s) for s in snr) >= 8
    np.testing.assert_allclose(gain_db, expected, atol=0.3)
