"""Scoring the published air picture against the truth, epoch by epoch: ``metrics.parquet`` rows, one row
per target and the run's summary.

Definitions (shown to users). At each scoring epoch the confirmed tracks of the picture are compared with the
targets in the sky at that instant, on 3-D positions, with GOSPA (p = 2, alpha = 2, cut-off c =
``metrics.gospa_cutoff_m``; see :mod:`airpicture.metrics.gospa`). The GOSPA assignment of that epoch pairs a
target with at most one track and keeps only pairs closer than c; a target so paired is *tracked* at that
epoch by that track. From these pairs:

- ``gospa_m``: GOSPA in metres; ``localisation_m2``, ``missed_m2``, ``false_m2``: its parts in m^2, with
  gospa_m^2 = localisation_m2 + missed_m2 + false_m2; ``n_missed``: targets not tracked; ``n_false``: tracks
  not paired with a target.
- ``id_switches``: times a target is tracked by a track id different from the one that tracked it at its
  previous tracked epoch (a gap in between does not reset this).
- ``track_breaks`` (fragmentation): runs of one or more epochs at which a target in the sky is not tracked,
  between two epochs at which it is tracked; booked at the epoch of re-acquisition.
- ``false_tracks``: confirmed track ids that are never paired with any target at any scored epoch.
- ``confirmed_tracks``: distinct track ids in the scored pictures.
- ``first_detection_s``: time of the target's first detection (from the detection labels; merged detections
  count only for the target they are labelled with); ``first_track_s``: first scoring epoch at which the
  target is tracked; ``time_to_track_s`` = first_track_s - first_detection_s (null if either is missing; can
  be negative when a track of something else passes within c of the target before its first detection).
- ``rmse_position_m`` / ``rmse_velocity_mps``: root mean square of the 3-D position / velocity error over the
  tracked target-epochs (per target, or pooled over all targets in the summary).
- ``tracked_fraction``: tracked target-epochs / scored target-epochs (per target, or pooled in the summary).
- Summary means (``gospa_mean_m`` and the ``*_mean_m2`` parts) are plain means over the scoring epochs; the
  mean of the parts adds up to the mean of gospa_m^2, not to gospa_mean_m^2. Undefined values are ``None``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from airpicture.columns import arrow_array
from airpicture.errors import InputError, Problem
from airpicture.io import row_label, to_arrow
from airpicture.metrics.continuity import ContinuityEvents, continuity_events
from airpicture.metrics.gospa import assign_within_cutoff, check_parameters, unassigned_costs
from airpicture.truth import Truth

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

P_ORDER = 2.0
ALPHA = 2.0

METRICS_COLUMNS = ("time_s", "gospa_m", "localisation_m2", "missed_m2", "false_m2", "n_truth", "n_tracks",
                   "n_assigned", "n_missed", "n_false", "id_switches", "track_breaks")
TARGET_COLUMNS = ("target_id", "scored_epochs", "tracked_epochs", "tracked_fraction", "first_detection_s",
                  "first_track_s", "time_to_track_s", "id_switches", "track_breaks", "tracks_used",
                  "rmse_position_m", "rmse_velocity_mps")

#: One-line definition of every column and summary key, for tables, reports and the documentation.
#: "Tracked" means paired with a confirmed track closer than the cut-off c by that epoch's GOSPA assignment.
DEFINITIONS: dict[str, str] = {
    "time_s": "scoring epoch, seconds from the scenario start",
    "gospa_m": "GOSPA (p = 2, alpha = 2, cut-off c) between target and track positions at the epoch, metres",
    "localisation_m2": "GOSPA localisation part: sum of squared distances of the assigned pairs, m^2",
    "missed_m2": "GOSPA missed part: c^2 / 2 per target not tracked, m^2",
    "false_m2": "GOSPA false part: c^2 / 2 per track paired with no target, m^2",
    "n_truth": "targets in the sky at the epoch",
    "n_tracks": "confirmed tracks in the picture at the epoch",
    "n_assigned": "target-track pairs of the GOSPA assignment closer than c",
    "n_missed": "targets not tracked at the epoch",
    "n_false": "tracks paired with no target at the epoch",
    "id_switches": "times a target is tracked by another track id than at its previous tracked epoch",
    "track_breaks": "runs of epochs in the sky but not tracked, between two tracked epochs (fragmentation)",
    "target_id": "target id",
    "scored_epochs": "epochs at which the target was in the sky",
    "tracked_epochs": "epochs at which the target was tracked",
    "tracked_fraction": "tracked target-epochs / target-epochs in the sky",
    "first_detection_s": "time of the target's first detection, seconds",
    "first_track_s": "first epoch at which the target was tracked, seconds",
    "time_to_track_s": "first_track_s - first_detection_s, seconds",
    "tracks_used": "distinct track ids that tracked the target",
    "rmse_position_m": "root mean square 3-D position error over tracked target-epochs, metres",
    "rmse_velocity_mps": "root mean square 3-D velocity error over tracked target-epochs, m/s",
    "gospa_cutoff_m": "GOSPA cut-off c, metres",
    "epochs": "number of scoring epochs",
    "gospa_mean_m": "mean of gospa_m over the epochs, metres",
    "gospa_localisation_mean_m2": "mean of localisation_m2 over the epochs, m^2",
    "gospa_missed_mean_m2": "mean of missed_m2 over the epochs, m^2",
    "gospa_false_mean_m2": "mean of false_m2 over the epochs, m^2",
    "false_tracks": "confirmed track ids never paired with any target at any epoch",
    "confirmed_tracks": "distinct confirmed track ids in the scored pictures",
    "targets_scored": "targets in the sky at one epoch or more",
    "targets_tracked": "targets tracked at one epoch or more",
    "time_to_track_mean_s": "mean of time_to_track_s over the targets that have one, seconds",
    "time_to_track_median_s": "median of time_to_track_s over the targets that have one, seconds",
}


class Scores(NamedTuple):
    """What :meth:`PictureScorer.finish` returns: ``metrics.parquet`` (one row per epoch), one row per target,
    and the summary (JSON-safe: ints, floats, ``None``)."""

    metrics: pa.Table
    targets: pa.Table
    summary: dict[str, Any]


class PictureScorer:
    """Accumulates scoring epochs (strictly increasing times) and scores them in batches.

    ``cutoff_m`` is the GOSPA cut-off c in metres. States are (k, 6) [e, n, u, ve, vn, vu] in site ENU metres
    and m/s; ids are int64 (target ids, track ids never reused), unique within an epoch.
    """

    def __init__(self, cutoff_m: float, batch_rows: int = 400_000, batch_pairs: int | None = None) -> None:
        check_parameters(cutoff_m, P_ORDER, ALPHA)
        self.cutoff_m = float(cutoff_m)
        self._batch_rows = int(batch_rows)
        #: also score when the pending epochs' target x track products reach this (bounds the candidate pairs
        #: of one batch, and so its memory, in a crowded sky); results do not depend on the batching
        self._batch_pairs = batch_pairs
        self._pending_pairs = 0
        self._last_time = -np.inf
        self._pending: list[tuple[float, I64, F64, I64, F64]] = []
        self._pending_rows = 0
        self._epoch_parts: list[dict[str, np.ndarray]] = []
        self._row_parts: list[dict[str, np.ndarray]] = []  # tracked target-epochs only
        self._track_ids = np.zeros(0, np.int64)  # every track id scored so far
        self._targets = _PerTarget()  # scored epochs and continuity state per target
        self._n_rows = 0  # scored target-epochs
        self._n_epochs = 0
        self._first_detection = np.zeros(0)

    # ------------------------------------------------------------------------------------------- input
    def add_epoch(self, time_s: float, truth_ids: I64, truth_x: F64, track_ids: I64, track_x: F64) -> None:
        """One epoch: the targets in the sky at ``time_s`` and the picture's confirmed tracks then."""
        time_s = float(time_s)
        if not time_s > self._last_time:
            raise ValueError(f"scoring epoch times must increase strictly: {time_s} after {self._last_time}")
        truth_ids, truth_x = _ids_states(truth_ids, truth_x, "truth")
        track_ids, track_x = _ids_states(track_ids, track_x, "track")
        for ids, what in ((truth_ids, "truth"), (track_ids, "track")):
            if ids.size < 2 or (ids[1:] > ids[:-1]).all():  # ascending (as the engine gives them): no repeats
                continue
            s = np.sort(ids)
            if (s[1:] == s[:-1]).any():
                raise ValueError(f"repeated {what} id at epoch {time_s}")
        self._last_time = time_s
        self._pending.append((time_s, truth_ids, truth_x, track_ids, track_x))
        self._pending_rows += truth_ids.size + track_ids.size
        self._pending_pairs += truth_ids.size * track_ids.size
        if self._pending_rows >= self._batch_rows or (self._batch_pairs is not None
                                                      and self._pending_pairs >= self._batch_pairs):
            self._flush()

    def add_epochs(self, epoch_time_s: F64, truth_epoch: I64, truth_ids: I64, truth_x: F64,
                   track_epoch: I64, track_ids: I64, track_x: F64) -> None:
        """Many epochs at once: ``truth_epoch`` / ``track_epoch`` index into ``epoch_time_s`` (strictly
        increasing, after any epoch already added); same meaning as :meth:`add_epoch` otherwise."""
        self._flush()
        times = np.asarray(epoch_time_s, dtype=float).reshape(-1)
        if times.size == 0:
            return
        if not (np.all(np.isfinite(times)) and np.all(np.diff(times) > 0) and times[0] > self._last_time):
            raise ValueError("epoch times must be finite, strictly increasing and after the epochs added")
        truth_ids, truth_x = _ids_states(truth_ids, truth_x, "truth")
        track_ids, track_x = _ids_states(track_ids, track_x, "track")
        truth_epoch = _epoch_index(truth_epoch, truth_ids.size, times.size, "truth_epoch")
        track_epoch = _epoch_index(track_epoch, track_ids.size, times.size, "track_epoch")
        for ep, ids, what in ((truth_epoch, truth_ids, "truth"), (track_epoch, track_ids, "track")):
            if _has_repeats(ep, ids):
                raise ValueError(f"repeated {what} id within an epoch")
        self._last_time = float(times[-1])
        self._score(times, truth_epoch, truth_ids, truth_x, track_epoch, track_ids, track_x)

    def add_detections(self, time_s: F64, target_id: I64) -> None:
        """Record detections' times (s) and their labelled target ids (-1 for false alarms, ignored), to give
        each target's first detection time."""
        target_id = np.asarray(target_id, dtype=np.int64).reshape(-1)
        time_s = np.asarray(time_s, dtype=float).reshape(-1)
        real = target_id >= 0
        target_id, time_s = target_id[real], time_s[real]
        if target_id.size == 0:
            return
        need = int(target_id.max()) + 1
        if need > self._first_detection.size:
            grown = np.full(need, np.inf)
            grown[: self._first_detection.size] = self._first_detection
            self._first_detection = grown
        np.minimum.at(self._first_detection, target_id, time_s)

    # ------------------------------------------------------------------------------------------- scoring
    def _flush(self) -> None:
        if not self._pending:
            return
        times = np.array([e[0] for e in self._pending])
        t_count = [e[1].size for e in self._pending]
        k_count = [e[3].size for e in self._pending]
        epochs = np.arange(len(self._pending), dtype=np.int64)
        self._score(times,
                    np.repeat(epochs, t_count), np.concatenate([e[1] for e in self._pending]),
                    np.concatenate([e[2] for e in self._pending]),
                    np.repeat(epochs, k_count), np.concatenate([e[3] for e in self._pending]),
                    np.concatenate([e[4] for e in self._pending]))
        self._pending = []
        self._pending_rows = 0
        self._pending_pairs = 0

    def _score(self, times: F64, truth_epoch: I64, truth_ids: I64, truth_x: F64,
               track_epoch: I64, track_ids: I64, track_x: F64) -> None:
        """GOSPA assignment of a batch of epochs; keeps per-epoch sums, the tracked target-epochs with their
        continuity events, and per-target counts -- memory for the tracked target-epochs, not every scored one.
        """
        n_ep = times.size
        ti, kj, dist = assign_within_cutoff(truth_epoch, truth_x[:, :3], track_epoch, track_x[:, :3],
                                            self.cutoff_m, P_ORDER)
        track_of_truth = np.full(truth_ids.size, -1, dtype=np.int64)
        track_of_truth[ti] = track_ids[kj]
        pos_err2 = np.full(truth_ids.size, np.nan)
        pos_err2[ti] = dist**2
        vel_err2 = np.full(truth_ids.size, np.nan)
        vel_err2[ti] = np.sum((truth_x[ti, 3:] - track_x[kj, 3:]) ** 2, axis=1)
        pair_epoch = truth_epoch[ti]
        events = self._targets.continuity(truth_epoch, truth_ids, track_of_truth)
        self._epoch_parts.append({
            "time_s": times,
            "n_truth": np.bincount(truth_epoch, minlength=n_ep),
            "n_tracks": np.bincount(track_epoch, minlength=n_ep),
            "n_assigned": np.bincount(pair_epoch, minlength=n_ep),
            "localisation_m2": np.bincount(pair_epoch, weights=dist**P_ORDER, minlength=n_ep),
        })
        tracked = track_of_truth >= 0
        self._row_parts.append({
            "epoch": truth_epoch[tracked] + self._n_epochs,
            "truth_id": truth_ids[tracked],
            "track_id": track_of_truth[tracked],
            "pos_err2": pos_err2[tracked],
            "vel_err2": vel_err2[tracked],
            "id_switch": events.id_switch[tracked],
            "break_end": events.break_end[tracked],
        })
        self._track_ids = np.union1d(self._track_ids, track_ids)
        self._n_rows += truth_ids.size
        self._n_epochs += n_ep

    # ------------------------------------------------------------------------------------------- output
    def finish(self, target_ids: I64 | None = None, first_detection_s: F64 | None = None) -> Scores:
        """Score everything added so far.

        ``target_ids``: targets to report one row for (the union with every target scored at some epoch is
        reported, sorted by id). ``first_detection_s``: first detection time (s, NaN = never) aligned with
        ``target_ids`` if given, else indexed by target id; when omitted, the times recorded by
        :meth:`add_detections` are used.
        """
        self._flush()
        c = self.cutoff_m
        ep = _concat(self._epoch_parts, ("time_s", "n_truth", "n_tracks", "n_assigned", "localisation_m2"))
        rows = _concat(self._row_parts, ("epoch", "truth_id", "track_id", "pos_err2", "vel_err2", "id_switch",
                                         "break_end"))
        n_ep = ep["time_s"].size
        events = ContinuityEvents(rows["id_switch"], rows["break_end"])
        missed, false = unassigned_costs(ep["n_truth"], ep["n_tracks"], ep["n_assigned"], c, P_ORDER, ALPHA)
        gospa_m = np.sqrt(ep["localisation_m2"] + missed + false)
        metrics = to_arrow({
            "time_s": ep["time_s"],
            "gospa_m": gospa_m,
            "localisation_m2": ep["localisation_m2"],
            "missed_m2": missed,
            "false_m2": false,
            "n_truth": ep["n_truth"],
            "n_tracks": ep["n_tracks"],
            "n_assigned": ep["n_assigned"],
            "n_missed": ep["n_truth"] - ep["n_assigned"],
            "n_false": ep["n_tracks"] - ep["n_assigned"],
            "id_switches": np.bincount(rows["epoch"][events.id_switch], minlength=n_ep).astype(np.int64),
            "track_breaks": np.bincount(rows["epoch"][events.break_end], minlength=n_ep).astype(np.int64),
        })
        targets, per_target = self._per_target(rows, events, ep["time_s"], target_ids, first_detection_s)
        seen_tracks = self._track_ids
        assigned_tracks = np.unique(rows["track_id"])
        summary = {
            "gospa_cutoff_m": c,
            "epochs": int(n_ep),
            "gospa_mean_m": _mean(gospa_m),
            "gospa_localisation_mean_m2": _mean(ep["localisation_m2"]),
            "gospa_missed_mean_m2": _mean(missed),
            "gospa_false_mean_m2": _mean(false),
            "id_switches": int(events.id_switch.sum()),
            "track_breaks": int(events.break_end.sum()),
            "false_tracks": int(np.setdiff1d(seen_tracks, assigned_tracks).size),
            "confirmed_tracks": int(seen_tracks.size),
            "targets_scored": int(np.sum(per_target["scored_epochs"] > 0)),
            "targets_tracked": int(np.sum(per_target["tracked_epochs"] > 0)),
            "time_to_track_mean_s": _mean(per_target["time_to_track_s"]),
            "time_to_track_median_s": _median(per_target["time_to_track_s"]),
            "rmse_position_m": _rms(rows["pos_err2"]),
            "rmse_velocity_mps": _rms(rows["vel_err2"]),
            "tracked_fraction": float(rows["truth_id"].size / self._n_rows) if self._n_rows else None,
        }
        return Scores(metrics, targets, summary)

    def _per_target(self, rows: dict[str, np.ndarray], events: Any, epoch_time_s: F64, target_ids: I64 | None,
                    first_detection_s: F64 | None) -> tuple[pa.Table, dict[str, np.ndarray]]:
        given = np.zeros(0, np.int64) if target_ids is None else np.asarray(target_ids, np.int64).reshape(-1)
        ids = np.union1d(given, self._targets.ids).astype(np.int64)
        n = ids.size
        where = np.searchsorted(ids, rows["truth_id"])
        scored = np.zeros(n, np.int64)
        scored[np.searchsorted(ids, self._targets.ids)] = self._targets.scored
        n_tracked = np.bincount(where, minlength=n)
        first_track = np.full(n, np.inf)
        np.minimum.at(first_track, where, epoch_time_s[rows["epoch"]])
        first_track[np.isinf(first_track)] = np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            rmse_pos = np.sqrt(np.bincount(where, rows["pos_err2"], minlength=n) / n_tracked)
            rmse_vel = np.sqrt(np.bincount(where, rows["vel_err2"], minlength=n) / n_tracked)
            fraction = n_tracked / scored
        first_det = self._first_detection_of(ids, given, target_ids is not None, first_detection_s)
        cols = {
            "target_id": ids,
            "scored_epochs": scored.astype(np.int64),
            "tracked_epochs": n_tracked.astype(np.int64),
            "tracked_fraction": fraction,
            "first_detection_s": first_det,
            "first_track_s": first_track,
            "time_to_track_s": first_track - first_det,
            "id_switches": np.bincount(where[events.id_switch], minlength=n).astype(np.int64),
            "track_breaks": np.bincount(where[events.break_end], minlength=n).astype(np.int64),
            "tracks_used": _distinct_per_owner(where, rows["track_id"], n),
            "rmse_position_m": rmse_pos,
            "rmse_velocity_mps": rmse_vel,
        }
        table = to_arrow({k: _nullable(v) for k, v in cols.items()})
        return table, cols

    def _first_detection_of(self, ids: I64, given: I64, aligned: bool, first_detection_s: F64 | None) -> F64:
        out = np.full(ids.size, np.nan)
        if first_detection_s is not None:
            fd = np.asarray(first_detection_s, dtype=float).reshape(-1)
            if aligned:
                if fd.size != given.size:
                    raise ValueError("first_detection_s must be aligned with target_ids")
                out[np.searchsorted(ids, given)] = fd
            else:
                inside = ids < fd.size
                out[inside] = fd[ids[inside]]
        else:
            rec = self._first_detection
            inside = (ids >= 0) & (ids < rec.size)
            out[inside] = rec[ids[inside]]
        out[~np.isfinite(out)] = np.nan
        return out


