"""Operators' decisions on stock corrections: one JSON event per file, from the dashboard.

The dashboard never writes to the warehouse; it drops these files in `landing/approvals/`.
"""

from ingest.contracts import TIMESTAMP_UTC, Column, Entity

DECISIONS = Entity(
    source="approvals",
    name="decisions",
    pattern="*.json",
    format="ndjson",
    description="Approve/reject decisions on stock corrections, with who decided and why.",
    columns=(
        Column("approval_id", "VARCHAR", required=True),
        Column("decided_at", TIMESTAMP_UTC, required=True),
        Column("operator", "VARCHAR", required=True),
        Column("role", "VARCHAR", required=True),
        Column("decision", "VARCHAR", required=True, allowed=("approve", "reject")),
        Column("correction_ids", "VARCHAR[]", required=True),
        Column("note", "VARCHAR"),
    ),
)

ENTITIES = (DECISIONS,)
