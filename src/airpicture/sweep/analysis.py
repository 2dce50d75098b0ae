"""Statistics of a sweep: confidence intervals, and the textbook estimates the figures overlay.

- Mean with a Student t interval (runs are independent replications).
- Probability with a Wilson score interval (good coverage near 0 and 1, where the Wald interval fails).
- Erlang's loss formula (Erlang B): probability that an arrival finds all ``c`` servers busy in an M/G/c/c
  loss system with offered load ``A = lambda h`` (arrival rate times mean holding time). By the insensitivity
  of the Erlang loss system it depends on the holding-time distribution only through its mean. The arrival rate
  is taken over the period the threats actually arrive (:func:`arrival_period`), not over the whole run: a raid
  that arrives within a minute of a five-minute run loads the battery five times more than the run average says.
- Binomial leak probability of an engaged threat from the single-shot Pk and the doctrine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from airpicture.scenario import Battery, Scenario
from airpicture.vocab import THREAT_KINDS

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Interval:
    """An estimate with its two-sided confidence interval (NaN bounds when it cannot be computed)."""

    estimate: float
    low: float
    high: float
    n: int


def t_interval(values: ArrayLike, confidence: float = 0.95) -> Interval:
    """Mean of ``values`` (NaNs dropped) with the Student t interval ``mean +- t_{(1+c)/2, n-1} s / sqrt(n)``."""
    x = np.asarray(values, dtype=float).ravel()
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, np.nan, np.nan, 1)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return Interval(mean, mean - half, mean + half, n)


def wilson_interval(successes: ArrayLike, trials: ArrayLike, confidence: float = 0.95) -> tuple[F64, F64, F64]:
    """Proportion ``k / n`` with its Wilson score interval, element-wise; NaN where ``n == 0``."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # The interval always contains p; clipping removes rounding residue at k = 0 and k = n.
    return p, np.clip(np.minimum(centre - half, p), 0.0, 1.0), np.clip(np.maximum(centre + half, p), 0.0, 1.0)


def erlang_b(channels: int, offered_load: ArrayLike) -> F64:
    """Erlang B blocking probability ``B(c, A)`` for ``c`` channels and offered load ``A`` (erlangs).

    Written by hand because scipy has no Erlang B: the recursion ``B(0) = 1``,
    ``B(k) = A B(k-1) / (k + A B(k-1))`` is the standard numerically stable form (no factorials, no
    overflow), vectorised over ``A``; it loops over the channel count, not over data.
    """
    if channels < 0:
        raise ValueError("channels must be >= 0")
    a = np.asarray(offered_load, dtype=float)
    if np.any(a < 0):
        raise ValueError("offered load must be >= 0")
    b = np.ones_like(a)
    for k in range(1, channels + 1):
        b = a * b / (k + a * b)
    return b


def arrival_period(t_low: ArrayLike, t_high: ArrayLike, arrivals: ArrayLike, fraction: float = 0.8) -> F64:
    """Length of the period over which each run's ``arrivals`` threats arrived, seconds, estimated from the two
    percentiles ``t_low``, ``t_high`` (linear interpolation) of their arrival times that enclose the central
    ``fraction`` of them: ``(t_high - t_low) (n + 1) / (fraction (n - 1))``; element-wise.

    Unbiased when the arrivals are spread uniformly over the period (as a Poisson process's are, given their
    number): the k-th of n arrivals falls on average k / (n + 1) of the way through. Percentiles rather than the
    first and last arrival keep a straggler (a lone early drone, a track re-initiated late in the run) from
    stretching the period. NaN where n < 2 or the percentiles coincide (no spread to measure).
    """
    lo = np.asarray(t_low, dtype=float)
    hi = np.asarray(t_high, dtype=float)
    n = np.asarray(arrivals, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        period = (hi - lo) * (n + 1) / (fraction * (n - 1))
    return np.where((n >= 2) & (hi > lo), period, np.nan)


def leak_probability_engaged(pk: float, doctrine: str, salvo_size: int, max_shots: int = 1) -> float:
    """P(an engaged threat survives) with independent interceptors of single-shot kill probability ``pk``.

    Salvo: one salvo of ``salvo_size`` -> ``(1 - pk)^salvo_size``. Shoot-look-shoot: up to ``max_shots`` salvos,
    the next only after a miss -> ``(1 - pk)^(salvo_size max_shots)``, assuming time for every shot (a lower
    bound on the true leak probability when the threat arrives before the last shot).
    """
    shots = salvo_size * (max_shots if doctrine == "shoot_look_shoot" else 1)
    return float((1.0 - pk) ** shots)


def leak_probability(blocking: ArrayLike, p_leak_engaged: ArrayLike) -> F64:
    """P(a threat leaks) when it is refused a channel with probability ``blocking`` (and then always leaks)
    and otherwise engaged, leaking with ``p_leak_engaged``."""
    b = np.asarray(blocking, dtype=float)
    return b + (1.0 - b) * np.asarray(p_leak_engaged, dtype=float)


def probability_any(p: ArrayLike, n: ArrayLike) -> F64:
    """P(at least one of ``n`` independent events of probability ``p``) ``= 1 - (1 - p)^n``."""
    return 1.0 - (1.0 - np.asarray(p, dtype=float)) ** np.asarray(n, dtype=float)


def threat_mix(scenario: Scenario) -> dict[str, int]:
    """Threats per kind from the scenario's raids (hostile replays are not counted)."""
    mix: dict[str, int] = {}
    for raid in scenario.raids:
        if raid.kind in THREAT_KINDS and raid.count > 0:
            mix[raid.kind] = mix.get(raid.kind, 0) + raid.count
    return mix


def mixed_leak_probability_engaged(battery: Battery, mix: Mapping[str, int]) -> float:
    """Leak probability of an engaged threat averaged over the threat mix (weights: counts per kind)."""
    total = sum(mix.values())
    if total == 0:
        return float("nan")
    return sum(
        n * leak_probability_engaged(battery.pk[k], battery.doctrine, battery.salvo_size, battery.max_shots)
        for k, n in mix.items()
    ) / total
