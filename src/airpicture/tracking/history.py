"""The track history written to ``tracks.parquet``: one row per track event, deterministic order.

Columns: ``time_s`` (s), ``track_id`` (int64), ``status`` after the event (``tentative``, ``confirmed``,
``deleted``), ``event`` (``start``, ``update``, ``confirm``, ``refused`` at capacity, ``dropped`` for a more
threatening newcomer, ``deleted_score`` when the track score rule gives it up (a tentative track below
``tentative_delete_score``, a confirmed one ``delete_score_drop`` below its peak), ``deleted_misses`` and
``deleted_m_of_n`` under the M-of-N rule, ``deleted_sigma``, ``deleted_coverage`` when its prediction left every
radar's range or horizon, ``deleted_coast`` when no radar has updated it for the coast limit), ``sensor_id`` of
the detection (-1 when the event is not an
update), the state ``e_m, n_m, u_m, ve_mps, vn_mps, vu_mps`` at ``time_s`` (site ENU), the position
covariance ``pee_m2, pnn_m2, puu_m2, pen_m2, peu_m2, pnu_m2`` and ``quality``, the
probability that the track is a target implied by its log-likelihood-ratio score (Blackman & Popoli 1999,
sec. 6.2: each look adds ln(1 - Pd) + ln(1 + sum of the likelihood ratios of its detections)), starting at 0.5
(1 / (1 + e^-score): the score itself reads back only below ~35).
Rows are sorted by time, then track id, then the order the events happened.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from airpicture.columns import arrow_array
from airpicture.compiled import njit
from airpicture.io import to_arrow
from airpicture.vocab import TrackEvent

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

STATUS_NAMES = ("tentative", "confirmed", "deleted")
DELETED = 2
EVENT_NAMES = tuple(str(e) for e in TrackEvent)  # the order of the codes (int8) in the buffers
EVENT = {name: code for code, name in enumerate(EVENT_NAMES)}
COLUMNS = ("time_s", "track_id", "status", "event", "sensor_id", "e_m", "n_m", "u_m", "ve_mps", "vn_mps",
           "vu_mps", "pee_m2", "pnn_m2", "puu_m2", "pen_m2", "peu_m2", "pnu_m2", "quality")



@njit(cache=True)
def _copy_rows(slots, t, track_id, status, x, P, llr, status_override, event, sensor_id, a, out_t, out_tid,
               out_st, out_ev, out_sid, out_x, out_p, out_llr) -> None:
    """Rows a.. of the history buffers from the store's slots (see :meth:`History.add_slots`)."""
    for k in range(slots.shape[0]):
        i = slots[k]
        r = a + k
        out_t[r] = t[i]
        out_tid[r] = track_id[i]
        out_st[r] = status[i] if status_override < 0 else status_override
        out_ev[r] = event
        out_sid[r] = sensor_id
        for c in range(6):
            out_x[r, c] = x[i, c]
        out_p[r, 0] = P[i, 0, 0]
        out_p[r, 1] = P[i, 1, 1]
        out_p[r, 2] = P[i, 2, 2]
        out_p[r, 3] = P[i, 0, 1]
        out_p[r, 4] = P[i, 0, 2]
        out_p[r, 5] = P[i, 1, 2]
        out_llr[r] = llr[i]


@njit(cache=True)
def _copy_given(time_s, track_id, status, event, sensor_id, x, P, llr, a, out_t, out_tid, out_st, out_ev, out_sid,
                out_x, out_p, out_llr) -> None:
    """Rows a.. of the history buffers from explicit arrays (see :meth:`History.add`); ``time_s`` (K,),
    ``status`` (K,) int8, ``sensor_id`` (K,) int64."""
    for k in range(track_id.shape[0]):
        r = a + k
        out_t[r] = time_s[k]
        out_tid[r] = track_id[k]
        out_st[r] = status[k]
        out_ev[r] = event
        out_sid[r] = sensor_id[k]
        for c in range(6):
            out_x[r, c] = x[k, c]
        out_p[r, 0] = P[k, 0, 0]
        out_p[r, 1] = P[k, 1, 1]
        out_p[r, 2] = P[k, 2, 2]
        out_p[r, 3] = P[k, 0, 1]
        out_p[r, 4] = P[k, 0, 2]
        out_p[r, 5] = P[k, 1, 2]
        out_llr[r] = llr[k]


def _column(v, n: int, dtype) -> NDArray:
    """``v`` as a column of ``n`` values: a scalar repeated, or the array itself."""
    if isinstance(v, np.ndarray) and v.ndim:
        return v.astype(dtype, copy=False)
    out = np.empty(n, dtype)
    out.fill(v)
    return out


def quality_from_score(llr: F64) -> F64:
    """Track quality in [0, 1] from the log-likelihood-ratio score: 1 / (1 + exp(-llr))."""
    return 1.0 / (1.0 + np.exp(-np.clip(llr, -700.0, 700.0)))


