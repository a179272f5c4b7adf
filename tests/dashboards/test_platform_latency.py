"""The inventory-sync page's "Platform latency": a warehouse of the test's own (load log, landed
files, write-back acks) published by the pipeline's publish step, then the page through AppTest.
The figures it should show are computed here from the timestamps written, not by the platform's
SQL."""

from __future__ import annotations

import base64
import json
import os
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from dashboards import ui
from dashboards.queries import inventory
from dashboards.serving import snapshot_version
from ingest.warehouse import connect, ensure_ops_schema
from orchestration.publish import publish_snapshot, refresh_writeback_tables
from tests.dashboards.conftest import metrics, run_page

T0 = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(minutes=15)

# file -> (entity, seconds after T0 it landed, seconds after T0 it was loaded)
FILES = {
    "wms/receipts_1.csv": ("wms__receipts", 0, 9),
    "wms/inspections_1.csv": ("wms__inspections", 3, 17),
    "shopify/orders_1.ndjson": ("shopify__orders", 5, 12),
    "amazon/returns_1.tsv": ("amazon__customer_returns", 41, 70),
    "carrier/trackers_1.json": ("carrier__trackers", 130, 139),
    "pos/store_returns_1.csv": ("pos__store_returns", 200, 260),
    "finance/refunds_1.json": ("finance__payment_refunds", 333, 340),
}
STOCK_MOVING = {
    "wms/receipts_1.csv", "wms/inspections_1.csv", "amazon/returns_1.tsv",
    "pos/store_returns_1.csv",
}  # fmt: skip
# write-back outbox rows: (status, seconds after T0 enqueued, seconds after T0 finished)
ACKS = [("acked", 20, 64), ("acked", 25, 58), ("conflict", 75, 76), ("acked", 80, 121)]


def at(offset: float) -> datetime:
    return T0 + timedelta(seconds=offset)


def warehouse_with_files(tmp_path: Path) -> tuple[Path, Path]:
    warehouse, landing = tmp_path / "warehouse.duckdb", tmp_path / "landing"
    with connect(warehouse) as con:
        con.execute("create schema marts")
        ensure_ops_schema(con)
        for name, (entity, landed, loaded) in FILES.items():
            path = landing / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x\n")
            stamp = at(landed).replace(tzinfo=UTC).timestamp()
            os.utime(path, (stamp, stamp))
            con.execute(
                "insert into ops.load_log values ('b', ?, ?, ?, ?, 'loaded', 1, 1, 0, null, ?, ?)",
                [entity.split("__")[0], entity, name, f"sha-{name}", at(loaded), at(loaded)],
            )
    return warehouse, landing


def add_acks(warehouse: Path) -> None:
    with connect(warehouse) as con:
        con.execute(
            "create table ops.writeback_outbox (correction_id varchar, status varchar, "
            "enqueued_at timestamp, finished_at timestamp)"
        )
        for n, (status, queued, done) in enumerate(ACKS):
            con.execute(
                "insert into ops.writeback_outbox values (?, ?, ?, ?)",
                [f"c{n}", status, at(queued), at(done)],
            )


def expected_seconds(published_at: datetime) -> tuple[list[float], list[float]]:
    """Landing to serving per file, and landing to the first ack enqueued after the load per
    stock-moving file an ack followed, from the rows above."""
    published = (published_at - T0).total_seconds()
    serving = [published - landed for _, landed, _ in FILES.values()]
    channel = []
    for name, (_, landed, loaded) in FILES.items():
        done = [d for status, q, d in ACKS if status == "acked" and q >= loaded]
        if name in STOCK_MOVING and done:
            channel.append(min(done) - landed)
    return serving, channel


def p50_p95(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=20, method="inclusive")  # linear, between ranks
    return cuts[9], cuts[18]


