"""Make the synthetic replay file shipped with the ``air-traffic`` scenario.

Writes ``src/airpicture/scenarios/data/air_traffic_opensky.csv``: 18 flights (arrivals, departures, overflights)
around a fictional airport near the scenario site, in the column layout of OpenSky Network state vectors
(time, icao24, callsign, lat, lon, geoaltitude, velocity, heading, vertrate), reported every ~5 s with jitter.
Some ``vertrate`` values are left empty, as in real data. The flights are simulated with standard-rate turns
(3 deg/s) and smooth speed and height schedules; they are not recordings of real aircraft.

Usage: python tools/make_air_traffic_sample.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from airpicture.geodesy import LocalFrame

SITE = LocalFrame.at(34.5, -38.2, 20.0)
AIRPORT = np.array([25000.0, 15000.0])
EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z
OUT = Path(__file__).resolve().parents[1] / "src/airpicture/scenarios/data/air_traffic_opensky.csv"


def fly(route: np.ndarray, speed: np.ndarray, height: np.ndarray, dt: float = 1.0):
    """Fly through ``route`` (K, 2) with a 3 deg/s turn-rate limit; speed and height are interpolated by the
    fraction of route length flown. Returns time, east, north, height, ground speed, course (deg), climb rate."""
    legs = np.hypot(*np.diff(route, axis=0).T)
    total = legs.sum()
    pos = route[0].astype(float).copy()
    d = route[1] - route[0]
    course = np.arctan2(d[0], d[1])
    out = []
    flown, t, wp = 0.0, 0.0, 1
    max_turn = np.radians(3.0) * dt
    while wp < len(route) and t < 4 * 3600:
        frac = min(flown / total, 1.0)
        v = np.interp(frac, np.linspace(0, 1, len(speed)), speed)
        h = np.interp(frac, np.linspace(0, 1, len(height)), height)
        h_next = np.interp(min(frac + v * dt / total, 1.0), np.linspace(0, 1, len(height)), height)
        out.append((t, pos[0], pos[1], h, v, np.degrees(course) % 360.0, (h_next - h) / dt))
        to = route[wp] - pos
        if np.hypot(*to) < max(v * dt * 2, 500.0):
            wp += 1
            continue
        want = np.arctan2(to[0], to[1])
        turn = (want - course + np.pi) % (2 * np.pi) - np.pi
        course += np.clip(turn, -max_turn, max_turn)
        pos += v * dt * np.array([np.sin(course), np.cos(course)])
        flown += v * dt
        t += dt
    return np.array(out)


def main() -> None:
    rng = np.random.default_rng(2026)
    flights = []
    for _ in range(6):  # arrivals from the edge, descending to the airport
        az = np.radians(rng.uniform(0, 360))
        start = AIRPORT + 180e3 * np.array([np.sin(az), np.cos(az)])
        fix = AIRPORT + 25e3 * np.array([np.sin(az + 0.6), np.cos(az + 0.6)])
        final = AIRPORT + 12e3 * np.array([0.0, -1.0])
        route = np.array([start, fix, final, AIRPORT])
        speeds = np.array([230.0, 200.0, 120.0, 75.0])
        flights.append(("arr", route, speeds, np.array([10500.0, 6000.0, 900.0, 10.0])))
    for _ in range(6):  # departures climbing out to the edge
        az = np.radians(rng.uniform(0, 360))
        exit_point = AIRPORT + 200e3 * np.array([np.sin(az), np.cos(az)])
        route = np.array([AIRPORT, AIRPORT + np.array([0.0, 8e3]), exit_point])
        flights.append(("dep", route, np.array([80.0, 150.0, 240.0]), np.array([10.0, 3000.0, 11000.0])))
    for _ in range(6):  # overflights at cruise
        az = np.radians(rng.uniform(0, 360))
        off = rng.uniform(-80e3, 80e3)
        u = np.array([np.sin(az), np.cos(az)])
        nrm = np.array([u[1], -u[0]])
        route = np.array([nrm * off - u * 200e3, nrm * off + u * 200e3])
        cruise = rng.uniform(9500, 12000)
        flights.append(("ovf", route, np.full(2, rng.uniform(220, 250)), np.full(2, cruise)))

    rows = []
    for i, (_kind, route, speed, height) in enumerate(flights):
        track = fly(route, speed, height)
        start = rng.uniform(-900.0, 900.0)
        icao = f"{0x4ca000 + 17 * i:06x}"
        callsign = f"APX{100 + i:d}"
        t_rep = 0.0
        while t_rep < track[-1, 0]:
            j = round(t_rep)
            t, e, n, h, v, crs, vr = track[min(j, len(track) - 1)]
            u = SITE.up_from_height(e, n, h)
            lat, lon, alt = SITE.to_geodetic(e, n, u)
            vr_text = "" if rng.random() < 0.03 else f"{vr:.2f}"
            rows.append((EPOCH + start + t, icao, callsign, float(lat), float(lon), float(alt), v, crs, vr_text))
            t_rep += 5.0 + rng.uniform(-1.0, 1.0)
    rows.sort(key=lambda r: (r[0], r[1]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "icao24", "callsign", "lat", "lon", "geoaltitude", "velocity", "heading", "vertrate"])
        for r in rows:
            w.writerow([f"{r[0]:.0f}", r[1], r[2], f"{r[3]:.6f}", f"{r[4]:.6f}", f"{r[5]:.1f}", f"{r[6]:.2f}",
                        f"{r[7]:.2f}", r[8]])
    print(f"wrote {len(rows)} reports of {len(flights)} flights to {OUT}")


if __name__ == "__main__":
    main()
