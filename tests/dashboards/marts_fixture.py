"""A small, hand-made, coherent serving snapshot with every mart of docs/marts.md.

The dashboards are built against the column contract in docs/marts.md while the real marts are
being written (`dashboards.contract.CONTRACT`: table -> columns and types, exactly the documented
names). This module holds a deterministic retailer in miniature: 36 return lines over five weeks
in four channels, three nodes and three categories, with every other mart derived from those
lines the way the doc describes it (refunds from the lines, backlog from receipts and
inspections, recovery from dispositions, exceptions, stock gaps and corrections...), and the
publish step's `platform_file_latency` for eight landed files.

Tests compute what a page should show from these DataFrames with pandas, never through the
page's SQL. `write_snapshot` writes any set of them as a serving file the way the pipeline
publishes one (temp file, then `os.replace`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from dashboards.contract import CONTRACT, TS  # the documented columns
from dashboards.rollups import ROLLUPS

AS_OF = datetime(2026, 2, 8, 12, 0)
START = datetime(2026, 1, 5, 8, 0)  # a Monday
CHANNELS = ("web", "zalando", "amazon", "store")
SOURCES = {"web": "shopify", "zalando": "shopify", "amazon": "amazon", "store": "pos"}
PRODUCTS = (
    # sku, name, category, vendor, price, cost
    ("DRS-001-S", "Wilma Midi Dress S", "dresses", "V01", 74.99, 34.50),
    ("DRS-002-M", "Ada Wrap Dress M", "dresses", "V02", 59.90, 25.00),
    ("JNS-010-30", "Straight Jeans 30", "jeans", "V01", 89.00, 40.00),
    ("JNS-011-32", "Slim Jeans 32", "jeans", "V03", 79.50, 33.20),
    ("SHO-100-39", "Leather Sneaker 39", "shoes", "V02", 120.00, 55.00),
    ("SHO-101-42", "Chelsea Boot 42", "shoes", "V03", 149.00, 70.00),
)
VENDORS = {"V01": "Nordtex GmbH", "V02": "Atelier Sud", "V03": "Denim Works BV"}
NODES = (
    ("DC-EAST", "dc", "Distribution centre East", "DE", 61234560001),
    ("DC-WEST", "dc", "Distribution centre West", "NL", 61234560002),
    ("ST-BER", "store", "Store Berlin Mitte", "DE", 61234560011),
)
REASONS = (
    ("SIZE_TOO_SMALL", "size", "SIZE_TOO_SMALL"),
    ("STYLE", "preference", "STYLE"),
    ("DEFECTIVE", "product", "DEFECTIVE"),
    ("DAMAGED_IN_TRANSIT", "logistics", "DAMAGED_IN_TRANSIT"),
    ("SIZE_TOO_LARGE", "size", "SIZE_TOO_LARGE"),
)
GRADES = ("A", "B", "C", "A", "B")
RECOVERY = {"restock": 1.0, "secondary_channel": 0.6, "return_to_vendor": 0.8, "liquidate": 0.2}
TARGET_STATE = {
    "restock": "available",
    "secondary_channel": "secondary",
    "return_to_vendor": "vendor_return",
    "liquidate": "liquidation",
}
REFUND_SLA_HOURS = {"web": 240.0, "zalando": 336.0, "amazon": 240.0, "store": 1.0}
INSPECTION_SLA_HOURS = 24.0
LINE_COUNT = 36  # the last one is initiated just before AS_OF


def _hours(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds() / 3600


def _known(moment: datetime | None, as_of: datetime) -> datetime | None:
    """A stage only exists once it has happened by the data's now."""
    return moment if moment is not None and moment <= as_of else None


def _ageing_bucket(days: float) -> str:
    if days <= 2:
        return "0-2"
    if days <= 7:
        return "3-7"
    if days <= 14:
        return "8-14"
    if days <= 30:
        return "15-30"
    return ">30"


