"""Dashboard test fixtures: a private RETURNOPS_HOME and a way to publish snapshots into it.

Snapshots are written to a temporary file and moved into place with os.replace, the way the
pipeline's serving asset publishes them, so the tests exercise the same file swap.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import streamlit as st

APP_PATH = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"

FCT_RETURN_LINES_DDL = """
    create table fct_return_lines (
        return_line_id varchar, return_id varchar, order_id varchar, channel varchar,
        sku varchar, quantity integer, return_reason varchar, initiated_at timestamp,
        received_at timestamp, refunded_at timestamp, refund_amount decimal(18, 2),
        cycle_time_hours double, status varchar
    )
"""

# The rollup the pipeline builds with dbt; rebuilt here from the lines so fixtures stay consistent.
RPT_CYCLE_TIME_BY_CHANNEL = """
    create table rpt_cycle_time_by_channel as
    select
        channel,
        count(*)                                  as return_lines,
        count(cycle_time_hours)                   as resolved_lines,
        median(cycle_time_hours)                  as median_cycle_time_hours,
        quantile_cont(cycle_time_hours, 0.9)      as p90_cycle_time_hours
    from fct_return_lines
    group by channel
"""


# A return line as the tests describe it: (channel, cycle_time_hours), hours None until refunded.
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
def publish(returnops_home: Path) -> Publish:
    """Publish a snapshot holding `lines` into RETURNOPS_HOME; returns the serving file's path."""

    def _publish(
        lines: Iterable[Line],
        published_at: datetime = datetime(2026, 1, 5, 6, 30),
        version: str = "test-1",
    ) -> Path:
        serving = returnops_home / "serving"
        serving.mkdir(parents=True, exist_ok=True)
        staged = serving / f".marts-{version}.duckdb"
        with duckdb.connect(str(staged)) as con:
            con.execute(FCT_RETURN_LINES_DDL)
            for i, (channel, cycle_time_hours) in enumerate(lines):
                initiated = datetime(2026, 1, 1) + timedelta(hours=i)
                refunded = (
                    None
                    if cycle_time_hours is None
                    else initiated + timedelta(hours=cycle_time_hours)
                )
                con.execute(
                    "insert into fct_return_lines"
                    " values (?, ?, ?, ?, ?, 1, 'too_small', ?, ?, ?, ?, ?, ?)",
                    [
                        f"rl-{i}",
                        f"r-{i}",
                        f"o-{i}",
                        channel,
                        f"SKU-{i}",
                        initiated,
                        initiated + timedelta(hours=1),
                        refunded,
                        None if refunded is None else 19.99,
                        cycle_time_hours,
                        "initiated" if refunded is None else "refunded",
                    ],
                )
            con.execute(RPT_CYCLE_TIME_BY_CHANNEL)
            con.execute("create table _snapshot (published_at timestamp, version varchar)")
            con.execute("insert into _snapshot values (?, ?)", [published_at, version])
        target = serving / "marts.duckdb"
        os.replace(staged, target)
        return target

    return _publish
