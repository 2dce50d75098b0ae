"""The report in a real browser: headless Chromium (Debian's ``chromium`` + ``chromium-driver``, installed by
``.ci/run``) opens report.html with every network name unresolvable, and we check that there are no JavaScript
errors, that the map, time series and engagement timeline are drawn with the run's content, and that the time
slider moves the picture. Two reports: a real run of the built-in ``teaching`` scenario (engine end to end) and
a larger folder with synthetic later stages. A full-page screenshot of each is saved in the test's temporary
folder and copied to /tmp for a person to look at (the real run's as /tmp/report_screenshot.png).

Skipped only when no Chromium is installed.
"""

from __future__ import annotations

import base64
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airpicture.engine import run_scenario, write_run
from airpicture.report import build_report
from airpicture.scenario import builtin_path, load_scenario
from tests.test_report_support import write_full_run, write_truth_run

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian package 'chromium')")

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000", "--host-resolver-rules=MAP * ~NOTFOUND")
COLLECT_ERRORS = """
window.__reportErrors = [];
window.addEventListener('error', e => window.__reportErrors.push('error: ' + e.message));
window.addEventListener('unhandledrejection', e => window.__reportErrors.push('rejection: ' + String(e.reason)));
const __consoleError = console.error;
console.error = function (...a) { window.__reportErrors.push('console.error: ' + a.join(' ')); __consoleError(...a); };
"""
PLOTS = ("bottlenecks", "map", "picture", "timeseries", "timeline", "scan")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("Chromium is installed but selenium is not: pip install -e '.[test]'")
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not Path(driver_path).exists():
        pytest.fail("Chromium is installed but chromedriver is not: apt-get install chromium-driver (see .ci/run)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COLLECT_ERRORS})
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver, page: Path, plots: tuple[str, ...]) -> None:
    driver.get(page.resolve().as_uri())
    deadline = time.monotonic() + 60
    script = ("return arguments[0].every(id => { const g = document.getElementById(id); "
              "return g && g.querySelector('.main-svg') && g._fullLayout; })")
    while not driver.execute_script(script, list(plots)):
        assert time.monotonic() < deadline, "the plots were not drawn within 60 s"
        time.sleep(0.2)


