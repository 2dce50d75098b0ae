"""Replay of recorded flights: both column conventions, unit conversions, interpolation, gaps."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pymap3d
import pytest

from airpicture.scenario import builtin_path, parse_scenario, read_toml
from airpicture.truth import frame_of, generate_truth
from airpicture.truth.replay import FPM, FT, KT

BASE = read_toml(builtin_path("teaching"))
LAT0, LON0 = 34.5, -38.2


def _flight(n: int = 60, dt: float = 5.0):
    """A straight eastbound climb at 200 m/s, 5 m/s vertical rate, reported every dt seconds."""
    t = 1_700_000_000 + dt * np.arange(n)
    e = -30000.0 + 200.0 * (t - t[0])
    nn = np.full(n, 20000.0)
    alt = 5000.0 + 5.0 * (t - t[0])
    lat, lon, h = pymap3d.enu2geodetic(e, nn, alt, LAT0, LON0, 0.0)
    # course along the local meridian frame at the aircraft (not quite 90 deg far from the site)
    return t, np.asarray(lat), np.asarray(lon), np.asarray(h)


def _scenario(tmp_path: Path, fname: str, fmt: str = "auto", **extra) -> object:
    data = copy.deepcopy(BASE)
    data["raids"] = []
    data["civil_traffic"] = []
    data["replays"] = [{"name": "rec", "file": fname, "format": fmt, **extra}]
    return parse_scenario(data, str(tmp_path / "s.toml"), base_dir=tmp_path)


def _write_opensky(path: Path, t, lat, lon, h, speed=200.0, heading=90.0, vrate=5.0) -> None:
    n = len(t)
    table = pa.table({"time": t, "icao24": ["abc123"] * n, "lat": lat, "lon": lon, "geoaltitude": h,
                      "velocity": np.full(n, speed), "heading": np.full(n, heading), "vertrate": np.full(n, vrate)})
    if path.suffix == ".csv":
        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path)


def test_opensky_replay_positions_match_geodesy(tmp_path: Path) -> None:
    t, lat, lon, h = _flight()
    _write_opensky(tmp_path / "f.csv", t, lat, lon, h)
    sc = _scenario(tmp_path, "f.csv")
    truth = generate_truth(sc)
    assert len(truth.targets) == 1 and truth.targets.callsign[0] == "abc123"
    s = truth.samples
    # the file's first report plays at scenario time 0; states on the 1 s clock
    expected_e = -30000.0 + 200.0 * s.time_s
    frame = frame_of(sc)
    e_ref, n_ref, u_ref = pymap3d.geodetic2enu(lat[0], lon[0], h[0], LAT0, LON0, frame.altitude_m)
    assert s.x[0, 0] == pytest.approx(e_ref, abs=1e-3)
    assert np.allclose(s.x[:, 0], expected_e, atol=1.0)
    assert truth.targets.end_s[0] == pytest.approx(t[-1] - t[0])


def test_traffic_format_gives_the_same_truth(tmp_path: Path) -> None:
    t, lat, lon, h = _flight()
    _write_opensky(tmp_path / "o.parquet", t, lat, lon, h)
    n = len(t)
    ts = pa.array((t * 1e6).astype("int64"), type=pa.timestamp("us", tz="UTC"))
    traffic = pa.table({"timestamp": ts, "icao24": ["abc123"] * n, "latitude": lat, "longitude": lon,
                        "altitude": h / FT, "groundspeed": np.full(n, 200.0 / KT), "track": np.full(n, 90.0),
                        "vertical_rate": np.full(n, 5.0 / FPM), "callsign": ["XYZ1"] * n})
    pq.write_table(traffic, tmp_path / "t.parquet")
    a = generate_truth(_scenario(tmp_path, "o.parquet"))
    b = generate_truth(_scenario(tmp_path, "t.parquet"))
    assert np.allclose(a.samples.x, b.samples.x, atol=1e-6)
    assert np.allclose(a.samples.time_s, b.samples.time_s)


def test_traffic_csv_with_iso_timestamps(tmp_path: Path) -> None:
    rows = ["timestamp,icao24,latitude,longitude,altitude,groundspeed,track,vertical_rate"]
    for k in range(10):
        lat, lon, _ = pymap3d.enu2geodetic(0.0, 400 * KT * 5 * k, 30000 * FT, LAT0, LON0, 0.0)
        rows.append(f"2024-05-01 10:00:{k * 5:02d}+00:00,a1,{lat:.7f},{lon:.7f},30000,400,0,0")
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    truth = generate_truth(_scenario(tmp_path, "t.csv"))
    assert truth.targets.end_s[0] == pytest.approx(45.0)
    frame = frame_of(_scenario(tmp_path, "t.csv"))
    hgt = frame.height_from_enu(*truth.samples.x[:, :3].T)
    assert np.allclose(hgt, 30000 * FT - frame.altitude_m, atol=30.0)
    vn = truth.samples.x[:, 4]
    assert np.allclose(vn, 400 * KT, rtol=0.01)


def test_iso_timestamps_honour_their_utc_offsets(tmp_path: Path) -> None:
    """The same instants written with different offsets (Z, +02:00, -05:00, none = UTC) give a 5 s cadence."""
    stamps = ["2024-05-01T10:00:00Z", "2024-05-01T12:00:05+02:00", "2024-05-01T05:00:10-05:00",
              "2024-05-01 10:00:15", "2024-05-01T10:00:20+00:00"]
    rows = ["timestamp,icao24,latitude,longitude,altitude,groundspeed,track,vertical_rate"]
    for k, stamp in enumerate(stamps):
        lat, lon, _ = pymap3d.enu2geodetic(0.0, 400 * KT * 5 * k, 30000 * FT, LAT0, LON0, 0.0)
        rows.append(f"{stamp},a1,{lat:.7f},{lon:.7f},30000,400,0,0")
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    truth = generate_truth(_scenario(tmp_path, "t.csv"))
    assert truth.targets.end_s[0] == pytest.approx(20.0)
    assert np.allclose(truth.samples.x[:, 4], 400 * KT, rtol=0.01)  # positions 5 s apart at 400 kt


def test_gaps_split_flights_and_missing_rates_are_filled(tmp_path: Path) -> None:
    t, lat, lon, h = _flight(n=40)
    t = np.concatenate([t[:20], t[20:] + 100.0])  # a 105 s gap, longer than max_gap_s (60 s)
    path = tmp_path / "g.csv"
    _write_opensky(path, t, lat, lon, h)
    text = path.read_text().splitlines()
    cells = text[5].split(",")
    cells[-1] = ""  # an empty vertical rate
    text[5] = ",".join(cells)
    path.write_text("\n".join(text) + "\n")
    truth = generate_truth(_scenario(tmp_path, "g.csv"))
    assert len(truth.targets) == 2
    assert set(truth.targets.callsign) == {"abc123"}
    assert np.isfinite(truth.samples.x).all()


def test_shipped_air_traffic_file_replays() -> None:
    from airpicture.scenario import load_scenario

    sc = load_scenario("air-traffic")
    truth = generate_truth(sc)
    civil = ~truth.targets.hostile
    assert civil.sum() >= 15
    speeds = np.hypot(truth.samples.x[:, 3], truth.samples.x[:, 4])
    assert speeds.max() < 300.0
