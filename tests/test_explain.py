"""``airpicture explain``: a leaker of each cause, run end to end from a one-threat scenario bent to produce that
cause (tests/explain_support.py), and the explanation's first cause and sentences; the verdict; the command's
answers to mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from airpicture.explain.battle import load_battle
from airpicture.explain.command import explain_command
from tests.conftest import run_cli
from tests.explain_support import THREAT, one_threat_run

LOW = {"raids__0__kind": "cruise_missile", "raids__0__height_m": 5.0, "raids__0__speed_mps": 250.0,
       "raids__0__start_distance_m": 40000.0, "sensors__0__antenna_height_m": 2.0}
# radar horizon of a 2 m antenna over a 5 m target: sqrt(2 k R 2) + sqrt(2 k R 5) = 5.8 + 9.2 = 15.0 km (k = 4/3)
AIRLINER = [{"name": "airliner", "count": 1, "start_s": -100.0, "spread_s": 0.0, "area_radius_m": 90000.0,
             "max_offset_m": 10000.0}]

CASES: dict[str, tuple[dict, str, str]] = {
    # cause: (scenario changes, the explanation's first-cause label, a sentence of its story)
    "below_horizon": ({**LOW, "assets__0__radius_m": 16000.0}, "never tracked: below the radar horizon",
                      "below the radar horizon all the way to its asset"),
    "below_horizon_until": ({**LOW, "assets__0__radius_m": 14000.0}, "never tracked: below the radar horizon",
                            "before impact"),
    "not_detected": ({"sensors__0__sensitivity": {"kind": "reference", "snr_db": -30.0, "range_m": 1000.0,
                                                  "rcs_m2": 1.0}},
                     "never tracked: in view but not detected", "but never detected"),
    "not_confirmed": ({"raids__0__start_distance_m": 8000.0,
                       "tracker": {"confirmation": "m_of_n", "confirm_m": 12, "confirm_n": 12}},
                      "never tracked: tracks started but not confirmed", "none confirmed"),
    "track_slots_full": ({"tracker": {"capacity": 1}, "civil_traffic": AIRLINER, "raids__0__launch_start_s": 30.0},
                         "never tracked: track slots full", "refused a slot: all 1 slots held"),
    "channels": ({"batteries__0__fire_channels": 0}, "fire channels busy", "the battery has no fire channel"),
    "in_flight": ({"batteries__0__max_in_flight": 0}, "in-flight limit reached", "may have no interceptor in flight"),
    "ready_rounds": ({"batteries__0__rounds_per_launcher": 0, "batteries__0__reload_rounds": 0}, "no ready rounds",
                     "no ready round on any launcher"),
    "envelope": ({"batteries__0__envelopes": {"aircraft": {"min_range_m": 0.0, "max_range_m": 1000.0,
                                                           "min_height_m": 0.0, "max_height_m": 20000.0}}},
                 "out of the engagement envelope", "not engageable: intercept point outside the envelope"),
    "pk_draw": ({"batteries__0__pk": {"aircraft": 0.0}}, "missed: interceptors failed the Pk draw",
                "inside the correction radius, but the draw failed the Pk"),
    "correction_radius": ({"batteries__0__correction_radius_m": 0.01}, "missed: outside the correction radius",
                          "true target outside the correction radius of the aim point"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("explain")
    out = {name: one_threat_run(base / name, **changes) for name, (changes, _, _) in CASES.items()}
    out["killed"] = one_threat_run(base / "killed")
    return out


@pytest.mark.parametrize("cause", list(CASES))
def test_a_leaker_of_each_cause(runs: dict[str, Path], cause: str) -> None:
    folder = runs[cause]
    decisions = pq.read_table(folder / "decisions.parquet").to_pylist()
    (leak,) = [r for r in decisions if r["event"] == "leaked"]
    code = cause.replace("_until", "")
    assert leak["reason"] == code, leak["detail"]
    assert leak["impact_s"] == pytest.approx(leak["time_s"])
    text = explain_command(folder, THREAT, None)
    _, label, sentence = CASES[cause]
    assert f"First cause: {label}." in text
    assert sentence in text, text
    assert text.startswith(f"{THREAT} (target 0, ")
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["engagement"]["leak_causes"][code] == 1 and sum(summary["engagement"]["leak_causes"].values()) == 1


def test_below_the_horizon_until_seconds_before_impact(runs: dict[str, Path]) -> None:
    """The radar sees the 5 m cruise missile from 15.0 km; the airbase's radius is 14 km: in view (250 m/s) about
    4 s before its impact, too little to confirm a track."""
    text = explain_command(runs["below_horizon_until"], THREAT, None)
    why = next(line for line in text.splitlines() if line.startswith("Why:"))
    seconds = int(why.split("until ")[1].split(" s before impact")[0])
    assert 2 <= seconds <= 6, why


def test_a_kill_explained(runs: dict[str, Path]) -> None:
    text = explain_command(runs["killed"], "0", None)
    assert "Outcome: destroyed at" in text and "First cause" not in text
    for fragment in ("first detected by radar 1 'search'", "track 1 confirmed after", "; track score",
                     "engages track 1",
                     "launches an interceptor", "hit: within the correction radius and draw < Pk"):
        assert fragment in text, fragment
    lines = [ln for ln in text.splitlines() if ln.startswith("  ")]
    times = [float(ln.split(" s ")[0]) for ln in lines]
    assert times == sorted(times)


def test_the_verdict_names_the_binding_limit_and_the_cause(runs: dict[str, Path]) -> None:
    text = explain_command(runs["channels"], None, None)
    waits = [r for r in pq.read_table(runs["channels"] / "decisions.parquet").to_pylist() if r["event"] == "wait"]
    assert [(w["reason"], w["until_s"]) for w in waits] == [("channels", pytest.approx(193.3, abs=0.1))]
    t0 = waits[0]["time_s"]  # the first step after the track's confirmation
    assert f"Saturated at {t0:.0f} s: fire channels ({t0:.0f}–193 s)." in text  # until it got through, 193.3 s
    assert "1 of 1 threats that would have hit got through" in text
    assert "First causes of the leaks: fire channels busy 1." in text
    assert "strike-001" in text and f"fire channels busy from {t0:.0f} s" in text
    calm = explain_command(runs["killed"], None, None)
    assert "Never saturated" in calm and "0 of 1 threats that would have hit got through" in calm


def test_a_track_explained(runs: dict[str, Path]) -> None:
    battle = load_battle(runs["track_slots_full"])
    holder = int(battle.d["other_track_id"][battle.d["event"] == "refused"][0])
    held = explain_command(runs["track_slots_full"], None, holder)
    assert held.startswith(f"Track {holder}: follows airliner-001 (target 1, airliner)")
    assert "held a slot the tracker refused to" in held and "confirmed: confirmed after" in held
    none = explain_command(runs["track_slots_full"], None, 10**6)
    assert "no decision of this run concerns it" in none


def test_explain_on_the_command_line(runs: dict[str, Path], tmp_path: Path) -> None:
    folder = str(runs["channels"])
    ok = run_cli("explain", folder)
    assert ok.returncode == 0 and "Saturated at" in ok.stdout
    ok = run_cli("explain", folder, "--threat", "STRIKE-001")
    assert ok.returncode == 0 and "First cause: fire channels busy" in ok.stdout
    bad = run_cli("explain", folder, "--threat", "strik-01")
    assert bad.returncode == 2 and "did you mean 'strike-001'" in bad.stderr and "Traceback" not in bad.stderr
    bad = run_cli("explain", folder, "--threat", "7")
    assert bad.returncode == 2 and "no target with that id" in bad.stderr
    both = run_cli("explain", folder, "--threat", "0", "--track", "1")
    assert both.returncode == 2 and "not both" in both.stderr
    empty = tmp_path / "old"
    empty.mkdir()
    for f in runs["channels"].iterdir():
        if f.name != "decisions.parquet":
            (empty / f.name).write_bytes(f.read_bytes())
    summary = json.loads((empty / "summary.json").read_text())
    del summary["decisions"]
    (empty / "summary.json").write_text(json.dumps(summary))
    old = run_cli("explain", str(empty))
    assert old.returncode == 2 and "no decisions.parquet" in old.stderr


def test_the_readme_documents_every_column_event_and_cause() -> None:
    from airpicture.decisions.schema import COLUMNS, EVENTS, OUTCOME_CAUSES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The decision log", 1)[1].split("\n## ", 1)[0]
    for c in COLUMNS:
        assert f"| `{c.name}` | {c.unit} | {c.meaning} |" in section, c.name
    for stage, events in EVENTS.items():
        for event in events:
            assert f"| {stage} | `{event}` |" in section, event
    for code in OUTCOME_CAUSES:
        assert f"`{code}`" in section, code
    assert "| `decisions.parquet` |" in readme


def test_binding_spans_are_merged_and_written_in_words() -> None:
    import numpy as np

    from airpicture.explain.battle import merge_spans, span_text

    spans = merge_spans(np.array([10.0, 50.0, 300.0, 20.0]), np.array([40.0, 80.0, 900.0, 30.0]), 60.0)
    assert spans == [(10.0, 80.0), (300.0, 900.0)]
    assert merge_spans(np.array([10.0, 50.0]), np.array([20.0, 60.0]), 0.0) == [(10.0, 20.0), (50.0, 60.0)]
    assert span_text(spans, 900.0, 1.0) == "10–80 s, from 300 s"
    assert span_text([(44.0, 44.0)], 900.0, 1.0) == "at 44 s"
