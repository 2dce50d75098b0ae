"""The Python API: everything the command line does, from a notebook or a script.

```python
import airpicture as ap

scenario = ap.load_scenario("teaching").with_overrides({"raids[0].count": 12})
run = ap.run(scenario, seed=3)          # in memory
run.summary["engagement"]["leakers"]
run.events                              # pandas DataFrame (run.arrow("events") for the Arrow table)
run.save("runs/teaching-3")             # exactly the folder `airpicture run` writes
run.report()                            # the HTML report (shown inline in Jupyter)
```

Tables are the ones ``airpicture run`` writes (see the README's output table), as pandas DataFrames built from
their Arrow tables on demand. Mistakes in what is given raise `InputError`, whose
message names the input, the field path and what was expected, as the command line prints it.

This module imports nothing heavy at import time: the engine (Numba, SciPy), the report (plotly) and Dask are
imported by the calls that need them.
"""

from __future__ import annotations

import html as _html
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from airpicture.errors import InputError
from airpicture.scenario import MAX_SEED, Scenario

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from airpicture.engine import RunResult
    from airpicture.scenario import Asset, Radar, Site, TrackerConfig
    from airpicture.tracking.sensorfile import SensorFile

__all__ = ["Run", "Simulation", "Step", "Tracked", "load_run", "load_scenario", "run", "sweep", "track"]

#: The tables of a results folder, in the order the README lists them.
TABLE_NAMES = ("truth", "targets", "detections", "detection_labels", "tracks", "picture", "metrics",
               "target_metrics", "events", "timeline", "decisions", "terrain")


def load_scenario(name_or_path: str | Path | None = None) -> Scenario:
    """A built-in scenario by name (``"teaching"``), a scenario ``.toml`` file, or ``None`` for the default one;
    validated (`InputError` on any mistake). Vary it with
    `Scenario.with_overrides`."""
    from airpicture.scenario import load_scenario as _load

    return _load(name_or_path)


def _scenario(scenario: Scenario | str | Path | None, seed: int | None) -> Scenario:
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise InputError("seed", f"expected an integer in [0, 2^63 - 1 = {MAX_SEED}], got {seed!r}")
        sc = sc.model_copy(update={"seed": seed})
    return sc


def _frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas()


class Report(str):
    """The HTML of a run's report (a ``str``); displayed inline in Jupyter, in a frame of its own."""

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{_html.escape(str(self), quote=True)}" style="width:100%;height:900px;border:0" '
                'title="airpicture report"></iframe>')


