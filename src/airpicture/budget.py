"""The work budget: what a run, a sweep or ``airpicture track`` will hold, estimated from its inputs alone, and
refused up front when it exceeds the memory allowed.

The estimate counts what the stages hold at their peak -- truth samples, radar target-looks and false alarms
per scan, tracks, picture epochs, table rows, the report's arrays -- from the scenario's fields (raid sizes and
launch windows, flight lengths and speeds, scan periods, resolution cells, ``pfa``, picture period, duration and
time step) without simulating anything, and multiplies them by the bytes each takes. The bytes per item were
measured on this code (``benchmarks/bench_memory.py`` checks the estimate against the measured peak); the
counts lean high (each raid's approach is counted inside a radar's range and horizon as a straight line from
its start distance, 60 % of those looks detected), so the estimate errs on the side of refusing. ``validate``
prints it; ``run``, ``validate``, ``sweep`` and ``track`` refuse work whose estimate exceeds the budget: half of
this machine's memory (or of the container's limit) unless ``--max-memory`` says otherwise. Nothing of the
estimated size is ever allocated to find out.

Written by hand: the counts follow from this simulator's own data model; no library estimates them.
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from airpicture.errors import InputError, Problem
from airpicture.scenario import BallisticProfile, CruiseProfile, LoiterProfile, Scenario, WaypointProfile

if TYPE_CHECKING:
    from airpicture.detections import Detections

GRAVITY = 9.81
EARTH_RADIUS_M = 6.371e6

# Bytes per item, measured on this code (see benchmarks/bench_memory.py and BENCHMARKS.md).
#: interpreter, NumPy, SciPy, pyarrow, the compiled kernels and their caches, after a run's imports
BASE_BYTES = 330e6
#: the same while the report is built (plotly, its figures, the decision log, the page being written)
REPORT_BASE_BYTES = 680e6
#: a truth sample held by the run: time, target id, 6-state (64 B), plus the fire control's search key
SAMPLE_BYTES = 72.0
#: extra at the truth stage's peak per sample (path evaluation of one block, moving the parts, time order)
SAMPLE_BUILD_BYTES = 40.0
#: extra during the time loop per sample: everything else that grows with the sky (track identities, events,
#: allocator slack); this and the report's figures are fitted to measured runs of 2,000, 10,000 and 100,000
#: threats (BENCHMARKS.md)
SAMPLE_LOOP_BYTES = 38.0
#: a truth sample read back by the report, with its sorted, cut copies (``report/mapdata.py``)
SAMPLE_REPORT_BYTES = 165.0
#: a target: attributes, per-target arrays of every stage, its row of target_metrics, scoring state
TARGET_BYTES = 1200.0
#: a target in the sky during one radar scan: crossing time, state, geometry, SNR and draws of the scan
LOOK_BYTES = 400.0
#: a track slot of the tracker (state, covariances per model, counters) and its identity counts
TRACK_BYTES = 2500.0
#: a row of detections + detection_labels or of tracks read back by the report
DETECTION_REPORT_BYTES = 90.0
TRACK_ROW_REPORT_BYTES = 90.0
#: a picture row (streamed; the report reads it back) and a scored, tracked target-epoch kept by the scorer
PICTURE_ROW_BYTES = 160.0
#: a step of the engine's time loop: window edges, and per battery a timeline row
STEP_BYTES = 48.0
TIMELINE_ROW_BYTES = 120.0
#: detections per target-look in the radars' reach (Pd of small and distant targets, merged echoes), leaning high
DETECTED_SHARE = 0.6
#: stream buffers: one row group of each table being written
STREAM_BUFFER_BYTES = 120e6
#: on disk, per row (zstd-compressed Parquet, measured)
DISK_SAMPLE_BYTES = 36.0
DISK_DETECTION_BYTES = 50.0
DISK_TRACK_ROW_BYTES = 60.0
DISK_PICTURE_ROW_BYTES = 45.0

#: a grid point of a sweep: its validated scenario (pydantic models) and the plan's bookkeeping
SWEEP_POINT_BYTES = 60e3
#: a sweep row (the collected table and its figures)
SWEEP_ROW_BYTES = 4e3


# ------------------------------------------------------------------------------------------------ budget
@dataclass(frozen=True)
class Budget:
    """Bytes of memory work may use, and where that number came from (for messages)."""

    bytes: float
    origin: str


_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_size(text: str, option: str = "--max-memory") -> float:
    """``8GB``, ``512MiB``, ``1.5e9`` (bytes) ... -> bytes. Decimal units (kB, MB, GB, TB; K/M/G/T alike) and
    binary ones (KiB, MiB, GiB, TiB)."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    unit = m.group(2).lower() if m else ""
    if not m or unit not in _UNITS:
        raise InputError("command line", f"{option}: expected a size such as 8GB, 512MiB or 2e9 (bytes), "
                                         f"got '{text}'")
    value = float(m.group(1)) * _UNITS[unit]
    if not (math.isfinite(value) and value >= 1e6):
        raise InputError("command line", f"{option}: expected at least 1MB, got '{text}'")
    return value