def _line(i: int, as_of: datetime) -> dict:
    channel = CHANNELS[i % 4]
    sku, _, category, vendor, price, _ = PRODUCTS[(i * 5) % 6]
    reason, group, source_reason = REASONS[i % 5]
    quantity = 2 if i % 6 == 5 else 1
    initiated = START + timedelta(hours=23 * i)
    declined = i % 13 == 12
    store = channel == "store"
    if store:
        label = transit = delivered = None
        received = initiated
        node = "ST-BER"
        inspected = received + timedelta(minutes=30)
    else:
        label = initiated + timedelta(hours=2)
        transit = initiated + timedelta(hours=20)
        delivered = initiated + timedelta(hours=48 + 12 * (i % 5))
        received = delivered + timedelta(hours=3)
        node = "DC-EAST" if i % 2 == 0 else "DC-WEST"
        inspected = received + timedelta(hours=6 + 8 * (i % 7))
    if i % 7 == 6:  # stuck: never resolved
        resolved = None
    else:
        resolved = (
            (received + timedelta(minutes=45))
            if store
            else (received + timedelta(hours=10 + 20 * (i % 4)))
        )
    restocked_early = i % 17 == 4
    inventory_updated = inspected + timedelta(hours=2)
    if restocked_early:
        inventory_updated = received + timedelta(hours=1)
    stages = {
        "label_created_at": label,
        "in_transit_at": transit,
        "delivered_at": delivered,
        "received_at": received,
        "inspected_at": inspected,
        "disposition_assigned_at": inspected,
        "inventory_updated_at": inventory_updated,
        "resolved_at": resolved,
    }
    if declined:
        stages = dict.fromkeys(stages)
    stages = {name: _known(moment, as_of) for name, moment in stages.items()}
    if stages["received_at"] is None:
        stages.update(inspected_at=None, disposition_assigned_at=None, inventory_updated_at=None)
    if stages["inspected_at"] is None:
        stages.update(disposition_assigned_at=None)
        if not restocked_early:
            stages.update(inventory_updated_at=None)

    received_at, inspected_at = stages["received_at"], stages["inspected_at"]
    resolved_at = stages["resolved_at"]
    grade = GRADES[i % 5] if inspected_at else None
    if grade is None:
        disposition = None
    elif grade == "A":
        disposition = "restock"
    elif grade == "B":
        disposition = "secondary_channel"
    else:
        disposition = "return_to_vendor" if reason == "DEFECTIVE" else "liquidate"
    resolution = None
    if resolved_at is not None:
        resolution = "exchange" if i % 11 == 10 else "store_credit" if i % 9 == 8 else "refund"
    original = round(price * quantity, 2)
    expected = original if resolution in ("refund", "store_credit") else None
    refund = None
    if resolution in ("refund", "store_credit"):
        refund = round(original + 5.0, 2) if i % 10 == 3 else original
    recovery = round(original * RECOVERY[disposition], 2) if disposition else None

    if declined:
        status = "declined"
    else:
        status = "initiated"
        for name, moment in (
            ("label_created", stages["label_created_at"]),
            ("in_transit", stages["in_transit_at"]),
            ("delivered", stages["delivered_at"]),
            ("received", received_at),
            ("inspected", inspected_at),
            ("resolved", resolved_at),
        ):
            if moment is not None:
                status = name
    return {
        "return_line_id": f"rl-{i:03d}",
        "return_id": f"r-{i // 2:03d}",
        "source": SOURCES[channel],
        "channel": channel,
        "order_id": f"o-{i // 2:03d}",
        "sku": sku,
        "category": category,
        "vendor_id": vendor,
        "quantity": quantity,
        "reason_code": reason,
        "reason_group": group,
        "source_reason_code": source_reason,
        "node_id": node if received_at else None,
        "initiated_at": initiated,
        **stages,
        "resolution": resolution,
        "grade": grade,
        "disposition": disposition,
        "target_state": TARGET_STATE.get(disposition),
        "status": status,
        "hours_to_receive": _hours(received_at, initiated),
        "hours_to_inspect": _hours(inspected_at, received_at),
        "hours_to_resolve": _hours(resolved_at, received_at),
        "cycle_time_hours": _hours(resolved_at, initiated),
        "unit_price": price,
        "original_value": original,
        "refund_amount": refund,
        "expected_refund": expected,
        "refund_difference": None if refund is None else round(refund - expected, 2),
        "recovery_value": recovery,
        "is_restocked_before_inspection": bool(
            restocked_early and stages["inventory_updated_at"] is not None
        ),
        "exception_count": 0,
        "initiated_date": initiated.date(),
    }


