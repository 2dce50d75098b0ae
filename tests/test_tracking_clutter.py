"""The tracker's clutter density derived from the radar matches the false alarms the radar simulation draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from airpicture.scenario import ClutterRegion, Radar
from airpicture.sensors.false_alarms import scan_false_alarms
from airpicture.tracking.sensors import radar_clutter_log_density

RADAR = Radar(id=1, max_range_m=100e3, min_range_m=1000.0, pfa=2e-5, range_resolution_m=300.0,
              azimuth_beamwidth_deg=2.0, elevation_min_deg=0.0, elevation_max_deg=30.0,
              elevation_resolution_deg=3.0,
              clutter=[ClutterRegion(range_max_m=15e3, azimuth_min_deg=350.0, azimuth_max_deg=40.0,
                                     false_alarms_per_scan=40.0)])


def _boxes():
    # (range lo, hi m), (az lo, hi deg), (el lo, hi deg): far noise, near noise, inside the clutter region
    return [((60e3, 90e3), (100.0, 200.0), (5.0, 25.0)),
            ((2e3, 12e3), (100.0, 200.0), (5.0, 25.0)),
            ((2e3, 12e3), (0.0, 30.0), (0.0, 3.0))]


@pytest.mark.parametrize("box", range(3))
def test_empirical_false_alarm_density_matches_the_tracker_model(box: int) -> None:
    rng = np.random.default_rng(42 + box)
    (r0, r1), (a0, a1), (e0, e1) = _boxes()[box]
    scans = 400
    count = 0
    for k in range(scans):
        fa = scan_false_alarms(RADAR, rng, k)
        az = np.degrees(fa.azimuth_rad)
        el = np.degrees(fa.elevation_rad)
        count += int(np.sum((fa.range_m >= r0) & (fa.range_m < r1) & (az >= a0) & (az < a1)
                            & (el >= e0) & (el < e1)))
    volume = (r1 - r0) * math.radians(a1 - a0) * math.radians(e1 - e0)
    # the model's density at the box centre (uniform inside each box by construction)
    lam = float(np.exp(radar_clutter_log_density(RADAR, np.array([(r0 + r1) / 2]),
                                                 np.radians([(a0 + a1) / 2]), np.radians([(e0 + e1) / 2])))[0])
    expected = lam * volume * scans
    lo, hi = stats.poisson.ppf([0.0005, 0.9995], expected)
    assert lo <= count <= hi, (count, expected)
