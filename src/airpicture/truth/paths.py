"""Horizontal flight paths made of straight legs and circular arcs, flown at constant ground speed.

A path is built once per target (a few line/arc segments: waypoint fillets for coordinated turns, loiter
circles) and then evaluated for all targets at once with arrays. The horizontal frame is local East-North
metres; headings inside are mathematical angles (radians, counter-clockwise from east).

A coordinated turn at ground speed v with lateral acceleration a has radius r = v^2 / a; a fly-by fillet of
turn angle D at a waypoint starts r tan(|D|/2) before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

LINE, ARC = 0, 1
_S_KEY = 1.0e9  # larger than any path length in metres


class PathError(ValueError):
    """A route that cannot be flown (waypoints too close for the turn radius)."""


@dataclass
class PathBuilder:
    """Collects segments of many paths; ``build()`` freezes them into arrays."""

    path: list[int] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    s0: list[float] = field(default_factory=list)
    length: list[float] = field(default_factory=list)
    p0: list[tuple[float, float]] = field(default_factory=list)
    heading: list[float] = field(default_factory=list)
    center: list[tuple[float, float]] = field(default_factory=list)
    radius: list[float] = field(default_factory=list)
    turn: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)

    def _seg(self, pid: int, kind: int, s0: float, length: float, p0: tuple[float, float], heading: float,
             center: tuple[float, float] = (0.0, 0.0), radius: float = 0.0, turn: float = 0.0) -> None:
        self.path.append(pid)
        self.kind.append(kind)
        self.s0.append(s0)
        self.length.append(length)
        self.p0.append(p0)
        self.heading.append(heading)
        self.center.append(center)
        self.radius.append(radius)
        self.turn.append(turn)

    def add_route(self, points: F64, turn_radius: float) -> int:
        """Add a route through ``points`` (K, 2) with fly-by coordinated turns of ``turn_radius`` metres."""
        pid = len(self.total)
        pts = np.asarray(points, dtype=float)
        keep = np.ones(len(pts), dtype=bool)
        keep[1:] = np.hypot(*(pts[1:] - pts[:-1]).T) > 1e-6
        pts = pts[keep]
        if len(pts) < 2:
            raise PathError("a route needs two distinct points")
        legs = pts[1:] - pts[:-1]
        leg_len = np.hypot(legs[:, 0], legs[:, 1])
        dirs = legs / leg_len[:, None]
        # turn angle at each interior point
        cross = dirs[:-1, 0] * dirs[1:, 1] - dirs[:-1, 1] * dirs[1:, 0]
        dot = np.sum(dirs[:-1] * dirs[1:], axis=1)
        delta = np.arctan2(cross, dot)
        if np.any(np.abs(delta) > np.radians(175.0)):
            raise PathError("a route reverses direction (turn of more than 175 degrees) at a waypoint")
        tangent = turn_radius * np.tan(np.abs(delta) / 2.0)
        before = np.concatenate([[0.0], tangent])  # fillet length cut from the start of each leg
        after = np.concatenate([tangent, [0.0]])  # ... and from its end
        if np.any(before + after > leg_len + 1e-6):
            i = int(np.argmax(before + after - leg_len))
            raise PathError(
                f"waypoints {i} and {i + 1} are {leg_len[i]:.0f} m apart, too close for turns of radius "
                f"{turn_radius:.0f} m; move them apart or allow a higher lateral acceleration"
            )
        s = 0.0
        for i in range(len(legs)):
            start = pts[i] + dirs[i] * before[i]
            line_len = leg_len[i] - before[i] - after[i]
            h = float(np.arctan2(dirs[i, 1], dirs[i, 0]))
            if line_len > 0:
                self._seg(pid, LINE, s, float(line_len), (float(start[0]), float(start[1])), h)
                s += float(line_len)
            if i < len(delta) and abs(delta[i]) > 1e-9:
                sign = float(np.sign(delta[i]))
                a = pts[i + 1] - dirs[i] * tangent[i]
                normal = np.array([-dirs[i, 1], dirs[i, 0]]) * sign
                c = a + normal * turn_radius
                arc_len = float(turn_radius * abs(delta[i]))
                self._seg(pid, ARC, s, arc_len, (float(a[0]), float(a[1])), h, (float(c[0]), float(c[1])),
                          float(turn_radius), sign)
                s += arc_len
        self.total.append(s)
        return pid

    def add_loiter(self, start: F64, centre: F64, radius: float, goal: F64, loiter_length: float,
                   direction: float) -> int:
        """Add start -> tangent onto a circle -> circle for at least ``loiter_length`` metres -> tangent exit ->
        straight to ``goal``. ``direction`` +1 circles counter-clockwise, -1 clockwise."""
        pid = len(self.total)
        start = np.asarray(start, float)
        centre = np.asarray(centre, float)
        goal = np.asarray(goal, float)
        for what, p in (("start point", start), ("asset", goal)):
            if np.hypot(*(p - centre)) <= radius * 1.001:
                raise PathError(f"the {what} lies inside the loiter circle; increase loiter_distance_m or "
                                f"start_distance_m, or reduce loiter_radius_m")
        phi_in = _tangent_angle(start, centre, radius, direction, arriving=True)
        phi_out = _tangent_angle(goal, centre, radius, direction, arriving=False)
        p_in = centre + radius * np.array([np.cos(phi_in), np.sin(phi_in)])
        p_out = centre + radius * np.array([np.cos(phi_out), np.sin(phi_out)])
        sweep = (direction * (phi_out - phi_in)) % (2 * np.pi)
        loops = max(0.0, np.ceil((loiter_length / radius - sweep) / (2 * np.pi)))
        sweep += 2 * np.pi * loops
        s = 0.0
        d1 = p_in - start
        l1 = float(np.hypot(*d1))
        self._seg(pid, LINE, s, l1, (float(start[0]), float(start[1])), float(np.arctan2(d1[1], d1[0])))
        s += l1
        arc_len = float(radius * sweep)
        if arc_len > 0:
            self._seg(pid, ARC, s, arc_len, (float(p_in[0]), float(p_in[1])),
                      float(phi_in + direction * np.pi / 2), (float(centre[0]), float(centre[1])),
                      float(radius), float(direction))
            s += arc_len
        d2 = goal - p_out
        l2 = float(np.hypot(*d2))
        self._seg(pid, LINE, s, l2, (float(p_out[0]), float(p_out[1])), float(np.arctan2(d2[1], d2[0])))
        s += l2
        self.total.append(s)
        return pid

    def build(self) -> Paths:
        n = len(self.path)
        return Paths(
            path=np.asarray(self.path, dtype=np.int64),
            kind=np.asarray(self.kind, dtype=np.int64),
            s0=np.asarray(self.s0, dtype=float),
            length=np.asarray(self.length, dtype=float),
            p0=np.asarray(self.p0, dtype=float).reshape(n, 2),
            heading=np.asarray(self.heading, dtype=float),
            center=np.asarray(self.center, dtype=float).reshape(n, 2),
            radius=np.asarray(self.radius, dtype=float),
            turn=np.asarray(self.turn, dtype=float),
            total=np.asarray(self.total, dtype=float),
        )


def _tangent_angle(p: F64, c: F64, r: float, direction: float, arriving: bool) -> float:
    """Angle on the circle (centre c, radius r) of the tangent point from external point p, for travel in
    ``direction`` (+1 CCW): arriving from p onto the circle, or leaving the circle towards p."""
    d = p - c
    dist = float(np.hypot(*d))
    beta = float(np.arctan2(d[1], d[0]))
    alpha = float(np.arccos(r / dist))
    for phi in (beta + alpha, beta - alpha):
        t = c + r * np.array([np.cos(phi), np.sin(phi)])
        tangent_dir = direction * np.array([-np.sin(phi), np.cos(phi)])
        travel = (t - p) if arriving else (p - t)
        if float(np.dot(travel, tangent_dir)) > 0:
            return phi
    return beta + alpha


@dataclass(frozen=True)
class Paths:
    """Frozen segments of many paths, sorted by (path, s0)."""

    path: I64
    kind: I64
    s0: F64
    length: F64
    p0: F64
    heading: F64
    center: F64
    radius: F64
    turn: F64
    total: F64  # (P,) total length of each path, metres

    def evaluate(self, path: I64, s: F64) -> tuple[F64, F64, F64]:
        """Position (K, 2), unit direction (K, 2) and lateral acceleration per unit speed^2 (K,) at arc length s
        along paths ``path``. s is clipped to [0, total]."""
        path = np.asarray(path, dtype=np.int64)
        s = np.clip(np.asarray(s, dtype=float), 0.0, self.total[path])
        key_seg = self.path * _S_KEY + self.s0
        j = np.searchsorted(key_seg, path * _S_KEY + s, side="right") - 1
        j = np.clip(j, 0, len(self.path) - 1)
        ds = np.clip(s - self.s0[j], 0.0, self.length[j])
        is_arc = self.kind[j] == ARC
        h = self.heading[j]
        # line
        pos = self.p0[j] + ds[:, None] * np.stack([np.cos(h), np.sin(h)], axis=1)
        head = h.copy()
        # arc
        if np.any(is_arc):
            a = np.flatnonzero(is_arc)
            ja = j[a]
            r = self.radius[ja]
            sgn = self.turn[ja]
            c = self.center[ja]
            phi0 = np.arctan2(self.p0[ja, 1] - c[:, 1], self.p0[ja, 0] - c[:, 0])
            phi = phi0 + sgn * ds[a] / r
            pos[a] = c + r[:, None] * np.stack([np.cos(phi), np.sin(phi)], axis=1)
            head[a] = phi + sgn * np.pi / 2
        curvature = np.where(is_arc, 1.0 / np.where(is_arc, self.radius[j], 1.0), 0.0)
        return pos, np.stack([np.cos(head), np.sin(head)], axis=1), curvature


def altitude_profile(s_rem: F64, cruise_m: F64, popup_distance_m: F64, popup_height_m: F64,
                     dive_distance_m: F64, climb_gradient: float = 0.15) -> tuple[F64, F64]:
    """Height above the ground (m) and its slope dh/ds (per metre flown) at distance-to-go ``s_rem``.

    Cruise at ``cruise_m``; if ``popup_distance_m`` > 0, climb at ``climb_gradient`` from that distance to go up
    to ``popup_height_m``; over the last ``dive_distance_m`` descend linearly to the ground.
    """
    s_rem = np.maximum(s_rem, 0.0)
    h = np.array(cruise_m, dtype=float, copy=True)
    slope = np.zeros_like(h)
    popup = popup_distance_m > 0
    climb = popup & (s_rem < popup_distance_m)
    target = np.maximum(popup_height_m, cruise_m)
    h_climb = cruise_m + (popup_distance_m - s_rem) * climb_gradient
    climbing = climb & (h_climb < target)
    h = np.where(climb, np.minimum(h_climb, target), h)
    slope = np.where(climbing, climb_gradient, slope)
    # height at the start of the dive (same rules evaluated at s_rem = dive distance)
    d = dive_distance_m
    h_at_d = np.where(popup & (d < popup_distance_m),
                      np.minimum(cruise_m + (popup_distance_m - d) * climb_gradient, target), cruise_m)
    diving = (d > 0) & (s_rem < d)
    safe_d = np.where(d > 0, d, 1.0)
    h = np.where(diving, h_at_d * s_rem / safe_d, h)
    slope = np.where(diving, -h_at_d / safe_d, slope)
    return h, slope
