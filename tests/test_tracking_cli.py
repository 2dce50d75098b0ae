"""``airpicture track``: tracking detection files, the sensor file, and every kind of bad input (exit code 2, a
message naming the file, row and column, nothing written)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from airpicture.cli import main
from airpicture.detections import Detections
from airpicture.geodesy import LocalFrame
from airpicture.scenario import FixedAccuracy, Radar
from airpicture.sensors.placement import radar_geometry
from airpicture.testing.detections import linear_targets, scan

SENSORS = """\
[site]
latitude_deg = 34.5
longitude_deg = -38.2

[[sensors]]
id = 3
e_m = 100.0
n_m = -50.0
scan_period_s = 4.0
max_range_m = 200000.0
accuracy = { kind = "fixed", range_m = 30.0, azimuth_deg = 0.1, elevation_deg = 0.2 }

[tracker]
confirm_m = 3
confirm_n = 4
"""

TWO_SENSORS = SENSORS + """
[[sensors]]
id = 5
e_m = 10000.0
scan_period_s = 3.0
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Detections of two straight targets and some false alarms over 100 s, as CSV, Parquet and single-radar
    CSV, plus the sensor file."""
    d = tmp_path_factory.mktemp("track")
    frame = LocalFrame.at(34.5, -38.2, 0.0)
    radar = Radar(id=3, e_m=100.0, n_m=-50.0, scan_period_s=4.0, max_range_m=200e3,
                  accuracy=FixedAccuracy(range_m=30.0, azimuth_deg=0.1, elevation_deg=0.2))
    geo = radar_geometry(radar, frame)
    rng = np.random.default_rng(11)
    x0 = np.array([[30e3, 40e3, 5e3, -200.0, 0.0, 0.0], [-50e3, 10e3, 3e3, 100.0, 150.0, 0.0]])
    det = Detections.concat([scan(linear_targets(x0), 2, radar, geo, k, rng, pd=0.95, false_alarms=3.0)[0]
                             for k in range(25)])
    (d / "sensors.toml").write_text(SENSORS)
    (d / "two.toml").write_text(TWO_SENSORS)
    pacsv.write_csv(det.to_table(), d / "det.csv")
    pq.write_table(det.to_table(), d / "det.parquet")
    pacsv.write_csv(det.to_table().drop(["sensor_id", "range_rate_mps", "snr_db"]), d / "single.csv")
    return d


@pytest.fixture
def run(capsys, monkeypatch):
    """The ``airpicture`` entry point in this process (fast); returns (exit code, stdout, stderr)."""

    def invoke(*args: str) -> subprocess.CompletedProcess:
        monkeypatch.setattr(sys, "argv", ["airpicture", *args])
        monkeypatch.setenv("COLUMNS", "200")
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        cap = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, cap.out, cap.err)

    return invoke


def lines(path):
    return path.read_text().splitlines()


def write_lines(path, rows):
    path.write_text("\n".join(rows) + "\n")
    return path


def test_tracks_a_csv_file_and_writes_the_results_folder(cli, files, tmp_path):
    out = tmp_path / "res"
    r = cli("track", str(files / "det.csv"), "--sensor", str(files / "sensors.toml"), "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    tracks = pq.read_table(out / "tracks.parquet").to_pandas()
    assert list(tracks.columns[:11]) == ["time_s", "track_id", "status", "event", "sensor_id", "e_m", "n_m", "u_m",
                                         "ve_mps", "vn_mps", "vu_mps"]
    assert {"pee_m2", "pnn_m2", "puu_m2", "pen_m2", "peu_m2", "pnu_m2", "quality"} <= set(tracks.columns)
    confirmed = tracks[tracks.event == "confirm"].track_id.unique()
    assert len(confirmed) == 2
    assert (np.diff(tracks.time_s) >= 0).all()
    assert not (out / "picture.parquet").exists()
    assert (out / "summary.json").exists()


def test_parquet_input_gives_the_same_tracks_as_csv(run, files, tmp_path):
    for name in ("det.csv", "det.parquet"):
        r = run("track", str(files / name), "--sensor", str(files / "sensors.toml"), "--out", str(tmp_path / name),
                "-q")
        assert r.returncode == 0, r.stderr
    a = pq.read_table(tmp_path / "det.csv" / "tracks.parquet")
    b = pq.read_table(tmp_path / "det.parquet" / "tracks.parquet")
    assert a.equals(b)
    assert (tmp_path / "det.csv" / "tracks.parquet").read_bytes() == (tmp_path / "det.parquet" /
                                                                        "tracks.parquet").read_bytes()


def test_picture_uses_only_detections_before_each_epoch(run, files, tmp_path):
    out = tmp_path / "pic"
    r = run("track", str(files / "det.csv"), "--sensor", str(files / "sensors.toml"), "--out", str(out),
            "--picture-period", "2.5", "-q")
    assert r.returncode == 0, r.stderr
    pic = pq.read_table(out / "picture.parquet").to_pandas()
    epochs = np.unique(pic.time_s)
    np.testing.assert_allclose(epochs / 2.5, np.round(epochs / 2.5), atol=1e-9)
    assert pic.groupby("time_s").track_id.nunique().max() == 2
    assert (pic.target_id == -1).all()  # no truth behind recorded detections
    # the state at an epoch is the last update before it predicted forward: compare with the update rows
    tracks = pq.read_table(out / "tracks.parquet").to_pandas()
    updates = tracks[tracks.event.isin(["start", "update", "confirm"])]
    row = pic.iloc[len(pic) // 2]
    upd = updates[(updates.track_id == row.track_id) & (updates.time_s < row.time_s)].iloc[-1]
    dt = row.time_s - upd.time_s
    # the default IMM's turn models bend the prediction off the straight line by at most v w dt^2 / 2
    speed = math.hypot(upd.ve_mps, upd.vn_mps)
    bend = speed * math.radians(3.0) * dt**2 / 2.0
    straight = np.array([upd.e_m + upd.ve_mps * dt, upd.n_m + upd.vn_mps * dt])
    assert 0.0 < dt < 2 * 4.0  # updated once per 4 s rotation (a miss at most in between)
    assert np.hypot(row.e_m - straight[0], row.n_m - straight[1]) <= bend + 1e-6
    assert row.u_m == pytest.approx(upd.u_m + upd.vu_mps * dt, abs=1e-6)  # the vertical is CV in every model
    assert row.position_sigma_m**2 > upd.pee_m2 + upd.pnn_m2 + upd.puu_m2


def test_single_radar_csv_with_sensor_file_or_command_line_options(run, files, tmp_path):
    a = tmp_path / "a"
    r = run("track", str(files / "single.csv"), "--sensor", str(files / "sensors.toml"), "--out", str(a), "-q")
    assert r.returncode == 0, r.stderr
    b = tmp_path / "b"
    r = run("track", str(files / "single.csv"), "--sensor-id", "3", "--radar-e-m", "100", "--radar-n-m", "-50",
            "--scan-period-s", "4", "--max-range-m", "200000", "--sigma-range-m", "30", "--sigma-azimuth-deg", "0.1",
            "--sigma-elevation-deg", "0.2", "--site-latitude-deg", "34.5", "--site-longitude-deg", "-38.2",
            "--out", str(b), "-q")
    assert r.returncode == 0, r.stderr
    ta = pq.read_table(a / "tracks.parquet")
    tb = pq.read_table(b / "tracks.parquet")
    assert ta.equals(tb)  # sensor file and options describe the same radar (the sensor file's tracker is default)
    full = tmp_path / "full"
    run("track", str(files / "det.csv"), "--sensor", str(files / "sensors.toml"), "--out", str(full), "-q")
    assert pq.read_table(full / "tracks.parquet").equals(ta)


def test_running_twice_gives_byte_identical_files(run, files, tmp_path):
    for k in (1, 2):
        r = run("track", str(files / "det.parquet"), "--sensor", str(files / "two.toml"), "--out",
                str(tmp_path / str(k)), "--picture-period", "3", "-q")
        assert r.returncode == 0, r.stderr
    for name in ("tracks.parquet", "picture.parquet", "summary.json"):
        if name == "summary.json":
            continue  # it names the input file, which is the same anyway
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()


def bad(cli, path, tmp_path, *extra, sensor="sensors.toml", files=None):
    out = tmp_path / "never"
    args = ["track", str(path), "--out", str(out), "-q", *extra]
    if sensor is not None:
        args += ["--sensor", str(files / sensor)]
    r = cli(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert not out.exists()
    assert "Traceback" not in r.stderr
    return " ".join(r.stderr.split())


def test_missing_column(cli, files, tmp_path):
    rows = lines(files / "det.csv")
    header = rows[0].split(",")
    k = header.index('"elevation_deg"')
    cut = [",".join(c for i, c in enumerate(row.split(",")) if i != k) for row in rows]
    msg = bad(cli, write_lines(tmp_path / "nocol.csv", cut), tmp_path, files=files)
    assert "nocol.csv" in msg and "missing column(s) elevation_deg" in msg


@pytest.mark.parametrize("column,value,expect", [
    ("range_m", "", "expected a number, got an empty value"),
    ("range_m", "nan", "expected a number"),  # CSV readers take "nan" as an empty value
    ("azimuth_deg", "inf", "expected a finite number"),
    ("azimuth_deg", "360", "expected a value in [0, 360)"),
    ("azimuth_deg", "-0.5", "expected a value in [0, 360)"),
    ("elevation_deg", "95", "expected a value in [-90, 90]"),
    ("range_m", "-5", "expected a value in (0, inf]"),
    ("range_m", "ten", "expected a number, got 'ten'"),
    ("range_rate_mps", "inf", "expected a finite number or an empty value"),
    ("sensor_id", "4", "unknown sensor id 4; the sensor file has: 3"),
    ("sensor_id", "3.5", "expected an integer sensor id"),
])
def test_bad_values_name_the_line_and_column(run, files, tmp_path, column, value, expect):
    rows = lines(files / "det.csv")
    header = [h.strip('"') for h in rows[0].split(",")]
    cells = rows[7].split(",")
    cells[header.index(column)] = value
    rows[7] = ",".join(cells)
    msg = bad(run, write_lines(tmp_path / "vals.csv", rows), tmp_path, files=files)
    assert f"vals.csv: line 8, column '{column}'" in msg
    assert expect in msg


def test_unsorted_and_negative_times(run, files, tmp_path):
    rows = lines(files / "det.csv")
    swapped = [*rows[:5], rows[6], rows[5], *rows[7:]]
    msg = bad(run, write_lines(tmp_path / "unsorted.csv", swapped), tmp_path, files=files)
    assert "unsorted.csv: line 7, column 'time_s'" in msg and "sorted" in msg
    neg = list(rows)
    cells = neg[1].split(",")
    cells[0] = "-1.0"
    neg[1] = ",".join(cells)
    msg = bad(run, write_lines(tmp_path / "neg.csv", neg), tmp_path, files=files)
    assert "neg.csv: line 2, column 'time_s'" in msg and "[0, inf]" in msg


def test_parquet_rows_are_named(run, files, tmp_path):
    t = pq.read_table(files / "det.parquet")
    az = t.column("azimuth_deg").to_numpy().copy()
    az[3] = math.nan
    t = t.set_column(t.column_names.index("azimuth_deg"), "azimuth_deg", pa.array(az))
    pq.write_table(t, tmp_path / "nan.parquet")
    msg = bad(run, tmp_path / "nan.parquet", tmp_path, files=files)
    assert "nan.parquet: row 4, column 'azimuth_deg'" in msg


def test_single_radar_file_needs_one_sensor(run, files, tmp_path):
    msg = bad(run, files / "single.csv", tmp_path, sensor="two.toml", files=files)
    assert "single.csv" in msg and "--sensor-id" in msg


def test_bad_sensor_files(run, files, tmp_path):
    p = tmp_path / "typo.toml"
    p.write_text(SENSORS.replace("scan_period_s", "scan_period"))
    msg = bad(run, files / "det.csv", tmp_path, sensor=None, files=files)  # no sensor, no options: radar id 0
    assert "unknown sensor id 3" in msg
    r = run("track", str(files / "det.csv"), "--sensor", str(p), "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and "typo.toml: sensors[0]" in r.stderr and "did you mean 'scan_period_s'" in r.stderr
    p2 = tmp_path / "nosite.toml"
    p2.write_text(SENSORS.split("[[sensors]]")[0].replace("[site]", "[place]") + "[[sensors]]" +
                  SENSORS.split("[[sensors]]")[1])
    r = run("track", str(files / "det.csv"), "--sensor", str(p2), "--out", str(tmp_path / "y"))
    assert r.returncode == 2 and "nosite.toml" in r.stderr and "site" in r.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_bad_command_line_values(run, files, tmp_path):
    msg = bad(run, files / "det.csv", tmp_path, "--picture-period", "0", files=files)
    assert "--picture-period" in msg
    msg = bad(run, files / "det.csv", tmp_path, "--scan-period-s", "-4", files=files)
    assert "scan_period_s" in msg
    msg = bad(run, files / "det.csv", tmp_path, "--sensor-id", "9", files=files)
    assert "--sensor-id 9" in msg
    msg = bad(run, tmp_path / "missing.csv", tmp_path, files=files)
    assert "missing.csv" in msg and "not found" in msg
