"""Measurement accuracy of a radar: standard deviations of range, azimuth, elevation and range rate.

Fixed sigmas, or SNR-dependent ones from the textbook thermal-noise limits (Barton; Skolnik, *Radar Handbook*,
ch. on measurement accuracy):

    sigma_R   = dR / sqrt(2 SNR)                  (dR: range resolution)
    sigma_ang = theta_3dB / (k_m sqrt(2 SNR))     (k_m: monopulse slope, ~1.6)

each combined in quadrature with a floor (bias, quantisation). SNR is linear (not dB) inside. Used by the
radar simulation to draw the noise and by the tracker to build the measurement covariance R, so both agree.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from airpicture.scenario import FixedAccuracy, Radar

F64 = NDArray[np.float64]


def measurement_sigmas(radar: Radar, snr_db: ArrayLike) -> tuple[F64, F64, F64, F64]:
    """Sigmas (range m, azimuth rad, elevation rad, range rate m/s), each shaped like ``snr_db``."""
    snr_db = np.asarray(snr_db, dtype=float)
    acc = radar.accuracy
    rr = np.full(snr_db.shape, radar.range_rate_sigma_mps)
    if isinstance(acc, FixedAccuracy):
        return (np.full(snr_db.shape, acc.range_m), np.full(snr_db.shape, np.radians(acc.azimuth_deg)),
                np.full(snr_db.shape, np.radians(acc.elevation_deg)), rr)
    snr = 10.0 ** (np.clip(snr_db, -30.0, 100.0) / 10.0)
    root = np.sqrt(2.0 * snr)
    sr = np.hypot(radar.range_resolution_m / root, acc.range_floor_m)
    saz = np.hypot(np.radians(radar.azimuth_beamwidth_deg) / (acc.angle_slope * root),
                   np.radians(acc.azimuth_floor_deg))
    sel = np.hypot(np.radians(radar.elevation_resolution_deg) / (acc.angle_slope * root),
                   np.radians(acc.elevation_floor_deg))
    return sr, saz, sel, rr
