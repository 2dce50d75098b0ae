"""Make the recorded-detections sample of the tracking notebook: what the built-in ``air-traffic`` scenario's radar
reported over its first 15 minutes (civil flights replayed from the OpenSky-format sample, three hostile aircraft
among them), as a detections CSV with the sensor file that describes the radar.

    python tools/make_notebook_data.py            # writes notebooks/data/air_traffic_detections.csv, sensors.toml

The scenario and seed are fixed, so the files are the same every time.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.csv as pacsv
import tomli_w

import airpicture as ap

MINUTES = 15
OUT = Path(__file__).resolve().parents[1] / "notebooks" / "data"


def main() -> None:
    scenario = ap.load_scenario("air-traffic")
    run = ap.run(scenario)
    det = run.arrow("detections")
    det = det.filter(pc.less(det["time_s"], MINUTES * 60.0))
    OUT.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(det, OUT / "air_traffic_detections.csv")
    dump = scenario.model_dump(mode="json", exclude_none=True)
    sensors = {"site": dump["site"], "sensors": dump["sensors"], "tracker": dump["tracker"]}
    (OUT / "sensors.toml").write_bytes(tomli_w.dumps(sensors).encode())
    labels = run.arrow("detection_labels").slice(0, det.num_rows)
    n_targets = len(set(labels["target_id"].to_pylist()) - {-1})
    print(f"{det.num_rows} detections of {n_targets} targets -> {OUT}")


if __name__ == "__main__":
    main()
