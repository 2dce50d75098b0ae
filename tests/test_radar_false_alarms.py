"""False alarms against Pfa x resolution cells (Poisson intervals), their spread over the coverage, their SNR
and time stamps, and clutter regions."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from airpicture.sensors.radar import RadarSimulator
from tests.radar_support import FRAME, empty_truth, radar

SCANS = 300


def collect(rad, scans: int = SCANS, seed: int = 21):
    sim = RadarSimulator(rad, FRAME, empty_truth(), seed=seed, sensor_index=0)
    parts = [sim.scan(k) for k in range(scans)]
    return sim, parts


def test_false_alarm_count_matches_pfa_times_cells() -> None:
    rad = radar(pfa=1e-4, min_range_m=1000.0, max_range_m=31_000.0, range_resolution_m=150.0,
                azimuth_beamwidth_deg=3.0, elevation_min_deg=0.0, elevation_max_deg=20.0,
                elevation_resolution_deg=5.0)
    cells = (31_000 - 1000) / 150 * (360 / 3.0) * (20 / 5.0)  # 200 x 120 x 4 resolution cells
    _, parts = collect(rad)
    counts = np.array([len(d) for d, _ in parts])
    assert all(np.all(lab.target_id == -1) and np.all(lab.merged == 0) for _, lab in parts)
    lo, hi = stats.poisson.interval(0.999, SCANS * 1e-4 * cells)
    assert lo <= counts.sum() <= hi
    # per-scan counts are Poisson: variance ~ mean (index of dispersion test)
    dispersion = counts.var(ddof=1) * (SCANS - 1) / counts.mean()
    assert stats.chi2.ppf(0.0005, SCANS - 1) <= dispersion <= stats.chi2.ppf(0.9995, SCANS - 1)


def test_azimuth_resolution_sets_the_cell_count() -> None:
    common = dict(pfa=1e-4, max_range_m=31_000.0, elevation_min_deg=0.0, elevation_max_deg=20.0,
                  elevation_resolution_deg=5.0)
    _, parts = collect(radar(azimuth_beamwidth_deg=3.0, azimuth_resolution_deg=1.0, **common), scans=100)
    total = sum(len(d) for d, _ in parts)
    lo, hi = stats.poisson.interval(0.999, 100 * 1e-4 * (30_000 / 150) * 360 * 4)
    assert lo <= total <= hi


def test_false_alarms_are_uniform_over_the_coverage_with_noise_statistics() -> None:
    rad = radar(pfa=1e-4, min_range_m=2000.0, max_range_m=40_000.0, elevation_min_deg=-1.0,
                elevation_max_deg=30.0, scan_period_s=5.0, start_azimuth_deg=40.0)
    sim, parts = collect(rad, scans=150)
    det = [d for d, _ in parts]
    r = np.concatenate([d.range_m for d in det])
    az = np.concatenate([d.azimuth_deg for d in det])
    el = np.concatenate([d.elevation_deg for d in det])
    snr_db = np.concatenate([d.snr_db for d in det])
    assert r.size > 1000
    assert stats.kstest(r, stats.uniform(2000.0, 38_000.0).cdf).pvalue > 1e-3
    assert stats.kstest(az, stats.uniform(0.0, 360.0).cdf).pvalue > 1e-3
    assert stats.kstest(el, stats.uniform(-1.0, 31.0).cdf).pvalue > 1e-3
    # noise exceeding the threshold T = -ln(pfa): z - T is exponential with unit mean
    excess = 10 ** (snr_db / 10) - (-math.log(1e-4))
    assert excess.min() > 0
    assert stats.kstest(excess, stats.expon().cdf).pvalue > 1e-3
    # each is time-stamped when its rotation's beam points at it
    for k, d in enumerate(det):
        assert np.all((d.time_s >= k * 5.0) & (d.time_s < (k + 1) * 5.0))
        assert np.all(np.diff(d.time_s) >= 0)
        beam = sim.beam_azimuth_deg(d.time_s)
        assert np.allclose(np.angle(np.exp(1j * np.radians(beam - d.azimuth_deg))), 0.0, atol=1e-9)


def test_clutter_regions_add_their_own_poisson_counts_inside_the_region() -> None:
    region = {"range_min_m": 2000.0, "range_max_m": 12_000.0, "azimuth_min_deg": 350.0, "azimuth_max_deg": 20.0,
              "false_alarms_per_scan": 6.0}
    rad = radar(pfa=1e-9, max_range_m=50_000.0, clutter=[region], range_rate=True, max_range_rate_mps=300.0)
    _, parts = collect(rad, scans=200)
    det = [d for d, _ in parts]
    noise_mean = 200 * 1e-9 * (49_000 / 150) * (360 / 1.5) * (61 / 2.0)
    total = sum(len(d) for d in det)
    lo, hi = stats.poisson.interval(0.999, 200 * 6.0 + noise_mean)
    assert lo <= total <= hi
    r = np.concatenate([d.range_m for d in det])
    az = np.concatenate([d.azimuth_deg for d in det])
    el = np.concatenate([d.elevation_deg for d in det])
    rr = np.concatenate([d.range_rate_mps for d in det])
    inside = (r >= 2000) & (r <= 12_000) & ((az >= 350) | (az <= 20))
    assert inside.mean() > 0.99  # all but the rare noise false alarm
    assert stats.kstest(r[inside], stats.uniform(2000.0, 10_000.0).cdf).pvalue > 1e-3
    assert stats.kstest(np.mod(az[inside] + 10.0, 360.0), stats.uniform(0.0, 30.0).cdf).pvalue > 1e-3
    assert np.all(el[inside] <= -1.0 + 2.0 + 1e-9)  # lowest elevation cell
    assert np.all(np.abs(rr) <= 300.0)
    assert stats.kstest(rr, stats.uniform(-300.0, 600.0).cdf).pvalue > 1e-3


def test_clutter_beyond_instrumented_range_reports_nothing() -> None:
    region = {"range_min_m": 20_000.0, "range_max_m": 60_000.0, "false_alarms_per_scan": 10.0}
    rad = radar(pfa=1e-12, max_range_m=40_000.0, clutter=[region])
    _, parts = collect(rad, scans=100)
    r = np.concatenate([d.range_m for d, _ in parts])
    assert r.max() <= 40_000.0
    lo, hi = stats.poisson.interval(0.999, 100 * 10.0 * 0.5)  # half of the region is in range
    assert lo <= r.size <= hi