def _refunds(lines: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    rows = []
    for line in lines.itertuples():
        if pd.isna(line.received_at) or line.resolution == "exchange":
            continue
        is_open = pd.isna(line.resolved_at)
        end = as_of if is_open else line.resolved_at
        days = (end - line.received_at).total_seconds() / 86400
        sla = REFUND_SLA_HOURS[line.channel]
        rows.append(
            {
                "return_line_id": line.return_line_id,
                "return_id": line.return_id,
                "channel": line.channel,
                "node_id": line.node_id,
                "category": line.category,
                "received_at": line.received_at,
                "resolved_at": None if is_open else line.resolved_at,
                "resolution": line.resolution,
                "refund_amount": line.refund_amount,
                "expected_refund": (line.original_value if is_open else line.expected_refund),
                "refund_difference": line.refund_difference,
                "is_accurate": None if is_open else abs(line.refund_difference) < 0.01,
                "days_from_receipt": days,
                "is_open": is_open,
                "ageing_bucket": _ageing_bucket(days) if is_open else None,
                "sla_target_hours": sla,
                "is_sla_breach": days * 24 > sla,
                "as_of": as_of,
            }
        )
    return pd.DataFrame(rows)


def _backlog(lines: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    rows = []
    received = lines.dropna(subset=["received_at"])
    received = received[received["node_id"].str.startswith("DC")]
    first_day = START.date()
    days = (as_of.date() - first_day).days + 1
    for node in ("DC-EAST", "DC-WEST"):
        at_node = received[received["node_id"] == node]
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            close = min(datetime.combine(day + timedelta(days=1), datetime.min.time()), as_of)
            opening = datetime.combine(day, datetime.min.time())
            waiting = at_node[
                (at_node["received_at"] < close)
                & (at_node["inspected_at"].isna() | (at_node["inspected_at"] >= close))
            ]
            ages = (close - waiting["received_at"]).dt.total_seconds() / 3600
            got = at_node[(at_node["received_at"] >= opening) & (at_node["received_at"] < close)]
            done = at_node[
                at_node["inspected_at"].notna()
                & (at_node["inspected_at"] >= opening)
                & (at_node["inspected_at"] < close)
            ]
            rows.append(
                {
                    "node_id": node,
                    "date_day": day,
                    "units_awaiting": int(waiting["quantity"].sum()),
                    "units_received": int(got["quantity"].sum()),
                    "units_inspected": int(done["quantity"].sum()),
                    "oldest_received_at": waiting["received_at"].min() if len(waiting) else None,
                    "oldest_age_hours": float(ages.max()) if len(waiting) else None,
                    "units_over_sla": int(
                        waiting.loc[ages > INSPECTION_SLA_HOURS, "quantity"].sum()
                    ),
                }
            )
    return pd.DataFrame(rows)


def _exceptions(lines: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    rows = []

    def add(line, kind, severity, role, detected, detail, is_open):
        rows.append(
            {
                "exception_id": f"ex-{len(rows) + 1:03d}",
                "exception_type": kind,
                "severity": severity,
                "owner_role": role,
                "return_line_id": line.return_line_id,
                "sku": line.sku,
                "node_id": line.node_id,
                "channel": line.channel,
                "detected_at": detected,
                "age_hours": (as_of - detected).total_seconds() / 3600,
                "detail": detail,
                "is_open": is_open,
            }
        )

    for n, line in enumerate(lines.itertuples()):
        if line.is_restocked_before_inspection:
            add(line, "restocked_before_inspection", "high", "warehouse_lead",
                line.inventory_updated_at, "restocked before the inspection", True)  # fmt: skip
        if pd.notna(line.hours_to_inspect) and line.hours_to_inspect > INSPECTION_SLA_HOURS:
            add(line, "stage_sla_breach", "medium", "warehouse_lead",
                line.received_at + timedelta(hours=INSPECTION_SLA_HOURS),
                f"inspection took {line.hours_to_inspect:.0f} h", n % 3 != 0)  # fmt: skip
        if pd.notna(line.refund_difference) and line.refund_difference > 0:
            add(line, "refund_over_policy", "low", "finance", line.resolved_at,
                f"refunded {line.refund_difference:.2f} over the policy", True)  # fmt: skip
    return pd.DataFrame(rows)


def _inventory(as_of: datetime) -> dict[str, pd.DataFrame]:
    latest = as_of.date()
    days = [latest - timedelta(days=2), latest - timedelta(days=1), latest]
    positions, atp_rows, gaps, corrections = [], [], [], []
    states = ("available", "quality_control", "damaged")
    for d, day in enumerate(days):
        for s, (sku, *_rest) in enumerate(PRODUCTS):
            for n, (node, *_n) in enumerate(NODES):
                for k, state in enumerate(states):
                    units = (
                        (s * 7 + n * 5 + k * 3 + d) % 11
                        if state == "available"
                        else ((s + n + k + d) % 3)
                    )
                    positions.append(
                        {"date_day": day, "sku": sku, "node_id": node, "state": state,
                         "units": units, "is_latest": day == latest}
                    )  # fmt: skip
    latest_positions = pd.DataFrame(positions)
    latest_positions = latest_positions[latest_positions["is_latest"]]
    for c, channel in enumerate(CHANNELS):
        for s, (sku, _name, _cat, _vendor, price, _cost) in enumerate(PRODUCTS):
            atp = int(
                latest_positions[
                    (latest_positions["sku"] == sku) & (latest_positions["state"] == "available")
                ]["units"].sum()
            )
            atp_rows.append(
                {"date_day": latest, "channel": channel, "sku": sku, "atp": atp, "is_latest": True}
            )
            published = max(0, atp + ((s + c) % 5) - 2)
            published_at = as_of - timedelta(hours=1 + c)
            gaps.append(
                {
                    "channel": channel,
                    "sku": sku,
                    "published_quantity": published,
                    "atp": atp,
                    "oversell_risk_units": max(published - atp, 0),
                    "hidden_units": max(atp - published, 0),
                    "published_at": published_at,
                }
            )
            if published != atp and channel != "store":
                location = "61234560001" if channel in ("web", "zalando") else None
                delta = atp - published
                corrections.append(
                    {
                        "correction_id": f"cor_{channel}_{sku}".lower().replace("-", ""),
                        "channel": channel,
                        "sku": sku,
                        "location_id": location,
                        "inventory_item_id": f"4401811200{s:04d}" if location else None,
                        "published_quantity": published,
                        "target_quantity": atp,
                        "delta": delta,
                        "unit_value": price,
                        "needs_approval": abs(delta) * price > 150,
                        "basis_published_at": published_at,
                    }
                )
    return {
        "fct_inventory_positions": pd.DataFrame(positions),
        "fct_channel_atp": pd.DataFrame(atp_rows),
        "fct_channel_stock_gaps": pd.DataFrame(gaps),
        "fct_stock_corrections": pd.DataFrame(corrections),
    }


def _sync(lines: pd.DataFrame) -> pd.DataFrame:
    rows = []
    moved = lines.dropna(subset=["inspected_at", "inventory_updated_at"])
    for n, line in enumerate(moved.itertuples()):
        for c, channel in enumerate(("web", "zalando", "amazon")):
            shown = line.inventory_updated_at + timedelta(hours=1 + 5 * c + (n % 4) * 6)
            if channel == "amazon" and n % 5 == 0:
                shown = None
            physical = line.inspected_at
            rows.append(
                {
                    "event_id": f"ev-{line.return_line_id}-{channel}",
                    "event_type": "inventory_updated",
                    "sku": line.sku,
                    "node_id": line.node_id,
                    "channel": channel,
                    "physical_at": physical,
                    "sor_updated_at": line.inventory_updated_at,
                    "channel_shown_at": shown,
                    "sor_latency_hours": _hours(line.inventory_updated_at, physical),
                    "channel_latency_hours": _hours(shown, physical),
                }
            )
    return pd.DataFrame(rows)


def _recovery(lines: pd.DataFrame) -> pd.DataFrame:
    disposed = lines.dropna(subset=["disposition"]).copy()
    disposed["month_start"] = disposed["disposition_assigned_at"].dt.to_period("M").dt.start_time
    disposed["month_start"] = disposed["month_start"].dt.date
    grouped = disposed.groupby(
        ["month_start", "disposition", "category", "channel"], as_index=False
    ).agg(
        units=("quantity", "sum"),
        original_value=("original_value", "sum"),
        recovered_value=("recovery_value", "sum"),
    )
    grouped["original_value"] = grouped["original_value"].round(2)
    grouped["recovered_value"] = grouped["recovered_value"].round(2)
    grouped["recovery_rate"] = grouped["recovered_value"] / grouped["original_value"]
    return grouped


def _chargebacks(lines: pd.DataFrame) -> pd.DataFrame:
    faulty = lines[(lines["reason_code"] == "DEFECTIVE") & lines["received_at"].notna()]
    cost = {sku: c for sku, _n, _cat, _v, _p, c in PRODUCTS}
    grouped = faulty.groupby(["vendor_id", "sku"], as_index=False).agg(
        units=("quantity", "sum"), oldest_received_at=("received_at", "min")
    )
    grouped["vendor_name"] = grouped["vendor_id"].map(VENDORS)
    grouped["claimable_amount"] = [
        round(cost[sku] * units, 2)
        for sku, units in zip(grouped["sku"], grouped["units"], strict=True)
    ]
    grouped["claim_deadline"] = (grouped["oldest_received_at"] + pd.Timedelta(days=90)).dt.date
    return grouped[list(CONTRACT["fct_chargeback_opportunities"])]


def _sales(as_of: datetime) -> pd.DataFrame:
    rows = []
    for offset in range((as_of.date() - START.date()).days + 1):
        day = START.date() + timedelta(days=offset)
        for c, channel in enumerate(CHANNELS):
            for g, category in enumerate(("dresses", "jeans", "shoes")):
                units = 3 + (offset + c * 2 + g) % 5
                rows.append(
                    {
                        "date_day": day,
                        "channel": channel,
                        "node_id": "ST-BER" if channel == "store" else "DC-EAST",
                        "category": category,
                        "orders": units - 1,
                        "units_sold": units,
                        "sales_value": units * 50.0,
                    }
                )
    return pd.DataFrame(rows)


# The publish step's per-file latency: (file, entity, seconds landed before as_of, to loaded,
# to published, to the first channel ack or None).
PLATFORM_FILES = (
    ("wms/receipts_01.csv", "wms__receipts", 3600, 8, 31, 52),
    ("wms/inspections_01.csv", "wms__inspections", 3590, 5, 21, 70),
    ("shopify/orders_01.ndjson", "shopify__orders", 3580, 4, 11, None),
    ("amazon/returns_01.tsv", "amazon__customer_returns", 1800, 12, 47, 101),
    ("pos/store_returns_01.csv", "pos__store_returns", 1795, 20, 64, None),  # no ack yet
    ("carrier/trackers_01.json", "carrier__trackers", 900, 3, 19, None),
    ("wms/adjustments_01.csv", "wms__adjustments", 600, 9, 38, 83),
    ("finance/refunds_01.json", "finance__payment_refunds", 300, 2, 58, None),
)
STOCK_MOVING = {"wms__receipts", "wms__inspections", "amazon__customer_returns",
                "pos__store_returns", "wms__adjustments"}  # fmt: skip


def _platform_latency(as_of: datetime) -> pd.DataFrame:
    rows = []
    for file, entity, before, loaded, published, channel in PLATFORM_FILES:
        landed = as_of - timedelta(seconds=before)
        rows.append(
            {
                "file": file,
                "entity": entity,
                "landed_at": landed,
                "loaded_at": landed + timedelta(seconds=loaded),
                "published_at": landed + timedelta(seconds=published),
                "serving_seconds": float(published),
                "channel_seconds": None if channel is None else float(channel),
                "is_stock_moving": entity in STOCK_MOVING,
            }
        )
    return pd.DataFrame(rows)


def _dims(as_of: datetime) -> dict[str, pd.DataFrame]:
    days = pd.date_range(START.date(), as_of.date(), freq="D")
    return {
        "dim_products": pd.DataFrame(
            PRODUCTS,
            columns=["sku", "product_name", "category", "vendor_id", "unit_price", "unit_cost"],
        ),
        "dim_nodes": pd.DataFrame(NODES, columns=list(CONTRACT["dim_nodes"])),
        "dim_channels": pd.DataFrame(
            [
                ("web", "Own web shop", "shopify", "own_site", "shopify_graphql"),
                ("zalando", "Zalando marketplace", "shopify", "marketplace", "shopify_graphql"),
                ("amazon", "Amazon marketplace", "amazon", "marketplace", "amazon_listings"),
                ("store", "Stores", "pos", "store", "none"),
            ],
            columns=list(CONTRACT["dim_channels"]),
        ),
        "dim_dates": pd.DataFrame(
            {
                "date_day": days.date,
                "week_start": (days - pd.to_timedelta(days.day_of_week, unit="D")).date,
                "month_start": days.to_period("M").start_time.date,
                "year": days.year,
                "day_of_week": days.day_of_week + 1,
            }
        ),
    }


def build_marts(as_of: datetime = AS_OF) -> dict[str, pd.DataFrame]:
    """Every mart of the contract, derived from one set of return lines (the derived rollups of
    `dashboards.contract.ROLLUPS` are built from them when the snapshot is written)."""
    lines = pd.DataFrame([_line(i, as_of) for i in range(LINE_COUNT)])
    for column, kind in CONTRACT["fct_return_lines"].items():
        if kind == TS:
            lines[column] = pd.to_datetime(lines[column])
    exceptions = _exceptions(lines, as_of)
    counts = exceptions.groupby("return_line_id").size()
    lines["exception_count"] = lines["return_line_id"].map(counts).fillna(0).astype(int)
    marts = {
        **_dims(as_of),
        "fct_return_lines": lines,
        "fct_refunds": _refunds(lines, as_of),
        "fct_inspection_backlog": _backlog(lines, as_of),
        "fct_return_exceptions": exceptions,
        **_inventory(as_of),
        "fct_inventory_sync": _sync(lines),
        "fct_recovery": _recovery(lines),
        "fct_chargeback_opportunities": _chargebacks(lines),
        "rpt_sales_daily": _sales(as_of),
        "platform_file_latency": _platform_latency(as_of),
    }
    return marts


def lines_from_cycle_times(pairs: Iterable[tuple[str, float | None]]) -> pd.DataFrame:
    """Return lines of the contract from (channel, cycle_time_hours or None while open)."""
    rows = []
    for i, (channel, hours) in enumerate(pairs):
        initiated = datetime(2026, 1, 1) + timedelta(hours=i)
        resolved = None if hours is None else initiated + timedelta(hours=hours)
        row = dict.fromkeys(CONTRACT["fct_return_lines"])
        row.update(
            return_line_id=f"rl-{i}", return_id=f"r-{i}", source=SOURCES.get(channel, "shopify"),
            channel=channel, order_id=f"o-{i}", sku=f"SKU-{i}", category="tops",
            vendor_id="V01", quantity=1, reason_code="SIZE_TOO_SMALL", reason_group="size",
            source_reason_code="SIZE_TOO_SMALL", node_id="DC-EAST", initiated_at=initiated,
            received_at=initiated + timedelta(hours=1), resolved_at=resolved,
            resolution=None if resolved is None else "refund",
            status="received" if resolved is None else "resolved", cycle_time_hours=hours,
            unit_price=19.99, original_value=19.99,
            refund_amount=None if resolved is None else 19.99,
            is_restocked_before_inspection=False, exception_count=0,
            initiated_date=initiated.date(),
        )  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows, columns=list(CONTRACT["fct_return_lines"]))


def write_snapshot(
    path: Path,
    marts: Mapping[str, pd.DataFrame],
    published_at: datetime = datetime(2026, 2, 8, 13, 0),
    version: str = "fixture-1",
    omit: Iterable[str] = (),
) -> Path:
    """Write every contract table (empty when not in `marts`) and `_snapshot` to `path`.

    Written to a temporary file and moved into place with `os.replace`, as the pipeline does.
    Tables named in `omit` are left out altogether (a snapshot that lacks a mart).
    """
    omitted = set(omit)
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{version}.tmp")
    staged.unlink(missing_ok=True)
    with duckdb.connect(str(staged)) as con:
        for table, columns in CONTRACT.items():
            if table in omitted:
                continue
            ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
            con.execute(f"create table {table} ({ddl})")
            frame = marts.get(table)
            if frame is not None and len(frame):
                con.register("frame", frame[list(columns)])
                con.execute(f"insert into {table} by name select * from frame")
                con.unregister("frame")
        for rollup, sql in ROLLUPS.items():  # built from the facts, as the marts would
            if rollup not in omitted and rollup not in marts:
                with contextlib.suppress(duckdb.CatalogException):  # its fact was omitted
                    con.execute(f"insert into {rollup} {sql}")
        con.execute("create table _snapshot (published_at timestamp, version varchar)")
        con.execute("insert into _snapshot values (?, ?)", [published_at, version])
    os.replace(staged, path)
    return path


def date_of(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value