def physical_memory() -> float:
    """Bytes of memory of this machine, or of the control group (container) this process runs in if less."""
    try:
        total = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        total = 8e9
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = float(int(text))
    return total


def memory_budget(max_memory: str | None) -> Budget:
    """The budget given by ``--max-memory`` (None: half of this machine's memory)."""
    if max_memory is not None:
        return Budget(parse_size(max_memory), f"--max-memory {max_memory.strip()}")
    total = physical_memory()
    return Budget(total / 2, f"the default budget, half of this machine's {gb(total)} of memory")


def gb(n: float) -> str:
    if n >= 1e12:
        return f"{n / 1e12:.3g} TB"
    if n >= 1e9:
        return f"{n / 1e9:.3g} GB"
    return f"{n / 1e6:.3g} MB"


def count(n: float) -> str:
    """A count for people: 1,234,567 or 3.2e+14."""
    return f"{n:,.0f}" if n < 1e12 else f"{n:.3g}"


# ------------------------------------------------------------------------------------------------ estimate
@dataclass(frozen=True)
class Part:
    """One thing the work holds: how many, how much memory at its peak, and the fields that set it."""

    name: str
    count: float
    unit: str
    bytes: float
    fields: tuple[str, ...]


@dataclass
class Estimate:
    """What a piece of work will hold. ``phases``: peak memory of each phase (truth, time loop, report);
    ``peak_bytes``: the largest; ``disk_bytes``: the size of the results written."""

    parts: list[Part] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    disk_bytes: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def peak_bytes(self) -> float:
        return max(self.phases.values(), default=BASE_BYTES)

    def drivers(self, k: int = 3) -> list[Part]:
        return sorted(self.parts, key=lambda p: -p.bytes)[:k]

    def lines(self) -> list[str]:
        out = [f"estimate: peak memory {gb(self.peak_bytes)}, results on disk {gb(self.disk_bytes)}"]
        for p in self.parts:
            out.append(f"  {p.name}: {count(p.count)} {p.unit} ({gb(p.bytes)})")
        return out + [f"  {n}" for n in self.notes]

    def refusal(self, budget: Budget) -> str:
        top = self.drivers()
        parts = "; ".join(f"{p.name}: {count(p.count)} {p.unit} ({gb(p.bytes)}, set by "
                          f"{', '.join(p.fields)})" for p in top)
        return (f"the work is estimated to need {gb(self.peak_bytes)} of memory, more than {budget.origin} "
                f"({gb(budget.bytes)}). Most of it: {parts}. Reduce those fields, or raise the budget with "
                "--max-memory if this machine has the memory; nothing was run")


def _life_in_window(launch_start: float, spread: float, life: float, duration: float) -> float:
    """Mean time (s) within [0, duration] of a flight of length ``life`` starting uniformly over
    [launch_start, launch_start + spread]."""
    starts = launch_start + spread * (np.arange(64) + 0.5) / 64.0 if spread > 0 else np.array([launch_start])
    lo = np.maximum(starts, 0.0)
    hi = np.minimum(starts + life, duration)
    return float(np.mean(np.maximum(hi - lo, 0.0)))


