"""Finance: payment-processor refunds and ERP credit memos.

- payment_refunds: Stripe Refund objects, one per line: `amount` in minor units (cents),
  `created` a Unix timestamp, `metadata` carrying our order and return ids.
- credit_memos: the ERP's credit memos (CSV): money or store credit granted against a return,
  for every channel whose refund is not paid through the payment processor.
"""

from ingest.contracts import TIMESTAMP_UTC, Column, Entity

REFUND_STATUSES = ("pending", "requires_action", "succeeded", "failed", "canceled")

PAYMENT_REFUNDS = Entity(
    source="finance",
    name="payment_refunds",
    pattern="payment_refunds_*.ndjson",
    format="ndjson",
    description="Stripe-like refund objects (amount in minor units, Unix `created`).",
    columns=(
        Column("id", "VARCHAR", required=True, description="re_..."),
        Column("object", "VARCHAR"),
        Column("amount", "BIGINT", required=True, minimum=0),
        Column("currency", "VARCHAR", required=True),
        Column("created", "BIGINT", required=True, minimum=0),
        Column("status", "VARCHAR", required=True, allowed=REFUND_STATUSES),
        Column("reason", "VARCHAR"),
        Column("charge", "VARCHAR"),
        Column("payment_intent", "VARCHAR"),
        Column(
            "metadata",
            "STRUCT(order_id VARCHAR, return_id VARCHAR, channel VARCHAR)",
            required=True,
        ),
    ),
)

CREDIT_MEMOS = Entity(
    source="finance",
    name="credit_memos",
    pattern="credit_memos_*.csv",
    format="csv",
    description="ERP credit memos: refunds and store credit booked against returns.",
    columns=(
        Column("credit_memo_id", "VARCHAR", required=True),
        Column("issued_at", TIMESTAMP_UTC, required=True),
        Column("channel", "VARCHAR", required=True),
        Column("order_id", "VARCHAR", required=True),
        Column("return_reference", "VARCHAR", required=True),
        Column("sku", "VARCHAR", required=True),
        Column("quantity", "INTEGER", required=True, minimum=1),
        Column("amount", "DECIMAL(18,2)", required=True, minimum=0),
        Column("currency", "VARCHAR", required=True),
        Column("memo_type", "VARCHAR", required=True, allowed=("refund", "store_credit")),
    ),
)

ENTITIES = (PAYMENT_REFUNDS, CREDIT_MEMOS)
