"""Radar physics as pure, vectorised functions: mean SNR from the radar equation, detection threshold and
probability of detection for a square-law detector, the draw of the detection statistic, and the radar horizon.

Conventions: SNR is linear (power ratio) inside, dB at the boundary; the receiver noise power is normalised
to 1, so a single look's square-law statistic is ``z = |sqrt(snr) + n|^2`` with complex Gaussian noise
``n ~ CN(0, 1)``: noise alone gives ``z ~ Exp(1)`` and the threshold for a false-alarm probability ``pfa`` is
``T = -ln(pfa)``. Ranges and heights in metres.

Single-look probability of detection (Skolnik, *Radar Handbook*, ch. 2; Richards, *Fundamentals of Radar
Signal Processing*, ch. 6), with mean SNR ``S``:

- Swerling 0 (steady target): ``Pd = Q_1(sqrt(2 S), sqrt(2 T))`` (Marcum Q), i.e. the survival function of a
  non-central chi-square with 2 degrees of freedom and non-centrality ``2 S`` at ``2 T``;
- Swerling 1 (RCS exponential, i.e. chi-square with 2 dof, independent from scan to scan):
  ``Pd = exp(-T / (1 + S))``;
- Swerling 3 (RCS chi-square with 4 dof, scan to scan): ``Pd = exp(-T / (1 + S/2)) (1 + 2 T S / (2 + S)^2)``.

Radar horizon over a smooth spherical Earth of radius ``R`` with standard refraction folded into an effective
radius ``k R`` (k = 4/3): ``d = sqrt(2 k R h1) + sqrt(2 k R h2)``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from airpicture.scenario import RadarEquationSensitivity, ReferenceSensitivity

F64 = NDArray[np.float64]

BOLTZMANN_J_PER_K = 1.380649e-23
REFERENCE_TEMPERATURE_K = 290.0
SPEED_OF_LIGHT_MPS = 299_792_458.0
STANDARD_REFRACTION_K = 4.0 / 3.0

SWERLING_CASES = (0, 1, 3)


def db_to_linear(db: ArrayLike) -> F64:
    return np.power(10.0, np.asarray(db, dtype=float) / 10.0)


def linear_to_db(x: ArrayLike) -> F64:
    return 10.0 * np.log10(np.asarray(x, dtype=float))


# ------------------------------------------------------------------------------------------ sensitivity
def snr_constant(sensitivity: ReferenceSensitivity | RadarEquationSensitivity) -> float:
    """The constant C (linear, m^4 / m^2) in ``SNR = C sigma / R^4`` for sigma in m^2 and R in metres."""
    if isinstance(sensitivity, ReferenceSensitivity):
        return float(10.0 ** (sensitivity.snr_db / 10.0) * sensitivity.range_m**4 / sensitivity.rcs_m2)
    s = sensitivity
    wavelength = SPEED_OF_LIGHT_MPS / s.frequency_hz
    gain = 10.0 ** (s.antenna_gain_db / 10.0)
    noise_figure = 10.0 ** (s.noise_figure_db / 10.0)
    losses = 10.0 ** (s.losses_db / 10.0)
    numerator = s.peak_power_w * gain**2 * wavelength**2 * s.pulses_integrated
    denominator = (4.0 * math.pi) ** 3 * BOLTZMANN_J_PER_K * REFERENCE_TEMPERATURE_K * noise_figure \
        * s.bandwidth_hz * losses
    return float(numerator / denominator)


def mean_snr(constant: float, rcs_m2: ArrayLike, range_m: ArrayLike) -> F64:
    """Mean single-look SNR (linear) of targets of mean RCS ``rcs_m2`` at ``range_m``: C sigma / R^4."""
    r = np.asarray(range_m, dtype=float)
    r2 = r * r
    return constant * np.asarray(rcs_m2, dtype=float) / (r2 * r2)


def aspect_rcs_m2(rcs_head_on_m2: ArrayLike, broadside_ratio: ArrayLike, range_rate_mps: ArrayLike,
                  speed_mps: ArrayLike) -> F64:
    """RCS (m^2) at the aspect of each look: sigma_0 (1 + (ratio - 1) sin^2 a), with a the angle between the
    target's velocity and the line of sight, cos a = |range rate| / speed -- a smooth two-lobe pattern, head-on
    (nose or tail) value ``rcs_head_on_m2``, ``broadside_ratio`` times that broadside. A target at rest keeps
    its head-on value."""
    speed = np.asarray(speed_mps, dtype=float)
    cos_a = np.abs(np.asarray(range_rate_mps, dtype=float)) / np.maximum(speed, 1e-9)
    sin2 = np.where(speed > 1e-6, 1.0 - np.minimum(cos_a, 1.0) ** 2, 0.0)
    return np.asarray(rcs_head_on_m2, dtype=float) * (1.0 + (np.asarray(broadside_ratio, dtype=float) - 1.0) * sin2)


def mean_snr_db(sensitivity: ReferenceSensitivity | RadarEquationSensitivity, rcs_m2: ArrayLike,
                range_m: ArrayLike) -> F64:
    """Mean single-look SNR in dB of targets of mean RCS ``rcs_m2`` (m^2) at ``range_m`` (m)."""
    return linear_to_db(mean_snr(snr_constant(sensitivity), rcs_m2, range_m))


# ------------------------------------------------------------------------------------------ detection
def threshold_from_pfa(pfa: ArrayLike) -> F64:
    """Square-law threshold (in units of the noise power) giving false-alarm probability ``pfa`` per cell."""
    return -np.log(np.asarray(pfa, dtype=float))


def detection_probability(snr_db: ArrayLike, pfa: ArrayLike, swerling: int) -> F64:
    """Single-look probability of detection (theory) for mean SNR ``snr_db`` (dB), false-alarm probability
    ``pfa`` per cell and Swerling case 0, 1 or 3; vectorised over ``snr_db`` and ``pfa``."""
    s = db_to_linear(snr_db)
    t = threshold_from_pfa(pfa)
    s, t = np.broadcast_arrays(s, t)
    if swerling == 0:
        from scipy.stats import ncx2  # imported here: scipy.stats costs ~0.3 s and only this theory needs it

        return np.asarray(ncx2.sf(2.0 * t, 2.0, 2.0 * s), dtype=float)
    if swerling == 1:
        return np.exp(-t / (1.0 + s))
    if swerling == 3:
        return np.exp(-t / (1.0 + s / 2.0)) * (1.0 + 2.0 * t * s / (2.0 + s) ** 2)
    raise ValueError(f"unknown Swerling case {swerling}; expected 0, 1 or 3")


def fluctuate(rng: np.random.Generator, mean: F64, swerling: int) -> F64:
    """One scan's RCS (or SNR) draw around ``mean``: steady (0), exponential (1) or chi-square 4 dof (3)."""
    mean = np.asarray(mean, dtype=float)
    if swerling == 0:
        return mean.copy()
    if swerling == 1:
        return mean * rng.standard_exponential(mean.shape)
    if swerling == 3:
        return mean * rng.standard_gamma(2.0, mean.shape) / 2.0
    raise ValueError(f"unknown Swerling case {swerling}; expected 0, 1 or 3")


