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
PLOTS = ("map", "picture", "timeseries", "timeline", "scan")


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
    names = browser.execute_script("return document.getElementById('map')._fullData.map(t => t.name)")
    truth_names = [n for n in names if n.endswith("(threat)") or n.endswith("(civil)")]
    assert len(truth_names) == len(classes)
    drawn = browser.execute_script("return document.querySelectorAll('#map .scatterlayer .trace path').length")
    assert drawn > 20

    # the time series: six panels with lines in them
    panels = browser.execute_script("return document.querySelectorAll('#timeseries .cartesianlayer .subplot').length")
    assert panels == 6
    lines = browser.execute_script("return document.querySelectorAll('#timeseries .scatterlayer .js-line').length")
    assert lines >= 8

    # the timeline: one row per engaged target
    events = pd.read_parquet(full / "events.parquet")
    engaged = events.target_id[events.event.isin(["engage", "launch"])].nunique()
    ticks = browser.execute_script("return document.querySelectorAll('#timeline .yaxislayer-above .ytick').length")
    assert ticks == engaged > 0
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