def _errors(driver) -> list[str]:
    errors = list(driver.execute_script("return window.__reportErrors || []"))
    errors += [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    return errors


def _screenshot(driver, path: Path) -> None:
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = write_full_run(tmp_path_factory.mktemp("report_browser") / "synthetic")
    build_report(d)
    return d


@pytest.fixture(scope="module")
def teaching(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run of the built-in teaching scenario; write_run builds its report."""
    return write_run(run_scenario(load_scenario(builtin_path("teaching"))),
                     tmp_path_factory.mktemp("report_browser") / "teaching")


SCREENSHOTS = {"teaching": "/tmp/report_screenshot.png", "synthetic": "/tmp/report_screenshot_synthetic.png"}


@pytest.mark.parametrize("which", ["teaching", "synthetic"])
def test_full_report_renders_without_errors(browser, which: str, request: pytest.FixtureRequest,
                                            tmp_path: Path) -> None:
    full: Path = request.getfixturevalue(which)
    _open(browser, full / "report.html", PLOTS)
    assert _errors(browser) == []

    # the map: one legend entry per truth class present in targets.parquet, with points drawn
    targets = pd.read_parquet(full / "targets.parquet")
    classes = targets.groupby(["kind", "hostile"]).size()
    names = browser.execute_script("return document.getElementById('map')._fullData.filter(t => t.showlegend)"
                                   ".map(t => t.name)")
    truth_names = [n for n in names if n.endswith("(threat)") or n.endswith("(civil)")]
    assert len(truth_names) == len(classes)
    # one path per target, named as everywhere else (its callsign)
    hover = browser.execute_script("return document.getElementById('map')._fullData.filter(t => "
                                   "typeof t.meta === 'number').map(t => [t.meta, t.hovertemplate])")
    assert len(hover) == len(targets)
    for tid, template in hover:
        assert f"<b>{targets.callsign[tid]}</b>" in template
    drawn = browser.execute_script("return document.querySelectorAll('#map .scatterlayer .trace path').length")
    assert drawn > 20

    # the time series: six panels with lines in them
    panels = browser.execute_script("return document.querySelectorAll('#timeseries .cartesianlayer .subplot').length")
    assert panels == 6
    lines = browser.execute_script("return document.querySelectorAll('#timeseries .scatterlayer .js-line').length")
    assert lines >= 8

    # the timeline: one row per engaged target and per threat never engaged, and a row of reloads per battery
    events = pd.read_parquet(full / "events.parquet")
    decisions = pd.read_parquet(full / "decisions.parquet")
    engaged = set(events.target_id[events.event.isin(["engage", "launch"])])
    threats = set(targets.target_id[targets.hostile])
    reload_rows = decisions.battery[decisions.event == "reload"].nunique()
    ticks = browser.execute_script("return document.querySelectorAll('#timeline .yaxislayer-above .ytick').length")
    assert ticks == len(engaged | threats) + reload_rows and engaged
    # ... with a marker for each engaged threat still flying at the end
    survived = events.target_id[events.event == "survived"].isin(events.target_id[events.event == "engage"]).sum()
    marks = browser.execute_script("const t = document.getElementById('timeline')._fullData.find(t => "
                                   "t.name.startsWith('Survived')); return t ? t.x.length : -1")
    assert marks == survived

    # the key figures: every threat's outcome adds up
    text = browser.execute_script("return document.getElementById('sec-summary').innerText")
    threats = int(targets.hostile.sum())
    outcomes = [events.target_id[events.event == k].nunique() for k in ("kill", "leak", "survived")]
    assert f"{outcomes[0]} + {outcomes[1]} + {outcomes[2]} = {threats}" in text

    # the slider: animating to a frame shows exactly the targets alive then
    truth = pd.read_parquet(full / "truth.parquet")
    kills = events[events.event == "kill"].groupby("target_id").time_s.min()
    truth = truth[truth.time_s.to_numpy() <= truth.target_id.map(kills).fillna(np.inf).to_numpy()]
    frame_names = browser.execute_script("return document.getElementById('picture')._transitionData._frames"
                                         ".map(f => f.name)")
    target = frame_names[len(frame_names) // 3]
    browser.execute_script("Plotly.animate('picture', [arguments[0]], {mode: 'immediate', "
                           "frame: {duration: 0, redraw: false}, transition: {duration: 0}})", target)
    time.sleep(0.5)
    shown = browser.execute_script(
        "const g = document.getElementById('picture'); let n = 0; g._fullData.forEach(t => { "
        "if (t.legendgroup === 'truth' && t.mode === 'markers') n += t.x.length; }); return n;")
    assert shown == int((truth.time_s == float(target)).sum()) > 0
    assert _errors(browser) == []

    shot = tmp_path / "report.png"
    _screenshot(browser, shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    try:
        shutil.copyfile(shot, SCREENSHOTS[which])
    except OSError:
        pass


def test_truth_only_report_renders_without_errors(browser, tmp_path: Path) -> None:
    d = write_truth_run(tmp_path / "truth")
    build_report(d)
    _open(browser, d / "report.html", ("map", "picture", "timeseries"))
    assert _errors(browser) == []
    text = browser.execute_script("return document.body.innerText")
    assert "Not available: no events.parquet" in text
    assert "Not available: no detections.parquet" in text


# ------------------------------------------------------------------------------------------------ layout and table
def _at_width(driver, width: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})


@pytest.fixture(scope="module")
def saturated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The teaching scenario with one fire channel and a 20 s patience: waits, abandons and leakers."""
    from tests.test_report_support import teaching_batteries, write_teaching_run

    return write_teaching_run(tmp_path_factory.mktemp("report_browser") / "saturated",
                              batteries=teaching_batteries(fire_channels=1, max_wait_s=20.0))


@pytest.mark.parametrize("width", [430, 1600])
def test_layout_verdict_and_threat_table(browser, saturated: Path, width: int, tmp_path: Path) -> None:
    """At a phone's and a desktop's width: no sideways scrolling, the verdict on the first screen, headings clear
    of the sticky navigation, the table sorts, and choosing a row highlights its threat on the map and the
    timeline."""
    from selenium.webdriver.common.by import By

    _at_width(browser, width)
    try:
        _open(browser, saturated / "report.html", PLOTS)
        time.sleep(1.0)  # the page's own relayout after load
        assert _errors(browser) == []
        inner, scroll = browser.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]")
        assert inner == width and scroll <= inner, f"{scroll} px of content in a {inner} px window"
        narrow_plots = browser.execute_script(
            "return Array.from(document.querySelectorAll('.js-plotly-plot')).map(g => "
            "[g.id, g._fullLayout._size.w])")
        for plot_id, plot_width in narrow_plots:  # every plot keeps a readable plotting area
            assert plot_width >= min(300, 0.6 * width), (plot_id, plot_width)

        lead = browser.find_element(By.CSS_SELECTOR, "#sec-verdict p.lead")
        top, bottom = browser.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom]", lead)
        assert 0 <= top and bottom <= 900, "the verdict must be visible without scrolling"
        assert lead.text.startswith("Saturated at")

        # a heading reached from the navigation stops below the sticky bar
        browser.execute_script("document.querySelector('nav a[href=\"#sec-map\"]').click()")
        time.sleep(0.5)
        nav_bottom, h2_top = browser.execute_script(
            "return [document.querySelector('nav').getBoundingClientRect().bottom, "
            "document.querySelector('#sec-map h2').getBoundingClientRect().top]")
        assert h2_top >= nav_bottom - 1

        # sorting by the end time, then choosing the first leaker
        browser.execute_script("Array.from(document.querySelectorAll('#threat-table th'))"
                               ".find(th => th.textContent.startsWith('Ended')).click()")
        ends = browser.execute_script("return Array.from(document.querySelectorAll('#threat-table tbody tr'))"
                                      ".map(tr => parseFloat(tr.cells[12].dataset.v))")
        assert ends == sorted(ends) and len(ends) == int(pd.read_parquet(saturated / "targets.parquet").hostile.sum())
        row = browser.find_element(By.CSS_SELECTOR, "#threat-table tbody tr[data-out='leaked']")
        tid = int(row.get_attribute("data-tid"))
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
        row.click()
        time.sleep(0.5)
        assert "sel" in row.get_attribute("class")
        selected, own = browser.execute_script(
            "const g = document.getElementById('map'); const f = g._fullData;"
            "const s = f.find(t => t.meta === 'selected'); const o = f.find(t => t.meta === arguments[0]);"
            "return [Array.from(s.x), Array.from(o.x)]", tid)
        assert len(selected) == len(own) > 0 and selected == own
        shapes = browser.execute_script("return document.getElementById('timeline').layout.shapes")
        rows_of = browser.execute_script("return JSON.parse(document.getElementById('ap-data').textContent)"
                                         ".timeline_row")
        assert len(shapes) == 1 and shapes[0]["y0"] == rows_of[str(tid)] - 0.5
        assert _errors(browser) == []
        _screenshot(browser, tmp_path / f"report_{width}.png")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("width", [430, 1600])
def test_comparison_page_fits(browser, saturated: Path, tmp_path: Path, width: int) -> None:
    from airpicture.report.compare import compare_command
    from tests.test_report_support import write_teaching_run

    other = write_teaching_run(tmp_path / "calm")
    page = tmp_path / "cmp.html"
    compare_command(other, saturated, page, False, False)
    _at_width(browser, width)
    try:
        _open(browser, page, ("compare-series",))
        time.sleep(0.5)
        assert _errors(browser) == []
        inner, scroll = browser.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
        assert scroll <= inner
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
