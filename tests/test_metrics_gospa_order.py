"""The GOSPA assignment's plan of the components of the "closer than c" graph: the shortest edge of every star
component, and every other component's cost matrix (rows and columns its truths and tracks in ascending order),
against a plain Python loop."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.graph import connected_components
from airpicture.metrics.gospa import _plan_components

edges = st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14), st.sampled_from([1.0, 2.0, 2.5, 3.0])),
                 max_size=60, unique_by=lambda e: (e[0], e[1]))


@given(edges, st.sampled_from([1.0, 2.0, 3.0]))
@settings(max_examples=200, deadline=None)
def test_plan_against_python(pairs, p) -> None:
    n = m = 15
    pairs = sorted(pairs)
    ti = np.array([e[0] for e in pairs], dtype=np.int64)
    kj = np.array([e[1] for e in pairs], dtype=np.int64)
    dist = np.array([e[2] for e in pairs])  # repeated lengths: ties go to the first edge
    label = np.empty(n + m, np.int64)
    n_comp = connected_components(ti, n + kj, label)
    cp = 4.0**p
    keep, hard, offset, n_cols, matrices, edge_of_cell = _plan_components(ti, kj, dist, label, n, n_comp, p, cp)
    want_keep = np.zeros(ti.size, bool)
    want_hard = []
    for comp in range(n_comp):
        on = [e for e in range(ti.size) if label[ti[e]] == comp]
        rows = sorted({int(ti[e]) for e in on})
        cols = sorted({int(kj[e]) for e in on})
        if not on or len(rows) == 1 or len(cols) == 1:
            if on:
                want_keep[min(on, key=lambda e: (dist[e], e))] = True
            assert offset[comp + 1] == offset[comp]
            continue
        want_hard.append(comp)
        assert n_cols[comp] == len(cols) and offset[comp + 1] - offset[comp] == len(rows) * len(cols)
        cost = np.zeros((len(rows), len(cols)))
        edge = np.full((len(rows), len(cols)), -1)
        for e in on:
            cost[rows.index(ti[e]), cols.index(kj[e])] = dist[e] ** p - cp
            edge[rows.index(ti[e]), cols.index(kj[e])] = e
        cells = slice(offset[comp], offset[comp + 1])
        assert np.array_equal(matrices[cells], cost.ravel())
        assert np.array_equal(edge_of_cell[cells], edge.ravel())
    assert np.array_equal(keep, want_keep)
    assert np.array_equal(hard, want_hard)
    assert offset[-1] == matrices.size == edge_of_cell.size
