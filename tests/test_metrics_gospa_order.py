"""The GOSPA assignment's per-node ranks: each edge's node ranked among the distinct nodes of its component,
and the number of such nodes per component, against a plain Python loop."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.metrics.gospa import _node_ranks

nodes = st.lists(st.integers(0, 60), max_size=200)


def _reference(node: np.ndarray, label: np.ndarray, n_comp: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense rank of each edge's node among the distinct nodes of its component, and nodes per component."""
    present = sorted(set(node.tolist()))
    rank = np.empty(node.size, np.int64)
    for i in range(node.size):
        same = [v for v in present if label[v] == label[node[i]]]
        rank[i] = same.index(int(node[i]))
    count = np.zeros(n_comp, np.int64)
    for v in present:
        count[label[v]] += 1
    return rank, count


@given(nodes, st.integers(1, 12), st.integers(0, 2**32 - 1))
@settings(max_examples=200, deadline=None)
def test_node_ranks_within_components(values, n_comp, seed) -> None:
    label = np.random.default_rng(seed).integers(0, n_comp, 61)  # a node lies in one component
    node = np.array(values, dtype=np.int64)  # the node of each edge
    for edge_nodes, sorted_nodes in ((node, False), (np.sort(node), True)):
        rank, count = _node_ranks(edge_nodes, label, n_comp, sorted_nodes=sorted_nodes)
        want_rank, want_count = _reference(edge_nodes, label, n_comp)
        assert np.array_equal(rank, want_rank)
        assert np.array_equal(count, want_count)
