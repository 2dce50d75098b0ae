"""Resolution: targets sharing a resolution cell give one merged detection (power-weighted centroid, label of
the strongest, merged count) until they spread; grouping checked against brute force."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from airpicture.sensors.radar import RadarSimulator
from airpicture.sensors.resolution import merge_echoes, resolution_groups
from tests.radar_support import FRAME, at_height, radar, straight_truth

STRONG = {"kind": "reference", "snr_db": 70.0, "range_m": 100e3, "rcs_m2": 1.0}


def brute_force_groups(r, az, el, dr, daz, del_, cut):
    """Components of the 'closer than one cell in every coordinate' relation, by an all-pairs matrix; azimuth
    counted clockwise from the cut (no wrap across it)."""
    rel = np.mod(az - cut, 2 * np.pi)
    d_az = np.abs(rel[:, None] - rel[None, :])
    close = (np.abs(r[:, None] - r[None, :]) < dr) & (d_az < daz) & (np.abs(el[:, None] - el[None, :]) < del_)
    return connected_components(close.astype(int), directed=False)


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all((a[:, None] == a[None, :]) == (b[:, None] == b[None, :])))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), seed=st.integers(0, 10_000), spread=st.floats(0.5, 20.0),
       cut_deg=st.sampled_from([0.0, 1.0, 359.0, 123.4]))
def test_groups_match_brute_force(n: int, seed: int, spread: float, cut_deg: float) -> None:
    rng = np.random.default_rng(seed)
    dr, daz, del_ = 150.0, math.radians(1.5), math.radians(2.0)
    r = 20e3 + rng.uniform(0, spread * dr, n)
    az = np.mod(rng.uniform(-spread, spread, n) * daz, 2 * np.pi)  # straddles north
    el = rng.uniform(0, spread * del_, n)
    cut = math.radians(cut_deg)
    n_groups, group = resolution_groups(r, az, el, dr, daz, del_, cut_azimuth_rad=cut)
    n_ref, ref = brute_force_groups(r, az, el, dr, daz, del_, cut)
    assert n_groups == n_ref
    assert same_partition(group, ref)
    assert np.array_equal(group, ref)  # numbered as connected_components numbers them (lowest member first)


def test_merge_is_power_weighted_with_strongest_label() -> None:
    group = np.array([0, 1, 0, 0])
    power = np.array([1.0, 5.0, 3.0, 0.5])
    az = np.radians(np.array([359.5, 10.0, 0.3, 359.9]))
    m = merge_echoes(group, 2, power, np.array([1.0, 2.0, 1.1, 1.2]), np.array([100.0, 200.0, 110.0, 90.0]), az,
                     np.zeros(4), np.array([1.0, 0.0, 2.0, 3.0]))
    w = np.array([1.0, 3.0, 0.5])
    assert m.strongest.tolist() == [2, 1]
    assert m.members.tolist() == [3, 1]
    np.testing.assert_allclose(m.power, [4.5, 5.0])
    np.testing.assert_allclose(m.range_m[0], np.dot(w, [100.0, 110.0, 90.0]) / 4.5)
    np.testing.assert_allclose(m.time_s[0], np.dot(w, [1.0, 1.1, 1.2]) / 4.5)
    np.testing.assert_allclose(m.range_rate_mps[0], np.dot(w, [1.0, 2.0, 3.0]) / 4.5)
    mean_az = np.dot(w, [-0.5, 0.3, -0.1]) / 4.5  # across north
    np.testing.assert_allclose(np.degrees(np.angle(np.exp(1j * m.azimuth_rad[0]))), mean_az, atol=1e-9)
    assert m.range_m[1] == 200.0 and m.members[1] == 1


def test_close_formation_reports_one_target_until_it_spreads() -> None:
    # two aircraft 60 m apart in range at 40 km due east, flying apart laterally (north/south) at 2 x 20 m/s
    p = at_height(np.array([40e3, 40.06e3]), np.array([0.0, 0.0]), 6000.0)
    v = np.array([[0.0, -20.0, 0.0], [0.0, 20.0, 0.0]])
    truth = straight_truth(p, v, rcs_m2=np.array([1.0, 4.0]), end_s=240.0, step_s=2.0)
    rad = radar(swerling=0, scan_period_s=4.0, azimuth_beamwidth_deg=1.5, range_resolution_m=150.0,
                max_range_m=100e3, sensitivity=STRONG,
                accuracy={"kind": "fixed", "range_m": 0.01, "azimuth_deg": 1e-5, "elevation_deg": 1e-5})
    sim = RadarSimulator(rad, FRAME, truth, seed=1, sensor_index=0)
    # lateral separation 40 t metres; the beam cell at 40 km spans 40e3 x 1.5 deg ~ 1047 m
    cell_m = 40e3 * math.radians(1.5)
    merged_scans, split_scans = [], []
    for k in range(58):
        det, lab = sim.scan(k)
        real = lab.target_id >= 0
        t_mid = det.time_s[real].mean()
        if 40.0 * t_mid < 0.8 * cell_m:
            merged_scans.append(k)
            assert real.sum() == 1 and lab.merged[real][0] == 2
            assert lab.target_id[real][0] == 1  # the 4 m^2 one is stronger at the same range
            # steady targets: weights are the mean SNRs, 4:1 at (almost) the same range
            x = truth.state_at(np.array([0, 1]), np.full(2, det.time_s[real][0]))
            rng = np.linalg.norm(x[:, :3] - sim.geometry.position, axis=1)
            w = np.array([1.0, 4.0]) / rng**4
            assert abs(det.range_m[real][0] - np.dot(w, rng) / w.sum()) < 0.5
        elif 40.0 * t_mid > 1.3 * cell_m:
            split_scans.append(k)
            assert real.sum() == 2 and np.all(lab.merged[real] == 1)
            assert sorted(lab.target_id[real].tolist()) == [0, 1]
    assert len(merged_scans) >= 5 and len(split_scans) >= 10
    assert max(merged_scans) < min(split_scans)


def test_echoes_either_side_of_the_rotation_start_stay_apart() -> None:
    # the beam starts the rotation at 0 degrees: 359.9 and 0.1 degrees are swept a rotation apart
    r = np.array([30e3, 30e3, 30e3])
    az = np.radians(np.array([359.9, 0.1, 0.6]))
    n_groups, group = resolution_groups(r, az, np.zeros(3), 150.0, math.radians(1.5), math.radians(2.0))
    assert n_groups == 2 and group[1] == group[2] != group[0]
    n_groups, _ = resolution_groups(r, az, np.zeros(3), 150.0, math.radians(1.5), math.radians(2.0),
                                    cut_azimuth_rad=math.radians(180.0))
    assert n_groups == 1
