"""A micro-batch of one new day rewrites only what changed, and ends equal to a full refresh.

The simulator writes N+1 days. The files of days 1..N (by the date in their names: a file
holds what its source delivered that day, late duplicates and back-dated reports included)
land first and the pipeline runs; then the files of day N+1 land and the pipeline runs again,
dbt building incrementally. Then:

- history is left alone: in every incremental lifecycle table, a row whose content the new
  day did not change still carries the first run's `_written_at`, and every new or changed row
  carries the second run's (macros/incremental.sql: rows are compared, not load times, because
  a late record re-links old events and time ages open exceptions);
- every lifecycle, recovery and core table equals what `dbt run --full-refresh` builds from
  the same raw tables on a copy of the warehouse (bookkeeping `_written_at` aside);
- the return lines equal the (N+1)-day truth.

Why not an N-day and an (N+1)-day simulation: the simulator drops what would happen after
its horizon before drawing the rest of its random numbers, so an N-day run is not always a
prefix of the (N+1)-day run (at N = 14, seed 5, a day-14 store return differs).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingest.simulate import simulate
from tests.e2e.conftest import REPO_ROOT, RETURNOPS, returnops, returnops_env

pytestmark = pytest.mark.e2e

DAYS, SCALE, SEED = 14, 0.2, 5
# the simulator's first day; its opening count is dated the day before
FIRST_DAY = pd.Timestamp("2026-01-05")
DBT = str(Path(RETURNOPS).parent / "dbt")

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


def file_day(path: Path) -> str:
    """The day in a landing file's name (every simulated file carries one)."""
    return re.search(r"\d{4}-\d{2}-\d{2}", path.name)[0]


def land(source: Path, home: Path, days: set[str]) -> list[str]:
    """Copy the landing files of `source` dated on one of `days` into `home`'s landing."""
    copied = []
    for path in sorted(p for p in (source / "landing").rglob("*") if p.is_file()):
        if file_day(path) in days:
            name = path.relative_to(source / "landing")
            (home / "landing" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, home / "landing" / name)
            copied.append(str(name))
    return copied


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [d[0] for d in con.execute(f"select * from {table} limit 0").description]


def dbt_full_refresh(home: Path, work: Path) -> subprocess.CompletedProcess:
    """`dbt run --full-refresh` of the lifecycle models and everything downstream of them."""
    return subprocess.run(
        [DBT, "run", "--full-refresh", "--profiles-dir", ".",
         "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
         "--select", "int_return_events+", "int_return_lines_assembled+", "dim_products",
         "dim_nodes", "dim_channels", "rpt_sales_daily"],
        cwd=REPO_ROOT / "dbt_project", env=returnops_env(home), capture_output=True, text=True,
        timeout=900,
    )  # fmt: skip


def test_a_new_day_rewrites_only_what_changed_and_equals_a_full_refresh(tmp_path):
    simulated, home = tmp_path / "simulated", tmp_path / "home"
    simulate(simulated, DAYS + 1, SCALE, SEED)
    day = [(FIRST_DAY + pd.Timedelta(days=d)).strftime("%Y-%m-%d") for d in range(-1, DAYS + 1)]
    files = [p for p in (simulated / "landing").rglob("*") if p.is_file()]
    assert {file_day(p) for p in files} <= set(day)

    # the opening count and days 1..N, then day N+1
    assert land(simulated, home, set(day[:-1]))
    returnops(home, "run")
    first_run = tmp_path / "first_run.duckdb"
    shutil.copy2(home / "warehouse.duckdb", first_run)
    assert land(simulated, home, {day[-1]})
    returnops(home, "run")

    warehouse = home / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{first_run}' as first_run (read_only)")
        for table, keys in INCREMENTAL.items():
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
            # a one-day micro-batch leaves most of the event log's history alone
            if table == "intermediate.int_return_events":
                assert unchanged > old_rows / 2, (unchanged, old_rows)

    # a full refresh of a copy of the same warehouse builds exactly the same tables
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy2(warehouse, fresh / "warehouse.duckdb")
    result = dbt_full_refresh(fresh, tmp_path / "dbt")
    assert result.returncode == 0, result.stdout[-5000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{fresh / 'warehouse.duckdb'}' as fresh (read_only)")
        for table in TABLES:
            shown = ", ".join(c for c in columns(con, table) if c != BOOKKEEPING)
            assert shown == ", ".join(
                c for c in columns(con, f"fresh.{table}") if c != BOOKKEEPING
            ), table
            rows = con.execute(f"select count(*) from {table}").fetchone()[0]
            for left, right in ((table, f"fresh.{table}"), (f"fresh.{table}", table)):
                extra = con.execute(
                    f"select count(*) from (select {shown} from {left}"
                    f" except all select {shown} from {right})"
                ).fetchone()[0]
                assert extra == 0, f"{table}: {extra} of {rows} rows only in {left}"

        # and the lines are the (N+1)-day truth
        lines = con.execute(
            "select return_line_id, status, received_at, resolved_at from marts.fct_return_lines"
        ).df()
    expected = pd.read_parquet(simulated / "truth" / "return_lines.parquet")
    lines = lines.set_index("return_line_id").sort_index()
    expected = expected.set_index("return_line_id").sort_index()
    assert list(lines.index) == list(expected.index)
    for column in ("status", "received_at", "resolved_at"):
        same = (lines[column] == expected[column]) | (
            lines[column].isna() & expected[column].isna()
        )
        assert same.all(), f"{column} differs on {(~same).sum()} lines"
