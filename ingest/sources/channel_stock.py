"""What each sales channel currently shows: JSON snapshot lines per channel, SKU and location.

Written by channel pulls (the simulator, the sandbox) and by write-back acknowledgements, so
the gap between what a channel shows and what it should show can be measured and closed.
"""

from ingest.contracts import TIMESTAMP_UTC, Column, Entity

SNAPSHOTS = Entity(
    source="channel_stock",
    name="snapshots",
    pattern="*.ndjson",
    format="ndjson",
    description="Published stock per channel, SKU and location at a moment.",
    columns=(
        Column("snapshot_id", "VARCHAR", required=True),
        Column("channel", "VARCHAR", required=True),
        Column("sku", "VARCHAR", required=True),
        Column("location_id", "VARCHAR"),
        Column("quantity", "INTEGER", required=True, minimum=0),
        Column("captured_at", TIMESTAMP_UTC, required=True),
        Column("origin", "VARCHAR", required=True, allowed=("pull", "writeback_ack")),
        Column("correction_id", "VARCHAR", description="The correction an ack confirms."),
    ),
)

ENTITIES = (SNAPSHOTS,)