def _raid_flight_s(scenario: Scenario, i: int) -> float:
    """Flight time (s) of a threat of raid ``i`` from appearance to its asset, from the raid's geometry."""
    raid = scenario.raids[i]
    prof = raid.profile
    if isinstance(prof, BallisticProfile):
        return 1.3 * 2.0 * math.sqrt(2.0 * prof.apogee_m / GRAVITY)  # flat-Earth arc, with a margin for drag
    speed = float(raid.speed_mps or 1.0)
    length = raid.start_distance_m
    if isinstance(prof, (WaypointProfile, CruiseProfile)) and prof.waypoints_m:
        from airpicture.placement import asset_positions, frame_of

        goal = asset_positions(scenario, frame_of(scenario))[scenario.asset_index(raid.asset)]
        mid = math.radians(raid.azimuth_min_deg + ((raid.azimuth_max_deg - raid.azimuth_min_deg) % 360) / 2)
        pts = [goal + raid.start_distance_m * np.array([math.sin(mid), math.cos(mid)])]
        pts += [np.asarray(w, float) for w in prof.waypoints_m] + [goal]
        length = float(sum(np.hypot(*(b - a)) for a, b in itertools.pairwise(pts)))
        length += 2.0 * prof.waypoint_jitter_m * len(prof.waypoints_m)
    if isinstance(prof, LoiterProfile):
        length += 2.0 * prof.loiter_radius_m
        return length / speed + prof.loiter_time_s
    return length / speed


def _civil_life_s(scenario: Scenario, j: int) -> tuple[float, int]:
    """Mean time in [0, duration] of one flight of ``civil_traffic[j]`` and its flight count."""
    c = scenario.civil_traffic[j]
    offsets = np.linspace(-c.max_offset_m, c.max_offset_m, 9)
    lengths = 2.0 * np.sqrt(np.maximum(c.area_radius_m**2 - offsets**2, 0.0))
    speed = 0.5 * (c.speed_min_mps + c.speed_max_mps)
    lives = [_life_in_window(c.start_s, c.spread_s, float(L) / speed, scenario.duration_s) for L in lengths]
    return float(np.mean(lives)), c.count


def _replay_counts(scenario: Scenario, k: int, source: str) -> tuple[float, float, float]:
    """(segments, seconds of flight within the scenario, rows read) of ``replays[k]`` from its file; a bad file
    raises :class:`InputError` as the truth stage would (naming the file, the row, and the scenario)."""
    from airpicture.truth.replay import read_flights

    rp = scenario.replays[k]
    try:
        f = read_flights(rp, f"replays[{k}]")
    except InputError as exc:
        note = f" (the file of replays[{k}] in {source})"
        raise InputError(exc.source, [Problem(p.field, p.message + note) for p in exc.problems]) from None
    t = f["time_s"] + rp.start_s
    _, code = np.unique(f["id"].astype(str), return_inverse=True)
    order = np.lexsort((t, code))
    code, t = code[order], t[order]
    new = np.ones(t.size, bool)
    new[1:] = (code[1:] != code[:-1]) | (t[1:] - t[:-1] > rp.max_gap_s)
    seg = np.cumsum(new) - 1
    first = np.full(int(seg[-1]) + 1, np.inf)
    last = np.full(int(seg[-1]) + 1, -np.inf)
    np.minimum.at(first, seg, t)
    np.maximum.at(last, seg, t)
    span = np.maximum(np.minimum(last, scenario.duration_s) - np.maximum(first, 0.0), 0.0)
    return float(first.size), float(span.sum()), float(t.size)


def radar_cells(radar: object) -> float:
    """Resolution cells of a radar's coverage: range cells x azimuth cells x elevation cells."""
    r = radar
    rng_cells = (r.max_range_m - r.min_range_m) / r.range_resolution_m  # type: ignore[attr-defined]
    az_cells = 360.0 / r.azimuth_cell_deg  # type: ignore[attr-defined]
    el_cells = max((r.elevation_max_deg - r.elevation_min_deg) / r.elevation_resolution_deg, 1.0)  # type: ignore[attr-defined]
    return rng_cells * az_cells * el_cells


