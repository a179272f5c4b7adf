"""Corrections over the threshold wait for an operator; decisions that cannot apply are
recorded as rejected with the reason."""

from datetime import datetime

import duckdb

from ingest.sources.approvals import DECISIONS
from tests.writeback.conftest import outbox, query, settings_for, shown, stock_and_corrections
from writeback import run_writeback


def add_decision(warehouse, approval_id, decision, correction_ids, operator="ana"):
    """Rows as ingest lands them from `landing/approvals/` (raw.approvals__decisions)."""
    with duckdb.connect(str(warehouse)) as con:
        columns = ", ".join(
            f"{c.name} {'timestamp' if c.type == 'TIMESTAMP_UTC' else c.type}"
            for c in DECISIONS.columns
        )
        con.execute("create schema if not exists raw")
        con.execute(f"create table if not exists raw.{DECISIONS.table} ({columns})")
        con.execute(
            f"insert into raw.{DECISIONS.table} values (?, ?, ?, ?, ?, ?, ?)",
            [
                approval_id,
                datetime(2026, 3, 1, 9),
                operator,
                "operator",
                decision,
                correction_ids,
                "checked the shelf",
            ],
        )


def test_over_threshold_waits_until_approved_then_is_sent(sandbox, tmp_path):
    stock, small = stock_and_corrections(2, ("web",))
    _, big_units = stock_and_corrections(1, ("amazon",), target=100)  # 90 units > 50
    _, big_value = stock_and_corrections(1, ("zalando",), target=40, unit_value=50)  # 1,500
    stock += [
        {"channel": "amazon", "sku": big_units[0].sku, "quantity": 10},
        {
            "channel": "zalando",
            "sku": big_value[0].sku,
            "quantity": 10,
            "location_id": big_value[0].location_id,
            "inventory_item_id": "9999",
        },
    ]
    big_value = [big_value[0].model_copy(update={"inventory_item_id": "9999"})]
    sandbox.seed(stock)
    warehouse, settings = tmp_path / "wh.duckdb", settings_for(sandbox)
    corrections = small + big_units + big_value

    first = run_writeback(warehouse, corrections, settings, landing=tmp_path / "l")

    assert first.acked == 2 and first.held_for_approval == 2
    rows = outbox(warehouse)
    assert rows[big_units[0].correction_id]["approval_reason"] == "90 units > 50"
    assert rows[big_value[0].correction_id]["approval_reason"] == "value 1,500.00 > 1,000.00"
    assert shown(sandbox)[("amazon", big_units[0].sku)] == 10  # not sent
    again = run_writeback(warehouse, corrections, settings, landing=tmp_path / "l")
    assert again.sent == 0 and again.held_for_approval == 2

    add_decision(warehouse, "apr-1", "approve", [big_units[0].correction_id])
    add_decision(warehouse, "apr-2", "reject", [big_value[0].correction_id])
    third = run_writeback(warehouse, [], settings, landing=tmp_path / "l")

    assert third.approvals_applied == 2 and third.acked == 1
    rows = outbox(warehouse)
    assert rows[big_units[0].correction_id]["status"] == "acked"
    assert rows[big_units[0].correction_id]["approval_id"] == "apr-1"
    assert rows[big_value[0].correction_id]["status"] == "rejected"
    assert shown(sandbox)[("amazon", big_units[0].sku)] == 100
    assert shown(sandbox)[("zalando", big_value[0].sku)] == 10


def test_approval_for_unknown_or_already_sent_correction_is_rejected_with_reason(sandbox, tmp_path):
    stock, corrections = stock_and_corrections(2, ("web",))
    sandbox.seed(stock)
    warehouse, settings = tmp_path / "wh.duckdb", settings_for(sandbox)
    run_writeback(warehouse, corrections, settings, landing=tmp_path / "l")  # both acked
    add_decision(
        warehouse, "apr-9", "approve", ["cor_does_not_exist", corrections[0].correction_id]
    )

    report = run_writeback(warehouse, [], settings, landing=tmp_path / "l")

    assert report.approvals_applied == 0
    assert set(report.approvals_rejected) == {
        ("apr-9", "cor_does_not_exist", "unknown correction: not in the outbox"),
        ("apr-9", corrections[0].correction_id, "already sent (now acked)"),
    }
    assert "rejected: unknown correction" in str(report)
    recorded = query(
        warehouse,
        "select correction_id, outcome, reason from ops.writeback_approvals order by reason",
    )
    assert recorded == [
        (corrections[0].correction_id, "rejected", "already sent (now acked)"),
        ("cor_does_not_exist", "rejected", "unknown correction: not in the outbox"),
    ]
    # processed once: the next run does not decide (or reject) it again
    assert run_writeback(warehouse, [], settings).approvals_rejected == []
    assert query(warehouse, "select count(*) from ops.writeback_approvals") == [(2,)]


def test_a_second_approval_and_an_approval_after_rejection_are_rejected(sandbox, tmp_path):
    stock, corrections = stock_and_corrections(2, ("web",), target=500)
    sandbox.seed(stock)
    sandbox.set_faults(error_5xx={})  # keep approved corrections from being sent
    warehouse, settings = tmp_path / "wh.duckdb", settings_for(sandbox, max_attempts=1)
    a, b = (c.correction_id for c in corrections)
    run_writeback(warehouse, corrections, settings, landing=tmp_path / "l")
    add_decision(warehouse, "apr-1", "reject", [a])
    add_decision(warehouse, "apr-2", "approve", [a])

    report = run_writeback(warehouse, [], settings, landing=tmp_path / "l")

    assert report.approvals_rejected == [("apr-2", a, "already rejected by approval apr-1")]
    assert outbox(warehouse)[b]["status"] == "pending"
