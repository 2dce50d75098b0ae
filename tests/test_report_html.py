"""The HTML page and PNG figures: self-contained, deterministic, each section present when its data is and
saying "not available" when not."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from airpicture.report import build_report
from tests.test_report_support import write_full_run, write_truth_run

DIV_IDS = ("bottlenecks", "map", "picture", "timeseries", "timeline", "scan")


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = write_full_run(tmp_path_factory.mktemp("report_html") / "full")
    build_report(d, png=True)
    return d


@pytest.fixture(scope="module")
def truth_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = write_truth_run(tmp_path_factory.mktemp("report_html") / "truth")
    build_report(d)
    return d


def _div_ids(page: str) -> set[str]:
    return set(re.findall(r'<div id="([A-Za-z0-9_-]+)" class="plotly-graph-div"', page))


def test_page_is_self_contained(full: Path) -> None:
    page = (full / "report.html").read_text(encoding="utf-8")
    assert "<script src" not in page.lower()
    assert not re.search(r'<link[^>]+href="https?:', page, re.IGNORECASE)
    assert "cdn.plot.ly" not in page.split("</script>", 1)[1]  # not referenced outside the embedded library
    assert page.count("<script") >= 1 + len(DIV_IDS)
    assert str(full) not in page, "the page must not depend on where the folder is"


def test_every_section_is_there_with_all_data(full: Path) -> None:
    page = (full / "report.html").read_text(encoding="utf-8")
    assert _div_ids(page) == set(DIV_IDS)
    assert "Not available" not in page
    for heading in ("Verdict", "Every threat", "Key figures", "Map of the run", "The air picture over time",
                    "Capacity and picture quality",
                    "Engagement timeline", "One radar rotation"):
        assert heading in page


def test_sections_without_data_say_so(truth_only: Path) -> None:
    page = (truth_only / "report.html").read_text(encoding="utf-8")
    assert _div_ids(page) == {"map", "picture", "timeseries"}
    assert "Not available: no events.parquet" in page
    assert "Not available: no detections.parquet" in page
    assert "not available (no events.parquet in this run)" in page
    assert "no timeline.parquet" in page and "no metrics.parquet" in page


def test_same_folder_gives_the_same_bytes(full: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(full, tmp_path / "elsewhere"))
    build_report(copy, png=True)
    assert (copy / "report.html").read_bytes() == (full / "report.html").read_bytes()
    for name in ("map.png", "timeseries.png", "engagements.png", "scan.png"):
        assert (copy / "figures" / name).read_bytes() == (full / "figures" / name).read_bytes(), name


def test_png_figures_are_images(full: Path) -> None:
    from PIL import Image

    for name in ("map.png", "timeseries.png", "engagements.png", "scan.png"):
        with Image.open(full / "figures" / name) as im:
            assert im.size[0] > 600 and im.size[1] > 300
            # not a blank canvas: a drawn figure has many distinct colours
            assert len(im.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50


def test_truth_only_png_skips_what_it_cannot_draw(truth_only: Path, tmp_path: Path) -> None:
    d = Path(shutil.copytree(truth_only, tmp_path / "t"))
    build_report(d, png=True)
    assert sorted(p.name for p in (d / "figures").iterdir()) == ["map.png", "timeseries.png"]


def test_tables_with_no_rows_are_drawn_empty(full: Path, tmp_path: Path) -> None:
    """A stage that ran but produced nothing (no detections, no engagement) must not break the report."""
    import pyarrow.parquet as pq

    d = Path(shutil.copytree(full, tmp_path / "empty"))
    for name in ("detections", "detection_labels", "tracks", "picture", "events", "timeline", "metrics",
                 "decisions"):
        table = pq.read_table(d / f"{name}.parquet")
        pq.write_table(table.slice(0, 0), d / f"{name}.parquet")
    build_report(d, png=True)
    page = (d / "report.html").read_text(encoding="utf-8")
    assert "Not available: no target was engaged in this run" in page
    assert "Not available: no radar of the scenario made any detection" in page
    assert {"map", "picture", "timeseries"} <= _div_ids(page)
    assert "<b>0 of " in page  # threats engaged


def test_png_legends_do_not_cover_the_data(full: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engagement timeline's and the map's legends sit outside their axes (they used to hide rows and paths)."""
    import airpicture.report.png as png
    from airpicture.report.load import load_run

    figures = []
    real_png = png._png

    def keep(fig):
        data = real_png(fig)  # draws the figure, so the extents below are final
        figures.append(fig)
        return data

    monkeypatch.setattr(png, "_png", keep)
    names = list(png.render_pngs(load_run(full)))
    by_name = dict(zip(names, figures, strict=True))
    for name in ("engagements.png", "map.png"):
        fig = by_name[name]
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        legends = [*fig.legends, *([ax.get_legend()] if ax.get_legend() else [])]
        assert len(legends) == 1, name
        box = legends[0].get_window_extent(renderer)
        assert not box.overlaps(ax.get_window_extent(renderer)), f"{name}: the legend covers the axes"
        assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1 - 1, box.y1 - 1), name


def _report_figures_tool():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "tools" / "report_figures.py"
    spec = importlib.util.spec_from_file_location("report_figures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("which", ["full", "truth_only"])
def test_figures_are_what_plotly_writes(which: str, request: pytest.FixtureRequest) -> None:
    """plotly.py as the independent check of the figures the page embeds (built without it): each figure read back
    from the page is accepted by plotly's validating ``go.Figure``, and ``plotly.io.to_html`` of the validated
    figure draws the same figure (same JSON once parsed: traces, layout, frames, config) in the same HTML."""
    import plotly.graph_objects as go
    import plotly.io as pio

    from airpicture.report.html import PLOTLY_CONFIG

    tool = _report_figures_tool()
    page = (request.getfixturevalue(which) / "report.html").read_text(encoding="utf-8")
    figures = tool.page_figures(page)
    assert set(figures) == set(_div_ids(page))
    for div_id, ours in figures.items():
        fig = {k: v for k, v in ours.items() if k != "config"}
        validated = go.Figure(fig)  # raises on any property plotly.js does not know or a value it refuses
        config = {**PLOTLY_CONFIG, **({"displayModeBar": False} if div_id == "bottlenecks" else {})}
        theirs_html = pio.to_html(validated, config=config, include_plotlyjs=False, full_html=False, div_id=div_id,
                                  validate=False, auto_play=False, default_width="100%")
        theirs = tool.page_figures(theirs_html)[div_id]
        if "frames" in fig:  # the frames' traces are partial (x, y, hover data only): plotly names their type
            for frame in theirs["frames"]:
                for trace in frame["data"]:
                    assert trace.pop("type") == "scatter"
        assert tool.differences(theirs, ours, div_id) == []
        # and the same markup around the JSON
        start = page.index(f'<div id="{div_id}" class="plotly-graph-div"')
        head = page.rfind("<div style=", 0, start)
        assert page[head:page.index("Plotly.newPlot(", start)] == theirs_html[:theirs_html.index("Plotly.newPlot(")]
        assert page.index("</script>        </div>", start) > start


def test_page_embeds_the_installed_plotly_js(full: Path) -> None:
    from plotly.offline import get_plotlyjs

    page = (full / "report.html").read_text(encoding="utf-8")
    assert f'<script type="text/javascript">{get_plotlyjs()}</script>' in page
