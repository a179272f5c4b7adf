"""SIGKILL a real ingest process mid-file: the re-run ends with exactly a clean run's rows."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from ingest.loader import load_new_files
from ingest.sources.shopify import ORDERS

LOAD_SCRIPT = """
import sys
from pathlib import Path

import duckdb
from ingest.loader import load_new_files
from ingest.sources.shopify import ORDERS
load_new_files(Path(sys.argv[1]), ORDERS, Path(sys.argv[2]))
"""


def write_orders(path: Path, count: int, first_id: int) -> None:
    """Shopify order payloads, one per line, written by DuckDB (fast enough for a big file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(
            f"""
            copy (
                select n as id, 'gid://shopify/Order/' || n as admin_graphql_api_id,
                       '2026-01-05T10:00:00Z' as created_at, 'web' as source_name,
                       [{{'id': n * 10, 'sku': 'TOP-0001', 'quantity': 1, 'price': '9.99'}}]
                           as line_items
                from range({first_id}, {first_id + count}) as r(n)
            ) to '{path}' (format json)
            """
        )


def counts(warehouse: Path) -> tuple:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select (select count(*) from raw.shopify__orders),"
            " (select count(distinct id) from raw.shopify__orders),"
            " (select count(*) from ops.load_log), (select count(*) from ops.rejects)"
        ).fetchone()


def test_killed_load_leaves_nothing_and_the_rerun_loads_exactly_once(tmp_path):
    landing = tmp_path / "landing"
    write_orders(landing / "shopify" / "orders_2026-01-05.ndjson", 2_000, 1)
    write_orders(landing / "shopify" / "orders_2026-01-06.ndjson", 1_500_000, 10_000)
    killed_wh, clean_wh = tmp_path / "killed.duckdb", tmp_path / "clean.duckdb"

    process = subprocess.Popen([sys.executable, "-c", LOAD_SCRIPT, str(killed_wh), str(landing)])
    time.sleep(0.5)
    while process.poll() is None and not killed_wh.exists():
        time.sleep(0.05)
    time.sleep(1.5)  # the small file commits; the big one is being read
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the load finished before the kill: grow the file"

    with duckdb.connect(str(killed_wh), read_only=True) as con:
        logged = con.execute("select file from ops.load_log").fetchall()
    assert ("shopify/orders_2026-01-06.ndjson",) not in logged

    load_new_files(killed_wh, ORDERS, landing)
    load_new_files(clean_wh, ORDERS, landing)
    assert counts(killed_wh) == counts(clean_wh) == (1_502_000, 1_502_000, 2, 0)
    # a parallel read still numbers the rows by their line: order n is on line n - 10_000 + 1
    with duckdb.connect(str(killed_wh), read_only=True) as con:
        misnumbered = con.execute(
            "select count(*) from raw.shopify__orders"
            " where _file = 'shopify/orders_2026-01-06.ndjson' and _row <> id - 10_000 + 1"
        ).fetchone()
    assert misnumbered == (0,)
