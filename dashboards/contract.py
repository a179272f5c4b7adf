"""The mart columns the dashboards read: docs/marts.md as data.

docs/marts.md fixes the names of every `fct_`/`dim_` column; the dashboards, the planners' export
and the write-back read exactly these. The types are the contract's (timestamps naive UTC, money
`decimal(18,2)`, durations hours as `double`). `missing_columns` tells what a snapshot lacks.

The `rpt_` rollups at the end are the one the pipeline publishes today
(`rpt_cycle_time_by_channel`) and the ones the dashboards ask the marts to add: `rpt_sales_daily`
(units sold, for the return rate) and three unfiltered rollups that keep the landing views fast
at scale (medians cannot be summed, so an unfiltered view would otherwise sort millions of rows
on every cold load). `dashboards.rollups.ROLLUPS` gives the SQL that defines each derived rollup
from the facts.

Last, `platform_file_latency` is no mart: the publish step writes it beside them (the platform's
own latency per landed file: landing to serving, landing to channel, in seconds).
"""

from __future__ import annotations

import duckdb

TS, MONEY, HOURS = "timestamp", "decimal(18,2)", "double"

CONTRACT: dict[str, dict[str, str]] = {
    "dim_products": {
        "sku": "varchar", "product_name": "varchar", "category": "varchar",
        "vendor_id": "varchar", "unit_price": MONEY, "unit_cost": MONEY,
    },
    "dim_nodes": {
        "node_id": "varchar", "node_type": "varchar", "node_name": "varchar",
        "region": "varchar", "shopify_location_id": "bigint",
    },
    "dim_channels": {
        "channel_id": "varchar", "channel_name": "varchar", "platform": "varchar",
        "channel_kind": "varchar", "writeback_protocol": "varchar",
    },
    "dim_dates": {
        "date_day": "date", "week_start": "date", "month_start": "date", "year": "integer",
        "day_of_week": "integer",
    },
    "fct_return_lines": {
        "return_line_id": "varchar", "return_id": "varchar", "source": "varchar",
        "channel": "varchar", "order_id": "varchar", "sku": "varchar", "category": "varchar",
        "vendor_id": "varchar", "quantity": "integer", "reason_code": "varchar",
        "reason_group": "varchar", "source_reason_code": "varchar", "node_id": "varchar",
        "initiated_at": TS, "label_created_at": TS, "in_transit_at": TS, "delivered_at": TS,
        "received_at": TS, "inspected_at": TS, "disposition_assigned_at": TS,
        "inventory_updated_at": TS, "resolved_at": TS, "resolution": "varchar",
        "grade": "varchar", "disposition": "varchar", "target_state": "varchar",
        "status": "varchar", "hours_to_receive": HOURS, "hours_to_inspect": HOURS,
        "hours_to_resolve": HOURS, "cycle_time_hours": HOURS, "unit_price": MONEY,
        "original_value": MONEY, "refund_amount": MONEY, "expected_refund": MONEY,
        "refund_difference": MONEY, "recovery_value": MONEY,
        "is_restocked_before_inspection": "boolean", "exception_count": "integer",
        "initiated_date": "date",
    },
    "fct_refunds": {
        "return_line_id": "varchar", "return_id": "varchar", "channel": "varchar",
        "node_id": "varchar", "category": "varchar", "received_at": TS, "resolved_at": TS,
        "resolution": "varchar", "refund_amount": MONEY, "expected_refund": MONEY,
        "refund_difference": MONEY, "is_accurate": "boolean", "days_from_receipt": HOURS,
        "is_open": "boolean", "ageing_bucket": "varchar", "sla_target_hours": HOURS,
        "is_sla_breach": "boolean", "as_of": TS,
    },
    "fct_inspection_backlog": {
        "node_id": "varchar", "date_day": "date", "units_awaiting": "integer",
        "units_received": "integer", "units_inspected": "integer", "oldest_received_at": TS,
        "oldest_age_hours": HOURS, "units_over_sla": "integer",
    },
    "fct_return_exceptions": {
        "exception_id": "varchar", "exception_type": "varchar", "severity": "varchar",
        "owner_role": "varchar", "return_line_id": "varchar", "sku": "varchar",
        "node_id": "varchar", "channel": "varchar", "detected_at": TS, "age_hours": HOURS,
        "detail": "varchar", "is_open": "boolean",
    },
    "fct_inventory_positions": {
        "date_day": "date", "sku": "varchar", "node_id": "varchar", "state": "varchar",
        "units": "integer", "is_latest": "boolean",
    },
    "fct_channel_atp": {
        "date_day": "date", "channel": "varchar", "sku": "varchar", "atp": "integer",
        "is_latest": "boolean",
    },
    "fct_inventory_sync": {
        "event_id": "varchar", "event_type": "varchar", "sku": "varchar", "node_id": "varchar",
        "channel": "varchar", "physical_at": TS, "sor_updated_at": TS, "channel_shown_at": TS,
        "sor_latency_hours": HOURS, "channel_latency_hours": HOURS,
    },
    "fct_channel_stock_gaps": {
        "channel": "varchar", "sku": "varchar", "published_quantity": "integer",
        "atp": "integer", "oversell_risk_units": "integer", "hidden_units": "integer",
        "published_at": TS,
    },
    "fct_stock_corrections": {
        "correction_id": "varchar", "channel": "varchar", "sku": "varchar",
        "location_id": "varchar", "inventory_item_id": "varchar",
        "published_quantity": "integer", "target_quantity": "integer", "delta": "integer",
        "unit_value": MONEY, "needs_approval": "boolean", "basis_published_at": TS,
    },
    "fct_recovery": {
        "month_start": "date", "disposition": "varchar", "category": "varchar",
        "channel": "varchar", "units": "integer", "original_value": MONEY,
        "recovered_value": MONEY, "recovery_rate": HOURS,
    },
    "fct_chargeback_opportunities": {
        "vendor_id": "varchar", "vendor_name": "varchar", "sku": "varchar", "units": "integer",
        "claimable_amount": MONEY, "oldest_received_at": TS, "claim_deadline": "date",
    },
    # rollups: the one the pipeline publishes today, and the one the dashboards ask for
    "rpt_cycle_time_by_channel": {
        "channel": "varchar", "return_lines": "bigint", "resolved_lines": "bigint",
        "median_cycle_time_hours": HOURS, "p90_cycle_time_hours": HOURS,
    },
    "rpt_sales_daily": {
        "date_day": "date", "channel": "varchar", "node_id": "varchar", "category": "varchar",
        "orders": "integer", "units_sold": "integer", "sales_value": MONEY,
    },
    "rpt_cycle_time_days": {"channel": "varchar", "cycle_days": "integer", "lines": "bigint"},
    "rpt_lifecycle_weekly": {
        "week_start": "date", "channel": "varchar", "lines_initiated": "bigint",
        "lines_resolved": "bigint", "median_cycle_time_hours": HOURS,
    },
    "rpt_lifecycle_stages": {
        "stage_order": "integer", "stage": "varchar", "lines": "bigint",
        "median_hours_from_previous": HOURS,
    },
    "rpt_sync_latency_by_channel": {
        "channel": "varchar", "events": "bigint", "median_sor_latency_hours": HOURS,
        "p90_sor_latency_hours": HOURS, "median_channel_latency_hours": HOURS,
        "p90_channel_latency_hours": HOURS, "not_yet_shown": "bigint",
    },
    "rpt_weekly_kpis": {
        "week_start": "date", "returns": "bigint", "returned_units": "bigint",
        "units_sold": "bigint", "median_cycle_time_hours": HOURS, "recovery_rate": HOURS,
        "inspection_backlog_units": "bigint", "open_refunds_over_sla": "bigint",
        "open_exceptions": "bigint",
    },
    "rpt_source_freshness": {
        "source": "varchar", "newest_occurred_at": TS, "newest_recorded_at": TS,
        "newest_loaded_at": TS,
    },
    # not a mart: the publish step's own table (orchestration.latency), one row per loaded file
    "platform_file_latency": {
        "file": "varchar", "entity": "varchar", "landed_at": TS, "loaded_at": TS,
        "published_at": TS, "serving_seconds": "double", "channel_seconds": "double",
        "is_stock_moving": "boolean",
    },
}  # fmt: skip

# Lifecycle stages in order, with the timestamp column of each (docs/marts.md).
STAGES: tuple[tuple[str, str], ...] = (
    ("initiated", "initiated_at"),
    ("label created", "label_created_at"),
    ("in transit", "in_transit_at"),
    ("delivered", "delivered_at"),
    ("received", "received_at"),
    ("inspected", "inspected_at"),
    ("disposition assigned", "disposition_assigned_at"),
    ("inventory updated", "inventory_updated_at"),
    ("resolved", "resolved_at"),
)


def missing_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Per contract table, the columns the connected snapshot lacks (all of them if no table)."""
    present: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'main'"
    ).fetchall():
        present.setdefault(table, set()).add(column)
    return {
        table: [c for c in columns if c not in present.get(table, set())]
        for table, columns in CONTRACT.items()
        if any(c not in present.get(table, set()) for c in columns)
    }
