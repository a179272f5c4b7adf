"""Records in each source's real format, built from the simulator's state.

Field names, nesting and value formats follow `ingest/sources/*` (the contracts) and the real
systems: Shopify Admin payloads, EasyPost Events, Stripe Refunds, Amazon flat files, the WMS,
POS and ERP exports. CSV rows are lists in contract column order.
"""

from __future__ import annotations

from ingest.simulator.clock import csv_ts, iso_offset, iso_z
from ingest.simulator.model import Case, Order, ReturnLine
from ingest.simulator.rules import money

CURRENCY = "EUR"
CARRIER = "DHL"
SCAN_MESSAGES = {
    "pre_transit": "Shipping label created",
    "in_transit": "Parcel handed over to the carrier",
    "out_for_delivery": "Out for delivery",
    "delivered": "Delivered",
}
AMAZON_MARKETPLACE = {
    "DE": "Amazon.de",
    "AT": "Amazon.de",
    "FR": "Amazon.fr",
    "BE": "Amazon.com.be",
    "NL": "Amazon.nl",
    "PL": "Amazon.pl",
}


def token(prefix: str, n: int, width: int = 24) -> str:
    """A random-looking, unique, deterministic id of `width` hex digits: `n` times an odd
    constant modulo 16**width, a bijection, so distinct `n` give distinct ids."""
    modulus = 1 << (4 * width)
    return f"{prefix}{(n * 0x9E3779B97F4A7C15F39CC0605CEDC835 + 0x5DEECE66D) % modulus:0{width}x}"


# ---------------------------------------------------------------------------------- Shopify
def shopify_order(order: Order, customer_id: int, tags: str) -> dict:
    return {
        "id": order.number,
        "admin_graphql_api_id": order.order_id,
        "name": f"#{order.number}",
        "created_at": iso_z(order.ordered_at),
        "source_name": order.channel,
        "currency": CURRENCY,
        "customer": {"id": customer_id, "tags": tags},
        "shipping_address": {"country_code": order.country},
        "line_items": [
            {
                "id": line.line_item_id,
                "sku": line.product.sku,
                "quantity": line.quantity,
                "price": money(line.product.price_cents),
            }
            for line in order.lines
        ],
    }


def shopify_return(
    case: Case, status: str, updated_at: int, closed_at: int | None = None, decline=None
) -> dict:
    first = case.lines[0]
    deliveries = []
    if case.label_at is not None:
        deliveries.append(
            {
                "id": f"gid://shopify/ReverseDelivery/{case.number}",
                "deliverable": {
                    "tracking": {"number": case.tracking_code, "carrierName": CARRIER},
                    "label": {"createdAt": iso_z(case.label_at)},
                },
            }
        )
    return {
        "id": case.return_id,
        "name": case.name,
        "status": status,
        "createdAt": iso_z(first.initiated_at),
        "updatedAt": iso_z(updated_at),
        "closedAt": None if closed_at is None else iso_z(closed_at),
        "order": {"id": case.order.order_id if case.order else None},
        "returnLineItems": [
            {
                "id": line.return_line_id,
                "quantity": line.quantity,
                "returnReason": line.source_reason,
                "customerNote": None,
                "fulfillmentLineItem": {
                    "lineItem": {
                        "id": f"gid://shopify/LineItem/{line.line_item_id}",
                        "sku": line.product.sku,
                    }
                },
            }
            for line in case.lines
        ],
        "reverseDeliveries": deliveries,
        "exchangeLineItems": case.exchange_items or [],
        "decline": decline,
    }


def shopify_refund(
    case: Case, refund_id: int, at: int, gateway: str, location_id: int, note: str
) -> dict:
    lines = case.lines
    total = sum(line.refund_cents or 0 for line in lines)
    return {
        "id": refund_id,
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
        "order_id": case.order.number if case.order else None,
        "created_at": iso_z(at),
        "processed_at": iso_z(at),
        "note": note,
        "return": {"id": case.number, "admin_graphql_api_id": case.return_id},
        "refund_line_items": [
            {
                "id": refund_id * 10 + n,
                "line_item_id": line.line_item_id,
                "quantity": line.quantity,
                "restock_type": "return",
                "location_id": location_id,
                "subtotal": money(line.refund_cents or 0),
                "line_item": {"sku": line.product.sku},
            }
            for n, line in enumerate(lines)
        ],
        "transactions": [
            {
                "id": refund_id,
                "kind": "refund",
                "status": "success",
                "gateway": gateway,
                "amount": money(total),
                "currency": CURRENCY,
            }
        ],
    }


def inventory_level(item_id: int, location_id: int, available: int, at: int) -> dict:
    return {
        "inventory_item_id": item_id,
        "location_id": location_id,
        "available": available,
        "updated_at": iso_z(at),
        "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location_id}"
        f"?inventory_item_id={item_id}",
    }


