"""Running the dashboard app through Streamlit's AppTest, for any test that points
RETURNOPS_HOME at a snapshot: the hand-made fixture (tests/dashboards) or a pipeline's home
(tests/e2e/test_dashboard_truth.py). A plain module, so tests elsewhere need not import a
conftest."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP_PATH = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"

PAGES = {
    "overview": "app_pages/overview.py",  # the default page, served at "/"
    "lifecycle": "app_pages/lifecycle.py",
    "inspection": "app_pages/inspection.py",
    "refunds": "app_pages/refunds.py",
    "inventory": "app_pages/inventory.py",
    "recovery": "app_pages/recovery.py",
    "exceptions": "app_pages/exceptions.py",
    "writeback": "app_pages/writeback.py",
}
DEFAULT_PAGE = "overview"


def run_page(page: str, query_params: Mapping[str, str | list[str]] | None = None) -> AppTest:
    """Run the app on `page` (a key of PAGES) with the URL's query parameters."""
    at = AppTest.from_file(str(APP_PATH), default_timeout=60)
    at.query_params.update(query_params or {})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    if page != DEFAULT_PAGE:
        at.switch_page(PAGES[page]).run()
        assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    """The `st.metric` tiles on screen: label -> value as shown."""
    return {metric.label: metric.value for metric in at.metric}