# ------------------------------------------------------------------------------------------------ offline


def truth_at_epochs(truth: Truth, epoch_time_s: F64, kill_time_s: F64 | None = None) -> tuple[I64, I64, F64]:
    """Targets in the sky at each epoch: (epoch index, target id, (K, 6) state), sorted by (epoch, target).

    A target is in the sky at t when start_s <= t <= end_s and t < kill_time_s (``kill_time_s`` per target id,
    inf or NaN = never destroyed). ``epoch_time_s`` must be increasing.
    """
    times = np.asarray(epoch_time_s, dtype=float).reshape(-1)
    tg = truth.targets
    lo = np.searchsorted(times, tg.start_s, side="left")
    hi = np.searchsorted(times, tg.end_s, side="right")
    if kill_time_s is not None:
        kill = np.asarray(kill_time_s, dtype=float).reshape(-1)
        kill = np.where(np.isnan(kill), np.inf, kill)
        hi = np.minimum(hi, np.searchsorted(times, kill, side="left"))
    count = np.maximum(hi - lo, 0)
    target = np.repeat(tg.target_id, count)
    first = np.repeat(np.cumsum(count) - count, count)
    epoch = (np.arange(target.size) - first + np.repeat(lo, count)).astype(np.int64)
    order = np.lexsort((target, epoch))
    epoch, target = epoch[order], target[order]
    return epoch, target, truth.state_at(target, times[epoch])


