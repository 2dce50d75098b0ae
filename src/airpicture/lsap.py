"""``scipy.optimize.linear_sum_assignment``, loaded without the rest of ``scipy.optimize``.

Every run solves small assignment problems (the GOSPA scoring's crossing targets; the tracker's largest gate
clusters). SciPy's solver is one compiled function in the extension module ``scipy.optimize._lsap``, but importing
it by name runs ``scipy/optimize/__init__.py`` first, which imports all of ``scipy.optimize`` (linear programming,
global optimisers...) and with it ``scipy.linalg``, ``scipy.special`` and ``scipy.fft``: ~0.3-0.5 s of every
``airpicture`` process for a function that needs none of them. :func:`linear_sum_assignment` loads that
extension module from its file on the first call instead, and falls back to the ordinary import when the file
cannot be found or loaded (another SciPy layout): the same function either way (``tests/test_lsap.py``).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

_MODULE = "scipy.optimize._lsap"
_solver: Callable[..., Any] | None = None


def linear_sum_assignment(cost: ArrayLike, maximize: bool = False) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Rows and columns of the optimal assignment of ``cost`` (see ``scipy.optimize.linear_sum_assignment``)."""
    global _solver
    if _solver is None:
        _solver = _load()
    return _solver(cost, maximize)  # type: ignore[no-any-return]


def _load() -> Callable[..., Any]:
    """SciPy's compiled solver: from its extension module's file, else by the ordinary import."""
    loaded = sys.modules.get(_MODULE)
    if loaded is None:
        try:
            loaded = _load_extension()
        except Exception:  # any other layout or loading problem: the public import always works
            loaded = None
    if loaded is not None and callable(getattr(loaded, "linear_sum_assignment", None)):
        return loaded.linear_sum_assignment  # type: ignore[no-any-return]
    from scipy.optimize import linear_sum_assignment as solver

    return solver  # type: ignore[no-any-return]


def _load_extension() -> Any:
    """The extension module ``scipy.optimize._lsap`` from its file, without importing its package; None when no such
    file exists. Python enters the module in ``sys.modules`` under its own name, so a later ``import
    scipy.optimize`` finds it there and uses the same module."""
    spec = importlib.util.find_spec("scipy")  # locates the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "optimize"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"_lsap{suffix}"
        if path.is_file():
            loader = importlib.machinery.ExtensionFileLoader(_MODULE, str(path))
            module_spec = importlib.util.spec_from_file_location(_MODULE, path, loader=loader)
            if module_spec is None:
                return None
            module = importlib.util.module_from_spec(module_spec)
            loader.exec_module(module)
            return module
    return None
