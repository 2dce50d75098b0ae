"""airpicture: simulate an air-defence battery's surveillance and engagement chain.

The Python API (:mod:`airpicture.api`) is here at the top::

    import airpicture as ap
    run = ap.run("teaching", seed=3)

Names are loaded on first use (PEP 562), so ``import airpicture`` stays cheap: the engine's compiled kernels,
SciPy, plotly and Dask are imported only by the calls that need them.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False  # not imported from typing: importing typing would cost more than the rest of this module

__version__ = "0.1.0"

_EXPORTS = {
    "load_scenario": "airpicture.api",
    "run": "airpicture.api",
    "load_run": "airpicture.api",
    "track": "airpicture.api",
    "Run": "airpicture.api",
    "Simulation": "airpicture.api",
    "Step": "airpicture.api",
    "Tracked": "airpicture.api",
    "Scenario": "airpicture.scenario",
    "InputError": "airpicture.errors",
}
__all__ = ["InputError", "Run", "Scenario", "Simulation", "Step", "Tracked", "load_run", "load_scenario", "run",
           "sweep", "track"]

if TYPE_CHECKING:
    from typing import Any

    from airpicture.api import Run, Simulation, Step, Tracked, load_run, load_scenario, run, track
    from airpicture.errors import InputError
    from airpicture.scenario import Scenario


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name == "sweep":  # the subpackage, callable as airpicture.api.sweep
        return import_module("airpicture.sweep")
    raise AttributeError(f"module 'airpicture' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
