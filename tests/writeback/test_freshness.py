"""The stale-data guard: which feeding source is staler than its SLA, and a pass that holds."""

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.writeback.conftest import settings_for, shown, stock_and_corrections
from writeback.freshness import (
    check_freshness,
    freshness_slas,
    guarded_writeback,
    newest_record_times,
)

END = datetime(2026, 1, 18, 23, 59, 59)  # the last simulated second
SLAS = {"shopify": 2, "wms": 26, "channel_stock": 26, "approvals": 168}


def write_raw(
    warehouse: Path,
    shopify: datetime | None = END,
    wms: datetime | None = END,
    pulls: datetime | None = END,
    acks: datetime | None = None,
    pos: datetime | None = END,
) -> None:
    """Raw tables with the contracts' timestamp columns, newest record at the given times."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists raw")
        con.execute(
            "create or replace table raw.shopify__inventory_levels "
            "(inventory_item_id bigint, updated_at timestamp)"
        )
        con.execute(
            "create or replace table raw.wms__inventory_snapshots "
            "(sku varchar, snapshot_at timestamp)"
        )
        con.execute(
            "create or replace table raw.channel_stock__snapshots "
            "(sku varchar, captured_at timestamp, origin varchar)"
        )
        con.execute(
            "create or replace table raw.pos__store_returns "
            "(sku varchar, returned_at timestamp, synced_at timestamp)"
        )
        for table, moment, extra in (
            ("pos__store_returns", pos, [pos]),
            ("shopify__inventory_levels", shopify, []),
            ("wms__inventory_snapshots", wms, []),
            ("channel_stock__snapshots", pulls, ["pull"]),
            ("channel_stock__snapshots", acks, ["writeback_ack"]),
        ):
            if moment is None:
                continue
            for age in (timedelta(days=3), timedelta(0)):  # an older row, then the newest
                values = ["1", moment - age, *extra]
                marks = ", ".join("?" * len(values))
                con.execute(f"insert into raw.{table} values ({marks})", values)


def test_every_source_fresh_against_the_data_clock(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    write_raw(warehouse, shopify=END, wms=END - timedelta(hours=20), pulls=END)

    report = check_freshness(warehouse, ("shopify", "wms", "channel_stock"), SLAS, environ={})

    assert report.ok and report.reason is None
    assert report.now == END and report.clock.startswith("data clock")
    assert {s.source: round(s.age_hours, 1) for s in report.sources} == {
        "shopify": 0.0,
        "wms": 20.0,
        "channel_stock": 0.0,
    }


def test_a_source_behind_the_others_by_more_than_its_sla_is_named(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    write_raw(warehouse, wms=END - timedelta(hours=48))

    report = check_freshness(warehouse, ("shopify", "wms", "channel_stock"), SLAS, environ={})

    assert [s.source for s in report.stale] == ["wms"]
    assert "wms: STALE" in report.reason and "48.0 h old (SLA 26 h)" in report.reason
    assert "2026-01-16 23:59:59" in report.reason


def test_acks_written_today_neither_move_the_clock_nor_refresh_channel_stock(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    today = datetime(2026, 11, 27, 2, 0, 0)  # wall clock, months after the simulated window
    write_raw(warehouse, pulls=END - timedelta(hours=30), acks=today)

    report = check_freshness(warehouse, ("shopify", "wms", "channel_stock"), SLAS, environ={})

    assert report.now == END  # not today: the acks are our own echo
    assert [s.source for s in report.stale] == ["channel_stock"]  # its last pull is 30 h old


def test_the_clock_can_be_set_or_be_the_wall_clock(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    write_raw(warehouse)
    sources = ("shopify", "wms")

    later = {"RETURNOPS_FRESHNESS_NOW": "2026-01-19T03:00:00Z"}
    report = check_freshness(warehouse, sources, SLAS, environ=later)
    assert report.now == datetime(2026, 1, 19, 3, 0) and "RETURNOPS_FRESHNESS_NOW" in report.clock
    assert [s.source for s in report.stale] == ["shopify"]  # 3 h > 2 h; wms 3 h < 26 h

    wall = check_freshness(warehouse, sources, SLAS, environ={"RETURNOPS_FRESHNESS_NOW": "wall"})
    assert "wall clock" in wall.clock and len(wall.stale) == 2

    given = check_freshness(warehouse, sources, SLAS, now=END, environ=later)
    assert given.now == END and given.ok


def test_a_feeding_source_with_nothing_loaded_is_stale_and_approvals_never_feed(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    write_raw(warehouse, shopify=None)

    report = check_freshness(
        warehouse, ("shopify", "wms", "approvals", "carrier"), SLAS, environ={}
    )

    assert [s.source for s in report.stale] == ["shopify"]
    assert "shopify: nothing loaded" in report.reason
    assert [s.source for s in report.sources] == ["shopify", "wms"]
    assert report.unjudged == ("carrier",)  # no SLA given for it here: not judged


def test_slas_come_from_the_seed_until_dbt_has_loaded_it(tmp_path):
    from_csv = freshness_slas()
    assert from_csv["shopify"] == 2 and from_csv["wms"] == 26 and from_csv["channel_stock"] == 26

    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        con.execute(
            "create table main.sla_targets as select * from (values "
            "('source_freshness', 'wms', 5), ('stage_x', 'all', 1)) t(metric, scope, target_hours)"
        )
        assert freshness_slas(con) == {"wms": 5.0}


def test_payment_refunds_count_by_their_unix_created_time(tmp_path):
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        con.execute("create schema raw")
        con.execute("create table raw.finance__payment_refunds (id varchar, created bigint)")
        con.execute("insert into raw.finance__payment_refunds values ('re_1', 1768780799)")
        newest = newest_record_times(con, ["finance", "pos"])
    assert newest == {"finance": datetime(2026, 1, 18, 23, 59, 59), "pos": None}


def test_amazon_orders_count_by_purchase_date_not_a_later_status_time(tmp_path):
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        con.execute("create schema raw")
        con.execute(
            'create table raw.amazon__orders ("purchase-date" timestamp, '
            '"last-updated-date" timestamp)'
        )
        con.execute(
            "insert into raw.amazon__orders values "
            "('2026-01-19 10:15:07', '2026-01-19 23:50:43'), ('2026-01-19 09:00:00', null)"
        )
        newest = newest_record_times(con, ["amazon"])
    assert newest == {"amazon": datetime(2026, 1, 19, 10, 15, 7)}


# ------------------------------------------------------------------------------ the guarded pass
def write_corrections(warehouse: Path, corrections) -> None:
    """`marts.fct_stock_corrections` with the columns of docs/marts.md."""
    rows = [c.model_dump() for c in corrections]
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            """
            create or replace table marts.fct_stock_corrections (
                correction_id varchar, channel varchar, sku varchar, location_id varchar,
                inventory_item_id varchar, published_quantity integer, target_quantity integer,
                delta integer, unit_value decimal(18, 2), needs_approval boolean,
                basis_published_at timestamp)
            """
        )
        con.executemany(
            "insert into marts.fct_stock_corrections values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    r["correction_id"],
                    r["channel"],
                    r["sku"],
                    r["location_id"],
                    r["inventory_item_id"],
                    r["published_quantity"],
                    r["target_quantity"],
                    r["delta"],
                    r["unit_value"],
                    r["needs_approval"],
                    r["basis_published_at"],
                ]  # fmt: skip
                for r in rows
            ],
        )


@pytest.fixture
def stocked(sandbox, tmp_path):
    """A sandbox showing 10 of each of 6 items, a warehouse asking for 12 of each."""
    stock, corrections = stock_and_corrections(6)
    sandbox.seed(stock)
    warehouse = tmp_path / "wh.duckdb"
    write_corrections(warehouse, corrections)
    return sandbox, warehouse


def test_stale_source_holds_every_correction_and_leaves_the_outbox_alone(stocked, tmp_path):
    sandbox, warehouse = stocked
    write_raw(warehouse, wms=END - timedelta(hours=48))

    result = guarded_writeback(
        warehouse, tmp_path / "landing", settings=settings_for(sandbox), environ={}
    )

    assert result.report is None and result.held == 6
    assert "wms: STALE" in result.held_reason
    assert str(result).startswith("write-back HELD: nothing sent, 6 corrections held")
    assert sandbox.applications()["changes"] == 0
    assert set(shown(sandbox).values()) == {10}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        outbox = con.execute(
            "select count(*) from information_schema.tables where table_name = 'writeback_outbox'"
        ).fetchone()[0]
    assert outbox == 0  # nothing enqueued from stale data


def test_failed_blocking_checks_hold_too(stocked, tmp_path):
    sandbox, warehouse = stocked
    write_raw(warehouse)

    result = guarded_writeback(
        warehouse,
        tmp_path / "landing",
        failed_checks=["fct_return_lines:fct_return_lines_expectations"],
        settings=settings_for(sandbox),
        environ={},
    )

    assert result.report is None
    assert result.held_reason == (
        "the latest blocking checks failed: fct_return_lines:fct_return_lines_expectations"
    )
    assert sandbox.applications()["changes"] == 0


def test_once_fresh_the_corrections_go_out(stocked, tmp_path):
    sandbox, warehouse = stocked
    write_raw(warehouse)

    result = guarded_writeback(
        warehouse, tmp_path / "landing", settings=settings_for(sandbox), environ={}
    )

    assert result.held_reason is None and result.held == 0
    assert result.report.acked == 6 and result.report.states == {"acked": 6}
    assert set(shown(sandbox).values()) == {12}


def test_a_dry_run_while_stale_plans_says_it_would_hold_and_sends_nothing(stocked, tmp_path):
    sandbox, warehouse = stocked
    write_raw(warehouse, shopify=END - timedelta(hours=5))

    result = guarded_writeback(
        warehouse, tmp_path / "landing", dry_run=True, settings=settings_for(sandbox), environ={}
    )

    assert result.held == 6 and len(result.report.planned) == 6
    text = str(result)
    assert text.startswith("write-back would hold: nothing sent, 6 corrections held")
    assert "shopify: STALE" in text and "would send 6 corrections" in text
    assert sandbox.applications()["changes"] == 0


def test_no_mart_yet_is_said_and_is_not_an_error(sandbox, tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    write_raw(warehouse)

    result = guarded_writeback(
        warehouse, tmp_path / "landing", settings=settings_for(sandbox), environ={}
    )

    assert result.mart_missing and result.report.enqueued == 0
    assert "no marts.fct_stock_corrections in the warehouse yet" in str(result)
