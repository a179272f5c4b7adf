"""The serving snapshot carries the platform's latency per file, including the files it serves
first; the republish after a write-back pass brings their landing-to-channel seconds. Each test
builds its own warehouse (load log, earlier records, outbox) and landing zone, and computes the
seconds it expects from the timestamps it wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from dashboards.contract import CONTRACT
from ingest.warehouse import connect, ensure_ops_schema
from orchestration.latency import FILE_LATENCY_DDL
from orchestration.publish import publish_snapshot, refresh_writeback_tables
from tests.orchestration.test_latency import land_file, log_load

NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
T0 = NOW - timedelta(minutes=10)  # every load below committed before the publish starts
EARLIER_PUBLISH = T0 + timedelta(seconds=40)


def seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


def add_acks(warehouse: Path, acks: list[tuple[str, datetime, datetime]]) -> None:
    """(status, enqueued_at, finished_at) rows of a write-back outbox."""
    with connect(warehouse) as con:
        con.execute(
            "create table if not exists ops.writeback_outbox (correction_id varchar, "
            "status varchar, enqueued_at timestamp, finished_at timestamp)"
        )
        con.executemany(
            "insert into ops.writeback_outbox values (?, ?, ?, ?)",
            [(f"c{n}", *ack) for n, ack in enumerate(acks)],
        )


# file -> (entity, seconds after T0 it landed, seconds after T0 it was loaded); `old.csv` was
# served by an earlier snapshot
OFFSETS = {
    "wms/old.csv": ("wms__receipts", 0, 5),
    "wms/receipts_a.csv": ("wms__receipts", 60, 71),
    "pos/returns_a.csv": ("pos__store_returns", 62, 90),
    "shopify/orders_a.ndjson": ("shopify__orders", 64, 75),
}
FILES = {
    name: (entity, T0 + timedelta(seconds=landed), T0 + timedelta(seconds=loaded))
    for name, (entity, landed, loaded) in OFFSETS.items()
}
STOCK_MOVING = {"wms/old.csv", "wms/receipts_a.csv", "pos/returns_a.csv"}
NEW_FILES = {"wms/receipts_a.csv", "pos/returns_a.csv", "shopify/orders_a.ndjson"}


@pytest.fixture
def home(tmp_path) -> tuple[Path, Path, Path]:
    """A warehouse with a mart, a load log, one file recorded by an earlier snapshot, three
    loaded since, one rejected and one loaded after the publish began (a racing load)."""
    warehouse, landing = tmp_path / "warehouse.duckdb", tmp_path / "landing"
    for name, (_, landed, _) in FILES.items():
        land_file(landing, name, landed)
    land_file(landing, "shopify/late.ndjson", T0)
    with connect(warehouse) as con:
        con.execute("create schema marts; create table marts.fct_tiny as select 1 as x")
        ensure_ops_schema(con)
        for name, (entity, _, loaded) in FILES.items():
            log_load(con, name, entity, loaded)
        log_load(con, "shopify/bad.ndjson", "shopify__orders", T0, "rejected")
        log_load(con, "shopify/late.ndjson", "shopify__orders", NOW + timedelta(hours=1))
        con.execute(FILE_LATENCY_DDL)
        entity, landed, loaded = FILES["wms/old.csv"]
        con.execute(
            "insert into ops.file_latency values (?, ?, ?, ?, ?, 'v0')",
            ["wms/old.csv", entity, landed, loaded, EARLIER_PUBLISH],
        )
    return warehouse, landing, tmp_path / "serving" / "marts.duckdb"


def served(serving: Path) -> dict[str, tuple]:
    with duckdb.connect(str(serving), read_only=True) as con:
        rows = con.execute(
            "select file, published_at, serving_seconds, channel_seconds, is_stock_moving "
            "from platform_file_latency"
        ).fetchall()
    return {file: rest for file, *rest in rows}


def snapshot_published_at(serving: Path) -> datetime:
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute("select published_at from _snapshot").fetchone()[0]


def test_the_snapshot_times_the_files_it_serves_first(home):
    warehouse, landing, serving = home
    acks = [
        ("acked", T0 + timedelta(seconds=1), T0 + timedelta(seconds=20)),  # before any new load
        ("failed", T0 + timedelta(seconds=95), T0 + timedelta(seconds=96)),
        ("acked", T0 + timedelta(seconds=80), T0 + timedelta(seconds=130)),
        ("acked", T0 + timedelta(seconds=100), T0 + timedelta(seconds=110)),
    ]
    add_acks(warehouse, acks)

    snapshot = publish_snapshot(warehouse, serving, ["fct_tiny"], landing)

    published = snapshot_published_at(serving)
    assert published == snapshot.published_at and published > T0
    rows = served(serving)
    assert set(rows) == {"wms/old.csv", *NEW_FILES}  # not the rejected nor the racing load
    assert snapshot.files_recorded == 3 and snapshot.latency_rows == 4
    for name, (_, landed, loaded) in FILES.items():
        publish = EARLIER_PUBLISH if name == "wms/old.csv" else published
        first_ack = min(
            (done for status, queued, done in acks if status == "acked" and queued >= loaded),
            default=None,
        )
        channel = None if name not in STOCK_MOVING else seconds(first_ack, landed)
        assert rows[name][0] == publish, name
        assert rows[name][1] == pytest.approx(seconds(publish, landed)), name
        assert rows[name][2] == (None if channel is None else pytest.approx(channel)), name
        assert rows[name][3] is (name in STOCK_MOVING), name
    # by hand: receipts loaded at +71 s -> first ack enqueued after it finished at +110 s
    assert rows["wms/receipts_a.csv"][2] == pytest.approx(50.0)
    assert rows["pos/returns_a.csv"][2] == pytest.approx(48.0)  # loaded +90: only +100's ack
    assert rows["wms/old.csv"][2] == pytest.approx(110.0)  # loaded +5: +80's and +100's acks

    # recorded after the swap, with the snapshot's own time and version
    with connect(warehouse, read_only=True) as con:
        recorded = con.execute(
            "select file, published_at, snapshot_version from ops.file_latency order by file"
        ).fetchall()
    assert {r[0]: r[1:] for r in recorded} == {
        "wms/old.csv": (EARLIER_PUBLISH, "v0"),
        **{name: (published, snapshot.version) for name in NEW_FILES},
    }


def test_a_second_publish_keeps_the_first_publish_time_of_each_file(home):
    warehouse, landing, serving = home
    first = publish_snapshot(warehouse, serving, ["fct_tiny"], landing)

    second = publish_snapshot(warehouse, serving, ["fct_tiny"], landing)

    assert second.files_recorded == 0 and second.latency_rows == 4
    rows = served(serving)
    assert rows["wms/receipts_a.csv"][0] == first.published_at != second.published_at
    assert rows["wms/receipts_a.csv"][1] == pytest.approx(
        seconds(first.published_at, FILES["wms/receipts_a.csv"][1])
    )


def test_the_republish_after_a_writeback_pass_brings_channel_seconds(home):
    warehouse, landing, serving = home
    snapshot = publish_snapshot(warehouse, serving, ["fct_tiny"], landing)
    before = served(serving)
    assert [before[name][2] for name in sorted(STOCK_MOVING)] == [None, None, None]  # no ack

    add_acks(warehouse, [("acked", T0 + timedelta(seconds=92), T0 + timedelta(seconds=150))])
    refreshed = refresh_writeback_tables(warehouse, serving)

    after = served(serving)
    assert refreshed is not None and refreshed.published_at == snapshot.published_at
    assert refreshed.latency_rows == 4
    for name in STOCK_MOVING:
        assert after[name][2] == pytest.approx(150 - (FILES[name][1] - T0).total_seconds())
        assert after[name][:2] == before[name][:2]  # the serving side is unchanged
    assert after["shopify/orders_a.ndjson"][2] is None  # orders move no stock


def test_a_fresh_warehouse_gives_an_empty_table_with_the_contract_columns(tmp_path):
    warehouse, serving = tmp_path / "wh.duckdb", tmp_path / "serving" / "marts.duckdb"
    with connect(warehouse) as con:  # marts, and no ops schema at all
        con.execute("create schema marts; create table marts.fct_tiny as select 1 as x")

    snapshot = publish_snapshot(warehouse, serving, ["fct_tiny"], tmp_path / "landing")
    refreshed = refresh_writeback_tables(warehouse, serving)

    assert snapshot.latency_rows == 0 and snapshot.files_recorded == 0
    assert refreshed is not None and refreshed.latency_rows == 0
    with duckdb.connect(str(serving), read_only=True) as con:
        columns = con.execute(
            "select column_name, lower(data_type) from information_schema.columns "
            "where table_name = 'platform_file_latency' order by ordinal_position"
        ).fetchall()
        assert con.execute("select count(*) from platform_file_latency").fetchone() == (0,)
    assert columns == list(CONTRACT["platform_file_latency"].items())


def test_a_failed_publish_records_no_file(home):
    warehouse, landing, serving = home

    with pytest.raises(duckdb.Error):
        publish_snapshot(warehouse, serving, ["fct_tiny", "no_such_mart"], landing)

    assert not serving.exists()
    with connect(warehouse, read_only=True) as con:
        files = con.execute("select file from ops.file_latency").fetchall()
    assert files == [("wms/old.csv",)]  # only the earlier snapshot's


def test_without_a_landing_zone_the_snapshot_carries_what_is_recorded(home):
    warehouse, _, serving = home

    snapshot = publish_snapshot(warehouse, serving, ["fct_tiny"])

    assert snapshot.files_recorded == 0
    assert set(served(serving)) == {"wms/old.csv"}
