"""A crash mid-file leaves nothing of that file behind, and a re-run loads it completely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ingest.loader
from ingest.loader import load_new_files
from ingest.sources.shopify import ORDERS


def write_orders(landing: Path, day: int, count: int) -> None:
    path = landing / "shopify" / f"orders_2026-01-{day:02d}.ndjson"
    path.parent.mkdir(parents=True, exist_ok=True)
    orders = (
        {
            "id": day * 1000 + n,
            "admin_graphql_api_id": f"gid://shopify/Order/{day * 1000 + n}",
            "created_at": f"2026-01-{day:02d}T10:00:00Z",
            "source_name": "web",
            "line_items": [{"id": n, "sku": "TOP-0001", "quantity": 1, "price": "9.99"}],
        }
        for n in range(count)
    )
    path.write_text("".join(json.dumps(order) + "\n" for order in orders))


def test_crash_before_commit_leaves_nothing_and_rerun_loads_the_file(tmp_path, sql, monkeypatch):
    landing, wh, fresh_wh = tmp_path / "landing", tmp_path / "wh.duckdb", tmp_path / "fresh.duckdb"
    for day, count in ((5, 30), (6, 40), (7, 50)):
        write_orders(landing, day, count)
    crashed = "shopify/orders_2026-01-06.ndjson"
    real_log = ingest.loader._log

    def log_then_crash_on_one_file(con, entity, batch_id, name, *args):
        if name == crashed:
            raise RuntimeError("simulated crash after the raw insert, before commit")
        return real_log(con, entity, batch_id, name, *args)

    monkeypatch.setattr(ingest.loader, "_log", log_then_crash_on_one_file)
    with pytest.raises(RuntimeError, match="simulated crash"):
        load_new_files(wh, ORDERS, landing=landing)
    monkeypatch.undo()

    # nothing of the crashed file; every file logged is there whole (others may have committed)
    logged = dict(sql(wh, "select file, rows_landed from ops.load_log"))
    landed = dict(sql(wh, "select _file, count(*) from raw.shopify__orders group by 1"))
    assert crashed not in logged and crashed not in landed
    assert landed == logged and len(logged) >= 1
    assert sql(wh, "select count(*) from ops.rejects") == [(0,)]

    rerun = load_new_files(wh, ORDERS, landing=landing)
    fresh = load_new_files(fresh_wh, ORDERS, landing=landing)

    assert rerun.skipped_files == len(logged) and rerun.files == fresh.files - len(logged)
    by_file = "select _file, count(*), count(distinct _row) from raw.shopify__orders group by 1"
    assert sorted(sql(wh, by_file)) == sorted(sql(fresh_wh, by_file))
    crashed_log = "select rows_read, rows_landed from ops.load_log where file = ?"
    assert sql(wh, crashed_log, [crashed]) == sql(fresh_wh, crashed_log, [crashed]) == [(40, 40)]
