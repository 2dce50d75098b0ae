"""Stone Soup 1.9.1 side of the comparison: its EKF + constant-velocity tracker, configured as a knowledgeable
user would and equivalently to airpicture's tracker, fed the benchmark detections a scan (or a window) at a time.

Configuration (components from ``stonesoup/`` 1.9.1):

* motion: ``CombinedLinearGaussianTransitionModel`` of three ``ConstantVelocity(noise_diff_coeff=q)`` with
  q = sigma_a^2 (continuous white acceleration, as airpicture's CV), state ``[x, vx, y, vy, z, vz]`` with
  x = east, y = north, z = up (metres, m/s);
* filter: ``ExtendedKalmanPredictor`` / ``ExtendedKalmanUpdater``;
* measurement: ``CartesianToElevationBearingRange`` with the generator's sigmas and the antenna as translation
  offset. Its bearing is counter-clockwise from east, so bearing = pi/2 - azimuth;
* GNN: ``DistanceHypothesiser`` with the ``Mahalanobis`` measure and the chi-square gate (missed distance =
  sqrt(chi2)), ``DetectionKDTreeGNN2D`` (k-d tree pre-gate + ``GNNWith2DAssignment``) in a
  ``MultiTargetTracker``;
* JPDA: ``PDAHypothesiser`` (Pd, gate probability, the generator's true clutter density in measurement space)
  with exact JPDA by efficient hypothesis management (``JPDAwithEHM2``, which clusters; plain ``JPDA``
  enumerates the joint hypotheses of all tracks at once and cannot run 100 tracks) behind the same k-d tree
  pre-gate, in a ``MultiTargetMixtureTracker``;
* initiation: ``MultiMeasurementInitiator`` (single-point ``SimpleMeasurementInitiator`` with the velocity
  prior, confirmation at M updates, its holding tracks associated by the GNN above) whose holding tracks are
  dropped by the M-of-N rule (:class:`MofNDeleter`; Stone Soup has no M-of-N deleter);
* deletion: ``CompositeDeleter`` (any of) K missed looks -- ``UpdateTimeStepsDeleter`` when fed whole scans,
  :class:`MissedLooksDeleter` when fed shorter windows -- and ``CovarianceBasedDeleter`` on the position
  covariance trace.

The k-d tree is built on the detections' (elevation, bearing, range): radians are negligible beside metres, so
the ball of radius ``max_distance`` is in effect a range window around each track's predicted range at the
batch time (see :class:`PreGate`). Stone Soup's TPR-tree associators were tried and fail here ("Query time
interval does not intersect current horizon": they cannot look up detections older than the newest track).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from stonesoup.base import Property
from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
from stonesoup.dataassociator.probability import JPDAwithEHM2
from stonesoup.dataassociator.tree import DetectionKDTreeGNN2D, DetectionKDTreeMixIn
from stonesoup.deleter.base import Deleter
from stonesoup.deleter.error import CovarianceBasedDeleter
from stonesoup.deleter.multi import CompositeDeleter
from stonesoup.deleter.time import UpdateTimeStepsDeleter
from stonesoup.hypothesiser.distance import DistanceHypothesiser
from stonesoup.hypothesiser.probability import PDAHypothesiser
from stonesoup.initiator.simple import MultiMeasurementInitiator
from stonesoup.measures import Mahalanobis
from stonesoup.models.measurement.nonlinear import CartesianToElevationBearingRange
from stonesoup.models.transition.linear import CombinedLinearGaussianTransitionModel, ConstantVelocity
from stonesoup.predictor.kalman import ExtendedKalmanPredictor
from stonesoup.tracker.simple import MultiTargetMixtureTracker, MultiTargetTracker
from stonesoup.types.angle import Bearing, Elevation
from stonesoup.types.array import StateVector
from stonesoup.types.detection import Detection
from stonesoup.types.state import GaussianState
from stonesoup.types.update import Update
from stonesoup.updater.kalman import ExtendedKalmanUpdater

from scenarios_bench import BenchData, BenchDetections
from tracker_settings_bench import TrackerSettings

F64 = NDArray[np.float64]

EPOCH = dt.datetime(2000, 1, 1)
POSITION = [0, 2, 4]  # x, y, z in Stone Soup's state order


def stamp(t: float) -> dt.datetime:
    """Seconds from the start as a ``datetime`` (microsecond resolution, like the generator's times)."""
    return EPOCH + dt.timedelta(microseconds=round(t * 1e6))


def beam_passes(track_state, ref_state, period_s: float, antenna: F64) -> int:
    """How many times the beam (north at t = 0, clockwise, one turn per ``period_s``) crossed a track between
    ``ref_state`` -- taken at a crossing (a detection) -- and ``track_state``, from the beam's turns less the
    track's own azimuth change (its estimated positions, relative to the antenna). If ``track_state`` is itself
    an update by a detection, it is at a crossing too and the count is rounded (the estimates' azimuth noise must
    not lose that look); otherwise it is floored."""
    def azimuth(state) -> float:
        sv = np.asarray(state.state_vector, float)
        return math.atan2(sv[POSITION[0], 0] - antenna[0], sv[POSITION[1], 0] - antenna[1])

    elapsed = (track_state.timestamp - ref_state.timestamp).total_seconds()
    turned = math.remainder(azimuth(track_state) - azimuth(ref_state), 2 * math.pi) / (2 * math.pi)
    turns = elapsed / period_s - turned
    at_crossing = isinstance(track_state, Update) and bool(track_state.hypothesis)
    return max(0, round(turns) if at_crossing else math.floor(turns))


class MofNDeleter(Deleter):
    """Drops a holding (tentative) track once it can no longer reach M hits in its first N looks; a look is a
    beam pass over the track (:func:`beam_passes`), its first detection the first look and hit."""

    m: int = Property(doc="Hits needed for confirmation")
    n: int = Property(doc="Looks allowed to gather them")
    period_s: float = Property(doc="Scan period, seconds")
    antenna: np.ndarray = Property(doc="Antenna position (east, north, up), metres")

    def check_for_deletion(self, track, **kwargs) -> bool:
        looks = 1 + beam_passes(track.state, track[0], self.period_s, self.antenna)
        hits = sum(1 for state in track if isinstance(state, Update) and state.hypothesis)
        return hits + max(0, self.n - looks) < self.m


class MissedLooksDeleter(Deleter):
    """Drops a track after K beam passes without a detection (:func:`beam_passes` since its last update).
    Stone Soup's ``UpdateTimeStepsDeleter`` counts batches instead, which is the same only if every batch is a
    whole scan."""

    misses: int = Property(doc="Missed looks that delete the track")
    period_s: float = Property(doc="Scan period, seconds")
    antenna: np.ndarray = Property(doc="Antenna position (east, north, up), metres")

    def check_for_deletion(self, track, **kwargs) -> bool:
        for state in reversed(track.states):
            if isinstance(state, Update) and state.hypothesis:
                return beam_passes(track.state, state, self.period_s, self.antenna) >= self.misses
        return False


class KDTreeJPDAwithEHM2(DetectionKDTreeMixIn, JPDAwithEHM2):
    """Exact JPDA (EHM2, clustered) behind the k-d tree pre-gate, composed the way Stone Soup composes its own
    ``KDTreeJPDA``."""


@dataclass(frozen=True)
class PreGate:
    """Half-widths (m) of the k-d tree range window, for confirmed and for holding tracks; None: no pre-gate.

    Each must pass every detection the chi-square gate could accept: a holding track one scan after its first
    detection has a position sigma of ~1.5 km (velocity prior 300 m/s x 5 s), so sqrt(21.1) x 1.5 km ~ 7 km;
    a confirmed track's gate is a few hundred metres, plus its range change between the batch time (where the
    k-d tree query predicts it) and the detection's own time: up to 1.5 km over a 5 s scan, 0.3 km over 1 s.
    The defaults were checked against running without the pre-gate (same GOSPA)."""

    confirmed_m: float | None = 3000.0
    holding_m: float | None = 10000.0

    @classmethod
    def for_feed(cls, feed: str) -> PreGate:
        return cls(3000.0, 10000.0) if feed == "scan" else cls(1500.0, 10000.0)


def measurement_model(data: BenchData) -> CartesianToElevationBearingRange:
    sc = data.scenario
    return CartesianToElevationBearingRange(
        ndim_state=6, mapping=tuple(POSITION),
        noise_covar=np.diag([np.radians(sc.sigma_elevation_deg) ** 2, np.radians(sc.sigma_azimuth_deg) ** 2,
                             sc.sigma_range_m**2]),
        translation_offset=StateVector(list(data.antenna)))


def to_stonesoup(det: BenchDetections, model: CartesianToElevationBearingRange) -> list[Detection]:
    """Benchmark detections as Stone Soup ``Detection`` objects (same order)."""
    el = np.radians(det.elevation_deg)
    bearing = np.pi / 2 - np.radians(det.azimuth_deg)
    return [Detection(StateVector([Elevation(e), Bearing(b), r]), timestamp=stamp(t), measurement_model=model)
            for e, b, r, t in zip(el, bearing, det.range_m, det.time_s, strict=True)]


def build_tracker(data: BenchData, s: TrackerSettings, pregate: PreGate, feed: str = "scan"):
    """The Stone Soup tracker and its predictor (to predict confirmed tracks to the scoring epochs), for
    detections fed one scan at a time (``feed="scan"``) or in shorter windows (``"window"``)."""
    mm = measurement_model(data)
    q = s.accel_sigma_mps2**2
    transition = CombinedLinearGaussianTransitionModel([ConstantVelocity(q), ConstantVelocity(q),
                                                        ConstantVelocity(q)])
    predictor = ExtendedKalmanPredictor(transition)
    updater = ExtendedKalmanUpdater(mm)
    gate = float(np.sqrt(s.gate_chi2))
    distance_hyp = DistanceHypothesiser(predictor, updater, measure=Mahalanobis(), missed_distance=gate)

    def gnn(radius: float | None):
        if radius is None:
            return GNNWith2DAssignment(distance_hyp)
        return DetectionKDTreeGNN2D(hypothesiser=distance_hyp, predictor=predictor, updater=updater,
                                    max_distance=radius)

    v2 = s.initial_speed_sigma_mps**2
    prior = GaussianState(StateVector(np.zeros(6)), np.diag([0.0, v2, 0.0, v2, 0.0, v2]))
    T = data.scenario.scan_period_s
    antenna = np.asarray(data.antenna, float)
    holding_deleter = MofNDeleter(m=s.confirm_m, n=s.confirm_n, period_s=T, antenna=antenna)
    if feed == "scan":
        # one state per scan: K missed scans = K time steps without an update (Stone Soup's own deleter)
        misses = UpdateTimeStepsDeleter(time_steps_since_update=s.delete_misses)
    else:
        misses = MissedLooksDeleter(misses=s.delete_misses, period_s=T, antenna=antenna)
    initiator = MultiMeasurementInitiator(
        prior_state=prior, measurement_model=mm, deleter=holding_deleter,
        data_associator=gnn(pregate.holding_m), updater=updater, min_points=s.confirm_m)
    # Covariance trace over the position >= its largest eigenvalue, so this deletes no later than airpicture's
    # "worst-direction sigma above the bound" (the bound is far above anything a 3-miss track reaches).
    deleter = CompositeDeleter([
        misses, CovarianceBasedDeleter(covar_trace_thresh=s.delete_position_sigma_m**2, mapping=POSITION),
    ], intersect=False)

    if s.association == "gnn":
        tracker = MultiTargetTracker(initiator=initiator, deleter=deleter, detector=None,
                                     data_associator=gnn(pregate.confirmed_m), updater=updater)
    else:
        pda_hyp = PDAHypothesiser(predictor=predictor, updater=updater,
                                  clutter_spatial_density=data.scenario.clutter_density_polar(),
                                  prob_detect=s.detection_probability, prob_gate=s.gate_probability)
        if pregate.confirmed_m is None:
            jpda = JPDAwithEHM2(pda_hyp)
        else:
            jpda = KDTreeJPDAwithEHM2(hypothesiser=pda_hyp, predictor=predictor, updater=updater,
                                      max_distance=pregate.confirmed_m)
        tracker = MultiTargetMixtureTracker(initiator=initiator, deleter=deleter, detector=None,
                                            data_associator=jpda, updater=updater)
    return tracker, predictor


def confirmed_positions(tracker, predictor, t: float) -> F64:
    """Confirmed tracks predicted to time t, (K, 3) ENU metres (scoring only; not timed)."""
    when = stamp(t)
    rows = []
    for track in tracker.tracks:
        state = track.state if track.timestamp == when else predictor.predict(track.state, timestamp=when)
        rows.append(np.asarray(state.state_vector, float)[POSITION, 0])
    return np.array(rows).reshape(-1, 3)


class StoneSoupSide:
    """The Stone Soup tracker stepped one scan at a time. ``feed="scan"``: one batch per scan, the detections of
    [kT, (k+1)T) each at its own beam-crossing time, the tracker's time the scan end. ``feed="window"``: one
    batch per window of ``step_s`` (as airpicture is fed), the tracker's time the window end."""

    name = "Stone Soup 1.9.1"

    def __init__(self, data: BenchData, settings: TrackerSettings, feed: str = "scan", step_s: float = 1.0,
                 pregate: PreGate | None = None) -> None:
        self.data = data
        self.feed = feed
        self.pregate = pregate if pregate is not None else PreGate.for_feed(feed)
        self.tracker, self.predictor = build_tracker(data, settings, self.pregate, feed)
        self.model = self.tracker.updater.measurement_model
        T = data.scenario.scan_period_s
        self.per_scan = 1 if feed == "scan" else round(T / step_s)
        width = T / self.per_scan
        # time spent in the initiator (holding tracks), to split Stone Soup's time per scan
        self.initiation_s = 0.0
        initiator = self.tracker.initiator
        initiate = initiator.initiate

        def timed_initiate(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return initiate(*args, **kwargs)
            finally:
                self.initiation_s += time.perf_counter() - t0

        object.__setattr__(initiator, "initiate", timed_initiate)
        self._edges = np.round(np.arange(data.scenario.n_scans * self.per_scan + 1) * width, 6)
        self._cut = np.searchsorted(data.detections.time_s, self._edges, side="left")

    def inputs(self, k: int) -> list[tuple[dt.datetime, set[Detection]]]:
        """Scan k's batches as (tracker time, Stone Soup detections), built before the clock starts."""
        out = []
        for w in range(k * self.per_scan, (k + 1) * self.per_scan):
            det = self.data.detections.take(np.arange(self._cut[w], self._cut[w + 1]))
            out.append((stamp(float(self._edges[w + 1])), set(to_stonesoup(det, self.model))))
        return out

    def scan(self, k: int, batches: list[tuple[dt.datetime, set[Detection]]]) -> None:
        """Track scan k (the timed part)."""
        for when, batch in batches:
            self.tracker.update_tracker(when, batch)

    def confirmed_positions(self, t: float) -> F64:
        return confirmed_positions(self.tracker, self.predictor, t)
