"""Bad input to the report: not a results folder, missing or corrupt tables -> InputError with a clear message,
exit code 2 from the command line, and nothing written."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from airpicture import cli
from airpicture.errors import InputError
from airpicture.report import build_report
from airpicture.report.load import STAGE_TABLES, expected_tables, load_run
from tests.test_report_support import write_full_run, write_teaching_run


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_full_run(tmp_path_factory.mktemp("report_load") / "run")


@pytest.fixture
def run_copy(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "run"))


def _rewrite(path: Path, change) -> None:
    table = pq.read_table(path)
    pq.write_table(change(table), path)


def _assert_untouched(folder: Path, before: set[str]) -> None:
    assert set(p.name for p in folder.iterdir()) == before, "the report must write nothing on bad input"


def _refused(folder: Path, *fragments: str) -> InputError:
    before = set(p.name for p in folder.iterdir()) if folder.is_dir() else set()
    with pytest.raises(InputError) as info:
        build_report(folder)
    message = str(info.value)
    for f in fragments:
        assert f in message, message
    if folder.is_dir():
        _assert_untouched(folder, before)
    return info.value


def test_a_complete_folder_loads_every_table(run_copy: Path) -> None:
    run = load_run(run_copy)
    assert set(run.tables) == {"truth", "targets", "detections", "detection_labels", "tracks", "picture", "events",
                               "timeline", "metrics", "decisions"}
    assert run.get("truth")["target_id"].dtype == np.int64
    assert run.get("truth")["hostile"].dtype == bool


def test_missing_folder(tmp_path: Path) -> None:
    _refused(tmp_path / "nope", "nope", "folder not found")


def test_a_file_is_not_a_results_folder(tmp_path: Path) -> None:
    f = tmp_path / "report.parquet"
    f.write_bytes(b"x")
    _refused(f, "is a file", "results folder")


def test_a_folder_without_scenario_and_summary_is_not_a_results_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    _refused(tmp_path, "not a results folder", "scenario.toml", "summary.json", "notes.txt")


def test_missing_truth_table(run_copy: Path) -> None:
    (run_copy / "truth.parquet").unlink()
    _refused(run_copy, "truth.parquet", "missing")


def test_corrupt_parquet(run_copy: Path) -> None:
    data = (run_copy / "tracks.parquet").read_bytes()
    (run_copy / "tracks.parquet").write_bytes(data[: len(data) // 2])
    _refused(run_copy, "tracks.parquet", "cannot read as Parquet")


def test_text_posing_as_parquet(run_copy: Path) -> None:
    (run_copy / "events.parquet").write_text("time_s,event\n1,kill\n")
    _refused(run_copy, "events.parquet", "cannot read as Parquet")


def test_missing_column_is_named(run_copy: Path) -> None:
    _rewrite(run_copy / "picture.parquet", lambda t: t.drop_columns(["n_m"]))
    _refused(run_copy, "picture.parquet", "missing column(s) n_m")


def test_text_in_a_number_column_names_row_and_column(run_copy: Path) -> None:
    def change(t: pa.Table) -> pa.Table:
        values = [str(v) for v in t.column("gospa_m").to_pylist()]
        values[3] = "lots"
        return t.set_column(t.schema.get_field_index("gospa_m"), "gospa_m", pa.array(values))

    _rewrite(run_copy / "metrics.parquet", change)
    _refused(run_copy, "metrics.parquet", "row 4, column 'gospa_m'", "expected a number, got 'lots'")


def test_fractional_id_is_refused(run_copy: Path) -> None:
    def change(t: pa.Table) -> pa.Table:
        ids = t.column("track_id").to_numpy().astype(float)
        ids[0] += 0.5
        return t.set_column(t.schema.get_field_index("track_id"), "track_id", pa.array(ids))

    _rewrite(run_copy / "tracks.parquet", change)
    _refused(run_copy, "tracks.parquet", "row 1, column 'track_id'", "whole number")


def test_unknown_target_id_is_refused(run_copy: Path) -> None:
    def change(t: pa.Table) -> pa.Table:
        ids = t.column("target_id").to_numpy().copy()
        ids[2] = 10_000
        return t.set_column(t.schema.get_field_index("target_id"), "target_id", pa.array(ids))

    _rewrite(run_copy / "events.parquet", change)
    _refused(run_copy, "events.parquet", "row 3, column 'target_id'", "10000")


def test_labels_must_match_detections(run_copy: Path) -> None:
    _rewrite(run_copy / "detection_labels.parquet", lambda t: t.slice(0, t.num_rows - 1))
    _refused(run_copy, "detection_labels.parquet", "row i must label detection i")


def test_malformed_summary(run_copy: Path) -> None:
    (run_copy / "summary.json").write_text("{not json")
    _refused(run_copy, "summary.json", "malformed JSON")


def test_broken_scenario_file(run_copy: Path) -> None:
    (run_copy / "scenario.toml").write_text('name = "x"\nduration_s = -5\n')
    _refused(run_copy, "scenario.toml")


def test_command_line_exits_2_with_message(run_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (run_copy / "timeline.parquet").write_bytes(b"PAR1garbagePAR1")
    before = set(p.name for p in run_copy.iterdir())
    monkeypatch.setattr(sys, "argv", ["airpicture", "report", str(run_copy), "--png"])
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "timeline.parquet" in err and "cannot read as Parquet" in err
    assert "Traceback" not in err
    _assert_untouched(run_copy, before)


def test_command_line_builds_the_report(run_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["airpicture", "report", str(run_copy)])
    cli.main()
    assert (run_copy / "report.html").is_file()
    assert "report.html" in capsys.readouterr().out


def test_a_failure_while_rendering_leaves_no_partial_files(run_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import airpicture.report.png as png

    def broken(run):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(png, "render_pngs", broken)
    before = set(p.name for p in run_copy.iterdir())
    with pytest.raises(RuntimeError):
        build_report(run_copy, png=True)
    _assert_untouched(run_copy, before)


def test_rebuilding_replaces_report_and_figures_without_leftovers(run_copy: Path) -> None:
    build_report(run_copy, png=True)
    (run_copy / "figures" / "stale.png").write_bytes(b"old")
    build_report(run_copy, png=True)
    names = sorted(p.name for p in (run_copy / "figures").iterdir())
    assert names == ["engagements.png", "map.png", "scan.png", "timeseries.png"]
    assert not [p for p in run_copy.iterdir() if p.name.startswith(".")]
    for name in names:
        assert (run_copy / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------ real runs: a table the run wrote is gone
@pytest.fixture(scope="module")
def teaching(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_teaching_run(tmp_path_factory.mktemp("report_load") / "teaching")


def _report_exits_2(folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    """Run 'airpicture report FOLDER --png'; assert exit code 2 and nothing written; return the message."""
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    monkeypatch.setattr(sys, "argv", ["airpicture", "report", str(folder), "--png"])
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    assert not (folder / "figures").exists()
    return " ".join(err.split())  # rich wraps long lines


def test_a_real_run_has_every_table_its_summary_promises(teaching: Path) -> None:
    summary = json.loads((teaching / "summary.json").read_text())
    assert {"sensing", "tracking", "engagement"} <= set(summary)
    expected = expected_tables(summary)
    assert set(expected) == {"truth", "targets", *(n for names in STAGE_TABLES.values() for n in names)}
    assert {p.stem for p in teaching.glob("*.parquet")} == set(expected), "the engine writes what the report expects"
    run = load_run(teaching)
    assert {"events", "timeline", "detections", "metrics"} <= set(run.tables)


@pytest.mark.parametrize("deleted, stage", [
    (("events", "timeline"), "engagement"),
    (("events",), "engagement"),
    (("timeline",), "engagement"),
    (("detections", "detection_labels"), "sensing"),
    (("tracks", "picture", "metrics"), "tracking"),
    (("target_metrics",), "tracking"),
])
def test_a_missing_stage_table_is_refused(teaching: Path, tmp_path: Path, deleted: tuple[str, ...], stage: str,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    d = Path(shutil.copytree(teaching, tmp_path / "run"))
    for name in deleted:
        (d / f"{name}.parquet").unlink()
    message = _report_exits_2(d, monkeypatch, capsys)
    assert f"{d}: incomplete results folder: missing " in message
    assert set(re.findall(r"(\w+)\.parquet", message)) == set(deleted), "names exactly the missing files"
    assert f"the {stage} stage" in message and "summary.json records that this stage ran" in message
    assert "Re-run the scenario" in message


def test_every_missing_file_is_named_at_once(teaching: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    d = Path(shutil.copytree(teaching, tmp_path / "run"))
    for name in ("truth", "detection_labels", "events", "timeline"):
        (d / f"{name}.parquet").unlink()
    message = _report_exits_2(d, monkeypatch, capsys)
    assert ("missing truth.parquet (every run writes it); detection_labels.parquet (the sensing stage writes it, "
            "and summary.json records that this stage ran); events.parquet and timeline.parquet (the engagement "
            "stage writes them") in message


def test_a_run_without_batteries_may_lack_engagement_tables(tmp_path: Path) -> None:
    d = write_teaching_run(tmp_path / "no-battery", batteries=[])
    assert "engagement" not in json.loads((d / "summary.json").read_text())
    assert not (d / "events.parquet").exists() and not (d / "timeline.parquet").exists()
    build_report(d)
    page = (d / "report.html").read_text(encoding="utf-8")
    assert "Not available: no events.parquet" in page


def test_a_run_without_radars_has_only_the_truth_tables(tmp_path: Path) -> None:
    d = write_teaching_run(tmp_path / "no-radar", sensors=[], batteries=[])
    assert {p.stem for p in d.glob("*.parquet")} == {"truth", "targets"}
    build_report(d)
    assert "Not available: no detections.parquet" in (d / "report.html").read_text(encoding="utf-8")
