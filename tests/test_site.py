"""The course website, opened in a real headless browser (Debian's chromium driven by Playwright).

Runs after the notebooks (``make test`` calls it last): the site is built from the notebooks that
the nbval run executed (build/test-executed/), served on 127.0.0.1, and every page must load with
no console error and no request leaving the machine, with its equations typeset by the local
MathJax and its figures present. Screenshots land in build/site-screenshots/.
"""

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "build" / "test-executed"
SITE = ROOT / "build" / "test-site"
SHOTS = ROOT / "build" / "site-screenshots"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SLIDES = ROOT / "build" / "slides"
pytestmark = pytest.mark.xdist_group("site")  # one worker builds and serves the site


def _chromium() -> str | None:
    for candidate in (os.environ.get("COURSE_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _missing(what: str) -> None:
    message = f"{what}; install it with `apt-get install chromium` (Debian) or set COURSE_CHROMIUM to a Chromium binary"
    if os.environ.get("CI"):
        pytest.fail(f"{message}. CI must run the browser test (.ci/run installs chromium).")
    pytest.skip(message)


@pytest.fixture(scope="module")
def site():
    missing = [p.name for p in NOTEBOOKS if not (EXECUTED / p.name).is_file()]
    if missing:
        pytest.fail(f"no executed copy of {missing} in {EXECUTED}: run the notebooks first (`make test` does, before this test)")
    shutil.rmtree(SITE, ignore_errors=True)
    subprocess.run(
        [sys.executable, "scripts/build_course.py", "--executed", str(EXECUTED), "--out", str(SITE)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        _missing("no Chromium browser found")
    from playwright.sync_api import sync_playwright

    flags = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=flags)
        yield browser
        browser.close()


def _open(browser, url: str):
    """Open ``url``; return the page and the problems seen: console errors, page errors, failed or remote requests."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    local = ("http://127.0.0.1", "data:", "about:", "file://")
    page.on("request", lambda r: None if r.url.startswith(local) else problems.append(f"remote request: {r.url}"))
    page.goto(url, wait_until="load")
    return page, problems


def test_index_lists_every_notebook_in_order_and_the_ledger(site, browser):
    page, problems = _open(browser, f"{site}/index.html")
    links = page.eval_on_selector_all("table a", "els => els.map(e => e.getAttribute('href'))")
    assert links == [f"{p.stem}.html" for p in NOTEBOOKS]
    assert "Learning objectives" in page.content() and "quick mode" in page.inner_text("table")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "index.png"), full_page=True)
    assert not problems, problems
    ledger = json.loads((SITE / "claims.json").read_text())
    assert {r["notebook"] for r in ledger} == {p.stem for p in NOTEBOOKS}, "every notebook's claims are in the ledger"
    assert all(r["held"] and r["mode"] == "quick" and r["section"] for r in ledger)
    page, problems = _open(browser, f"{site}/claims.html")
    assert page.locator("td.held").count() == len(ledger) and not problems, problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_page_loads_offline_with_equations_and_figures(site, browser, path):
    page, problems = _open(browser, f"{site}/{path.stem}.html")
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=60_000)
    page.evaluate("() => MathJax.startup.promise")  # resolves once the first typesetting pass is done
    typeset = page.locator("mjx-container").count()
    raw_tex = page.locator("text=/\\$\\$/").count()
    assert typeset > 0, f"{path.name}: no equation was typeset"
    assert raw_tex == 0, f"{path.name}: {raw_tex} elements still show raw $$ delimiters"
    figures = page.locator("img[src^='data:image/png']").count()
    assert figures > 0, f"{path.name}: no figure on the page"
    assert "executed" in page.inner_text("nav.course-nav") and "torch" in page.inner_text("nav.course-nav")
    if path == NOTEBOOKS[0]:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{path.stem}.png"))
    assert not problems, f"{path.name}: {problems}"


def test_built_pages_reference_no_remote_script_or_style(site):
    remote = re.compile(r"<(?:script|link)[^>]+(?:src|href)=[\"']https?://", re.I)
    offenders = [p.name for p in SITE.glob("*.html") if remote.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"pages that load scripts or styles from the internet: {offenders}"


@pytest.mark.xdist_group("slides")  # on the other worker, beside the site's build
def test_slides_build_and_open_offline(browser):
    subprocess.run([sys.executable, "scripts/build_slides.py"], cwd=ROOT, check=True, capture_output=True)
    remote = re.compile(r"<(?:script|link)[^>]+(?:src|href)=[\"']https?://", re.I)
    decks = sorted(SLIDES.glob("*.slides.html"))
    assert [d.name.split(".")[0] for d in decks] == [p.stem for p in NOTEBOOKS]
    assert not [d.name for d in decks if remote.search(d.read_text(encoding="utf-8"))], "a deck loads scripts or styles from the internet"
    page, problems = _open(browser, (SLIDES / f"{NOTEBOOKS[0].stem}.slides.html").as_uri())
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
    assert page.evaluate("() => Reveal.getTotalSlides()") >= 5, "the deck should have a slide per section"
    page.keyboard.press("ArrowRight")
    assert not problems, problems
