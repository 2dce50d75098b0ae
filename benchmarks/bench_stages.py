"""Where the time of one ``airpicture run`` goes, stage by stage (truth, sensing, tracking, fire control, scoring,
decision log, table building, Parquet writing, report).

Usage::

    python benchmarks/bench_stages.py default saturation [--repeat 3] [--no-report]
    PYTHONPATH=/path/to/other/checkout/src python benchmarks/bench_stages.py default   # the same for another tree

A warm-up run of the ``teaching`` scenario loads the compiled kernels; then each scenario is run ``--repeat`` times the way
``airpicture run`` runs it (``run_into``: tables streamed into a results folder, then ``report.html``). The
functions that make up each stage are wrapped by timers that charge *exclusive* time: while a nested stage runs
(Parquet writing inside the track history's drain, say) the outer one's clock stops, so the rows add up to the
whole. "engine loop" is what is left in the engine's own functions. Wall and CPU (process) seconds, median over
the repeats; on a shared machine CPU seconds are the steadier figure. Functions missing from the tree measured
are skipped, so the same script times an older checkout.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: stage -> functions ("module:qualname") whose exclusive time is charged to it. Order is the table's order.
STAGES: dict[str, tuple[str, ...]] = {
    "truth": ("airpicture.truth:generate_truth",),
    "sensing": ("airpicture.sensors.stage:SensingStage.__init__", "airpicture.sensors.stage:SensingStage.between"),
    "tracking": ("airpicture.tracking.tracker:Tracker.__init__", "airpicture.tracking.tracker:Tracker.process",
                 "airpicture.tracking.tracker:Tracker.flush", "airpicture.tracking.tracker:Tracker.picture",
                 "airpicture.tracking.tracker:Tracker.stats"),
    "track identity": ("airpicture.identity:TrackFollowing.add", "airpicture.identity:TrackFollowing.followed",
                       "airpicture.identity:TrackFollowing.retain"),
    "fire control": ("airpicture.engagement.fire_control:FireControl.__init__",
                     "airpicture.engagement.fire_control:FireControl.step",
                     "airpicture.engagement.fire_control:FireControl.record_capacity_refused",
                     "airpicture.engagement.fire_control:FireControl.finish",
                     "airpicture.engagement.fire_control:FireControl.summary"),
    "metrics/scoring": ("airpicture.metrics.scorer:PictureScorer.add_epoch",
                        "airpicture.metrics.scorer:PictureScorer.add_detections",
                        "airpicture.metrics.scorer:PictureScorer.finish",
                        "airpicture.sensors.truth_index:TruthIndex.state_at"),
    "decision log": ("airpicture.decisions:decision_table", "airpicture.decisions.summary:add_decision_summary"),
    "table building": ("airpicture.tables:truth_chunks", "airpicture.tables:targets_table",
                       "airpicture.detections:Detections.to_table", "airpicture.detections:DetectionLabels.to_table",
                       "airpicture.detections:Detections.concat", "airpicture.detections:DetectionLabels.concat",
                       "airpicture.engine:_picture_rows", "airpicture.tracking.history:History.drain",
                       "airpicture.tracking.history:History.table",
                       "airpicture.engagement.fire_control:FireControl.events_table",
                       "airpicture.engagement.fire_control:FireControl.timeline_table",
                       "airpicture.streams:ParquetStream.append", "airpicture.streams:MemoryStream.close",
                       "airpicture.io:to_arrow"),
    "parquet writing": ("pyarrow.parquet:ParquetWriter.write_table", "pyarrow.parquet:ParquetWriter.close",
                        "pyarrow.parquet:ParquetWriter.__init__", "airpicture.io:write_parquet",
                        "pyarrow.lib:concat_tables"),
    "parquet reading": ("pyarrow.parquet:read_table", "pyarrow.parquet:ParquetFile.read"),
    "report: battle facts": ("airpicture.explain.battle:load_battle",),
    "report: plotly figures": ("airpicture.report.figures:map_figure", "airpicture.report.figures:picture_figure",
                               "airpicture.report.figures:ppi_figure", "airpicture.report.figures:timeseries_figure",
                               "airpicture.report.figures:timeline_figure",
                               "airpicture.report.verdict:bottleneck_figure"),
    "report: figure to HTML": ("airpicture.report.html:_figure_div",),
    "report: data prep": ("airpicture.report.load:load_run", "airpicture.report.html:render_html"),
    "report: write": ("airpicture.report:build_report",),
    "summary, scenario.toml": ("airpicture.engine:_finish_folder",),
    "memory release (gc)": ("airpicture.engine:release_memory",),
    "engine loop": ("airpicture.engine:run_scenario", "airpicture.engine:_run_chain", "airpicture.engine:run_into"),
}

MODULES = ("airpicture.engine", "airpicture.tracking", "airpicture.engagement", "airpicture.metrics",
           "airpicture.sensors.stage", "airpicture.decisions", "airpicture.decisions.summary", "airpicture.report",
           "airpicture.report.html", "airpicture.report.load", "airpicture.report.figures",
           "airpicture.report.verdict", "airpicture.explain.battle", "airpicture.streams", "airpicture.io",
           "airpicture.tables", "airpicture.identity", "airpicture.detections", "airpicture.tracking.history",
           "airpicture.sensors.truth_index")


class Clock:
    """Exclusive time per stage: a stack of running stages; time goes to the innermost."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.stack: list[str] = []
        self._mark = (time.perf_counter(), time.process_time())

    def _charge(self) -> None:
        now = (time.perf_counter(), time.process_time())
        if self.stack:
            self.wall[self.stack[-1]] += now[0] - self._mark[0]
            self.cpu[self.stack[-1]] += now[1] - self._mark[1]
        self._mark = now

    def enter(self, stage: str) -> None:
        self._charge()
        self.stack.append(stage)

    def leave(self) -> None:
        self._charge()
        self.stack.pop()

    def reset(self) -> None:
        self.wall.clear()
        self.cpu.clear()


