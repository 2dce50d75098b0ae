"""Tracker settings shared by both sides of the Stone Soup comparison, so that each side is configured from the
same numbers. Units: SI (metres, seconds, m/s, m/s^2)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from scipy.stats import chi2


@dataclass(frozen=True)
class TrackerSettings:
    association: Literal["gnn", "jpda"] = "gnn"
    accel_sigma_mps2: float = 5.0  # white-acceleration process noise per axis
    gate_probability: float = 0.9999  # chi-square gate, 3 degrees of freedom
    detection_probability: float = 0.9  # assumed by JPDA
    initial_speed_sigma_mps: float = 300.0  # velocity prior of a single-point initiation, per axis
    confirm_m: int = 3  # confirm after M hits ...
    confirm_n: int = 4  # ... in the first N looks
    delete_misses: int = 3  # delete a confirmed track after this many consecutive missed looks
    delete_position_sigma_m: float = 10e3  # ... or when its position sigma exceeds this
    gospa_cutoff_m: float = 5000.0
    gospa_p: float = 2.0

    @property
    def gate_chi2(self) -> float:
        """Gate on the squared Mahalanobis distance of a 3-D measurement."""
        return float(chi2.ppf(self.gate_probability, df=3))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["gate_chi2"] = self.gate_chi2
        return d
