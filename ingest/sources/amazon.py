"""Amazon Seller Central flat-file reports, tab-separated, with Amazon's own column names.

- customer_returns: the FBA customer returns report (GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA).
  Amazon back-dates it: a report pulled today lists returns whose `return-date` is days ago.
  Older report versions call the order column `amazon-order-id`.
- orders: the all-orders report (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL), one row
  per order item; `item-price` is the total for the row's quantity.
"""

from ingest.contracts import TIMESTAMP_UTC, Column, Entity

TSV = {"delim": "\t", "quote": "", "escape": ""}

DETAILED_DISPOSITIONS = (
    "SELLABLE",
    "DEFECTIVE",
    "CUSTOMER_DAMAGED",
    "CARRIER_DAMAGED",
    "DISTRIBUTOR_DAMAGED",
    "EXPIRED",
)

CUSTOMER_RETURNS = Entity(
    source="amazon",
    name="customer_returns",
    pattern="fba_customer_returns_*.tsv",
    format="csv",
    csv_options=TSV,
    description="FBA customer returns report rows (back-dated by Amazon).",
    columns=(
        Column("return-date", TIMESTAMP_UTC, required=True),
        Column("order-id", "VARCHAR", required=True, aliases=("amazon-order-id",)),
        Column("sku", "VARCHAR", required=True),
        Column("asin", "VARCHAR"),
        Column("fnsku", "VARCHAR"),
        Column("product-name", "VARCHAR"),
        Column("quantity", "INTEGER", required=True, minimum=1),
        Column("fulfillment-center-id", "VARCHAR", required=True),
        Column("detailed-disposition", "VARCHAR", allowed=DETAILED_DISPOSITIONS),
        Column("reason", "VARCHAR", required=True),
        Column("status", "VARCHAR"),
        Column("license-plate-number", "VARCHAR", required=True),
        Column("customer-comments", "VARCHAR"),
    ),
)

ORDER_STATUSES = ("Pending", "Unshipped", "Shipped", "Cancelled")

ORDERS = Entity(
    source="amazon",
    name="orders",
    pattern="all_orders_*.tsv",
    format="csv",
    csv_options=TSV,
    description="All-orders report rows, one per order item.",
    columns=(
        Column("amazon-order-id", "VARCHAR", required=True, aliases=("order-id",)),
        Column("merchant-order-id", "VARCHAR"),
        Column("purchase-date", TIMESTAMP_UTC, required=True),
        Column("last-updated-date", TIMESTAMP_UTC),
        Column("order-status", "VARCHAR", required=True, allowed=ORDER_STATUSES),
        Column("fulfillment-channel", "VARCHAR"),
        Column("sales-channel", "VARCHAR"),
        Column("sku", "VARCHAR", required=True),
        Column("asin", "VARCHAR"),
        Column("quantity", "INTEGER", required=True, minimum=0),
        Column("currency", "VARCHAR"),
        Column("item-price", "DECIMAL(18,2)", minimum=0),
        Column("ship-country", "VARCHAR"),
    ),
)

ENTITIES = (CUSTOMER_RETURNS, ORDERS)
