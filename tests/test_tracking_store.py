"""The track store's compiled bookkeeping against plain NumPy statements of it (property tests)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.tracking.store import CONFIRMED, TENTATIVE, TrackStore, without

slot_lists = st.lists(st.integers(0, 39), max_size=40)


@settings(max_examples=60, deadline=None)
@given(slot_lists, slot_lists)
def test_without_equals_numpy(slots, drop):
    a, d = np.array(slots, np.int64), np.array(drop, np.int64)
    np.testing.assert_array_equal(without(a, d, 40), a[~np.isin(a, d)])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 6), st.floats(-20, 20)), min_size=40, max_size=40),
       slot_lists, slot_lists, st.lists(st.floats(-5, 5), min_size=40, max_size=40))
def test_settled_unhit_and_score_hits_equal_numpy(tracks, slots, hit, inc):
    s = TrackStore(1, 1, initial=40)
    s.size = 40
    s.status[:40] = [CONFIRMED if c else TENTATIVE for c, _, _ in tracks]
    s.n_hits[:40] = [h for _, h, _ in tracks]
    s.llr[:40] = [v for _, _, v in tracks]
    s.llr_max[:40] = np.maximum(s.llr[:40], 0.0)
    a, h = np.array(slots, np.int64), np.array(hit, np.int64)
    expected = a[(s.status[a] == CONFIRMED) & (s.n_hits[a] >= 3) & ~np.isin(a, h)]
    np.testing.assert_array_equal(s.settled_unhit(a, h, 3), expected)
    u = np.unique(a)
    increments = np.array(inc)[: u.size]
    llr, peak = s.llr.copy(), s.llr_max.copy()
    llr[u] += increments
    peak[u] = np.maximum(peak[u], llr[u])
    s.score_hits(u, increments)
    np.testing.assert_array_equal(s.llr, llr)
    np.testing.assert_array_equal(s.llr_max, peak)
