"""Connected components of an undirected graph given by its edges, as a compiled kernel.

Used by the tracker (clusters of the gate graph, twice per radar batch) and by the GOSPA scoring (components of
the "closer than the cut-off" graph of every block of epochs). Written here rather than calling
``scipy.sparse.csgraph.connected_components``: scipy's input validation costs ~0.5 ms per call, and importing
``scipy.sparse.csgraph`` costs a process ~0.2-0.4 s (it brings ``scipy.sparse.linalg`` and ``scipy.linalg``) --
more than the scoring of a whole run spends on components. The partition and its numbering are scipy's (tested
against it in ``tests/test_graph.py``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from airpicture.compiled import njit

I64 = NDArray[np.int64]


@njit(cache=True)
def connected_components(a: I64, b: I64, label: I64) -> int:
    """Connected components of the graph with edges (a[k], b[k]) over ``label.size`` nodes by union-find (path
    halving); writes each node's component number into ``label`` -- 0, 1, ... in order of each component's
    smallest node, isolated nodes included, as ``scipy.sparse.csgraph.connected_components`` numbers them -- and
    returns the number of components."""
    n = label.shape[0]
    parent = np.arange(n)
    for k in range(a.shape[0]):
        x, y = a[k], b[k]
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x != y:
            if x < y:
                parent[y] = x
            else:
                parent[x] = y
    count = 0
    for i in range(n):
        r = i
        while parent[r] != r:
            r = parent[r]
        parent[i] = r
        if r == i:
            label[i] = count
            count += 1
        else:
            label[i] = label[r]
    return count