def score_tables(truth: Truth, picture_time_s: F64, picture_track_id: I64, picture_x: F64, cutoff_m: float, *,
                 epoch_time_s: F64 | None = None, kill_time_s: F64 | None = None,
                 first_detection_s: F64 | None = None, source: str = "picture") -> Scores:
    """Score a whole published picture (confirmed tracks only: rows of ``time_s, track_id`` and (R, 6) states)
    against ``truth``, with GOSPA cut-off ``cutoff_m``.

    Scoring epochs are ``epoch_time_s`` if given (every picture row must fall on one), else the distinct
    picture times: then an epoch at which no track was published is not scored at all, so pass the epochs when
    the picture can be empty. ``kill_time_s`` and ``first_detection_s`` are indexed by target id. Picture rows
    that are not finite, repeat a (time, track) pair, or fall between epochs raise :class:`InputError` naming
    ``source`` and the row.
    """
    p_time = np.asarray(picture_time_s, dtype=float).reshape(-1)
    p_id = np.asarray(picture_track_id, dtype=np.int64).reshape(-1)
    p_x = np.asarray(picture_x, dtype=float).reshape(-1, 6)
    if not (p_time.size == p_id.size == len(p_x)):
        raise ValueError("picture columns must have the same length")
    finite = np.isfinite(p_time) & np.all(np.isfinite(p_x), axis=1)
    if not finite.all():
        i = int(np.argmin(finite))
        raise InputError(source, Problem(row_label(source, i), "expected finite time and state values"))
    if epoch_time_s is None:
        times = np.unique(p_time)
    else:
        times = np.asarray(epoch_time_s, dtype=float).reshape(-1)
        if not (np.all(np.isfinite(times)) and np.all(np.diff(times) > 0)):
            raise ValueError("epoch_time_s must be finite and strictly increasing")
    k_epoch = np.searchsorted(times, p_time)
    on_epoch = np.zeros(p_time.size, bool)
    if times.size:
        on_epoch = (k_epoch < times.size) & (times[np.minimum(k_epoch, times.size - 1)] == p_time)
    if not on_epoch.all():
        i = int(np.argmin(on_epoch))
        raise InputError(source, Problem(f"{row_label(source, i)}, column 'time_s'",
                                         f"{p_time[i]:g} s is not a scoring epoch"))
    order = np.lexsort((p_id, k_epoch))
    repeat = (np.diff(k_epoch[order]) == 0) & (np.diff(p_id[order]) == 0)
    if repeat.any():
        i = int(order[1:][repeat][0])
        raise InputError(source, Problem(f"{row_label(source, i)}, column 'track_id'",
                                         f"track {p_id[i]} appears twice at {p_time[i]:g} s"))
    t_epoch, t_id, t_x = truth_at_epochs(truth, times, kill_time_s)
    scorer = PictureScorer(cutoff_m)
    scorer.add_epochs(times, t_epoch, t_id, t_x, k_epoch.astype(np.int64), p_id, p_x)
    return scorer.finish(truth.targets.target_id, _aligned_first_detection(truth, first_detection_s))


