"""Store point-of-sale returns: CSV per store, synced to head office in batches.

`returned_at` is when the customer handed the item back at the till; `synced_at` is when the
store's batch reached head office. Most stores sync within minutes, some only at end of day,
holding the units off-system until then.
"""

from ingest.contracts import TIMESTAMP_UTC, Column, Entity

POS_REASON_CODES = ("01", "02", "03", "04", "05", "06", "07", "08")
TENDERS = ("card", "cash", "store_credit", "exchange")

STORE_RETURNS = Entity(
    source="pos",
    name="store_returns",
    pattern="store_returns_*.csv",
    format="csv",
    description="Returns taken at store tills, with the original order when there is one.",
    columns=(
        Column("transaction_id", "VARCHAR", required=True),
        Column("line_number", "INTEGER", required=True, minimum=1),
        Column("store_id", "VARCHAR", required=True),
        Column("returned_at", TIMESTAMP_UTC, required=True),
        Column("synced_at", TIMESTAMP_UTC, required=True),
        Column("order_id", "VARCHAR", description="Original online order, when bought online."),
        Column("channel", "VARCHAR", description="Channel of the original sale."),
        Column("sku", "VARCHAR", required=True),
        Column("quantity", "INTEGER", required=True, minimum=1),
        Column("reason_code", "VARCHAR", required=True, allowed=POS_REASON_CODES),
        Column("condition", "VARCHAR", allowed=("resaleable", "damaged")),
        Column("refund_amount", "DECIMAL(18,2)", required=True, minimum=0),
        Column("currency", "VARCHAR", required=True),
        Column("tender", "VARCHAR", required=True, allowed=TENDERS),
        Column("employee_id", "VARCHAR"),
    ),
)

ENTITIES = (STORE_RETURNS,)
