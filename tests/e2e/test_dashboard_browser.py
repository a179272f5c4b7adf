"""The dashboards for real: `streamlit run` on loopback, every page in headless Chromium.

One test serves the hand-made mart fixture (tests/dashboards/marts_fixture.py) and opens every
page: no exception or error element, a Plotly chart drawn, the URL keeping the filters from page
to page, a screenshot of each page under the test's tmp dir. The other holds the dashboards open
on a pipeline's home while `returnops run` runs and publishes in another process, loading page
after page, and finds no failed page load.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.dashboards.marts_fixture import build_marts, write_snapshot
from tests.e2e.conftest import REPO_ROOT, RETURNOPS, free_port, returnops_env

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Page, sync_playwright  # noqa: E402

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
APP = REPO_ROOT / "dashboards" / "app.py"
# url path of each page (the overview is the default, served at "/")
PAGES = {
    "overview": "",
    "lifecycle": "lifecycle",
    "inspection": "inspection",
    "refunds": "refunds",
    "inventory": "inventory",
    "recovery": "recovery",
    "exceptions": "exceptions",
    "writeback": "writeback",
}
FAILURES = '[data-testid="stException"], [data-testid="stAlertContentError"]'
CHARTS = '[data-testid="stPlotlyChart"] .js-plotly-plot'
# The page has settled: no running indicator, no placeholder or stale element from an earlier run,
# and the number of elements unchanged for a second (a fast run may never show the indicator).
SETTLED = """() => {
    const busy = document.querySelector(
        '[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-stale="true"]');
    const count = document.querySelectorAll('[data-testid="stElementContainer"]').length;
    const now = Date.now();
    if (busy || window.__elements !== count) {
        window.__elements = count;
        window.__since = now;
        return false;
    }
    return now - window.__since > 1000;
}"""


@contextmanager
def streamlit_server(home: Path, log_path: Path) -> Iterator[str]:
    """`streamlit run dashboards/app.py` on a free loopback port; always stopped."""
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless", "true", "--server.address", "127.0.0.1",
        "--server.port", str(port), "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command, cwd=REPO_ROOT, env=returnops_env(home), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"streamlit exited:\n{log_path.read_text()}"
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"streamlit not up:\n{log_path.read_text()}"
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@contextmanager
def chromium() -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 2400})
        finally:
            browser.close()


def settle(page: Page) -> None:
    page.wait_for_function(SETTLED, timeout=90_000, polling=200)


def open_page(page: Page, url: str) -> None:
    """Go to `url` and wait until the page's script has run to the end and everything is drawn."""
    page.goto(url)
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
    settle(page)


def failures(page: Page) -> list[str]:
    return [text[:300] for text in page.locator(FAILURES).all_inner_texts()]


def test_every_page_renders_a_chart_in_chromium(tmp_path):
    home = tmp_path / "home"
    write_snapshot(home / "serving" / "marts.duckdb", build_marts())
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with streamlit_server(home, tmp_path / "streamlit.log") as url, chromium() as page:
        for name, path in PAGES.items():
            open_page(page, f"{url}/{path}")
            page.wait_for_selector(CHARTS, timeout=30_000)

            assert failures(page) == [], name
            assert page.locator(CHARTS).count() >= 1, name
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        # a shared link opens the same view, and the filters follow the user to the next page
        open_page(page, f"{url}/recovery?channel=web&category=shoes")
        assert "channel=web" in page.url and "category=shoes" in page.url
        sidebar = page.locator('[data-testid="stSidebarUserContent"]')
        assert "web" in sidebar.inner_text() and "shoes" in sidebar.inner_text()
        page.get_by_role("link", name="Refunds").click()
        page.wait_for_url("**/refunds?*", timeout=30_000)
        settle(page)
        assert "channel=web" in page.url and "category=shoes" in page.url
        assert failures(page) == []
        page.screenshot(path=str(shots / "refunds-filtered.png"), full_page=True)

    assert sorted(p.name for p in shots.iterdir()) == sorted(
        [f"{name}.png" for name in PAGES] + ["refunds-filtered.png"]
    )


def snapshot_version_of(home: Path) -> str:
    with duckdb.connect(str(home / "serving" / "marts.duckdb"), read_only=True) as con:
        return con.execute("select version from _snapshot").fetchone()[0]


def test_pages_keep_loading_while_the_pipeline_publishes(pipeline_home, tmp_path):
    before = snapshot_version_of(pipeline_home)
    loads: list[tuple[str, float, list[str]]] = []

    with streamlit_server(pipeline_home, tmp_path / "streamlit.log") as url, chromium() as page:
        open_page(page, f"{url}/")  # warm: the first page load starts the app
        with (tmp_path / "run.log").open("w") as log:
            run = subprocess.Popen(
                [RETURNOPS, "run"], cwd=REPO_ROOT, env=returnops_env(pipeline_home),
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            names = list(PAGES)
            while run.poll() is None or len(loads) < len(names):
                name = names[len(loads) % len(names)]
                started = time.monotonic()
                try:
                    open_page(page, f"{url}/{PAGES[name]}")
                    problems = failures(page)
                except Exception as exc:  # a page that never finished loading is a failure too
                    problems = [f"{type(exc).__name__}: {exc}"[:300]]
                loads.append((name, time.monotonic() - started, problems))
            run.wait(timeout=600)
        finally:
            if run.poll() is None:
                run.kill()

        after = snapshot_version_of(pipeline_home)
        open_page(page, f"{url}/")  # the new snapshot is what the pages show now
        shown = page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
        page.screenshot(path=str(tmp_path / "after-publish.png"), full_page=True)

    failed = [(name, problems) for name, _, problems in loads if problems]
    assert failed == [], failed
    assert run.returncode == 0, (tmp_path / "run.log").read_text()
    assert after != before, "the run should have published a new snapshot"
    assert any(after in text for text in shown)
    assert len(loads) >= len(PAGES)
