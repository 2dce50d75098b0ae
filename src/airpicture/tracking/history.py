"""The track history written to ``tracks.parquet``: one row per track event, deterministic order.

Columns: ``time_s`` (s), ``track_id`` (int64), ``status`` after the event (``tentative``, ``confirmed``,
``deleted``), ``event`` (``start``, ``update``, ``confirm``, ``refused`` at capacity, ``dropped`` for a more
threatening newcomer, ``deleted_misses``, ``deleted_m_of_n``, ``deleted_sigma``, ``deleted_coast`` when no
radar has updated it for the coast limit), ``sensor_id`` of the detection (-1 when the event is not an
update), the state ``e_m, n_m, u_m, ve_mps, vn_mps, vu_mps`` at ``time_s`` (site ENU), the position
covariance ``pee_m2, pnn_m2, puu_m2, pen_m2, peu_m2, pnu_m2`` and ``quality``, the
probability that the track is a target implied by its log-likelihood-ratio score (Blackman & Popoli 1999,
sec. 6.2: each look adds ln(1 - Pd) + ln(1 + sum of the likelihood ratios of its detections)), starting at 0.5.
Rows are sorted by time, then track id, then the order the events happened.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from airpicture.io import to_arrow

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

STATUS_NAMES = ("tentative", "confirmed", "deleted")
DELETED = 2
EVENT_NAMES = ("start", "update", "confirm", "refused", "dropped", "deleted_misses", "deleted_m_of_n",
               "deleted_sigma", "deleted_coast", "deleted_score", "deleted_coverage")
EVENT = {name: code for code, name in enumerate(EVENT_NAMES)}
COLUMNS = ("time_s", "track_id", "status", "event", "sensor_id", "e_m", "n_m", "u_m", "ve_mps", "vn_mps",
           "vu_mps", "pee_m2", "pnn_m2", "puu_m2", "pen_m2", "peu_m2", "pnu_m2", "quality")


def quality_from_score(llr: F64) -> F64:
    """Track quality in [0, 1] from the log-likelihood-ratio score: 1 / (1 + exp(-llr))."""
    return 1.0 / (1.0 + np.exp(-np.clip(llr, -700.0, 700.0)))


def _expand(values: list, sizes: I64, dtype: type) -> NDArray:
    """One column from per-chunk values, each a scalar (repeated over its chunk) or an array of the chunk's
    size: scalars by one ``np.repeat``, arrays by one concatenation into their places."""
    arrays = [np.asarray(v) for v in values]
    is_array = np.array([a.ndim > 0 for a in arrays])
    out = np.repeat(np.array([0 if a.ndim else a for a in arrays], dtype=dtype), sizes)
    if is_array.any():
        out[np.repeat(is_array, sizes)] = np.concatenate([a for a in arrays if a.ndim])
    return out


class History:
    """Accumulates event rows in chunks (one per call), turned into a table at the end.

    ``add`` runs several times per window in the hot path, so it only copies what it is given (the state and
    the 3x3 position block); broadcasting, the covariance columns and the quality are formed once, in ``table``.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._chunks: list[tuple] = []
        self._rows = 0

    def add(self, time_s: F64 | float, track_id: I64, status: NDArray | int, event: str, sensor_id: I64 | int,
            x: F64, P: F64, llr: F64) -> None:
        n = int(np.shape(track_id)[0])
        if not self.enabled or n == 0:
            return
        self._chunks.append((
            np.array(time_s, float), np.array(track_id, np.int64), np.array(status, np.int8), EVENT[event],
            np.array(sensor_id, np.int64), x[:, :6].copy(), P[:, :3, :3].copy(), np.array(llr, float), n,
        ))
        self._rows += n

    def __len__(self) -> int:
        return self._rows

    def table(self) -> pa.Table:
        if self._chunks:
            sizes = np.array([c[8] for c in self._chunks], dtype=np.int64)
            t, tid, st, ev, sid, llr = (_expand([c[k] for c in self._chunks], sizes, dtype) for k, dtype in (
                (0, np.float64), (1, np.int64), (2, np.int8), (3, np.int8), (4, np.int64), (7, np.float64)))
            x = np.concatenate([c[5] for c in self._chunks])
            p3 = np.concatenate([c[6] for c in self._chunks])
            pos = np.stack([p3[:, 0, 0], p3[:, 1, 1], p3[:, 2, 2], p3[:, 0, 1], p3[:, 0, 2], p3[:, 1, 2]], axis=1)
            q = quality_from_score(llr)
            seq = np.arange(int(sizes.sum()))
        else:
            t, tid, seq = np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64)
            st = ev = np.zeros(0, np.int8)
            sid = np.zeros(0, np.int64)
            x, pos, q = np.zeros((0, 6)), np.zeros((0, 6)), np.zeros(0)
        order = np.lexsort((seq, tid, t))
        status = pa.DictionaryArray.from_arrays(pa.array(st[order].astype(np.int32)), pa.array(STATUS_NAMES))
        event = pa.DictionaryArray.from_arrays(pa.array(ev[order].astype(np.int32)), pa.array(EVENT_NAMES))
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
