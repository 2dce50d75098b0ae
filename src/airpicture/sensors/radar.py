"""One rotating surveillance radar, scan by scan: which targets the beam sweeps, which it can see, which it
detects, where it reports them, and its false alarms.

For rotation k (times ``[k T, (k+1) T)``) with its own random stream ``stream(seed, SENSING, sensor_index, k)``:

1. timing: each live target's beam-crossing time (:mod:`.scan_timing`) and its true state then;
2. visibility: instrumented range ``[min_range_m, max_range_m]``, elevation limits (geometric elevation in the
   radar's axes) and the radar horizon over the effective Earth (``refraction_k`` x the spherical ground
   radius) with target and antenna heights above the spherical ground; with a ``[terrain]``, the terrain
   between antenna and target must not rise above the ray (:mod:`airpicture.terrain.los`; masked looks counted);
3. echo: mean SNR ``C sigma / R^4`` from the sensitivity and the target's mean RCS, fluctuated per scan for
   the Swerling case (0 steady, 1 exponential, 3 chi-square 4 dof);
4. resolution: targets sharing a resolution cell merge into one echo (:mod:`.resolution`);
5. detection: the square-law statistic ``z = |sqrt(S) + n|^2`` (noise power 1) is drawn and compared to the
   threshold ``-ln(pfa)`` (:mod:`.physics`) -- Pd is not used as a coin, so the empirical Pd checks the
   closed forms;
6. measurement: Gaussian noise on range, azimuth, elevation (and range rate) with the sigmas of
   :func:`~airpicture.sensors.accuracy.measurement_sigmas` at the reported SNR -- the same function the
   tracker uses for its measurement covariance, so both agree;
7. false alarms (:mod:`.false_alarms`).

The reported ``snr_db`` is the *measured* one, ``10 log10(z)``: the detector output (signal plus noise) over
the noise power, as a radar reports it; it is always above the threshold. Azimuths are in the radar's own local
axes, degrees clockwise from north in [0, 360).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from airpicture.detections import DetectionLabels, Detections
from airpicture.geodesy import LocalFrame
from airpicture.placement import antenna_height_m
from airpicture.scenario import Radar
from airpicture.seeding import SENSING, stream
from airpicture.sensors.accuracy import measurement_sigmas
from airpicture.sensors.echoes import Echoes
from airpicture.sensors.false_alarms import block_false_alarms
from airpicture.sensors.geometry import SensorGeometry
from airpicture.sensors.look_geometry import LookGeometry, look_geometry
from airpicture.sensors.physics import (
    above_horizon,
    aspect_rcs_m2,
    fluctuate,
    linear_to_db,
    mean_snr,
    snr_constant,
    square_law_statistic,
    threshold_from_pfa,
)
from airpicture.sensors.placement import radar_geometry
from airpicture.sensors.resolution import box_groups, cell_units, merge_echoes
from airpicture.sensors.scan_timing import beam_crossings
from airpicture.sensors.truth_index import TruthIndex
from airpicture.truth import Truth

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
BOOL = NDArray[np.bool_]

if TYPE_CHECKING:
    from airpicture.terrain.grid import TerrainGrid


class RadarSimulator:
    """Scans of one radar over one truth. ``scan(k)`` depends only on (seed, sensor_index, k) and the truth."""

    def __init__(self, radar: Radar, frame: LocalFrame, truth: Truth, seed: int, sensor_index: int,
                 index: TruthIndex | None = None, terrain: TerrainGrid | None = None,
                 profile_step_m: float = 100.0) -> None:
        self.radar = radar
        self.frame = frame
        self.truth = truth
        self.seed = int(seed)
        self.sensor_index = int(sensor_index)
        self.index = index if index is not None else TruthIndex.of(truth)
        self.geometry: SensorGeometry = radar_geometry(radar, frame)
        self.antenna_height_m = antenna_height_m(radar, frame)  # above the ground model, for the horizon
        self.period_s = float(radar.scan_period_s)
        self.start_azimuth_rad = math.radians(radar.start_azimuth_deg)
        self.snr_constant = snr_constant(radar.sensitivity)
        self.threshold = float(threshold_from_pfa(radar.pfa))
        self.target_looks = 0  # beam crossings of live targets solved so far (visible or not), for diagnostics
        self.terrain = terrain
        self.profile_step_m = float(profile_step_m)
        self.masked_looks = 0  # looks in range, elevation and above the horizon but masked by the terrain

    # ------------------------------------------------------------------------------------------ timing
    def rotation_of(self, t: float) -> int:
        """Index of the rotation containing time t (s)."""
        return math.floor(t / self.period_s)

    def beam_azimuth_deg(self, t: F64 | float) -> F64:
        """Beam azimuth (degrees, [0, 360), radar axes) at time t."""
        az = np.mod(self.radar.start_azimuth_deg + 360.0 * np.asarray(t, dtype=float) / self.period_s, 360.0)
        return np.where(az >= 360.0, 0.0, az)

    def beam_azimuth_at(self, t: float) -> float:
        """:meth:`beam_azimuth_deg` of one time, in plain float arithmetic (the same operations, the same value)."""
        az = (self.radar.start_azimuth_deg + 360.0 * float(t) / self.period_s) % 360.0
        return 0.0 if az >= 360.0 else az

    # ------------------------------------------------------------------------------------------ visibility
    def visible(self, look: LookGeometry) -> BOOL:
        """Inside the instrumented range, the elevation limits and above the radar horizon."""
        r = self.radar
        el_min, el_max = math.radians(r.elevation_min_deg), math.radians(r.elevation_max_deg)
        ok = (look.range_m >= r.min_range_m) & (look.range_m <= r.max_range_m) \
            & (look.elevation_rad >= el_min) & (look.elevation_rad <= el_max)
        return ok & above_horizon(look.ground_angle_rad, self.antenna_height_m, look.height_m,
                                  self.frame.earth_radius_m, r.refraction_k)

    def unmasked(self, look: LookGeometry, state: F64, visible: BOOL) -> BOOL:
        """``visible`` without the looks the terrain masks (all of them kept without terrain)."""
        if self.terrain is None:
            return visible
        from airpicture.terrain.los import line_of_sight

        cand = np.flatnonzero(visible)
        clear = line_of_sight(self.terrain, self.geometry.position, self.antenna_height_m, self.frame.earth_radius_m,
                              self.radar.refraction_k, state[cand], look.height_m[cand], look.ground_angle_rad[cand],
                              self.profile_step_m)
        masked = cand[~clear]
        self.masked_looks += int(masked.size)
        out = visible.copy()
        out[masked] = False
        return out

    # ------------------------------------------------------------------------------------------ scans
    def scan(self, k: int) -> tuple[Detections, DetectionLabels]:
        """Every detection of rotation k (targets and false alarms), sorted by time."""
        block = self.scans(k, k + 1)
        return block.det, block.lab

    def scans(self, k0: int, k1: int) -> ScanBlock:
        """Rotations ``k0 <= k < k1`` in one pass: the same detections as ``scan(k)`` for each k, end to end.

        The geometry (beam crossings, look geometry, visibility, mean SNR) and the measurement are computed for
        all rotations at once; only what draws from a rotation's own random stream (fluctuation, detection,
        false alarms, noise) and the resolution merge run rotation by rotation, in the order ``scan`` draws."""
        radar = self.radar
        n_rot = int(k1) - int(k0)
        ks = np.arange(int(k0), int(k1), dtype=np.int64)
        idx = self.index
        period = self.period_s
        t_lo = ks * period  # the same products as ``k * period`` of one rotation
        t_hi = (ks + 1) * period
        live = (idx.first_s[None, :] < t_hi[:, None]) & (idx.last_s[None, :] >= t_lo[:, None])  # (R, N)
        rot, cand = np.nonzero(live)  # rotation-major, targets ascending: each rotation's candidates in order
        ta = np.maximum(idx.first_s[cand], t_lo[rot])
        tb = np.minimum(idx.last_s[cand], t_hi[rot])
        owner, t, state = beam_crossings(idx, self.geometry, cand, ta, tb, self.start_azimuth_rad, period)
        tid = cand[owner]
        crot = rot[owner]
        self.target_looks += int(owner.shape[0])

        look = look_geometry(state, self.geometry, self.frame.earth_radius_m)
        seen = np.flatnonzero(self.unmasked(look, state, self.visible(look)))
        tid, t, crot = tid[seen], t[seen], crot[seen]
        rng_m, az, el = look.range_m[seen], look.azimuth_rad[seen], look.elevation_rad[seen]
        rr = look.range_rate_mps[seen]
        rcs = idx.rcs_m2[tid]
        ratio = idx.rcs_broadside_ratio[tid]
        aspect = ratio != 1.0
        if aspect.any():  # a rotation with any aspect-dependent target takes the aspect RCS for all its looks
            m = np.bincount(crot[aspect], minlength=n_rot)[crot] > 0
            rcs = rcs.copy()
            rcs[m] = aspect_rcs_m2(rcs[m], ratio[m], rr[m], np.linalg.norm(state[seen[m], 3:6], axis=1))
        mean = mean_snr(self.snr_constant, rcs, rng_m)
        bounds = np.searchsorted(crot, np.arange(n_rot + 1)).tolist()  # looks of each rotation

        # each rotation's looks grouped into resolution cells (one rotation's groups numbered after the last's),
        # then every group merged in one pass
        cells = cell_units(rng_m, az, el, radar.range_resolution_m, math.radians(radar.azimuth_cell_deg),
                           math.radians(radar.elevation_resolution_deg), self.start_azimuth_rad)
        group = np.empty(rng_m.shape[0], np.int64)
        group_bounds = [0]
        rngs = []
        power = np.empty(rng_m.shape[0])
        for r in range(n_rot):  # the fluctuation of each rotation from its own stream, first draw of the scan
            rng = stream(self.seed, SENSING, self.sensor_index, int(ks[r]))
            rngs.append(rng)
            a, b = bounds[r], bounds[r + 1]
            power[a:b] = fluctuate(rng, mean[a:b], radar.swerling)
            n_groups = box_groups(cells[a:b], group[a:b])
            group[a:b] += group_bounds[-1]
            group_bounds.append(group_bounds[-1] + n_groups)
        power = np.maximum(power, 1e-300)  # keeps centroid weights positive
        echo = merge_echoes(group, group_bounds[-1], power, t, rng_m, az, el, rr)
        z = np.empty(group_bounds[-1])
        for r in range(n_rot):  # then, from each rotation's stream: detection, false alarms, measurement noise
            a, b = group_bounds[r], group_bounds[r + 1]
            z[a:b] = square_law_statistic(rngs[r], echo.power[a:b])
        hit = z > self.threshold
        n_hit = np.bincount(np.repeat(np.arange(n_rot), np.diff(group_bounds))[hit], minlength=n_rot)
        false, n_false = block_false_alarms(radar, rngs, ks.tolist())
        n_cols = 4 if radar.range_rate else 3
        noise = np.concatenate([rngs[r].standard_normal((int(n_hit[r]), n_cols)) for r in range(n_rot)]) \
            if n_rot else np.zeros((0, n_cols))
        hits = Echoes(echo.time_s[hit], echo.range_m[hit], echo.azimuth_rad[hit], echo.elevation_rad[hit],
                      echo.range_rate_mps[hit], z[hit])
        measured = self._measure(hits, noise)
        return self._assemble(measured, tid[echo.strongest[hit]], echo.members[hit], false, n_hit, n_false,
                              int(k0))

    def _measure(self, echo: Echoes, noise: F64) -> Echoes:
        """Add Gaussian measurement noise (``noise``: (n, 3 or 4) standard normals; sigmas at the reported SNR)
        to true polar positions."""
        n = len(echo)
        snr_db = linear_to_db(echo.statistic)
        s_r, s_az, s_el, s_rr = measurement_sigmas(self.radar, snr_db)
        rr = echo.range_rate_mps + noise[:, 3] * s_rr if self.radar.range_rate else np.full(n, np.nan)
        return Echoes(
            time_s=echo.time_s,
            range_m=echo.range_m + noise[:, 0] * s_r,
            azimuth_rad=np.mod(echo.azimuth_rad + noise[:, 1] * s_az, 2.0 * math.pi),
            elevation_rad=echo.elevation_rad + noise[:, 2] * s_el,
            range_rate_mps=rr,
            statistic=echo.statistic,
        )

    def _assemble(self, measured: Echoes, label: I64, merged: I64, false: Echoes, n_hit: I64, n_false: I64,
                  k0: int) -> ScanBlock:
        """Target echoes and false alarms of consecutive rotations (each rotation's rows of ``measured`` and
        ``false`` in rotation order, ``n_hit`` and ``n_false`` of them) as detections sorted by rotation, then
        time (stable: targets before false alarms at equal times)."""
        n_rot = n_hit.shape[0]
        rot = np.concatenate([np.repeat(np.arange(n_rot), n_hit), np.repeat(np.arange(n_rot), n_false)])
        time_s = np.concatenate([measured.time_s, false.time_s])
        order = np.lexsort((time_s, rot))

        def cat(name: str) -> F64:
            return np.concatenate([getattr(measured, name), getattr(false, name)])[order]

        az_deg = np.mod(np.degrees(cat("azimuth_rad")), 360.0)
        az_deg = np.where(az_deg >= 360.0, 0.0, az_deg)
        det = Detections(
            time_s=time_s[order],
            sensor_id=np.full(order.shape[0], self.radar.id, dtype=np.int64),
            range_m=cat("range_m"),
            azimuth_deg=az_deg,
            elevation_deg=np.degrees(cat("elevation_rad")),
            range_rate_mps=cat("range_rate_mps"),
            snr_db=linear_to_db(cat("statistic")),
        )
        n_f = int(n_false.sum())
        labels = DetectionLabels(
            target_id=np.concatenate([label.astype(np.int64), np.full(n_f, -1, np.int64)])[order],
            merged=np.concatenate([merged.astype(np.int64), np.zeros(n_f, np.int64)])[order],
        )
        offsets = np.zeros(n_rot + 1, np.int64)
        np.cumsum(n_hit + n_false, out=offsets[1:])
        return ScanBlock(k0, det, labels, offsets)


@dataclass(frozen=True)
class ScanBlock:
    """Detections of consecutive rotations ``first, first + 1, ...`` of one radar, end to end: rotation
    ``first + r`` holds rows ``offsets[r]:offsets[r + 1]``, sorted by time."""

    first: int
    det: Detections
    lab: DetectionLabels
    offsets: I64

    @property
    def end(self) -> int:
        """One past the last rotation held."""
        return self.first + self.offsets.shape[0] - 1


def _no_echoes() -> Echoes:
    z = np.zeros(0)
    return Echoes(z, z, z, z, z, z)
