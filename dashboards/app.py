"""Router for the returnops dashboards: `streamlit run dashboards/app.py`."""

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts only this file's folder on sys.path. The editable install makes `dashboards`
# importable anyway; this keeps a plain checkout without the install working too.
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPO_ROOT not in sys.path:
    sys.path.append(_REPO_ROOT)

st.set_page_config(layout="wide", page_title="returnops")

# Page paths resolve against this file's folder, so the app runs from any working directory.
pages = [
    st.Page("app_pages/lifecycle.py", title="Returns lifecycle", default=True),
]
st.navigation(pages).run()