# ------------------------------------------------------------------------------------------------ helpers


def _aligned_first_detection(truth: Truth, first_detection_s: F64 | None) -> F64:
    out = np.full(truth.n_targets, np.nan)
    if first_detection_s is not None:
        fd = np.asarray(first_detection_s, dtype=float).reshape(-1)
        out[: min(fd.size, out.size)] = fd[: out.size]
    return out


def _ids_states(ids: I64, x: F64, what: str) -> tuple[I64, F64]:
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    x = np.asarray(x, dtype=float)
    if x.size == 0 and ids.size == 0:
        return ids, np.zeros((0, 6))
    if x.ndim != 2 or x.shape != (ids.size, 6):
        raise ValueError(f"{what} states must have shape ({ids.size}, 6), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what} states must be finite")
    return ids, x


def _epoch_index(epoch: I64, n: int, n_epochs: int, name: str) -> I64:
    epoch = np.asarray(epoch, dtype=np.int64).reshape(-1)
    if epoch.size != n or (n and (epoch.min() < 0 or epoch.max() >= n_epochs)):
        raise ValueError(f"{name} must hold one epoch index in [0, {n_epochs}) per row")
    return epoch


def _has_repeats(epoch: I64, ids: I64) -> bool:
    order = np.lexsort((ids, epoch))
    return bool(np.any((np.diff(epoch[order]) == 0) & (np.diff(ids[order]) == 0)))


