"""Report speed and size for the default scenario.

Builds a results folder of the default scenario with the engine as it is (``run_scenario`` + ``write_run``), then a
copy completed with synthetic later-stage tables at the same scale (``airpicture.testing.results``: detections,
tracks, picture, events, timeline, metrics) so every section of the report is exercised, and times:

* ``build_report`` in-process with warm imports (how the engine calls it at the end of a run), HTML only and with
  PNG figures; wall and CPU (process) time, median of ``--repeat`` runs;
* ``airpicture report`` as a fresh process (imports included), wall time;
* side by side: the picture figure with its animation frames as validated plotly ``go.Figure``/``go.Frame``
  objects written by ``plotly.io.to_html`` (the plotly default) against the plain dicts the report writes itself;
  ratio.

    python benchmarks/bench_report.py [--repeat 3] [--workdir /tmp/bench_report]
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``fn()`` over ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bench_report"))
    args = ap.parse_args()

    from airpicture.engine import run_scenario, write_run
    from airpicture.report import build_report
    from airpicture.scenario import load_scenario
    from airpicture.testing.results import synthesize_stages

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    as_run = args.workdir / "default-as-run"
    write_run(run_scenario(load_scenario(None)), as_run)
    (as_run / "report.html").unlink(missing_ok=True)
    full = args.workdir / "default-full"
    shutil.copytree(as_run, full)
    synthesize_stages(full, np.random.default_rng(1))

    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    build_report(full)  # warm imports and caches
    rows = []
    for name, folder in (("as run (engine's tables only)", as_run), ("all tables (synthetic stages)", full)):
        tables = sorted(p.stem for p in folder.glob("*.parquet"))
        w, c = timed(lambda f=folder: build_report(f), args.repeat)
        size = (folder / "report.html").stat().st_size / 1e6
        wp, cp = timed(lambda f=folder: build_report(f, png=True), args.repeat)
        rows.append((name, len(tables), w, c, wp, cp, size))
    print(f"{'folder':34} {'tables':>6} {'html wall':>10} {'html cpu':>9} {'+png wall':>10} {'+png cpu':>9} "
          f"{'size MB':>8}")
    for name, n, w, c, wp, cp, size in rows:
        print(f"{name:34} {n:>6} {w:>9.2f}s {c:>8.2f}s {wp:>9.2f}s {cp:>8.2f}s {size:>8.2f}")

    cold, cold_cpu = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "airpicture.cli", "report", str(full), "-q"], check=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cold.append(time.perf_counter() - t0)
        cold_cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
    print(f"'airpicture report' as a new process (imports included), all tables: {statistics.median(cold):.2f} s "
          f"wall, {statistics.median(cold_cpu):.2f} s CPU")

    frames_side_by_side(full, args.repeat)


def frames_side_by_side(folder: Path, repeat: int) -> None:
    """The slider's frames: validated plotly objects against plain typed-array dicts, same content."""
    import plotly.graph_objects as go
    import plotly.io as pio

    from airpicture.report.figures import picture_figure
    from airpicture.report.html import PLOTLY_CONFIG, map_extent_km
    from airpicture.report.load import load_run
    from airpicture.report.mapdata import frame_step, picture_frames, sites_and_rings, sorted_truth
    from airpicture.report.plotlyjson import figure_div

    run = load_run(folder)
    st = sorted_truth(run)
    sites, rings = sites_and_rings(run)
    frames = picture_frames(run, st, frame_step(run))
    ext = map_extent_km(run, st)

    def ours() -> str:
        return figure_div(picture_figure(sites, rings, [], frames, ext, 0), "p", PLOTLY_CONFIG)

    def validated() -> str:
        fig = picture_figure(sites, rings, [], frames, ext, 0)
        objs = [go.Frame(name=f["name"], traces=f["traces"],
                         data=[go.Scatter(x=frames_xy(frames, i, k)[0], y=frames_xy(frames, i, k)[1])
                               for k in range(len(f["data"]))])
                for i, f in enumerate(fig["frames"])]
        fig["frames"] = []
        full_fig = go.Figure(fig)
        full_fig.frames = objs
        return pio.to_html(full_fig, include_plotlyjs=False, full_html=False, div_id="p", auto_play=False)

    w_ours, _ = timed(ours, repeat)
    w_val, _ = timed(validated, repeat)
    print(f"slider frames ({len(frames.times_s)}): typed-array dicts {w_ours:.2f} s, validated go.Frame "
          f"{w_val:.2f} s (x/y only), ratio {w_val / w_ours:.1f}x")


def frames_xy(frames, i: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    moving = list(frames.truth[i])
    if frames.tracks:
        moving += [frames.leaders[i], *frames.tracks[i]]
    p = moving[k]
    return p.e_km.astype(np.float32), p.n_km.astype(np.float32)


if __name__ == "__main__":
    main()
