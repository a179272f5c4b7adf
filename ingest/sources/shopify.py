"""Shopify webhook payloads, one JSON object per line, with Shopify Admin field names.

- orders: the `orders/create` REST payload (`source_name` tells the sales channel: `web` for the
  own site, `zalando` for the marketplace whose orders arrive through its Shopify connector).
- returns: GraphQL-style `Return` objects, sent again on every status change; the return label
  and its tracking number come in `reverseDeliveries`, exchanges in `exchangeLineItems`.
- refunds: the `refunds/create` REST payload with `refund_line_items`; a transaction whose
  `gateway` is `shopify_store_credit` is store credit rather than money back.
- inventory_levels: the `inventory_levels/update` payload: what the web shop shows per location.
"""

from ingest.contracts import TIMESTAMP_UTC, Column, Entity

RETURN_STATUSES = ("REQUESTED", "OPEN", "CLOSED", "DECLINED", "CANCELED")

ORDERS = Entity(
    source="shopify",
    name="orders",
    pattern="orders_*.ndjson",
    format="ndjson",
    description="Orders as sent by the orders/create webhook.",
    columns=(
        Column("id", "BIGINT", required=True),
        Column("admin_graphql_api_id", "VARCHAR", required=True),
        Column("name", "VARCHAR"),
        Column("created_at", TIMESTAMP_UTC, required=True),
        Column("source_name", "VARCHAR", required=True),
        Column("currency", "VARCHAR"),
        Column("customer", "STRUCT(id BIGINT, tags VARCHAR)"),
        Column("shipping_address", "STRUCT(country_code VARCHAR)"),
        Column(
            "line_items",
            "STRUCT(id BIGINT, sku VARCHAR, quantity INTEGER, price DECIMAL(18,2))[]",
            required=True,
        ),
    ),
)

RETURNS = Entity(
    source="shopify",
    name="returns",
    pattern="returns_*.ndjson",
    format="ndjson",
    description="Return objects, one payload per status change (REQUESTED/OPEN/CLOSED/...).",
    columns=(
        Column("id", "VARCHAR", required=True),
        Column("name", "VARCHAR", required=True),
        Column("status", "VARCHAR", required=True, allowed=RETURN_STATUSES),
        Column("createdAt", TIMESTAMP_UTC, required=True),
        Column("updatedAt", TIMESTAMP_UTC, required=True),
        Column("closedAt", TIMESTAMP_UTC),
        Column("order", "STRUCT(id VARCHAR)", required=True),
        Column(
            "returnLineItems",
            "STRUCT(id VARCHAR, quantity INTEGER, returnReason VARCHAR, customerNote VARCHAR,"
            " fulfillmentLineItem STRUCT(lineItem STRUCT(id VARCHAR, sku VARCHAR)))[]",
            required=True,
        ),
        Column(
            "reverseDeliveries",
            "STRUCT(id VARCHAR, deliverable STRUCT(tracking STRUCT(number VARCHAR,"
            " carrierName VARCHAR), label STRUCT(createdAt VARCHAR)))[]",
            description="Return shipping labels; label.createdAt is an ISO 8601 timestamp.",
        ),
        Column(
            "exchangeLineItems",
            "STRUCT(id VARCHAR, quantity INTEGER, lineItem STRUCT(id VARCHAR, sku VARCHAR))[]",
            description="Replacement items shipped instead of a refund.",
        ),
        Column("decline", "STRUCT(reason VARCHAR, note VARCHAR)"),
    ),
)

REFUNDS = Entity(
    source="shopify",
    name="refunds",
    pattern="refunds_*.ndjson",
    format="ndjson",
    description="Refunds as sent by the refunds/create webhook.",
    columns=(
        Column("id", "BIGINT", required=True),
        Column("admin_graphql_api_id", "VARCHAR"),
        Column("order_id", "BIGINT", required=True),
        Column("created_at", TIMESTAMP_UTC, required=True),
        Column("processed_at", TIMESTAMP_UTC),
        Column("note", "VARCHAR"),
        Column("return", "STRUCT(id BIGINT, admin_graphql_api_id VARCHAR)"),
        Column(
            "refund_line_items",
            "STRUCT(id BIGINT, line_item_id BIGINT, quantity INTEGER, restock_type VARCHAR,"
            " location_id BIGINT, subtotal DECIMAL(18,2), line_item STRUCT(sku VARCHAR))[]",
            required=True,
        ),
        Column(
            "transactions",
            "STRUCT(id BIGINT, kind VARCHAR, status VARCHAR, gateway VARCHAR,"
            " amount DECIMAL(18,2), currency VARCHAR)[]",
        ),
    ),
)

INVENTORY_LEVELS = Entity(
    source="shopify",
    name="inventory_levels",
    pattern="inventory_levels_*.ndjson",
    format="ndjson",
    description="Available units the web shop shows per inventory item and location "
    "(inventory_levels/update webhook).",
    columns=(
        Column("inventory_item_id", "BIGINT", required=True),
        Column("location_id", "BIGINT", required=True),
        Column("available", "INTEGER", required=True),
        Column("updated_at", TIMESTAMP_UTC, required=True),
        Column("admin_graphql_api_id", "VARCHAR"),
    ),
)

ENTITIES = (ORDERS, RETURNS, REFUNDS, INVENTORY_LEVELS)
