"""Run time of the default scenario with and without terrain, side by side (issue: terrain on costs < 30 %).

Usage: python benchmarks/bench_terrain.py [--repeat 5] [--scenario default] [--report] [--parts]

"With terrain" is the same scenario with ``[terrain]`` pointing at the shipped synthetic SRTM tile
(``scenarios/data/N34W039.hgt.zip``, which covers the default scenario's site): radars stand on the DEM, cruise
missiles and drones follow it, every look is checked for terrain masking, the decision log tests the terrain at
every truth sample, and the coverage maps are computed (``terrain.parquet``). The hills change the battle (many
low fliers are masked, so fewer detections reach the tracker), so a third case isolates the cost of the terrain
itself: "flat DEM", a tile of the same size at the site's altitude everywhere -- the same truth, the same looks
and detections (the profile over flat ground is the horizon), every check paid. After a warm-up of each
(compiled kernels loaded, each DEM read and resampled once, as in a sweep), the cases are run in turn, the order
rotating, ``--repeat`` times in this process: ``run_scenario`` (truth to decision log), plus ``write_run`` with
the report when ``--report``. Prints each run's wall and CPU time, the medians and the median of the pairwise
ratios to the plain run (CPU time is the steadier measure on a shared machine: the run is single-threaded).

``--parts``: the terrain's own work over the real relief, stage by stage on the same inputs (CPU, median of
``--repeat``): truth with and without terrain following, all radars' scans of the plain truth with and without
the masking test, the decision log's first visibility with and without it, and the coverage maps.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from airpicture.engine import run_scenario, write_run
from airpicture.scenario import builtin_path, load_scenario
from airpicture.terrain.config import HgtTerrain
from airpicture.terrain.dem import write_hgt

SAMPLE = builtin_path("terrain").parent / "data" / "N34W039.hgt.zip"


def timed(scenario, out: Path | None) -> tuple[float, float, dict]:
    """(wall s, CPU s of this process, summary) of one run."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = run_scenario(scenario)
    if out is not None:
        write_run(result, out)
    return time.perf_counter() - t0, time.process_time() - c0, result.summary


def parts(plain, terrain, repeat: int) -> None:
    from airpicture.decisions.visibility import first_visibility
    from airpicture.engine import _terrain_table
    from airpicture.sensors.stage import simulate_detections
    from airpicture.terrain.load import profile_step_m, terrain_grid, with_terrain_altitudes
    from airpicture.truth import frame_of, generate_truth

    terrain = with_terrain_altitudes(terrain)
    grid = terrain_grid(terrain)
    frame = frame_of(plain)
    truth = generate_truth(plain)
    step = profile_step_m(terrain, grid)

    def cpu(fn) -> float:
        fn()  # warm-up
        out = []
        for _ in range(repeat):
            c0 = time.process_time()
            fn()
            out.append(time.process_time() - c0)
        return statistics.median(out)

    rows = [
        ("truth", cpu(lambda: generate_truth(plain)), cpu(lambda: generate_truth(terrain))),
        ("sensing (every scan, same truth)", cpu(lambda: simulate_detections(plain, truth)),
         cpu(lambda: simulate_detections(terrain, truth))),
        ("first visibility (decision log)", cpu(lambda: first_visibility(list(plain.sensors), frame, truth)),
         cpu(lambda: first_visibility(list(terrain.sensors), frame, truth, terrain=grid, step_m=step))),
        ("coverage maps (terrain.parquet)", 0.0, cpu(lambda: _terrain_table(terrain, "bench"))),
    ]
    print(f"{'part':<36} {'without s':>10} {'with s':>8} {'added s':>8}")
    for name, a, b in rows:
        print(f"{name:<36} {a:10.3f} {b:8.3f} {b - a:8.3f}")
    print(f"{'total added':<36} {'':>10} {'':>8} {sum(b - a for _, a, b in rows):8.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scenario", default="default")
    ap.add_argument("--report", action="store_true", help="also write the results folder and report.html")
    ap.add_argument("--parts", action="store_true", help="time the terrain's own work stage by stage instead")
    args = ap.parse_args()
    plain = load_scenario(args.scenario)
    terrain = plain.model_copy(update={"terrain": HgtTerrain(file=str(SAMPLE))})
    if args.parts:
        parts(plain, terrain, args.repeat)
        return
    tmp = Path(tempfile.mkdtemp())
    flat_tile = tmp / SAMPLE.name.removesuffix(".zip")
    write_hgt(flat_tile, np.full((1201, 1201), plain.site.altitude_m))
    flat = plain.model_copy(update={"terrain": HgtTerrain(file=str(flat_tile))})
    cases = {"without terrain": plain, "with terrain": terrain, "flat DEM": flat}
    times: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    names = list(cases)
    for name in names:  # warm-up
        _, _, summary = timed(cases[name], tmp / f"warm-{name[:4]}" if args.report else None)
        sensing = summary["sensing"]
        print(f"{name}: {sensing['detections']} detections, terrain-masked looks "
              f"{sensing.get('terrain_masked_looks', 0)}, leakers {summary['engagement']['leakers']}")
    for i in range(args.repeat):
        for name in names[i % 3:] + names[: i % 3]:
            dt, dc, _ = timed(cases[name], tmp / f"{i}-{name[:4]}" if args.report else None)
            times[name].append(dt)
            cpu[name].append(dc)
            print(f"run {i}: {name:<16} wall {dt:6.2f} s  CPU {dc:6.2f} s")
    for name in names:
        rw = statistics.median(w / p for w, p in zip(times[name], times["without terrain"], strict=True))
        rc = statistics.median(w / p for w, p in zip(cpu[name], cpu["without terrain"], strict=True))
        print(f"{name:<16} median wall {statistics.median(times[name]):6.2f} s, CPU {statistics.median(cpu[name]):6.2f}"
              f" s; ratio to without terrain (median of pairs): wall {rw:.3f} ({100 * (rw - 1):+.0f} %), CPU "
              f"{rc:.3f} ({100 * (rc - 1):+.0f} %)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
