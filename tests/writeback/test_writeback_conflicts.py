"""A concurrent stock change makes the compare-and-set fail; the next run recomputes it."""

import json

import pytest

from tests.writeback.conftest import outbox, query, settings_for, shown, stock_and_corrections
from writeback import run_writeback


@pytest.mark.parametrize("channel", ["web", "amazon"])
def test_concurrent_change_is_a_conflict_and_the_next_run_recomputes_and_acks(
    sandbox, tmp_path, channel
):
    stock, corrections = stock_and_corrections(4, (channel,))
    sandbox.seed(stock)
    # the first item's stock moves by -3 (a sale) between the basis snapshot and the write
    sandbox.set_faults(concurrent_change={"times": 1, "delta": -3})
    warehouse, landing, settings = (
        tmp_path / "wh.duckdb",
        tmp_path / "landing",
        settings_for(sandbox),
    )

    first = run_writeback(warehouse, corrections, settings, landing=landing)

    assert (first.acked, first.conflicts, first.failed) == (3, 1, 0)
    (conflict,) = [r for r in outbox(warehouse).values() if r["status"] == "conflict"]
    assert conflict["observed_quantity"] == 7  # 10 - 3: never forced to 12
    assert "expected 10" in conflict["status_reason"] and "7" in conflict["status_reason"]
    assert shown(sandbox)[(channel, conflict["sku"])] == 7
    # what the conflict revealed lands as a pull line, so the mart can recompute too
    observed = [
        json.loads(line)
        for path in (landing / "channel_stock").glob(f"pull_{channel}_*_observed.ndjson")
        for line in path.read_text().splitlines()
    ]
    assert [(o["sku"], o["quantity"], o["origin"]) for o in observed] == [
        (conflict["sku"], 7, "pull")
    ]

    second = run_writeback(warehouse, [], settings, landing=landing)

    assert second.recomputed == 1 and second.acked == 1
    rows = outbox(warehouse)
    (recomputed,) = [r for r in rows.values() if r["supersedes"] == conflict["correction_id"]]
    assert (recomputed["published_quantity"], recomputed["target_quantity"]) == (7, 12)
    assert recomputed["status"] == "acked"
    assert rows[conflict["correction_id"]]["recomputed_as"] == recomputed["correction_id"]
    assert set(shown(sandbox).values()) == {12}
    # a third run has nothing left to do
    third = run_writeback(warehouse, corrections, settings, landing=landing)
    assert third.sent == 0 and third.recomputed == 0


def test_only_the_stale_items_of_a_shopify_batch_conflict(sandbox, tmp_path):
    """Shopify rejects the whole mutation; the client resends the others under a new key."""
    stock, corrections = stock_and_corrections(6, ("web",))
    sandbox.seed(stock)
    sandbox.set_faults(concurrent_change={"times": 2})
    warehouse = tmp_path / "wh.duckdb"

    report = run_writeback(warehouse, corrections, settings_for(sandbox), landing=tmp_path / "l")

    assert (report.acked, report.conflicts) == (4, 2)
    writes = query(
        warehouse,
        "select idempotency_key, len(correction_ids), response_body from ops.writeback_audit "
        "where operation = 'inventorySetQuantities' order by started_at",
    )
    assert [n for _, n, _ in writes] == [6, 4]
    assert writes[0][0] != writes[1][0]
    assert json.loads(writes[0][2])["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == (
        "CHANGE_FROM_QUANTITY_STALE"
    )
    counts = sandbox.applications()
    assert counts["applications"] == 1 and counts["changes"] == 4


def test_a_conflict_replaced_by_a_newer_correction_is_not_recomputed(sandbox, tmp_path):
    stock, corrections = stock_and_corrections(1, ("web",))
    sandbox.seed(stock)
    sandbox.set_faults(concurrent_change={"times": 1, "delta": -1})
    warehouse, settings = tmp_path / "wh.duckdb", settings_for(sandbox)
    run_writeback(warehouse, corrections, settings, landing=tmp_path / "l")
    # the mart recomputed it first: from 9 to a new target of 11
    newer = corrections[0].model_copy(
        update={"published_quantity": 9, "target_quantity": 11, "delta": 2, "correction_id": "m2"}
    )

    second = run_writeback(warehouse, [newer], settings, landing=tmp_path / "l")

    assert second.recomputed == 0 and second.acked == 1
    assert shown(sandbox)[("web", newer.sku)] == 11
