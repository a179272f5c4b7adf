"""Router for the returnops dashboards: `streamlit run dashboards/app.py`."""

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts only this file's folder on sys.path. The editable install makes `dashboards`
# importable anyway; this keeps a plain checkout without the install working too.
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPO_ROOT not in sys.path:
    sys.path.append(_REPO_ROOT)

import duckdb  # noqa: E402

from dashboards import filters, queries  # noqa: E402
from dashboards.serving import page_connection, snapshot_version  # noqa: E402

st.set_page_config(layout="wide", page_title="returnops")


def sidebar_filters() -> None:
    """The global filters live in the router so that they stay put (and stay in the URL) from
    page to page; each page reads them with `filters.current()`."""
    version = snapshot_version()
    if version is None:
        return
    try:
        options = queries.common.filter_options(version)
    except duckdb.Error:  # unreadable snapshot: the page says so; the filters just offer nothing
        options = filters.FilterOptions()
    filters.sidebar(options)


# Page paths resolve against this file's folder, so the app runs from any working directory.
# The Overview is the default (served at "/"): leaders land on the headline KPIs and drill in.
pages = {
    "Returns": [
        st.Page(
            "app_pages/overview.py",
            title="Overview",
            icon=":material/dashboard:",
            default=True,
        ),
        st.Page("app_pages/lifecycle.py", title="Returns lifecycle", icon=":material/timeline:"),
        st.Page("app_pages/inspection.py", title="Inspection backlog", icon=":material/search:"),
        st.Page("app_pages/refunds.py", title="Refunds", icon=":material/payments:"),
    ],
    "Inventory": [
        st.Page("app_pages/inventory.py", title="Inventory sync", icon=":material/sync:"),
    ],
    "Recovery": [
        st.Page("app_pages/recovery.py", title="Recovery", icon=":material/recycling:"),
    ],
    "Operations": [
        st.Page("app_pages/exceptions.py", title="Exceptions", icon=":material/warning:"),
        st.Page("app_pages/writeback.py", title="Write-back", icon=":material/publish:"),
    ],
}
page = st.navigation(pages)
with page_connection():  # the run's queries share one short read-only connection
    sidebar_filters()
    page.run()