class History:
    """Event rows in growing column buffers, turned into a table at the end.

    ``add_slots`` (the state of store slots at their own time: starts, updates, confirmations, refusals) runs
    several times per window in the hot path, so one compiled call copies the rows straight from the track
    store; ``add`` takes explicit arrays (deletions, at a predicted state)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._rows = 0
        self._drained_before = -np.inf
        self._alloc(1024)

    def _alloc(self, cap: int) -> None:
        self._t = np.empty(cap)
        self._tid = np.empty(cap, np.int64)
        self._st = np.empty(cap, np.int8)
        self._ev = np.empty(cap, np.int8)
        self._sid = np.empty(cap, np.int64)
        self._x = np.empty((cap, 6))
        self._p = np.empty((cap, 6))  # pee, pnn, puu, pen, peu, pnu
        self._llr = np.empty(cap)

    def _check_order(self, earliest: float) -> None:
        if earliest < self._drained_before:
            raise RuntimeError(f"track event at {earliest} s after the rows before {self._drained_before} s were "
                               "drained: the table's order would break")

    def _reserve(self, n: int) -> int:
        """Room for ``n`` more rows; returns the first row to write."""
        need = self._rows + n
        cap = self._t.shape[0]
        if need > cap:
            old: tuple[np.ndarray, ...] = (self._t, self._tid, self._st, self._ev, self._sid, self._x, self._p,
                                           self._llr)
            while cap < need:
                cap *= 2
            self._alloc(cap)
            new_arrays: tuple[np.ndarray, ...] = (self._t, self._tid, self._st, self._ev, self._sid, self._x, self._p,
                                                  self._llr)
            for new, prev in zip(new_arrays, old, strict=True):
                new[: self._rows] = prev[: self._rows]
        first = self._rows
        self._rows = need
        return first

    def add(self, time_s: F64 | float, track_id: I64, status: NDArray | int, event: TrackEvent, sensor_id: I64 | int,
            x: F64, P: F64, llr: F64) -> None:
        n = len(track_id)
        if not self.enabled or n == 0:
            return
        times = _column(time_s, n, np.float64)
        if self._drained_before > -np.inf:
            self._check_order(float(times.min()))
        a = self._reserve(n)
        _copy_given(times, _column(track_id, n, np.int64), _column(status, n, np.int8), EVENT[event],
                    _column(sensor_id, n, np.int64), np.asarray(x, dtype=np.float64), np.asarray(P, dtype=np.float64),
                    _column(llr, n, np.float64), a, self._t, self._tid, self._st, self._ev, self._sid, self._x, self._p,
                    self._llr)

    def add_slots(self, store, slots: I64, event: TrackEvent, sensor_id: int, status: int = -1) -> None:
        """One row per slot of ``store`` (a :class:`~airpicture.tracking.store.TrackStore`): its time, id,
        state, position covariance and score, with ``status`` (the store's own when -1)."""
        n = int(slots.shape[0])
        if not self.enabled or n == 0:
            return
        if self._drained_before > -np.inf:
            self._check_order(float(store.t[slots].min()))
        a = self._reserve(n)
        _copy_rows(slots, store.t, store.track_id, store.status, store.x, store.P, store.llr, status, EVENT[event],
                   sensor_id, a, self._t, self._tid, self._st, self._ev, self._sid, self._x, self._p, self._llr)

    def __len__(self) -> int:
        return self._rows

    def drain(self, before: float) -> pa.Table:
        """Remove and return the rows with ``time_s < before``, ordered as :meth:`table` orders them, so that a
        long run can write its history as it goes. Rows added later must not be earlier than ``before``
        (checked): the drained pieces, in order, make the whole table."""
        n = self._rows
        early = self._t[:n] < before
        out = self._table(np.flatnonzero(early))
        keep = np.flatnonzero(~early)
        m = keep.shape[0]
        for buf in (self._t, self._tid, self._st, self._ev, self._sid, self._x, self._p, self._llr):
            buf[:m] = buf[keep]
        self._rows = m
        if self.enabled:
            self._drained_before = max(self._drained_before, float(before))
        return out

    def table(self) -> pa.Table:
        return self._table(np.arange(self._rows))

    def _table(self, rows: I64) -> pa.Table:
        """The given buffer rows (in arrival order) as the ``tracks.parquet`` table: sorted by time, track id and
        arrival."""
        t, tid, st, ev, sid = self._t[rows], self._tid[rows], self._st[rows], self._ev[rows], self._sid[rows]
        x, pos, q = self._x[rows], self._p[rows], quality_from_score(self._llr[rows])
        seq = np.arange(rows.shape[0])
        order = np.lexsort((seq, tid, t))
        status = pa.DictionaryArray.from_arrays(arrow_array(st[order].astype(np.int32)),
                                                arrow_array(list(STATUS_NAMES), pa.string()))
        event = pa.DictionaryArray.from_arrays(arrow_array(ev[order].astype(np.int32)),
                                               arrow_array(list(EVENT_NAMES), pa.string()))
        cols = {
            "time_s": t[order], "track_id": tid[order],
            "status": status.cast(pa.string()), "event": event.cast(pa.string()),
            "sensor_id": sid[order],
        }
        for k, name in enumerate(("e_m", "n_m", "u_m", "ve_mps", "vn_mps", "vu_mps")):
            cols[name] = x[order, k]
        for k, name in enumerate(("pee_m2", "pnn_m2", "puu_m2", "pen_m2", "peu_m2", "pnu_m2")):
            cols[name] = pos[order, k]
        cols["quality"] = q[order]
        return to_arrow(cols)
