"""Warehouse management system exports: CSV, one file set per distribution centre."""

from ingest.contracts import TIMESTAMP_UTC, Column, Entity

RECEIPTS = Entity(
    source="wms",
    name="receipts",
    pattern="receipts_*.csv",
    format="csv",
    description="Dock receipts of returned units, keyed by the RMA (the Shopify return name).",
    columns=(
        Column("receipt_id", "VARCHAR", required=True),
        Column("dc_id", "VARCHAR", required=True),
        Column("received_at", TIMESTAMP_UTC, required=True),
        Column("rma_number", "VARCHAR", required=True),
        Column("sku", "VARCHAR", required=True),
        Column("quantity", "INTEGER", required=True),
        Column("condition_note", "VARCHAR"),
    ),
)

ENTITIES = (RECEIPTS,)
