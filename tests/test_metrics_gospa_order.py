"""The GOSPA assignment's sorting helpers: one combined-key sort gives lexsort's order, and ranks within
components do not depend on how they are computed."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.metrics.gospa import _order_by, _rank_within


def _distinct_rows(rows: list[tuple[int, int, int]]) -> tuple[np.ndarray, ...]:
    keys = np.array(sorted(set(rows)), dtype=np.int64).reshape(-1, 3)
    perm = np.random.default_rng(len(rows)).permutation(len(keys))
    return tuple(keys[perm, k] for k in range(3))


triples = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 300), st.integers(0, 7)), max_size=200)


@given(triples)
@settings(max_examples=200, deadline=None)
def test_order_by_is_lexsort_for_distinct_keys(rows) -> None:
    a, b, c = _distinct_rows(rows)
    assert np.array_equal(_order_by(a, b, c), np.lexsort((c, b, a)))
    x, y, _ = _distinct_rows([(i, j, 0) for i, j, _ in rows])
    assert np.array_equal(_order_by(x, y), np.lexsort((y, x)))


def test_order_by_falls_back_to_lexsort_when_the_combined_key_would_overflow() -> None:
    big = np.array([3, 1, 2, 1], dtype=np.int64) * (1 << 40)
    other = np.array([0, 5, 1, 4], dtype=np.int64) * (1 << 30)
    assert np.array_equal(_order_by(big, other), np.lexsort((other, big)))


def _rank_reference(comp: np.ndarray, node: np.ndarray) -> np.ndarray:
    """Dense rank of each edge's node among the distinct nodes of its component, by a Python loop."""
    out = np.empty(comp.size, np.int64)
    for i in range(comp.size):
        nodes = sorted(set(node[comp == comp[i]].tolist()))
        out[i] = nodes.index(int(node[i]))
    return out


@given(triples)
@settings(max_examples=200, deadline=None)
def test_ranks_within_components(rows) -> None:
    comp, ti, kj = _distinct_rows(rows)
    order = np.lexsort((kj, ti, comp))  # edges sorted by component, then truth, then track
    comp, ti, kj = comp[order], ti[order], kj[order]
    assert np.array_equal(_rank_within(comp, ti, sorted_by_node=True), _rank_reference(comp, ti))
    assert np.array_equal(_rank_within(comp, ti), _rank_reference(comp, ti))
    assert np.array_equal(_rank_within(comp, kj), _rank_reference(comp, kj))
