"""Shared builders for the radar tests: synthetic truths of straight-line targets and small scenarios."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from airpicture.geodesy import LocalFrame
from airpicture.scenario import Radar, Scenario, parse_scenario
from airpicture.truth import Truth
from airpicture.truth.builder import TruthBuilder
from airpicture.truth.table import grid_times

F64 = NDArray[np.float64]

SITE = {"latitude_deg": 34.5, "longitude_deg": -38.2, "altitude_m": 20.0}
FRAME = LocalFrame.at(SITE["latitude_deg"], SITE["longitude_deg"], SITE["altitude_m"])


def straight_truth(p0: F64, v: F64, rcs_m2: F64 | float = 1.0, start_s: F64 | float = 0.0,
                   end_s: F64 | float = 100.0, step_s: float = 1.0, duration_s: float | None = None,
                   rcs_broadside_ratio: float = 1.0) -> Truth:
    """Targets moving in straight lines in site ENU: position p0 + v (t - start) for t in [start, end]."""
    p0 = np.atleast_2d(np.asarray(p0, dtype=float))
    v = np.broadcast_to(np.atleast_2d(np.asarray(v, dtype=float)), p0.shape)
    n = p0.shape[0]
    start = np.broadcast_to(np.asarray(start_s, dtype=float), (n,)).copy()
    end = np.broadcast_to(np.asarray(end_s, dtype=float), (n,)).copy()
    horizon = float(end.max()) if duration_s is None else duration_s
    owner, t = grid_times(start, end, step_s, horizon)
    x = np.concatenate([p0[owner] + v[owner] * (t - start[owner])[:, None], v[owner]], axis=1)
    b = TruthBuilder()
    b.add(kind="aircraft", hostile=True, rcs_m2=np.broadcast_to(np.asarray(rcs_m2, float), (n,)).copy(),
          asset_index=-1, start_s=start, end_s=end, end_reason=np.full(n, "running", dtype=object), group="test",
          callsign=np.array([f"t{i}" for i in range(n)], dtype=object), owner=owner, t=t, x=x,
          rcs_broadside_ratio=rcs_broadside_ratio)
    return b.build()


def empty_truth() -> Truth:
    return TruthBuilder().build()


def at_height(e: F64, n: F64, height_m: F64 | float) -> F64:
    """(K, 3) site-ENU points ``height_m`` above the spherical ground at (e, n)."""
    e = np.asarray(e, dtype=float)
    n = np.asarray(n, dtype=float)
    h = np.broadcast_to(np.asarray(height_m, dtype=float), e.shape)
    return np.column_stack([e, n, FRAME.up_from_height(e, n, h)])


def radar(**kw: Any) -> Radar:
    """A radar at the site with test-friendly defaults (fields overridable)."""
    base: dict[str, Any] = {"id": 1, "e_m": 0.0, "n_m": 0.0, "antenna_height_m": 10.0, "scan_period_s": 4.0}
    base.update(kw)
    return Radar.model_validate(base)


def scenario(sensors: list[dict[str, Any]], duration_s: float = 60.0, seed: int = 5) -> Scenario:
    """A minimal scenario (no raids) holding ``sensors``; pair it with a synthetic truth."""
    sensors = [{"kind": "surveillance_radar", **s} for s in sensors]
    data = {"name": "radar-test", "seed": seed, "duration_s": duration_s, "site": SITE,
            "assets": [{"name": "base", "e_m": 0.0, "n_m": 0.0}], "sensors": sensors}
    return parse_scenario(data, "test")