# ---------------------------------------------------------------------------------- EasyPost
def tracker_event(event_n: int, case: Case, created_at: int, places: dict[str, tuple]) -> dict:
    """An Event wrapping the Tracker as it is after its latest scan (all scans so far)."""
    status = case.scans[-1][0]
    return {
        "id": token("evt_", event_n, 32),
        "object": "Event",
        "description": "tracker.created" if len(case.scans) == 1 else "tracker.updated",
        "created_at": iso_z(created_at),
        "result": {
            "id": case.tracker_id,
            "tracking_code": case.tracking_code,
            "status": status,
            "carrier": CARRIER,
            "updated_at": iso_z(created_at),
            "tracking_details": [
                {
                    "message": SCAN_MESSAGES[scan],
                    "status": scan,
                    "datetime": iso_z(at),
                    "tracking_location": {"city": places[scan][0], "country": places[scan][1]},
                }
                for scan, at in case.scans
            ],
        },
    }


# ---------------------------------------------------------------------------------- Stripe
def stripe_refund(refund_n: int, case: Case, amount_cents: int, at: int) -> dict:
    return {
        "id": token("re_", refund_n),
        "object": "refund",
        "amount": amount_cents,
        "currency": CURRENCY.lower(),
        "created": at,
        "status": "succeeded",
        "reason": "requested_by_customer",
        "charge": token("ch_", case.order.number if case.order else 0),
        "payment_intent": token("pi_", case.order.number if case.order else 0),
        "metadata": {
            "order_id": case.order.order_id if case.order else None,
            "return_id": case.return_id,
            "channel": case.order.channel if case.order else None,
        },
    }


# ---------------------------------------------------------------------------------- Amazon
def amazon_order_row(order: Order, line_n: int, shipped_at: int | None) -> list:
    line = order.lines[line_n]
    return [
        order.order_id,
        "",
        iso_offset(order.ordered_at),
        iso_offset(shipped_at if shipped_at is not None else order.ordered_at),
        "Shipped" if shipped_at is not None else "Unshipped",
        "Merchant",
        AMAZON_MARKETPLACE[order.country],
        line.product.sku,
        line.product.asin,
        line.quantity,
        CURRENCY,
        money(line.product.price_cents * line.quantity),
        order.country,
    ]


def amazon_return_row(line: ReturnLine, dc: str, comment: str) -> list:
    if line.reason_code == "DEFECTIVE":
        condition = "DEFECTIVE"
    elif line.reason_code == "DAMAGED_IN_TRANSIT":
        condition = "CARRIER_DAMAGED"
    else:
        condition = "SELLABLE"
    return [
        iso_offset(line.initiated_at),
        line.order_id,
        line.product.sku,
        line.product.asin,
        line.product.fnsku,
        line.product.name,
        line.quantity,
        dc,
        condition,
        line.source_reason,
        "Approved",
        line.return_line_id,
        comment,
    ]


# ---------------------------------------------------------------------------------- WMS
def receipt_row(line: ReturnLine, rma: str, note: str) -> list:
    return [
        line.receipt_id,
        line.node_id,
        csv_ts(line.received_at),
        rma,
        line.product.sku,
        line.quantity,
        note,
    ]


def inspection_row(inspection_id: str, line: ReturnLine, rma: str, inspector: str) -> list:
    return [
        inspection_id,
        line.node_id,
        csv_ts(line.inspected_at),
        line.receipt_id,
        rma,
        line.product.sku,
        line.quantity,
        line.grade,
        line.disposition,
        inspector,
    ]


def snapshot_row(at: int, node: str, sku: str, state: str, units: int) -> list:
    return [csv_ts(at), node, sku, state, units]


# ---------------------------------------------------------------------------------- POS, ERP
def pos_row(
    line: ReturnLine,
    transaction_id: str,
    line_number: int,
    store: str,
    synced_at: int,
    condition: str,
    tender: str,
    employee: str,
) -> list:
    return [
        transaction_id,
        line_number,
        store,
        csv_ts(line.initiated_at),
        csv_ts(synced_at),
        line.order_id,
        line.channel,
        line.product.sku,
        line.quantity,
        line.source_reason,
        condition,
        money(line.refund_cents or 0),
        CURRENCY,
        tender,
        employee,
    ]


def credit_memo_row(memo_id: str, line: ReturnLine, memo_type: str) -> list:
    return [
        memo_id,
        csv_ts(line.resolved_at),
        line.channel,
        line.order_id,
        line.return_line_id,
        line.product.sku,
        line.quantity,
        money(line.refund_cents or 0),
        CURRENCY,
        memo_type,
    ]


def channel_stock_line(
    channel: str, sku: str, quantity: int, at: int, location_id: int | None = None
) -> dict:
    """A pulled line; `location_id` is the Shopify location for a channel stocked per location."""
    at_location = "" if location_id is None else f"-{location_id}"
    return {
        "snapshot_id": f"SNP-{channel}-{iso_z(at)[:10]}-{sku}{at_location}",
        "channel": channel,
        "sku": sku,
        "location_id": None if location_id is None else str(location_id),
        "quantity": quantity,
        "captured_at": iso_z(at),
        "origin": "pull",
        "correction_id": None,
    }