def plotly_array(value) -> list:
    """A figure's array as sent to the browser: a list, or base64 of a typed array."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


def published_at(serving_file: Path) -> datetime:
    with duckdb.connect(str(serving_file), read_only=True) as con:
        return con.execute("select published_at from _snapshot").fetchone()[0]


def test_the_page_shows_the_latency_of_the_published_files(tmp_path, serving_file):
    warehouse, landing = warehouse_with_files(tmp_path)
    publish_snapshot(warehouse, serving_file, [], landing)  # the pipeline's publish step
    add_acks(warehouse)  # a write-back pass, then its republish
    refresh_writeback_tables(warehouse, serving_file)
    serving, channel = expected_seconds(published_at(serving_file))
    assert len(channel) == 3  # the POS file was loaded after the last ack was enqueued

    page = run_page("inventory")

    shown = metrics(page)
    assert shown["Files timed"] == "7"
    assert shown["Stock-moving files on a channel"] == "3 of 4"
    for latency, values in ((inventory.SERVING, serving), (inventory.CHANNEL, channel)):
        p50, p95 = p50_p95(values)
        assert shown[f"{latency} p50"] == ui.seconds(p50), latency
        assert shown[f"{latency} p95"] == ui.seconds(p95), latency
        assert shown[f"{latency} max"] == ui.seconds(max(values)), latency
    # by hand, for the channel: receipts 58 - 0, inspections 58 - 3, FBA returns 121 - 41
    assert sorted(channel) == [55.0, 58.0, 80.0]
    assert shown[f"{inventory.CHANNEL} p50"] == "58.0 s"
    assert shown[f"{inventory.CHANNEL} p95"] == "77.8 s"  # 58 + 0.9 * (80 - 58)
    assert any("do not apply" in caption.value for caption in page.caption)

    # the histogram counts every file once per latency
    (figure,) = [
        json.loads(chart.proto.spec)
        for chart in page.get("plotly_chart")
        if "Platform latency" in chart.proto.spec
    ]
    files = {trace["name"]: sum(plotly_array(trace["y"])) for trace in figure["data"]}
    assert files == {inventory.SERVING: len(serving), inventory.CHANNEL: len(channel)}


def test_the_sidebar_filters_leave_the_platform_latency_alone(tmp_path, serving_file):
    warehouse, landing = warehouse_with_files(tmp_path)
    publish_snapshot(warehouse, serving_file, [], landing)
    serving, _ = expected_seconds(published_at(serving_file))

    page = run_page("inventory", {"channel": "web", "from": "2026-01-01", "to": "2026-01-02"})

    shown = metrics(page)
    assert shown["Files timed"] == "7"
    assert shown[f"{inventory.SERVING} p95"] == ui.seconds(p50_p95(serving)[1])
    assert shown[f"{inventory.CHANNEL} p50"] == ui.DASH  # no write-back pass yet
    assert shown["Stock-moving files on a channel"] == "0 of 4"


def test_a_fresh_warehouse_shows_the_empty_state(tmp_path, serving_file):
    warehouse = tmp_path / "warehouse.duckdb"
    with connect(warehouse) as con:  # no ops schema: nothing ever loaded
        con.execute("create schema marts")
    publish_snapshot(warehouse, serving_file, [], tmp_path / "landing")

    page = run_page("inventory")

    assert not page.error
    assert any("No landed file has been timed yet" in info.value for info in page.info)
    assert "Files timed" not in metrics(page)


@pytest.mark.parametrize(
    ("longest", "width"), [(None, 1.0), (38.0, 1.0), (41.0, 2.0), (700.0, 30.0), (4e6, 172800.0)]
)
def test_histogram_bins_cover_the_longest_latency_in_at_most_40(longest, width):
    summary = {"serving_max": longest, "channel_max": None}

    assert inventory.bin_width(summary) == width
    assert (longest or 0) / width <= inventory.HISTOGRAM_BINS


def test_histogram_bins_hold_each_file_once(tmp_path, serving_file):
    warehouse, landing = warehouse_with_files(tmp_path)
    publish_snapshot(warehouse, serving_file, [], landing)
    serving, _ = expected_seconds(published_at(serving_file))
    version = snapshot_version()

    width = inventory.bin_width(inventory.platform_latency(version))
    bins = inventory.platform_latency_histogram(version, width)

    assert set(bins["latency"]) == {inventory.SERVING}  # no channel seconds without acks
    placed = sorted(
        start for value in serving for start in bins["bin_start"] if start <= value < start + width
    )
    assert placed == sorted(bins.loc[bins["files"] > 0, "bin_start"].repeat(bins["files"]))
