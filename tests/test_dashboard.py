"""The dashboard in a real browser (Debian's Chromium, driven by Playwright).

The test opens the app, switches a lever on, runs Greater Manchester for 2 seeds and 2 years,
sees the results table change, exports a CSV and the PDF, and checks the basics of
accessibility: every control has a label, and the keyboard reaches the Run button. Screenshots go
under results/dashboard/ for the record. ``.ci/run`` installs Chromium; without it the tests are
skipped, unless RCCSIM_REQUIRE_BROWSER is set (as CI sets it), when they fail.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "results" / "dashboard"

if not Path(CHROMIUM).exists() and not os.environ.get("RCCSIM_REQUIRE_BROWSER"):
    pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    from rccsim.dashboard.app import create_app
    from rccsim.dashboard.jobs import JobQueue

    app = create_app(JobQueue(2), url=None)
    port = _free_port()
    threading.Thread(target=lambda: app.run(host="127.0.0.1", port=port, debug=False), daemon=True).start()
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def test_every_control_is_labelled_and_the_keyboard_reaches_run(server, browser):
    page = browser.new_page()
    page.goto(server)
    page.wait_for_selector("#run")
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
        .filter(el => el.type !== 'hidden' && el.offsetParent !== null && el.getAttribute('aria-hidden') !== 'true')
        .filter(el => !((el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
                        || (el.tagName === 'BUTTON' && el.textContent.trim())
                        // the upload's file input sits inside the control its button names
                        || (el.type === 'file' && el.closest('.upload') && el.closest('.upload').textContent.trim())))
        .map(el => el.outerHTML.slice(0, 120))""")
    assert unlabelled == []
    reached = False
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "run":
            reached = True
            break
    assert reached, "the Run button cannot be reached with the keyboard"
    page.close()


def test_a_gm_comparison_runs_shows_and_exports(server, browser):
    from pypdf import PdfReader

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    asked = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(server)
    page.wait_for_selector("#run")
    assert page.locator("#headline").inner_text().strip() == ""  # nothing before a run
    page.fill("#years", "2")
    page.fill("#seeds", "2")
    page.get_by_label("Capital-funded homes").check()
    page.screenshot(path=str(SHOTS / "1-choose.png"), full_page=True)
    page.click("#run")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('Done')", timeout=240_000)
    # the tables are drawn by the callback that follows the one saying Done
    page.wait_for_function("document.querySelector('#headline').textContent.includes('Today')", timeout=30_000)
    table = page.locator("#headline").inner_text()
    assert "capital-funded home" in table and "Today's arrangements" in table
    assert "Cost per child-week" in table and "points [" in table  # differences with intervals, shares in points
    page.screenshot(path=str(SHOTS / "2-results.png"), full_page=True)
    for tab, shot in (("Over time", "3-series.png"), ("Map", "4-map.png"), ("By LA", "5-by-la.png")):
        page.locator(".tab", has_text=tab).first.click()
        page.wait_for_timeout(800)
        page.screenshot(path=str(SHOTS / shot), full_page=True)
    assert "Manchester" in page.locator("#by-la").inner_text()  # the by-LA table has GM's LAs
    page.locator(".tab", has_text="Map").first.click()
    page.wait_for_function("document.querySelectorAll('#map-graph .scatterlayer .point').length >= 10", timeout=20_000)
    # a reload keeps the study (the browser tab's session), as a user expects
    page.reload()
    page.wait_for_function("document.querySelector('#headline') && "
                           "document.querySelector('#headline').textContent.includes('Today')", timeout=30_000)
    with page.expect_download() as got:
        page.click("#export-csv")
    csv = Path(got.value.path()).read_text()
    assert csv.startswith("option,measure,unit,level,difference from baseline [95% interval]")
    assert "capital-funded home" in csv and " points [" in csv
    import csv as csvlib

    for row in csvlib.DictReader(io.StringIO(csv)):  # a count of children is <5, 0, or 5 and over: never 1-4
        if row["measure"] == "Children in emergency settings (end)":
            assert row["level"] in ("<5", "0") or float(row["level"].replace(",", "")) >= 5
    with page.expect_download() as got:
        page.click("#export-pdf")
    pdf = Path(got.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert [u for u in asked if not u.startswith((server, "data:", "blob:"))] == []  # nothing from the web
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Headline results" in text and "Provenance" in text and "Findings" in text
    page.close()


def test_bad_choices_are_refused_in_one_line(server, browser):
    page = browser.new_page()
    page.goto(server)
    page.wait_for_selector("#run")
    page.fill("#seeds", "1")
    page.get_by_label("Pooled budget").check()
    page.click("#run")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('Not run')", timeout=20_000)
    assert "seeds must be a whole number from 2" in page.locator("#status").inner_text()
    page.close()
