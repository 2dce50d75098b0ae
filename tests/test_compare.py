"""``airpicture compare``: two runs side by side -- what differs in their scenarios, their key figures with B - A,
the page and its refusal to replace files it did not write."""

from __future__ import annotations

from pathlib import Path

import pytest

from airpicture.report.compare import GENERATOR, compare_runs, comparison_text
from tests.conftest import run_cli
from tests.explain_support import one_threat_run


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("compare")
    return one_threat_run(base / "a"), one_threat_run(base / "b", batteries__0__fire_channels=0)


def test_figures_side_by_side(pair: tuple[Path, Path]) -> None:
    c = compare_runs(*pair)
    assert ("batteries[0].fire_channels", "6", "0") in c.scenario_changes
    figures = {label: (a, b) for _, label, a, b, _ in c.rows}
    assert figures["Threats that got through (leakers)"] == (0.0, 1.0)
    assert figures["Threats killed"] == (1.0, 0.0)
    assert figures["Fire channels busy"] == (0.0, 1.0)  # leaks by first cause
    assert figures["Time fire channels bound (threats waiting), s"][0] == 0.0
    import pyarrow.parquet as pq

    (wait,) = [r for r in pq.read_table(pair[1] / "decisions.parquet").to_pylist() if r["event"] == "wait"]
    assert figures["Time fire channels bound (threats waiting), s"][1] == pytest.approx(
        wait["until_s"] - wait["time_s"])  # from its first engageable step until it got through
    text = comparison_text(c)
    assert "batteries[0].fire_channels: 6 -> 0" in text
    line = next(ln for ln in text.splitlines() if "Threats that got through" in ln)
    assert line.split()[-3:] == ["0", "1", "+1"]


def test_the_command_writes_one_page_and_guards_files(pair: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = map(str, pair)
    page = tmp_path / "a-vs-b.html"
    first = run_cli("compare", a, b, "--out", str(page))
    assert first.returncode == 0, first.stderr
    assert "batteries[0].fire_channels: 6 -> 0" in first.stdout and f"page -> {page}" in first.stdout
    html = page.read_text(encoding="utf-8")
    assert f'<meta name="generator" content="{GENERATOR}">' in html and "<script src" not in html
    assert 'id="compare-series"' in html and "id='compare-table'" in html
    again = run_cli("compare", a, b, "--out", str(page))
    assert again.returncode == 2 and "already exists" in again.stderr
    assert run_cli("compare", a, b, "--out", str(page), "--overwrite").returncode == 0
    mine = tmp_path / "notes.html"
    mine.write_text("<html>my notes</html>")
    refused = run_cli("compare", a, b, "--out", str(mine), "--overwrite")
    assert refused.returncode == 2 and "was not written by 'airpicture compare'" in refused.stderr
    assert mine.read_text() == "<html>my notes</html>"
    same = run_cli("compare", a, a, "--out", str(tmp_path / "x.html"))
    assert same.returncode == 2 and "same folder" in same.stderr
    js = run_cli("compare", a, b, "--out", str(tmp_path / "j.html"), "--json")
    assert js.returncode == 0 and '"scenario_changes"' in js.stdout