def estimate_run(scenario: Scenario, report: bool = True, source: str = "scenario") -> Estimate:
    """What running ``scenario`` will hold at its peak, and write, from its fields alone (replay files are read
    for their flights' times)."""
    sc = scenario
    est = Estimate()
    step = sc.time_step_s
    # --- truth: targets and samples per source
    targets = 0.0
    samples = 0.0
    alive_s = 0.0  # target-seconds in the sky
    for i, raid in enumerate(sc.raids):
        life = _life_in_window(raid.launch_start_s, raid.launch_spread_s, _raid_flight_s(sc, i), sc.duration_s)
        targets += raid.count
        alive_s += raid.count * life
        samples += raid.count * (life / step + 2.0)
    for j in range(len(sc.civil_traffic)):
        life, n = _civil_life_s(sc, j)
        targets += n
        alive_s += n * life
        samples += n * (life / step + 2.0)
    for k in range(len(sc.replays)):
        segs, span, _rows = _replay_counts(sc, k, source)
        targets += segs
        alive_s += span
        samples += span / step + 2.0 * segs
    truth_fields = _truth_fields(sc)
    est.parts.append(Part("truth samples", samples, "samples", samples * SAMPLE_BYTES,
                          ("duration_s", "time_step_s", *truth_fields)))
    est.parts.append(Part("targets", targets, "targets", targets * TARGET_BYTES, truth_fields))
    steps = sc.duration_s / step
    epochs = sc.duration_s / sc.metrics.picture_period_s
    est.parts.append(Part("engine steps and picture epochs", steps + epochs, "windows",
                          (steps + epochs) * STEP_BYTES * 3 + steps * len(sc.batteries) * TIMELINE_ROW_BYTES,
                          ("duration_s", "time_step_s", "metrics.picture_period_s")))
    base = BASE_BYTES + samples * SAMPLE_BYTES + targets * TARGET_BYTES
    est.phases["truth"] = base + samples * SAMPLE_BUILD_BYTES
    est.disk_bytes = samples * DISK_SAMPLE_BYTES + targets * 200.0
    loop = base + samples * SAMPLE_LOOP_BYTES + (steps + epochs) * STEP_BYTES * 3 \
        + steps * len(sc.batteries) * TIMELINE_ROW_BYTES
    report_bytes = REPORT_BASE_BYTES + samples * SAMPLE_REPORT_BYTES + targets * TARGET_BYTES
    if sc.sensors:
        looks = 0.0
        false_alarms = 0.0
        scan_peak = 0.0
        for r in sc.sensors:
            scans = sc.duration_s / r.scan_period_s
            looks += _seen_seconds(sc, r, alive_s) / r.scan_period_s
            per_scan = r.pfa * radar_cells(r) + sum(c.false_alarms_per_scan for c in r.clutter)
            false_alarms += per_scan * scans
            scan_peak = max(scan_peak, (targets + per_scan) * LOOK_BYTES)
        detections = DETECTED_SHARE * looks + false_alarms
        radar_fields = ("sensors[].scan_period_s",)
        est.parts.append(Part("radar target-looks", looks, "looks", scan_peak, ("duration_s", *radar_fields,
                                                                                 *truth_fields)))
        est.parts.append(Part("false alarms", false_alarms, "detections", 0.0,
                              ("sensors[].pfa", "sensors[].range_resolution_m", "sensors[].azimuth_beamwidth_deg",
                               "sensors[].elevation_resolution_deg", "sensors[].max_range_m",
                               "sensors[].clutter", "sensors[].scan_period_s", "duration_s")))
        fa_per_scan = max((r.pfa * radar_cells(r) + sum(c.false_alarms_per_scan for c in r.clutter)
                           for r in sc.sensors), default=0.0)
        capacity = sc.track_capacity if sc.track_capacity is not None else targets
        tracks = 2.0 * targets + 4.0 * fa_per_scan + 10_000
        track_rows = 1.5 * detections
        picture_rows = epochs * min(float(capacity), targets + fa_per_scan)
        est.parts.append(Part("tracks held at once", tracks, "tracks", tracks * TRACK_BYTES,
                              ("targets", "false alarms per scan")))
        est.parts.append(Part("detections and track events", detections + track_rows, "rows",
                              detections * DETECTION_REPORT_BYTES + track_rows * TRACK_ROW_REPORT_BYTES,
                              ("targets", "false alarms", "sensors[].scan_period_s")))
        est.parts.append(Part("picture rows", picture_rows, "rows", picture_rows * PICTURE_ROW_BYTES,
                              ("metrics.picture_period_s", "duration_s", "tracker.capacity")))
        loop += scan_peak + tracks * TRACK_BYTES + STREAM_BUFFER_BYTES
        loop += min(picture_rows, epochs * float(capacity)) * PICTURE_ROW_BYTES * 0.5
        report_bytes += (detections * DETECTION_REPORT_BYTES + track_rows * TRACK_ROW_REPORT_BYTES
                         + picture_rows * PICTURE_ROW_BYTES)
        est.disk_bytes += (detections * DISK_DETECTION_BYTES + track_rows * DISK_TRACK_ROW_BYTES
                           + picture_rows * DISK_PICTURE_ROW_BYTES)
    interceptors = sum(b.launchers * b.rounds_per_launcher + b.reload_rounds for b in sc.batteries)
    if sc.batteries:
        est.parts.append(Part("interceptors", float(interceptors), "rounds", 0.0,
                              ("batteries[].launchers", "batteries[].rounds_per_launcher",
                               "batteries[].reload_rounds")))
    est.phases["time loop"] = loop
    if report:
        est.phases["report"] = report_bytes
    return est


