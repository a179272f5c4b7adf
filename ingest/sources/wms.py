"""Warehouse management system exports: CSV, one file set per distribution centre and day.

- receipts: dock receipts of returned units, keyed by the RMA (a Shopify return name or an
  Amazon license plate number). A received unit is in `quality_control` until inspected.
- inspections: grade (A-D, F) and the disposition the inspector assigned.
- adjustments: every move of units between inventory states at the DC (`from_state` empty for
  units arriving, `to_state` empty for units leaving), as the system of record recorded it.
- inventory_snapshots: units per SKU and inventory state at the DC at the end of the day.
"""

from ingest.contracts import TIMESTAMP_UTC, Column, Entity

INVENTORY_STATES = (
    "available",
    "committed",
    "reserved",
    "safety_stock",
    "quality_control",
    "damaged",
    "refurbishment",
    "vendor_return",
    "secondary",
    "liquidation",
    "in_transit_return",
    "incoming",
)
GRADES = ("A", "B", "C", "D", "F")
DISPOSITIONS = (
    "restock",
    "refurbish",
    "quarantine",
    "secondary_channel",
    "liquidate",
    "recycle",
    "donate",
    "return_to_vendor",
)

RECEIPTS = Entity(
    source="wms",
    name="receipts",
    pattern="receipts_*.csv",
    format="csv",
    description="Dock receipts of returned units, keyed by the RMA.",
    columns=(
        Column("receipt_id", "VARCHAR", required=True),
        Column("dc_id", "VARCHAR", required=True),
        Column("received_at", TIMESTAMP_UTC, required=True),
        Column("rma_number", "VARCHAR", required=True),
        Column("sku", "VARCHAR", required=True),
        Column("quantity", "INTEGER", required=True, minimum=1),
        Column("condition_note", "VARCHAR"),
    ),
)

INSPECTIONS = Entity(
    source="wms",
    name="inspections",
    pattern="inspections_*.csv",
    format="csv",
    description="Inspection results of received return units: grade and disposition.",
    columns=(
        Column("inspection_id", "VARCHAR", required=True),
        Column("dc_id", "VARCHAR", required=True),
        Column("inspected_at", TIMESTAMP_UTC, required=True),
        Column("receipt_id", "VARCHAR", required=True),
        Column("rma_number", "VARCHAR", required=True),
        Column("sku", "VARCHAR", required=True),
        Column("quantity", "INTEGER", required=True, minimum=1),
        Column("grade", "VARCHAR", required=True, allowed=GRADES),
        Column("disposition", "VARCHAR", required=True, allowed=DISPOSITIONS),
        Column("inspector_id", "VARCHAR"),
    ),
)

ADJUSTMENTS = Entity(
    source="wms",
    name="adjustments",
    pattern="adjustments_*.csv",
    format="csv",
    description="Moves of units between inventory states, as the system of record booked them.",
    columns=(
        Column("adjustment_id", "VARCHAR", required=True),
        Column("dc_id", "VARCHAR", required=True),
        Column("adjusted_at", TIMESTAMP_UTC, required=True),
        Column("sku", "VARCHAR", required=True),
        Column("from_state", "VARCHAR", allowed=INVENTORY_STATES),
        Column("to_state", "VARCHAR", allowed=INVENTORY_STATES),
        Column("quantity", "INTEGER", required=True, minimum=1),
        Column("reason_code", "VARCHAR", required=True),
        Column("reference", "VARCHAR", description="RMA, inspection id or order id it books."),
    ),
)

INVENTORY_SNAPSHOTS = Entity(
    source="wms",
    name="inventory_snapshots",
    pattern="inventory_*.csv",
    format="csv",
    description="End-of-day units per SKU and inventory state at the DC.",
    columns=(
        Column("snapshot_at", TIMESTAMP_UTC, required=True),
        Column("dc_id", "VARCHAR", required=True),
        Column("sku", "VARCHAR", required=True),
        Column("state", "VARCHAR", required=True, allowed=INVENTORY_STATES),
        Column("quantity", "INTEGER", required=True, minimum=0),
    ),
)

ENTITIES = (RECEIPTS, INSPECTIONS, ADJUSTMENTS, INVENTORY_SNAPSHOTS)
