"""The ``airpicture track`` command: track detections that came from elsewhere and write ``tracks.parquet``.

Kept free of heavy imports at module level (the tracker compiles Numba kernels), so that registering the
command does not slow down the other commands.
"""

from __future__ import annotations

import math
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from airpicture.errors import InputError, Problem


def _radar_overrides(**options: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("e_m", "n_m", "antenna_height_m", "scan_period_s", "start_azimuth_deg", "max_range_m"):
        if options.get(key) is not None:
            out[key] = options[key]
    sig = {k: options.get(f"sigma_{k}") for k in ("range_m", "azimuth_deg", "elevation_deg")}
    if any(v is not None for v in sig.values()):
        out["accuracy"] = {"kind": "fixed", **{k: v for k, v in sig.items() if v is not None}}
    return out


def _apply_overrides(radar_data: dict[str, Any], overrides: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from airpicture.scenario import Radar, problems_from_validation

    data = dict(radar_data)
    if "accuracy" in overrides:
        base = data.get("accuracy") or {}
        base = base if isinstance(base, dict) and base.get("kind", "fixed") == "fixed" else {}
        overrides = {**overrides, "accuracy": {**base, **overrides["accuracy"]}}
    data.update(overrides)
    try:
        return Radar.model_validate(data)
    except ValidationError as err:
        problems = problems_from_validation(err, data)
        raise InputError("command line", [Problem(f"radar option {p.field}", p.message) for p in problems]) from None


def track(
    detections: Annotated[Path, typer.Argument(help="Detections: CSV or Parquet with the columns of "
                                               "detections.parquet, or time_s,range_m,azimuth_deg,elevation_deg "
                                               "for a single radar.")],
    sensor: Annotated[Path | None, typer.Option("--sensor", help="Sensor file (TOML): \\[site], \\[\\[sensors]], "
                                                "optional \\[tracker] and \\[\\[assets]].")] = None,
    out_dir: Annotated[str | None, typer.Option("--out", help="Results folder (default: runs/track-<time>).")] = None,
    picture_period: Annotated[float | None, typer.Option(
        "--picture-period", metavar="SECONDS",
        help="Also write picture.parquet: every confirmed track predicted to each epoch k*SECONDS, using only "
             "detections before it.")] = None,
    capacity: Annotated[int | None, typer.Option(help="Most confirmed tracks held (default: the sensor file's "
                                                      "tracker.capacity, else 100).")] = None,
    sensor_id: Annotated[int | None, typer.Option(
        "--sensor-id", help="Single-radar file: the sensor of the sensor file it comes from (or the id of the "
                            "radar the options below describe).")] = None,
    radar_e_m: Annotated[float | None, typer.Option(help="Single radar: east of the site, m.")] = None,
    radar_n_m: Annotated[float | None, typer.Option(help="Single radar: north of the site, m.")] = None,
    antenna_height_m: Annotated[float | None, typer.Option(help="Single radar: antenna height, m.")] = None,
    scan_period_s: Annotated[float | None, typer.Option(help="Single radar: scan period, s.")] = None,
    start_azimuth_deg: Annotated[float | None, typer.Option(help="Single radar: beam azimuth at time 0, deg.")] = None,
    max_range_m: Annotated[float | None, typer.Option(help="Single radar: instrumented range, m.")] = None,
    sigma_range_m: Annotated[float | None, typer.Option(help="Single radar: range sigma, m.")] = None,
    sigma_azimuth_deg: Annotated[float | None, typer.Option(help="Single radar: azimuth sigma, deg.")] = None,
    sigma_elevation_deg: Annotated[float | None, typer.Option(help="Single radar: elevation sigma, deg.")] = None,
    site_latitude_deg: Annotated[float, typer.Option(help="Without --sensor: site latitude, deg.")] = 0.0,
    site_longitude_deg: Annotated[float, typer.Option(help="Without --sensor: site longitude, deg.")] = 0.0,
    overwrite: Annotated[bool, typer.Option(
        help="Replace an existing --out folder, if airpicture's track command wrote it (its manifest.json says so) "
             "and it holds nothing else.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary lines.")] = False,
    max_memory: Annotated[str | None, typer.Option(
        "--max-memory", metavar="SIZE",
        help="Refuse work estimated to need more memory than SIZE (e.g. 8GB; default: half of this machine's "
             "memory).")] = None,
) -> None:
    """Track detections that came from elsewhere; write tracks.parquet (and picture.parquet).

    Examples:

      airpicture track detections.parquet --sensor sensors.toml --out runs/tracks

      airpicture track plots.csv --sensor sensors.toml --picture-period 2

      airpicture track plots.csv --scan-period-s 4 --sigma-range-m 50 --sigma-azimuth-deg 0.2
    """
    from airpicture.budget import check_track_budget, memory_budget
    from airpicture.exits import on_interrupt
    from airpicture.folders import StagedFolder, staged
    from airpicture.geodesy import LocalFrame
    from airpicture.io import default_run_dir, write_json, write_parquet
    from airpicture.scenario import Site, TrackerConfig
    from airpicture.tracking.sensorfile import load_sensor_file, read_detections

    if picture_period is not None and not (math.isfinite(picture_period) and picture_period > 0):
        raise InputError("command line", "--picture-period must be a finite number of seconds > 0")
    budget = memory_budget(max_memory)
    if capacity is not None and capacity < 0:
        raise InputError("command line", "--capacity must be a non-negative integer")
    overrides = _radar_overrides(e_m=radar_e_m, n_m=radar_n_m, antenna_height_m=antenna_height_m,
                                 scan_period_s=scan_period_s, start_azimuth_deg=start_azimuth_deg,
                                 max_range_m=max_range_m, sigma_range_m=sigma_range_m,
                                 sigma_azimuth_deg=sigma_azimuth_deg, sigma_elevation_deg=sigma_elevation_deg)
    if sensor is not None:
        sf = load_sensor_file(sensor)
        site, radars, config, assets = sf.site, list(sf.sensors), sf.tracker, sf.assets
        if sensor_id is not None:
            radars = [r for r in radars if r.id == sensor_id]
            if not radars:
                known = ", ".join(str(r.id) for r in sf.sensors)
                raise InputError("command line", f"--sensor-id {sensor_id} is not in {sensor} (sensors: {known})")
        if overrides:
            if len(radars) != 1:
                raise InputError("command line", "radar options describe one radar, but the sensor file has "
                                 f"{len(radars)}; choose one with --sensor-id")
            radars = [_apply_overrides(radars[0].model_dump(), overrides)]
    else:
        site = Site(latitude_deg=site_latitude_deg, longitude_deg=site_longitude_deg)
        radars = [_apply_overrides({"id": sensor_id or 0}, overrides)]
        config, assets = TrackerConfig(), []
    frame = LocalFrame.at(site.latitude_deg, site.longitude_deg, site.altitude_m)
    target = out_dir if out_dir is not None else default_run_dir(
        "runs", "track", datetime.now().strftime("%Y%m%d-%H%M%S"))
    staging = staged(target, "track", overwrite)  # the output folder is checked before any work
    det = read_detections(detections, radars)
    cap = capacity if capacity is not None else (config.capacity if config.capacity is not None else 100)
    from airpicture.tracking.offline import window_limit_s

    check_track_budget(det, cap, picture_period, budget, window_limit_s(radars))
    import numpy as np

    from airpicture.placement import place_en
    from airpicture.precompile import compile_tracker_ahead_if_cold
    from airpicture.tracking.offline import track_detections  # loads the compiled kernels: after validation

    assets_en = np.asarray([place_en(a, frame) for a in assets], float) if assets else None
    tic = time.perf_counter()
    staging.start()  # removes what killed runs left in the same parent folder
    about = {"description": "tracks of detections from a file (airpicture track)", "detections": str(detections)}
    note = f"nothing was written (the unfinished results folder for {staging.final} was removed)"
    with on_interrupt(note), StagedFolder(staging, about) as tmp:
        if not quiet:
            for line in staging.notes:
                Console(stderr=True).print(f"[yellow]note[/]: {escape(line)}", highlight=False, soft_wrap=True)
        if compile_tracker_ahead_if_cold(config) and not quiet:  # a first run: the kernels on two cores
            Console(stderr=True).print("[yellow]note[/]: compiled the tracker's kernels once for this machine "
                                       "(later runs load them from the cache)", highlight=False, soft_wrap=True)
        result = track_detections(det, radars, frame, config, cap, picture_period, assets_en)
        write_parquet(tmp / "tracks.parquet", result.tracks)
        if result.picture is not None:
            write_parquet(tmp / "picture.parquet", result.picture)
        write_json(tmp / "summary.json", {"detections": str(detections), "sensor_file": str(sensor) if sensor else None,
                                          "detection_count": len(det), "tracking": result.stats})
    if not quiet:
        out = Console()
        st = result.stats
        out.print(f"[bold green]done[/] in {time.perf_counter() - tic:.2f} s -> [bold]{escape(str(staging.final))}[/]")
        out.print(f"  {len(det)} detections from {len(radars)} radar(s); tracks started {st['started']}, "
                  f"confirmed {st['confirmed']}, refused at capacity {st['refused']}")
    sys.stdout.flush()