@dataclass
class Run:
    """The results of one run: its scenario, ``summary`` (the ``summary.json`` dict) and tables.

    Tables live in memory (from `run`) or in a results folder (`load_run`, or `run` with
    ``out``); either way ``run.arrow(name)`` gives the Arrow table and ``run.<name>`` a pandas DataFrame.
    """

    scenario: Scenario
    summary: dict[str, Any]
    folder: Path | None = None
    _tables: dict[str, pa.Table] = field(default_factory=dict, repr=False)
    _report: Report | None = field(default=None, repr=False)

    @property
    def names(self) -> list[str]:
        """The tables this run has (a scenario without sensors or batteries has fewer)."""
        if self.folder is not None:
            return [n for n in TABLE_NAMES if (self.folder / f"{n}.parquet").is_file()]
        return [n for n in TABLE_NAMES if n in self._tables]

    def arrow(self, name: str) -> pa.Table:
        """The Arrow table ``name`` (e.g. ``"events"``); `KeyError` naming the tables it has otherwise."""
        if name in self._tables:
            return self._tables[name]
        if self.folder is not None and (self.folder / f"{name}.parquet").is_file():
            import pyarrow.parquet as pq

            table = pq.read_table(self.folder / f"{name}.parquet")
            self._tables[name] = table
            return table
        raise KeyError(f"this run has no table {name!r}; it has: {', '.join(self.names) or 'none'}")

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name`` as a pandas DataFrame."""
        return _frame(self.arrow(name))

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table as a pandas DataFrame, by name."""
        return {n: self.table(n) for n in self.names}

    @property
    def truth(self) -> pd.DataFrame:
        """``truth.parquet``: every target's sampled state (time_s, target_id, e/n/u m, velocities m/s, ...)."""
        return self.table("truth")

    @property
    def targets(self) -> pd.DataFrame:
        """``targets.parquet``: one row per target (kind, hostile, start and end, why it ended)."""
        return self.table("targets")

    @property
    def detections(self) -> pd.DataFrame:
        """``detections.parquet``: every radar detection (time, sensor, range, azimuth, elevation, SNR)."""
        return self.table("detections")

    @property
    def tracks(self) -> pd.DataFrame:
        """``tracks.parquet``: the tracker's history (one row per track event)."""
        return self.table("tracks")

    @property
    def picture(self) -> pd.DataFrame:
        """``picture.parquet``: the confirmed air picture at every picture epoch."""
        return self.table("picture")

    @property
    def events(self) -> pd.DataFrame:
        """``events.parquet``: fire control's events (engagements, launches, kills, leakers)."""
        return self.table("events")

    @property
    def timeline(self) -> pd.DataFrame:
        """``timeline.parquet``: each battery's resources in use at every step."""
        return self.table("timeline")

    @property
    def metrics(self) -> pd.DataFrame:
        """``metrics.parquet``: GOSPA and its parts at every picture epoch."""
        return self.table("metrics")

    @property
    def decisions(self) -> pd.DataFrame:
        """``decisions.parquet``: the decision log (what each stage decided and why)."""
        return self.table("decisions")

    def save(self, folder: str | Path, overwrite: bool = False, report: bool = True) -> Path:
        """Write the results folder ``airpicture run`` would write for this run (same files, same bytes) into
        ``folder``, atomically; return its path. ``overwrite`` replaces a results folder airpicture wrote."""
        from airpicture.engine import write_run

        return write_run(self._result(), Path(folder), overwrite=overwrite, report=report)

    def report(self) -> Report:
        """The self-contained HTML report (a ``str``; Jupyter shows it inline). Built on first use."""
        if self._report is None:
            if self.folder is not None and (self.folder / "report.html").is_file():
                text = (self.folder / "report.html").read_text(encoding="utf-8")
            else:
                with tempfile.TemporaryDirectory(prefix="airpicture-report-") as tmp:
                    out = self.save(Path(tmp) / "run", report=True)
                    text = (out / "report.html").read_text(encoding="utf-8")
            self._report = Report(text)
        return self._report

    def _result(self) -> RunResult:
        from airpicture.engine import RunResult

        return RunResult(self.scenario, None, {n: self.arrow(n) for n in self.names}, dict(self.summary))

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{_html.escape(k)}</th><td>{_html.escape(v)}</td></tr>"
                       for k, v in _headline(self.summary))
        where = f" in {_html.escape(str(self.folder))}" if self.folder is not None else " (in memory)"
        return (f"<div><b>airpicture run</b> of '{_html.escape(self.scenario.name)}', seed {self.scenario.seed}"
                f"{where}<table>{rows}</table><small>tables: {', '.join(self.names)}; "
                "<code>run.report()</code> shows the report</small></div>")


