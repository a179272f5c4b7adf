"""Per-file latency records and their percentiles, on a warehouse file of the test's own."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from ingest.warehouse import connect, ensure_ops_schema
from orchestration.latency import (
    Distribution,
    channel_latencies,
    percentile,
    record_published,
    serving_latencies,
)

T0 = datetime(2026, 3, 1, 12, 0, 0)


def test_percentile_interpolates_between_closest_ranks():
    values = [10.0, 1.0, 4.0, 2.0, 3.0]  # unsorted on purpose
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 3.0
    assert percentile(values, 100) == 10.0
    assert percentile(values, 95) == pytest.approx(4 + 0.8 * 6)  # numpy's default: 8.8
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_distribution_of_no_values_says_so():
    assert Distribution.of([]).text() == "no files"
    d = Distribution.of([1.0, 2.0, 3.0])
    assert (d.count, d.p50, d.max) == (3, 2.0, 3.0)
    assert d.text() == "p50 2.0 s, p95 2.9 s, max 3.0 s (3 files)"


def land_file(landing, name: str, at: datetime) -> None:
    path = landing / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x\n")
    stamp = at.replace(tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))


def log_load(con, name: str, entity: str, at: datetime, status: str = "loaded") -> None:
    con.execute(
        "insert into ops.load_log values ('b', ?, ?, ?, ?, ?, 1, 1, 0, null, ?, ?)",
        [entity.split("__")[0], entity, name, f"sha-{name}", status, at, at],
    )


def test_record_published_times_each_loaded_file_once(tmp_path):
    warehouse, landing = tmp_path / "wh.duckdb", tmp_path / "landing"
    land_file(landing, "wms/receipts_a.csv", T0)
    land_file(landing, "shopify/orders_a.ndjson", T0 + timedelta(seconds=4))
    land_file(landing, "shopify/orders_late.ndjson", T0 + timedelta(seconds=50))
    with connect(warehouse) as con:
        ensure_ops_schema(con)
        log_load(con, "wms/receipts_a.csv", "wms__receipts", T0 + timedelta(seconds=10))
        log_load(con, "shopify/orders_a.ndjson", "shopify__orders", T0 + timedelta(seconds=10))
        log_load(
            con, "shopify/bad.ndjson", "shopify__orders", T0 + timedelta(seconds=10), "rejected"
        )
        # loaded after the snapshot started: waits for the next one
        log_load(con, "shopify/orders_late.ndjson", "shopify__orders", T0 + timedelta(seconds=60))

    published = T0 + timedelta(seconds=30)
    assert record_published(warehouse, landing, published, "v1") == 2
    assert record_published(warehouse, landing, published, "v1") == 0
    assert record_published(warehouse, landing, T0 + timedelta(seconds=90), "v2") == 1

    with connect(warehouse) as con:
        rows = con.execute(
            "select file, landed_at, loaded_at, published_at, snapshot_version "
            "from ops.file_latency order by file"
        ).fetchall()
        assert rows[0] == (
            "shopify/orders_a.ndjson",
            T0 + timedelta(seconds=4),
            T0 + timedelta(seconds=10),
            published,
            "v1",
        )
        assert [r[4] for r in rows] == ["v1", "v2", "v1"]
        assert sorted(serving_latencies(con)) == [26.0, 30.0, 40.0]
        assert sorted(serving_latencies(con, since=T0 + timedelta(seconds=1))) == [26.0, 40.0]
        assert channel_latencies(con) == []  # no write-back yet


def test_channel_latency_is_the_first_ack_enqueued_after_the_load(tmp_path):
    warehouse, landing = tmp_path / "wh.duckdb", tmp_path / "landing"
    land_file(landing, "wms/receipts_a.csv", T0)
    land_file(landing, "shopify/orders_a.ndjson", T0)
    with connect(warehouse) as con:
        ensure_ops_schema(con)
        log_load(con, "wms/receipts_a.csv", "wms__receipts", T0 + timedelta(seconds=10))
        log_load(con, "shopify/orders_a.ndjson", "shopify__orders", T0 + timedelta(seconds=10))
    record_published(warehouse, landing, T0 + timedelta(seconds=30), "v1")
    with connect(warehouse) as con:
        con.execute(
            "create table ops.writeback_outbox (correction_id varchar, status varchar, "
            "enqueued_at timestamp, finished_at timestamp)"
        )
        con.execute(
            "insert into ops.writeback_outbox values "
            "('before', 'acked', ?, ?), ('failed', 'failed', ?, ?), "
            "('first', 'acked', ?, ?), ('later', 'acked', ?, ?)",
            [
                T0, T0 + timedelta(seconds=5),  # enqueued before the load: not this file's
                T0 + timedelta(seconds=35), T0 + timedelta(seconds=36),
                T0 + timedelta(seconds=40), T0 + timedelta(seconds=45),
                T0 + timedelta(seconds=40), T0 + timedelta(seconds=70),
            ],
        )  # fmt: skip
        # only the stock-moving file counts; orders do not move stock at a node
        assert channel_latencies(con) == [45.0]