def _distinct_per_owner(owner: I64, value: I64, n: int) -> I64:
    """(n,) number of distinct ``value`` per ``owner`` in [0, n)."""
    order = np.lexsort((value, owner))
    o, v = owner[order], value[order]
    new = np.ones(o.size, dtype=bool)
    new[1:] = (o[1:] != o[:-1]) | (v[1:] != v[:-1])
    return np.bincount(o[new], minlength=n).astype(np.int64)


def _concat(parts: list[dict[str, np.ndarray]], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    if not parts:
        ints = {"n_truth", "n_tracks", "n_assigned", "epoch", "truth_id", "track_id"}
        bools = {"id_switch", "break_end"}
        return {k: np.zeros(0, np.int64 if k in ints else bool if k in bools else float) for k in names}
    return {k: np.concatenate([p[k] for p in parts]) for k in names}


class _PerTarget:
    """Per target id seen so far (sorted ids): scored epochs, and the continuity state carried from one batch
    of epochs to the next -- the track id at its last tracked epoch (-1: never tracked) and whether it has been
    in the sky untracked since then."""

    def __init__(self) -> None:
        self.ids = np.zeros(0, np.int64)
        self.scored = np.zeros(0, np.int64)
        self.last_track = np.zeros(0, np.int64)
        self.gap = np.zeros(0, bool)

    def _grow(self, ids: I64) -> I64:
        """Positions of ``ids`` (sorted unique) in :attr:`ids`, adding the new ones."""
        new = np.setdiff1d(ids, self.ids, assume_unique=True)
        if new.size:
            merged = np.union1d(self.ids, new)
            old_at = np.searchsorted(merged, self.ids)
            for name, fill in (("scored", 0), ("last_track", -1), ("gap", False)):
                old = getattr(self, name)
                grown = np.full(merged.size, fill, dtype=old.dtype)
                grown[old_at] = old
                setattr(self, name, grown)
            self.ids = merged
        return np.searchsorted(self.ids, ids)

    def continuity(self, epoch: I64, truth_id: I64, track_id: I64) -> ContinuityEvents:
        """:func:`continuity_events` of a batch of scored rows (epochs after every earlier batch's), as if
        computed over every row so far: each target's carried state enters as up to two rows before the batch
        (its last track, then an untracked row if it has been untracked since). Updates the state."""
        ids, counts = np.unique(truth_id, return_counts=True)
        at = self._grow(ids)
        self.scored[at] += counts
        carried = self.last_track[at] >= 0
        gap = carried & self.gap[at]
        v_ids = np.concatenate([ids[carried], ids[gap]])
        v_epoch = np.concatenate([np.full(int(carried.sum()), -2, np.int64), np.full(int(gap.sum()), -1, np.int64)])
        v_track = np.concatenate([self.last_track[at][carried], np.full(int(gap.sum()), -1, np.int64)])
        n_v = v_ids.size
        all_epoch = np.concatenate([v_epoch, epoch])
        all_truth = np.concatenate([v_ids, truth_id])
        all_track = np.concatenate([v_track, track_id])
        ev = continuity_events(all_epoch, all_truth, all_track)
        # new state: the last tracked row of each target, and whether a row of it follows that one
        order = np.lexsort((all_epoch, all_truth))
        t_sorted, k_sorted = all_truth[order], all_track[order]
        last_row = np.ones(order.size, bool)
        last_row[:-1] = t_sorted[1:] != t_sorted[:-1]
        pos = np.arange(order.size)
        tracked_pos = np.where(k_sorted >= 0, pos, -1)
        # running maximum of the tracked positions within each target's rows (rows of a target are contiguous)
        start = np.ones(order.size, bool)
        start[1:] = t_sorted[1:] != t_sorted[:-1]
        group = np.cumsum(start) - 1
        best = np.maximum.accumulate(np.where(tracked_pos >= 0, tracked_pos + group * (order.size + 1), -1))
        last_tracked = np.where(best >= group * (order.size + 1), best - group * (order.size + 1), -1)
        ends = np.flatnonzero(last_row)
        lt = last_tracked[ends]
        has = lt >= 0
        who = np.searchsorted(self.ids, t_sorted[ends])
        self.last_track[who[has]] = k_sorted[lt[has]]
        self.gap[who[has]] = ends[has] > lt[has]
        self.last_track[who[~has]] = -1
        self.gap[who[~has]] = False
        return ContinuityEvents(ev.id_switch[n_v:], ev.break_end[n_v:])


def _nullable(values: np.ndarray) -> np.ndarray | pa.Array:
    """Float columns with NaN written as nulls."""
    if values.dtype.kind == "f":
        return arrow_array(values.astype(np.float64, copy=False), pa.float64(), mask=np.isnan(values))
    return values


def _mean(values: F64) -> float | None:
    v = values[np.isfinite(values)]
    return float(np.mean(v)) if v.size else None


def _median(values: F64) -> float | None:
    v = values[np.isfinite(values)]
    return float(np.median(v)) if v.size else None


def _rms(squares: F64) -> float | None:
    return float(np.sqrt(np.mean(squares))) if squares.size else None