def _headline(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    t = summary.get("targets", {})
    rows = [("targets", f"{t.get('total', 0)} ({t.get('threats', 0)} threats, {t.get('civil', 0)} civil)")]
    if "engagement" in summary:
        e = summary["engagement"]
        rows.append(("threats", f"kills {e.get('kills')}, leakers {e.get('leakers')}, survived {e.get('survived')}"))
        rows.append(("interceptors expended", str(e.get("interceptors_expended"))))
    if "tracking" in summary:
        tr = summary["tracking"]
        rows.append(("tracks", f"started {tr.get('tracks_started')}, confirmed {tr.get('tracks_confirmed')}"))
    return rows


def run(scenario: Scenario | str | Path | None = None, seed: int | None = None, out: str | Path | None = None,
        overwrite: bool = False, report: bool = True) -> Run:
    """Run a scenario (a `Scenario`, a built-in name, a file, or ``None`` for the
    default) end to end, with its seed or ``seed``.

    Without ``out`` the tables stay in memory. With ``out`` the run streams into that results folder exactly as
    ``airpicture run --out`` does (atomically; ``report`` writes ``report.html`` too) and the returned
    `Run` reads its tables from there.
    """
    sc = _scenario(scenario, seed)
    source = scenario if isinstance(scenario, str | Path) else "scenario"
    from airpicture.engine import run_into, run_scenario
    from airpicture.precompile import compile_ahead_if_cold

    compile_ahead_if_cold(sc)  # the first run on this machine: its kernels compiled on two cores
    if out is None:
        result = run_scenario(sc, source=str(source))
        return Run(sc, result.summary, None, dict(result.tables))
    from airpicture.folders import staged

    staging = staged(Path(out), "run", overwrite)
    staging.start()
    try:
        result = run_into(sc, staging, str(source), report=report)
    except BaseException:
        staging.abandon()
        raise
    return Run(sc, result.summary, staging.final)


def load_run(folder: str | Path) -> Run:
    """A results folder written by ``airpicture run`` (or `Run.save`); tables are read when first used.
    `InputError` if it is not a complete results folder."""
    from airpicture.report.load import _check_complete, _read_summary, check_results_folder
    from airpicture.scenario import parse_scenario, read_toml

    d = Path(folder)
    check_results_folder(d)
    summary = _read_summary(d / "summary.json")
    _check_complete(d, summary)
    scenario = parse_scenario(read_toml(d / "scenario.toml"), str(d / "scenario.toml"),
                              warn_old_names=False)
    return Run(scenario, summary, d)


class Tracked(NamedTuple):
    """What `track` returns: the track history, the picture (``None`` without a picture period) and the
    tracker's counts."""

    tracks: pd.DataFrame
    picture: pd.DataFrame | None
    stats: dict[str, Any]


def track(detections: pd.DataFrame | pa.Table | str | Path,
          sensors: str | Path | SensorFile | Sequence[Radar | Mapping[str, Any]],
          tracker: TrackerConfig | Mapping[str, Any] | None = None, picture_period: float | None = None, *,
          capacity: int | None = None, site: Site | Mapping[str, Any] | None = None,
          assets: Sequence[Asset | Mapping[str, Any]] | None = None) -> Tracked:
    """Track detections that came from elsewhere, as ``airpicture track`` does (same tracks, same picture).

    ``detections``: a DataFrame, Arrow table or CSV/Parquet file with the columns of ``detections.parquet``
    (``time_s, sensor_id, range_m, azimuth_deg, elevation_deg``, optional ``range_rate_mps``, ``snr_db``; without
    ``sensor_id`` for a single radar), sorted by time. ``sensors``: a sensor file (path or loaded), or radars as
    `Radar` objects or mappings of the scenario's ``[[sensors]]`` fields; then
    ``site`` (default latitude 0, longitude 0) places them. ``tracker`` overrides the sensor file's
    ``[tracker]`` table; ``capacity`` its capacity (default 100). With ``picture_period`` (s), the picture at
    every epoch ``k * picture_period`` is returned too.
    """
    import math

    import numpy as np
    import pyarrow as pa
    from pydantic import TypeAdapter, ValidationError

    from airpicture.geodesy import LocalFrame
    from airpicture.scenario import Asset, Radar, Site, TrackerConfig, problems_from_validation
    from airpicture.tracking.sensorfile import SensorFile, detections_from_table, load_sensor_file, read_detections

    def validate(kind: Any, value: Any, what: str) -> Any:
        try:
            return TypeAdapter(kind).validate_python(value)
        except ValidationError as err:
            raise InputError(what, problems_from_validation(err, value)) from None

    if picture_period is not None and not (math.isfinite(picture_period) and picture_period > 0):
        raise InputError("picture_period", "expected a finite number of seconds > 0")
    if capacity is not None and capacity < 0:
        raise InputError("capacity", "expected a non-negative integer")
    if isinstance(sensors, str | Path):
        sensors = load_sensor_file(sensors)
    if isinstance(sensors, SensorFile):
        if site is not None:
            raise InputError("site", "the sensor file places the radars; give site only with a list of radars")
        sf = sensors
    else:
        radars = [r if isinstance(r, Radar) else validate(Radar, dict(r), f"sensors[{i}]")
                  for i, r in enumerate(sensors)]
        site_model = site if isinstance(site, Site) else validate(
            Site, dict(site) if site is not None else {"latitude_deg": 0.0, "longitude_deg": 0.0}, "site")
        sf = validate(SensorFile, {"site": site_model.model_dump(), "sensors": [r.model_dump() for r in radars]},
                      "sensors")
    if assets is not None:
        sf = sf.model_copy(update={"assets": [a if isinstance(a, Asset) else validate(Asset, dict(a), "assets")
                                              for a in assets]})
    config = sf.tracker if tracker is None else (
        tracker if isinstance(tracker, TrackerConfig) else validate(TrackerConfig, dict(tracker), "tracker"))
    radars = list(sf.sensors)
    if isinstance(detections, str | Path):
        det = read_detections(detections, radars)
    else:
        table = detections if isinstance(detections, pa.Table) else pa.Table.from_pandas(detections,
                                                                                        preserve_index=False)
        det = detections_from_table(table, radars, "detections")
    cap = capacity if capacity is not None else (config.capacity if config.capacity is not None else 100)
    from airpicture.tracking.offline import track_detections
    from airpicture.truth.threats import place_en

    site_m = sf.site
    frame = LocalFrame.at(site_m.latitude_deg, site_m.longitude_deg, site_m.altitude_m)
    assets_en = np.asarray([place_en(a, frame) for a in sf.assets], float) if sf.assets else None
    result = track_detections(det, radars, frame, config, cap, picture_period, assets_en)
    return Tracked(_frame(result.tracks), _frame(result.picture) if result.picture is not None else None,
                   dict(result.stats))


def sweep(scenario: Scenario | str | Path, grid: Mapping[str, Sequence[Any]], seeds: int = 20, *,
          fixed: Mapping[str, Any] | None = None, seed: int = 0, common_random_numbers: bool = False,
          workers: int | None = None, dask: str | None = None, out: str | Path | None = None,
          name: str | None = None) -> pd.DataFrame:
    """A Monte Carlo sweep: every combination of the ``grid`` values (field path -> list of values) times
    ``seeds`` replications, as ``airpicture sweep`` runs it; returns one row per run (``sweep.parquet``).

    ``fixed`` overrides apply to every run; run seeds derive from ``seed`` (see the sweep file's fields). Runs go
    to ``workers`` local processes (default: every core) or to Dask (``dask="local"`` or a scheduler address).
    Without ``out`` nothing is left on disk; with ``out`` that folder holds the rows and figures and is resumed
    by the same call, as the command line does. `InputError` on a bad path or value,
    before any run.
    """
    from airpicture.budget import check_sweep_size, memory_budget
    from airpicture.sweep.command import make_backend
    from airpicture.sweep.runner import run_sweep
    from airpicture.sweep.spec import parse_spec, plan_from_base
    from airpicture.sweep.store import check_folder

    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    spec = parse_spec({"name": name or f"{base.name}-sweep", "scenario": base.name, "seed": seed,
                       "seeds_per_point": seeds, "common_random_numbers": common_random_numbers,
                       "fixed": dict(fixed or {}), "grid": {k: list(v) for k, v in grid.items()}}, "sweep")
    n_points = 1
    for values in spec.grid.values():
        n_points *= len(values)
    check_sweep_size(n_points, spec.seeds_per_point, "sweep", memory_budget(None))
    plan = plan_from_base(spec, base, "sweep")
    backend = make_backend(dask, workers)
    try:
        if out is not None:
            folder = Path(out)
            check_folder(folder, plan)
            result = run_sweep(plan, folder, backend)
            return _frame(result.table)
        with tempfile.TemporaryDirectory(prefix="airpicture-sweep-") as tmp:
            result = run_sweep(plan, Path(tmp) / "sweep", backend, figures=False)
            return _frame(result.table)
    finally:
        backend.close()


@dataclass
class Step:
    """One engine step of a `Simulation`: the picture fire control acted on at ``time_s``, each
    battery's state then, and what happened since the step before.

    - ``picture``: confirmed tracks (``track_id``, ``e_m n_m u_m``, ``ve_mps vn_mps vu_mps``,
      ``position_sigma_m``, and ``target_id``: the truth target the track follows, -1 for false alarms);
    - ``batteries``: one row per battery (the ``timeline.parquet`` columns: channels busy, interceptors in flight,
      rounds ready, inventory left, tracks held);
    - ``events``: the fire-control events recorded at this step (``events.parquet`` columns; a launch may carry
      an intercept time in the future);
    - ``detections``: how many detections the radars made since the step before.
    """

    time_s: float
    picture: pd.DataFrame
    batteries: pd.DataFrame
    events: pd.DataFrame
    detections: int


class Simulation:
    """A run, one step at a time: ``for step in ap.Simulation(scenario).steps(): ...``.

    The steps are those of ``run`` (the same scenario and seed give the same picture, events and results);
    after the last one, :attr:`result` is the `Run`. Leaving the loop early discards the run.
    """

    def __init__(self, scenario: Scenario | str | Path | None = None, seed: int | None = None) -> None:
        self.scenario = _scenario(scenario, seed)
        self.result: Run | None = None

    def steps(self) -> Iterator[Step]:
        """Yield a `Step` at every decision time (every ``time_step_s``, and at the end)."""
        import numpy as np
        import pandas as pd

        from airpicture.engagement.events import EVENT_SCHEMA, TIMELINE_SCHEMA
        from airpicture.engine import simulate

        windows = simulate(self.scenario)
        marks = (0, 0)
        detections = 0
        no_events, no_batteries = _frame(EVENT_SCHEMA.empty_table()), _frame(TIMELINE_SCHEMA.empty_table())
        while True:
            try:
                w = next(windows)
            except StopIteration as end:
                result = end.value
                self.result = Run(self.scenario, result.summary, None, dict(result.tables))
                return
            detections += len(w.detections)
            if not w.is_step or w.picture is None:
                continue
            pic, followed = w.picture, w.followed
            sigma = np.sqrt(np.clip(np.trace(pic.P[:, :3, :3], axis1=1, axis2=2), 0.0, None))
            picture = pd.DataFrame({
                "track_id": pic.track_id, **{c: pic.x[:, k] for k, c in enumerate(
                    ("e_m", "n_m", "u_m", "ve_mps", "vn_mps", "vu_mps"))},
                "position_sigma_m": sigma, "target_id": followed})
            if w.fire is not None:
                events, timeline = w.fire.recorded_since(marks)
                marks = w.fire.recorded()
                ev, bat = _frame(events), _frame(timeline)
            else:
                ev, bat = no_events, no_batteries
            yield Step(w.end_s, picture, bat, ev, detections)
            detections = 0
