"""A micro-batch of one new day rewrites only what changed, and ends equal to a full refresh.

On the shared micro-batch (tests/e2e/micro_batch.py: the pipeline on the first N days of an
(N + 1)-day simulation, then on day N + 1, then `dbt run --full-refresh` on a copy):

- history is left alone: in every incremental lifecycle table, a row whose content the new
  day did not change still carries the first run's `_written_at`, and every new or changed row
  carries the second run's (macros/incremental.sql: rows are compared, not load times, because
  a late record re-links old events and time ages open exceptions);
- every lifecycle, recovery and core table equals the full refresh (bookkeeping `_written_at`
  aside);
- the return lines equal the (N+1)-day truth.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

pytestmark = pytest.mark.e2e

# the incremental lifecycle models and their keys
INCREMENTAL = {
    "intermediate.int_return_events": ["event_id"],
    "marts.fct_return_lines": ["return_line_id"],
    "marts.fct_inspection_backlog": ["node_id", "date_day"],
}
# everything the lifecycle, recovery and core models build
TABLES = (
    *INCREMENTAL,
    "marts.fct_refunds",
    "marts.fct_return_exceptions",
    "marts.fct_recovery",
    "marts.fct_chargeback_opportunities",
    "marts.dim_products",
    "marts.dim_nodes",
    "marts.dim_channels",
    "marts.dim_dates",
    "marts.rpt_cycle_time_by_channel",
    "marts.rpt_returns_daily",
    "marts.rpt_refunds_open",
    "marts.rpt_recovery_monthly",
    "marts.rpt_sales_daily",
    "marts.rpt_source_freshness",
)
BOOKKEEPING = "_written_at"


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [d[0] for d in con.execute(f"select * from {table} limit 0").description]


def warehouse(micro_batch) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(micro_batch.home / "warehouse.duckdb"), read_only=True)


@pytest.mark.parametrize("table", INCREMENTAL)
def test_a_new_day_rewrites_only_the_rows_it_changed(micro_batch, table):
    keys = INCREMENTAL[table]
    with warehouse(micro_batch) as con:
        con.execute(f"attach '{micro_batch.first_run}' as first_run (read_only)")
        compared = [c for c in columns(con, table) if c != BOOKKEEPING]
        on = " and ".join(f"now.{k} = old.{k}" for k in keys)
        same = " and ".join(f"now.{c} is not distinct from old.{c}" for c in compared)
        unchanged, touched, changed, stale, old_rows = con.execute(
            f"""
            with old_stamp as (select max({BOOKKEEPING}) as stamp from first_run.{table})
            select
                count(*) filter (where old.{keys[0]} is not null and {same}),
                count(*) filter (where old.{keys[0]} is not null and {same}
                                 and now.{BOOKKEEPING} <> old.{BOOKKEEPING}),
                count(*) filter (where old.{keys[0]} is null or not ({same})),
                count(*) filter (where (old.{keys[0]} is null or not ({same}))
                                 and now.{BOOKKEEPING} <= old_stamp.stamp),
                (select count(*) from first_run.{table})
            from {table} as now
            cross join old_stamp
            left join first_run.{table} as old on {on}
            """
        ).fetchone()
    # rows the new day did not change were not rewritten; the others were
    assert touched == 0, f"{table}: {touched} unchanged rows rewritten"
    assert stale == 0, f"{table}: {stale} changed rows not rewritten"
    assert changed > 0, f"{table}: the new day changed nothing"
    # a one-day micro-batch leaves most of the history alone
    if table == "intermediate.int_return_events":
        assert unchanged > old_rows / 2, (unchanged, old_rows)


@pytest.mark.parametrize("table", TABLES)
def test_table_equals_a_full_refresh(micro_batch, table):
    with warehouse(micro_batch) as con:
        con.execute(f"attach '{micro_batch.fresh / 'warehouse.duckdb'}' as fresh (read_only)")
        shown = ", ".join(c for c in columns(con, table) if c != BOOKKEEPING)
        assert shown == ", ".join(c for c in columns(con, f"fresh.{table}") if c != BOOKKEEPING)
        rows = con.execute(f"select count(*) from {table}").fetchone()[0]
        for left, right in ((table, f"fresh.{table}"), (f"fresh.{table}", table)):
            extra = con.execute(
                f"select count(*) from (select {shown} from {left}"
                f" except all select {shown} from {right})"
            ).fetchone()[0]
            assert extra == 0, f"{table}: {extra} of {rows} rows only in {left}"


def test_incremental_return_lines_equal_the_truth(micro_batch):
    with warehouse(micro_batch) as con:
        lines = con.execute(
            "select return_line_id, status, received_at, resolved_at from marts.fct_return_lines"
        ).df()
    expected = pd.read_parquet(micro_batch.simulated / "truth" / "return_lines.parquet")
    lines = lines.set_index("return_line_id").sort_index()
    expected = expected.set_index("return_line_id").sort_index()
    assert len(lines) > 0
    assert list(lines.index) == list(expected.index)
    for column in ("status", "received_at", "resolved_at"):
        same = (lines[column] == expected[column]) | (
            lines[column].isna() & expected[column].isna()
        )
        assert same.all(), f"{column} differs on {(~same).sum()} lines"