CLOCK = Clock()


def _timed(stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(*a: Any, **k: Any) -> Any:
            it = fn(*a, **k)
            while True:
                CLOCK.enter(stage)
                try:
                    item = next(it)
                except StopIteration:
                    return
                finally:
                    CLOCK.leave()
                yield item
        return gen

    @functools.wraps(fn)
    def wrapper(*a: Any, **k: Any) -> Any:
        CLOCK.enter(stage)
        try:
            return fn(*a, **k)
        finally:
            CLOCK.leave()
    return wrapper


def install() -> list[str]:
    """Wrap every function of :data:`STAGES` where it is defined and wherever it was imported by name."""
    for m in MODULES:
        try:
            importlib.import_module(m)
        except ImportError:
            pass
    skipped = []
    for stage, targets in STAGES.items():
        for target in targets:
            mod_name, qual = target.split(":")
            try:
                mod = importlib.import_module(mod_name)
            except ImportError:
                skipped.append(target)
                continue
            owner: Any = mod
            parts = qual.split(".")
            for p in parts[:-1]:
                owner = getattr(owner, p, None)
            fn = getattr(owner, parts[-1], None) if owner is not None else None
            if fn is None:
                skipped.append(target)
                continue
            wrapped = _timed(stage, fn)
            try:
                setattr(owner, parts[-1], wrapped)
            except TypeError:  # a type defined in C (pyarrow): cannot be patched
                skipped.append(target)
                continue
            if len(parts) == 1:  # also where it was imported by name
                for other in list(sys.modules.values()):
                    if getattr(other, "__name__", "").startswith(("airpicture", "pyarrow.parquet")) \
                            and getattr(other, parts[-1], None) is fn:
                        setattr(other, parts[-1], wrapped)
    return skipped


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", default=["default", "saturation"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-report", action="store_true")
    ap.add_argument("--sweep", action="store_true",
                    help="time what a sweep worker does instead (run_scenario keeping the events only, no files)")
    ap.add_argument("--threats", type=int, nargs="*", default=[],
                    help="also the default scenario scaled to N threats (as benchmarks/bench_memory.py builds it)")
    args = ap.parse_args()
    skipped = install()
    import airpicture
    from airpicture.engine import run_into, run_scenario
    from airpicture.folders import staged
    from airpicture.scenario import load_scenario

    print(f"airpicture from {Path(airpicture.__file__).parent}")
    if skipped:
        print("not in this tree (skipped): " + ", ".join(skipped))
    tmp = Path(tempfile.mkdtemp())
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_memory import scaled_default

    warm = False
    try:
        for name in [*args.scenarios, *(str(scaled_default(n, tmp)) for n in args.threats)]:
            sc = load_scenario(name)
            if not warm:  # loads the compiled kernels and imports what the report needs, once
                run_into(load_scenario("teaching"), staged(tmp / "warm", "run", False), report=not args.no_report)
                warm = True
            walls: dict[str, list[float]] = defaultdict(list)
            cpus: dict[str, list[float]] = defaultdict(list)
            totals, total_cpu = [], []
            for i in range(args.repeat):
                CLOCK.reset()
                t0, c0 = time.perf_counter(), time.process_time()
                CLOCK.enter("other")
                if args.sweep:
                    run_scenario(sc, keep=("events",))
                else:
                    run_into(sc, staged(tmp / f"{sc.name}-{i}", "run", False), report=not args.no_report)
                CLOCK.leave()
                totals.append(time.perf_counter() - t0)
                total_cpu.append(time.process_time() - c0)
                for stage in [*STAGES, "other"]:
                    walls[stage].append(CLOCK.wall.get(stage, 0.0))
                    cpus[stage].append(CLOCK.cpu.get(stage, 0.0))
                shutil.rmtree(tmp / f"{sc.name}-{i}", ignore_errors=True)
            med_cpu = statistics.median(total_cpu)
            what = "run_scenario (events only, as a sweep worker)" if args.sweep else "run_into"
            print(f"\n{sc.name}: whole {what} median {statistics.median(totals):.2f} s wall, {med_cpu:.2f} s CPU "
                  f"({args.repeat} runs)")
            print(f"  {'stage':<24} {'wall s':>8} {'CPU s':>8} {'CPU %':>6}")
            for stage in [*STAGES, "other"]:
                w, c = statistics.median(walls[stage]), statistics.median(cpus[stage])
                if w < 0.0005 and c < 0.0005:
                    continue
                print(f"  {stage:<24} {w:>8.3f} {c:>8.3f} {100 * c / med_cpu:>6.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
