"""Dashboard test fixtures: a private RETURNOPS_HOME, snapshots published into it, downloads.

Snapshots hold every mart of docs/marts.md (see `marts_fixture`) and are written to a temporary
file and moved into place with os.replace, the way the pipeline's serving asset publishes them,
so the tests exercise the same file swap.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from tests.dashboards.apptest import APP_PATH, PAGES, metrics, run_page
from tests.dashboards.marts_fixture import build_marts, lines_from_cycle_times, write_snapshot

__all__ = ["APP_PATH", "PAGES", "metrics", "run_page"]  # re-exported for the page tests

# A return line as the lifecycle tests describe it: (channel, cycle_time_hours), None while open.
Line = tuple[str, float | None]
Publish = Callable[..., Path]


@pytest.fixture(autouse=True)
def _isolated_cache():
    # st.cache_data is process-wide; tests must not see each other's cached snapshots.
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture
def app_path() -> str:
    return str(APP_PATH)


@pytest.fixture
def returnops_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("RETURNOPS_HOME", str(home))
    return home


@pytest.fixture
def serving_file(returnops_home: Path) -> Path:
    return returnops_home / "serving" / "marts.duckdb"


@pytest.fixture
def publish(serving_file: Path) -> Publish:
    """Publish a snapshot whose return lines are `lines`, every other mart empty."""

    def _publish(
        lines: Iterable[Line],
        published_at: datetime = datetime(2026, 1, 5, 6, 30),
        version: str = "test-1",
    ) -> Path:
        marts = {"fct_return_lines": lines_from_cycle_times(lines)}
        return write_snapshot(serving_file, marts, published_at, version)

    return _publish


FIXTURE_VERSION = "fixture-1"
FIXTURE_PUBLISHED_AT = datetime(2026, 2, 8, 13, 0)


@pytest.fixture(scope="session")
def _built_marts() -> dict[str, pd.DataFrame]:
    return build_marts()


@pytest.fixture(scope="session")
def _fixture_snapshot(tmp_path_factory, _built_marts) -> Path:
    """The fixture's marts written once; tests publish copies of the file."""
    path = tmp_path_factory.mktemp("snapshot") / "marts.duckdb"
    return write_snapshot(path, _built_marts, FIXTURE_PUBLISHED_AT, FIXTURE_VERSION)


@pytest.fixture
def marts(_built_marts) -> dict[str, pd.DataFrame]:
    """The hand-made coherent marts (a fresh copy per test: tests may edit them)."""
    return {name: frame.copy() for name, frame in _built_marts.items()}


@pytest.fixture
def publish_marts(serving_file: Path, marts, _fixture_snapshot: Path) -> Publish:
    """Publish `tables` (default: the fixture's marts) into RETURNOPS_HOME; returns the path."""

    def _publish(
        tables: Mapping[str, pd.DataFrame] | None = None,
        omit: Iterable[str] = (),
        version: str = FIXTURE_VERSION,
        published_at: datetime = FIXTURE_PUBLISHED_AT,
    ) -> Path:
        omit = tuple(omit)
        if (
            tables is None
            and not omit
            and (version, published_at)
            == (
                FIXTURE_VERSION,
                FIXTURE_PUBLISHED_AT,
            )
        ):
            serving_file.parent.mkdir(parents=True, exist_ok=True)
            staged = serving_file.with_name(".copy.tmp")
            shutil.copyfile(_fixture_snapshot, staged)
            os.replace(staged, serving_file)
            return serving_file
        return write_snapshot(
            serving_file, marts if tables is None else tables, published_at, version, omit
        )

    return _publish


@pytest.fixture
def served(publish_marts: Publish) -> Path:
    """The fixture's marts, published."""
    return publish_marts()


@dataclass
class Download:
    file_name: str
    mime: str
    make: Callable[[], bytes]

    def data(self) -> bytes:
        return self.make()


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Download]:
    """Every deferred download the app registers, by file id (the button's proto field).

    The page hands Streamlit a callable that makes the file when the button is clicked; this
    records those callables so a test can "click" and read the file back.
    """
    registered: dict[str, Download] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        file_id = original(self, data_callable, mimetype, coordinates, file_name, **kwargs)
        registered[file_id] = Download(file_name or "", mimetype or "", data_callable)
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return registered


def download_of(at: AppTest, downloads: dict[str, Download], label_or_key: str) -> Download:
    """The file behind the download button with this key."""
    button = at.get_by_key(label_or_key) if hasattr(at, "get_by_key") else None
    if button is None:
        raise AssertionError(f"no download button {label_or_key!r}")
    return downloads[button.proto.deferred_file_id]
