"""Live mode of the simulator: a real `returnops simulate --live` process, stopped with SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from ingest.live import LiveError, atomic_write, history_days, live_name, run_live
from ingest.loader import load_new_files
from ingest.simulate import Scenario, simulate
from ingest.sources import ENTITIES

SCALE = 0.05


def _history(home: Path, days: int = 3) -> None:
    simulate(home, days=days, scale=SCALE, seed=7, scenario=Scenario().without_problems())


def _live_files(landing: Path) -> list[Path]:
    return sorted(p for p in landing.rglob("*") if p.is_file() and ".live-" in p.name)


def _load_all(home: Path) -> dict[str, tuple[int, int, int]]:
    """Every entity's files through the real loader: table -> (files, landed, rejected)."""
    warehouse = home / "warehouse.duckdb"
    results = {}
    for entity in ENTITIES:
        result = load_new_files(warehouse, entity, home / "landing")
        results[entity.table] = (result.files, result.landed, result.rejected)
    return results


def test_live_process_lands_loadable_linked_files_and_stops_cleanly_on_sigint(tmp_path):
    _history(tmp_path)
    env = {**os.environ, "RETURNOPS_HOME": str(tmp_path), "COLUMNS": "200"}
    cli = [sys.executable, "-m", "orchestration.cli", "simulate", "--live", "--rate", "50"]
    process = subprocess.Popen(
        [*cli, "--scale", str(SCALE), "--no-problems"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "live from 2026-01-08" in process.stdout.readline()  # after the 3-day history
        time.sleep(7)
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, out
    assert "Stopped at" in out

    landing = tmp_path / "landing"
    live = _live_files(landing)
    assert len({p.name.split(".live-")[1] for p in live}) >= 2, out  # several ticks wrote
    assert {p.parent.name for p in live} >= {"shopify", "wms", "channel_stock"}
    assert not [p for p in landing.rglob("*") if p.name.endswith(".tmp")]

    loaded = _load_all(tmp_path)
    assert all(rejected == 0 for _, _, rejected in loaded.values()), loaded
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        (failed,) = con.execute(
            "select count(*) from ops.load_log where status <> 'loaded'"
        ).fetchone()
        assert failed == 0
        (live_rows,) = con.execute(
            "select sum(rows_landed) from ops.load_log where file like '%.live-%'"
        ).fetchone()
        assert live_rows > 100
        # live events are the history's business going on: they point at records that exist
        orphans = {
            "shopify returns without their order": """
                select count(*) from raw.shopify__returns r
                where r."order".id not in (select admin_graphql_api_id from raw.shopify__orders)""",
            "shopify refunds without their order": """
                select count(*) from raw.shopify__refunds f
                where f.order_id not in (select id from raw.shopify__orders)""",
            "inspections without their receipt": """
                select count(*) from raw.wms__inspections i
                where i.receipt_id not in (select receipt_id from raw.wms__receipts)""",
        }
        for what, query in orphans.items():
            assert con.execute(query).fetchone() == (0,), what
        # the ids go on from the history's: no order id is issued twice
        assert con.execute(
            "select count(*) - count(distinct id) from raw.shopify__orders"
        ).fetchone() == (0,)


def _run_in_thread(home: Path, seconds: float, **kwargs) -> None:
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    try:
        run_live(home, rate=200, scale=SCALE, tick=0.2, stop=stop, **kwargs)
    finally:
        timer.cancel()


def test_a_second_live_run_resumes_where_the_first_stopped(tmp_path):
    _history(tmp_path, days=2)
    _run_in_thread(tmp_path, 1.0, problems=False)
    first = _live_files(tmp_path / "landing")
    _run_in_thread(tmp_path, 1.0, problems=False)
    second = _live_files(tmp_path / "landing")
    assert set(first) < set(second)
    loaded = _load_all(tmp_path)
    assert all(rejected == 0 for _, _, rejected in loaded.values()), loaded
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        # resumed, not restarted: the second run's orders are new ones
        assert con.execute(
            "select count(*) - count(distinct id) from raw.shopify__orders"
        ).fetchone() == (0,)


def test_a_history_made_with_other_options_is_refused(tmp_path):
    _history(tmp_path, days=2)
    stop = threading.Event()
    stop.set()
    with pytest.raises(LiveError, match="--seed"):
        run_live(tmp_path, rate=50, scale=SCALE, seed=8, problems=False, stop=stop)
    assert not _live_files(tmp_path / "landing")


def test_history_days_reads_batch_file_names_only(tmp_path):
    shop = tmp_path / "shopify"
    shop.mkdir()
    assert history_days(tmp_path) == 0
    for name in ("orders_2026-01-05.ndjson", "orders_2026-01-07.ndjson",
                 "orders_2026-01-09.live-000003.ndjson"):  # fmt: skip
        (shop / name).write_text("{}\n")
    assert history_days(tmp_path) == 3


def test_live_names_keep_the_pattern_and_the_day(tmp_path):
    name = live_name("amazon/fba_customer_returns_2026-01-09.tsv", 17)
    assert name == "amazon/fba_customer_returns_2026-01-09.live-000017.tsv"
    target = tmp_path / "wms" / "receipts_2026-01-09.live-000001.csv"
    atomic_write(target, [b"a\n", b"b\n"])
    assert target.read_bytes() == b"a\nb\n"
    assert [p.name for p in target.parent.iterdir()] == [target.name]
