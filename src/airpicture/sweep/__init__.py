"""Monte Carlo sweeps: a grid of scenario overrides x seeds, run in parallel, resumable, with saturation curves.

``load_sweep(file)`` validates a sweep file into a :class:`SweepPlan`; ``run_sweep(plan, folder, backend)``
runs it on :class:`InProcess`, :class:`LocalProcesses` or :class:`DaskCluster` into a resumable folder.

Names are imported on first use, so worker processes that only need :mod:`airpicture.sweep.worker` do not pay
for the statistics and plotting imports.

The package is also callable: ``airpicture.sweep(scenario, grid={...})`` is :func:`airpicture.api.sweep` (the
top-level name ``ap.sweep`` and this package are one object, since importing a submodule binds the package).
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import Any

_EXPORTS = {
    "DaskCluster": "backends",
    "InProcess": "backends",
    "LocalProcesses": "backends",
    "SweepResult": "runner",
    "run_sweep": "runner",
    "GridPoint": "spec",
    "SweepPlan": "spec",
    "SweepSpec": "spec",
    "load_sweep": "spec",
    "plan_sweep": "spec",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"airpicture.sweep.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'airpicture.sweep' has no attribute {name!r}")


class _CallableModule(types.ModuleType):
    """This package's module type: calling it runs :func:`airpicture.api.sweep`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from airpicture.api import sweep

        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
