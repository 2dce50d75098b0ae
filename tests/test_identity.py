"""Which target each track follows: majority of its detections' labels."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.identity import TrackFollowing


def test_majority_and_false_alarms() -> None:
    f = TrackFollowing()
    f.add(np.array([1, 1, 2, 3]), np.array([7, 7, -1, 4]))
    f.add(np.array([1, 2, 2]), np.array([5, -1, 9]))
    assert f.followed(np.array([1, 2, 3, 99])).tolist() == [7, -1, 4, -1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(-1, 10)), max_size=200), st.integers(1, 5))
def test_matches_a_plain_counter(pairs: list[tuple[int, int]], chunks: int) -> None:
    f = TrackFollowing()
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    for part in np.array_split(arr, chunks):
        f.add(part[:, 0], part[:, 1])
    counts: dict[int, Counter] = {}
    for trk, tgt in pairs:
        counts.setdefault(trk, Counter())[tgt] += 1
    ids = np.arange(21)
    expected = [min(c, key=lambda t, c=c: (-c[t], t)) if (c := counts.get(i)) else -1 for i in ids]
    assert f.followed(ids).tolist() == expected
