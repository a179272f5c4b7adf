"""`returnops simulate` + `returnops run` end to end, checked against the simulator's truth."""

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.e2e.conftest import REPO_ROOT, returnops

pytestmark = pytest.mark.e2e


def truth_return_lines(home: Path) -> pd.DataFrame:
    return pd.read_parquet(home / "truth" / "return_lines.parquet")


def truth_cycle_times(home: Path) -> pd.DataFrame:
    """Median and p90 cycle time by channel, computed from the truth alone: initiated_at to
    resolved_at (the refund, store credit or exchange), every source."""
    lines = truth_return_lines(home)
    resolved = lines.dropna(subset=["resolved_at"])
    hours = (resolved["resolved_at"] - resolved["initiated_at"]).dt.total_seconds() / 3600
    return hours.groupby(resolved["channel"]).agg(
        median="median", p90=lambda h: h.quantile(0.9, interpolation="linear")
    )


def serving(home: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(home / "serving" / "marts.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def test_median_cycle_time_by_channel_equals_the_truth(pipeline_home):
    expected = truth_cycle_times(pipeline_home)
    served = serving(pipeline_home, "select * from rpt_cycle_time_by_channel").set_index("channel")

    assert sorted(served.index) == sorted(expected.index) == ["amazon", "store", "web", "zalando"]
    for channel, row in expected.iterrows():
        assert served.loc[channel, "median_cycle_time_hours"] == pytest.approx(row["median"])
        assert served.loc[channel, "p90_cycle_time_hours"] == pytest.approx(row["p90"])


def test_every_return_line_has_the_true_stage_timestamps(pipeline_home):
    truth = truth_return_lines(pipeline_home).set_index("return_line_id").sort_index()
    truth["refund_amount"] = truth["refund_amount"].map(lambda v: None if pd.isna(v) else str(v))
    # money compared as exact decimal text, never through floats
    served = serving(
        pipeline_home,
        "select * replace (refund_amount::varchar as refund_amount) from fct_return_lines",
    )
    served = served.set_index("return_line_id").sort_index()

    assert list(served.index) == list(truth.index)
    for column in ["channel", "initiated_at", "received_at", "resolved_at", "refund_amount"]:
        mismatched = served[column].ne(truth[column]) & ~(
            served[column].isna() & truth[column].isna()
        )
        assert not mismatched.any(), f"{column} differs on {mismatched.sum()} lines"


def test_a_second_run_lands_nothing_twice(pipeline_home):
    def counts() -> tuple:
        with duckdb.connect(str(pipeline_home / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(
                "select (select count(*) from raw.shopify__returns),"
                " (select count(*) from raw.wms__receipts),"
                " (select count(*) from ops.load_log),"
                " (select count(*) from marts.fct_return_lines),"
                # the incremental models rewrite no row when nothing changed
                " (select max(_written_at) from intermediate.int_return_events),"
                " (select max(_written_at) from marts.fct_return_lines),"
                " (select max(_written_at) from marts.fct_inspection_backlog)"
            ).fetchone()

    before = counts()
    output = returnops(pipeline_home, "run").stdout
    assert counts() == before
    assert "files_loaded=0" in output and "succeeded" in output


def test_lifecycle_page_shows_the_true_median(pipeline_home, monkeypatch):
    monkeypatch.setenv("RETURNOPS_HOME", str(pipeline_home))
    expected = truth_cycle_times(pipeline_home)

    app = AppTest.from_file(str(REPO_ROOT / "dashboards" / "app.py"), default_timeout=60).run()
    app.switch_page("app_pages/lifecycle.py").run()  # the overview is the default page

    assert not app.exception
    shown = {metric.label: metric.value for metric in app.metric}
    for channel, row in expected.iterrows():
        assert shown[f"{channel} median cycle time"] == f"{row['median']:.1f} h"


def test_every_dbt_table_reports_its_rows_to_dagster(pipeline_home):
    """Each table and seed dbt builds reports its row count on its materialization (counted by
    dbt itself, macros/row_count.sql), equal to the table's rows in the warehouse."""
    import dagster as dg

    with duckdb.connect(str(pipeline_home / "warehouse.duckdb"), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('main', 'intermediate', 'marts')"
        ).fetchall()
        rows = {
            t: con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables
        }
    assert {"fct_return_lines", "int_return_events", "channels"} <= rows.keys()

    with dg.DagsterInstance.from_config(str(pipeline_home / "dagster")) as instance:
        reported = {}
        for table in rows:
            event = instance.get_latest_materialization_event(dg.AssetKey(table))
            if event is not None:
                reported[table] = event.asset_materialization.metadata["dagster/row_count"].value
    assert reported.keys() >= {"fct_return_lines", "int_return_events", "channels"}
    assert reported == {table: rows[table] for table in reported}