def _horizon_m(radar: object, height_m: float) -> float:
    """Radar horizon (m) of a target ``height_m`` above the ground, over the effective Earth."""
    k_re = radar.refraction_k * EARTH_RADIUS_M  # type: ignore[attr-defined]
    return math.sqrt(2.0 * k_re * max(height_m, 0.0)) + math.sqrt(2.0 * k_re * radar.antenna_height_m)  # type: ignore[attr-defined]


def _seen_seconds(sc: Scenario, radar: object, alive_s: float) -> float:
    """Target-seconds a radar sees as separate echoes. Each raid's flight time is scaled by the share of its
    approach inside the radar's range and horizon (threats fly in from ``start_distance_m`` to an asset near the
    radars); a crowded raid is capped by the resolution cells it occupies (targets sharing a cell give one
    merged echo: N targets spread over C cells fill C (1 - exp(-N / C)) of them). Civil flights count by the
    share of their circle inside the range; replays count whole. At most ``alive_s``."""
    max_range = radar.max_range_m  # type: ignore[attr-defined]
    seen = 0.0
    counted = 0.0
    for i, raid in enumerate(sc.raids):
        flight = _raid_flight_s(sc, i)
        life = _life_in_window(raid.launch_start_s, raid.launch_spread_s, flight, sc.duration_s)
        height = raid.profile.apogee_m / 2 if isinstance(raid.profile, BallisticProfile) else raid.height_m
        reach = min(1.0, min(max_range, _horizon_m(radar, height)) / raid.start_distance_m)
        counted += raid.count * life
        # mean number in the sky, and the cells they spread over: along the approach by their launch times,
        # across it over (half) the sector
        in_sky = raid.count * life / sc.duration_s
        speed = raid.start_distance_m / max(flight, 1e-9)
        depth = min(raid.start_distance_m, max(speed * raid.launch_spread_s, radar.range_resolution_m))  # type: ignore[attr-defined]
        sector = (raid.azimuth_max_deg - raid.azimuth_min_deg) % 360.0 or 360.0
        cells = max(depth / radar.range_resolution_m, 1.0) * max(0.5 * sector / radar.azimuth_cell_deg, 1.0)  # type: ignore[attr-defined]
        echoes = cells * -math.expm1(-in_sky / cells) if in_sky > 0 else 0.0
        seen += echoes * sc.duration_s * reach
    for j, c in enumerate(sc.civil_traffic):
        life, n = _civil_life_s(sc, j)
        reach = min(max_range, _horizon_m(radar, c.height_min_m))
        seen += n * life * min(1.0, reach / c.area_radius_m)
        counted += n * life
    return min(alive_s, seen + max(alive_s - counted, 0.0))


def _truth_fields(sc: Scenario) -> tuple[str, ...]:
    fields = []
    if sc.raids:
        fields.append("raids[].count")
    if sc.civil_traffic:
        fields.append("civil_traffic[].count")
    if sc.replays:
        fields.append("replays[].file")
    return tuple(fields)


