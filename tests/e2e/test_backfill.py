"""A backfill of past event days rebuilds exactly those partitions (issue 7, item 5).

On a copy of the micro-batch home (tests/e2e/micro_batch.py: seven simulated days, built as
history plus one incremental day), two backlog rows are tampered with, one inside the window and
one outside, then `returnops backfill` rebuilds three past days. Compared with the full refresh
of the same warehouse: every row of the window equals the full refresh and was written by the
backfill; every row outside it is exactly as before (the tampered one still tampered). Dagster
recorded one run for the range and a materialization of each day's partition.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from tests.e2e.conftest import returnops

TABLE = "marts.fct_inspection_backlog"
KEY = ["node_id", "date_day"]
WINDOW = (date(2026, 1, 6), date(2026, 1, 8))
INSIDE, OUTSIDE = date(2026, 1, 7), date(2026, 1, 10)
TAMPER = 1_000


def backlog(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(f"select * from {TABLE}").df()
    rows["date_day"] = pd.to_datetime(rows["date_day"]).dt.date
    return rows.sort_values(KEY).reset_index(drop=True)


def in_window(rows: pd.DataFrame) -> pd.Series:
    return rows["date_day"].between(*WINDOW)


@pytest.fixture(scope="module")
def backfill(micro_batch, tmp_path_factory):
    home = tmp_path_factory.mktemp("backfill") / "home"
    shutil.copytree(micro_batch.home, home)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute(
            f"update {TABLE} set units_received = units_received + {TAMPER} "
            "where date_day in (?, ?)",
            [INSIDE, OUTSIDE],
        )
    before = backlog(home / "warehouse.duckdb")
    result = returnops(
        home, "backfill", "--start", WINDOW[0].isoformat(), "--end", WINDOW[1].isoformat()
    )
    return {
        "home": home,
        "before": before,
        "after": backlog(home / "warehouse.duckdb"),
        "fresh": backlog(micro_batch.fresh / "warehouse.duckdb"),
        "output": result.stdout,
    }


def test_the_window_holds_days_and_both_tampered_days_exist(backfill):
    before = backfill["before"]
    assert set(before["date_day"]) >= {WINDOW[0], WINDOW[1], INSIDE, OUTSIDE}
    assert (before["units_received"] >= TAMPER).sum() >= 2


def test_every_row_of_the_window_is_rebuilt_and_equals_the_full_refresh(backfill):
    after, before, fresh = backfill["after"], backfill["before"], backfill["fresh"]
    rebuilt = after[in_window(after)]
    assert len(rebuilt) == in_window(fresh).sum() > 0
    # written by the backfill: later than anything the runs before it wrote
    assert (rebuilt["_written_at"] > before["_written_at"].max()).all()
    columns = [c for c in fresh.columns if not c.startswith("_")]
    pd.testing.assert_frame_equal(
        rebuilt[columns].reset_index(drop=True),
        fresh[in_window(fresh)][columns].reset_index(drop=True),
    )


def test_every_row_outside_the_window_is_left_as_it_was(backfill):
    after, before, fresh = backfill["after"], backfill["before"], backfill["fresh"]
    pd.testing.assert_frame_equal(
        after[~in_window(after)].reset_index(drop=True),
        before[~in_window(before)].reset_index(drop=True),
    )
    # the tampered day outside is still tampered; the rest equals the full refresh
    outside = after[~in_window(after)].reset_index(drop=True)
    expected = fresh[~in_window(fresh)].reset_index(drop=True)
    tampered = outside["date_day"] == OUTSIDE
    assert (
        (outside.loc[tampered, "units_received"] - expected.loc[tampered, "units_received"])
        .eq(TAMPER)
        .all()
    )
    columns = [c for c in fresh.columns if not c.startswith("_")]
    pd.testing.assert_frame_equal(outside[~tampered][columns], expected[~tampered][columns])


def test_dagster_ran_the_range_as_one_run_and_knows_each_day(backfill, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(backfill["home"] / "dagster"))
    start, end = (day.isoformat() for day in WINDOW)
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(
            filters=dg.RunsFilter(
                tags={ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end}
            )
        )
        partitions = instance.get_materialized_partitions(dg.AssetKey("fct_inspection_backlog"))
    assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS]
    assert runs[0].job_name == "event_date_backfill"
    assert {"2026-01-06", "2026-01-07", "2026-01-08"} <= partitions
    assert "2026-01-05" not in partitions  # never asked for
    assert "backfill of 2026-01-06 .. 2026-01-08 succeeded" in backfill["output"]
