"""Scoring of the real-traffic benchmark, identical for both trackers.

At every scan end t_k = (k + 1) T the confirmed tracks, predicted to t_k, are compared with the truth targets that
exist at t_k and are inside the radar's coverage then (range, elevation limits, 4/3-Earth horizon:
``real_traffic_radar.in_coverage``), by GOSPA (``airpicture.metrics.gospa``: p = 2, alpha = 2, c = 5 km; its
optimal assignment pairs a target and a track only closer than c). Per epoch: GOSPA (m), the assigned pairs'
squared errors (3-D and vertical), false tracks (confirmed tracks not assigned to a target), missed targets
(targets not assigned to a track), ID switches (a target assigned to a different track id than at its previous
assigned epoch). Over a run: mean GOSPA over the epochs, position RMSE over all assigned pairs (and its vertical
part), mean false tracks and missed targets per epoch, total ID switches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from airpicture.metrics import gospa
from real_traffic_data import Truth
from real_traffic_radar import RadarSpec, in_coverage

F64 = NDArray[np.float64]
CUTOFF_M = 5000.0
ORDER_P = 2.0


def truth_in_coverage(truth: Truth, radar: RadarSpec, t: float) -> tuple[NDArray[np.int64], F64]:
    """Indices and positions (K, 3) of the targets that exist at t and are inside the coverage."""
    alive = np.flatnonzero(truth.alive(t))
    pos, _ = truth.states(t, alive)
    inside = in_coverage(pos, radar)
    return alive[inside], pos[inside]


@dataclass
class RunScore:
    """Per-epoch scores of one tracker on one run."""

    gospa_m: list[float] = field(default_factory=list)
    n_truth: list[int] = field(default_factory=list)
    n_tracks: list[int] = field(default_factory=list)
    n_pairs: list[int] = field(default_factory=list)
    sq_err_m2: list[float] = field(default_factory=list)
    sq_err_up_m2: list[float] = field(default_factory=list)
    false: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    switches: list[int] = field(default_factory=list)
    _last: dict[int, int] = field(default_factory=dict, repr=False)

    def add(self, truth_ids: NDArray[np.int64], truth_pos: F64, track_pos: F64, track_ids: list[int]) -> None:
        g = gospa(truth_pos, track_pos, CUTOFF_M, ORDER_P)
        pairs = g.pairs
        d = truth_pos[pairs[:, 0]] - track_pos[pairs[:, 1]] if pairs.size else np.zeros((0, 3))
        sw = 0
        for ti, kj in pairs:
            target, track = int(truth_ids[ti]), int(track_ids[kj])
            prev = self._last.get(target)
            if prev is not None and prev != track:
                sw += 1
            self._last[target] = track
        self.gospa_m.append(float(g.total_m))
        self.n_truth.append(int(truth_pos.shape[0]))
        self.n_tracks.append(int(track_pos.shape[0]))
        self.n_pairs.append(int(pairs.shape[0]))
        self.sq_err_m2.append(float(np.sum(d * d)))
        self.sq_err_up_m2.append(float(np.sum(d[:, 2] ** 2)))
        self.false.append(int(g.n_false))
        self.missed.append(int(g.n_missed))
        self.switches.append(sw)

    def per_epoch(self) -> dict[str, list]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    @classmethod
    def from_per_epoch(cls, d: dict[str, list]) -> RunScore:
        return cls(**{k: list(v) for k, v in d.items()})


def summary(s: RunScore) -> dict[str, float]:
    """The run's headline figures (see the module docstring)."""
    pairs = max(int(np.sum(s.n_pairs)), 1)
    return {
        "mean_gospa_m": float(np.mean(s.gospa_m)),
        "rmse_m": float(np.sqrt(np.sum(s.sq_err_m2) / pairs)),
        "rmse_up_m": float(np.sqrt(np.sum(s.sq_err_up_m2) / pairs)),
        "false_per_epoch": float(np.mean(s.false)),
        "missed_per_epoch": float(np.mean(s.missed)),
        "id_switches": int(np.sum(s.switches)),
        "mean_truth": float(np.mean(s.n_truth)),
        "mean_tracks": float(np.mean(s.n_tracks)),
    }