def square_law_statistic(rng: np.random.Generator, snr: F64) -> F64:
    """Draw ``z = |sqrt(snr) + n|^2`` with ``n ~ CN(0, 1)``: the detector output over the noise power.

    The signal phase is irrelevant to ``|.|^2`` and is put on the real axis.
    """
    snr = np.asarray(snr, dtype=float)
    noise = rng.standard_normal((2, *snr.shape)) * math.sqrt(0.5)
    return (np.sqrt(snr) + noise[0]) ** 2 + noise[1] ** 2


def noise_exceedance(rng: np.random.Generator, threshold: float, n: int) -> F64:
    """Square-law statistics of ``n`` noise-only cells known to exceed ``threshold``: ``T + Exp(1)``
    (the exponential is memoryless)."""
    return threshold + rng.standard_exponential(n)


# ------------------------------------------------------------------------------------------ horizon
def radar_horizon_m(antenna_height_m: ArrayLike, target_height_m: ArrayLike, earth_radius_m: float,
                    k_factor: float = STANDARD_REFRACTION_K) -> F64:
    """Textbook radar horizon distance ``sqrt(2 k R h1) + sqrt(2 k R h2)`` in metres (heights >= 0)."""
    a = k_factor * earth_radius_m
    h1 = np.maximum(np.asarray(antenna_height_m, dtype=float), 0.0)
    h2 = np.maximum(np.asarray(target_height_m, dtype=float), 0.0)
    return np.sqrt(2.0 * a * h1) + np.sqrt(2.0 * a * h2)


def tangent_angle(height_m: ArrayLike, effective_radius_m: float) -> F64:
    """Central angle (rad) from a point at ``height_m`` above a sphere of ``effective_radius_m`` to its horizon:
    arccos(a / (a + h)), written as an arctangent to keep precision for h << a."""
    h = np.maximum(np.asarray(height_m, dtype=float), 0.0)
    a = effective_radius_m
    return np.arctan2(np.sqrt(h * (2.0 * a + h)), a)


def above_horizon(ground_angle_rad: ArrayLike, antenna_height_m: float, target_height_m: ArrayLike,
                  earth_radius_m: float, k_factor: float = STANDARD_REFRACTION_K) -> NDArray[np.bool_]:
    """Line of sight over the effective Earth (radius k R): the straight ray from the antenna to the target
    clears the sphere when the central angle between them (``ground_angle_rad`` on the true Earth, i.e. the
    ground distance over R) is at most the sum of both points' tangent angles. To first order this is
    ``ground distance <= sqrt(2 k R h1) + sqrt(2 k R h2)``."""
    a = k_factor * earth_radius_m
    psi = np.asarray(ground_angle_rad, dtype=float) / k_factor  # same ground distance on the bigger sphere
    return psi <= tangent_angle(antenna_height_m, a) + tangent_angle(target_height_m, a)