def check_run_budget(scenario: Scenario, source: str, budget: Budget, report: bool = True) -> Estimate:
    """Estimate ``scenario``'s run; raise :class:`InputError` (naming ``source``) if it exceeds ``budget``."""
    est = estimate_run(scenario, report, source)
    if est.peak_bytes > budget.bytes:
        raise InputError(source, Problem("(work budget)", est.refusal(budget)))
    return est


# ------------------------------------------------------------------------------------------------ sweeps
def check_sweep_size(points: int, seeds_per_point: int, source: str, budget: Budget) -> None:
    """Refuse a sweep grid too large to plan: every grid point's scenario is validated and held (about
    :data:`SWEEP_POINT_BYTES` each) and every run leaves a row, before any run starts."""
    need = BASE_BYTES + points * SWEEP_POINT_BYTES + points * seeds_per_point * SWEEP_ROW_BYTES
    if need > budget.bytes:
        raise InputError(source, Problem("grid", (
            f"{count(points)} grid points x {seeds_per_point} seeds = {count(points * seeds_per_point)} runs: "
            f"planning and collecting them is estimated to need {gb(need)} of memory, more than {budget.origin} "
            f"({gb(budget.bytes)}). Give fewer values per grid key or fewer seeds_per_point; nothing was run")))


def check_sweep_runs(run_estimates: Sequence[Estimate], workers: int, source: str, budget: Budget,
                     n_points: int, n_runs: int) -> Estimate:
    """Refuse a sweep whose runs, ``workers`` at a time, would exceed ``budget`` (the largest grid point's run
    times the workers, plus the collecting process). Returns the largest run's estimate."""
    largest = max(run_estimates, key=lambda e: e.peak_bytes)
    need = BASE_BYTES + workers * largest.peak_bytes + n_points * SWEEP_POINT_BYTES + n_runs * SWEEP_ROW_BYTES
    if need > budget.bytes:
        top = largest.drivers(2)
        parts = "; ".join(f"{p.name}: {count(p.count)} {p.unit} (set by {', '.join(p.fields)})" for p in top)
        raise InputError(source, Problem("(work budget)", (
            f"{workers} worker(s) running the largest grid point at once are estimated to need {gb(need)} of "
            f"memory ({gb(largest.peak_bytes)} per run), more than {budget.origin} ({gb(budget.bytes)}). "
            f"Most of a run: {parts}. Use fewer --workers, a smaller grid point, or raise --max-memory; nothing "
            "was run")))
    return largest


# ------------------------------------------------------------------------------------------------ track
def check_track_budget(det: Detections, capacity: int | None, picture_period_s: float | None,
                       budget: Budget, longest_window_s: float = 1.0) -> Estimate:
    """Refuse ``airpicture track`` work above ``budget``: windows of at most ``longest_window_s`` up to the last
    detection (and the last picture epoch), picture rows (epochs x confirmed tracks), track events."""
    n = len(det)
    t_last = float(det.time_s.max()) if n else 0.0
    period = picture_period_s if picture_period_s is not None else longest_window_s
    epochs = math.floor(t_last / period) + 1
    windows = epochs * max(math.ceil(period / longest_window_s - 1e-9), 1)
    cap = float(capacity) if capacity is not None else float(n)
    picture_rows = epochs * min(cap, float(n)) if picture_period_s is not None else 0.0
    est = Estimate()
    est.parts.append(Part("windows", windows, "windows", windows * 24.0,
                          ("--picture-period", "detections' time_s")))
    est.parts.append(Part("picture rows", picture_rows, "rows", picture_rows * PICTURE_ROW_BYTES * 2,
                          ("--picture-period", "--capacity")))
    est.parts.append(Part("track events", 1.5 * n, "rows", 1.5 * n * TRACK_ROW_REPORT_BYTES * 2, ("detections",)))
    est.phases["tracking"] = BASE_BYTES + sum(p.bytes for p in est.parts) + n * 120.0
    if est.peak_bytes > budget.bytes:
        raise InputError("command line", Problem("(work budget)", est.refusal(budget)))
    return est
