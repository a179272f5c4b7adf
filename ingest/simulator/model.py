"""The simulator's state objects: an order, a return case and its lines.

A `ReturnLine` is the simulator's working state and the truth row in one: its fields are set
as the events happen, and `truth.ReturnLinesWriter` writes it once nothing can change it.
Timestamps are epoch seconds (UTC), money integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.simulator.rules import Policy, Product


@dataclass(slots=True)
class OrderLine:
    line_item_id: int | None  # Shopify LineItem id; None on Amazon
    product: Product
    quantity: int


@dataclass(slots=True)
class Order:
    channel: str  # web | zalando | amazon
    order_id: str  # Shopify order gid or Amazon order id: the id every record links on
    number: int | None  # Shopify numeric order id
    ordered_at: int
    country: str
    segment: str  # standard | member
    dc: str  # the DC the customer's parcels go to and come back to
    lines: list[OrderLine]


@dataclass(slots=True)
class ReturnLine:
    return_line_id: str
    return_id: str
    source: str  # shopify | amazon | pos
    channel: str
    order_id: str | None
    product: Product
    quantity: int
    reason_code: str  # canonical
    source_reason: str  # as the source wrote it
    region: str
    segment: str
    policy: Policy
    within_window: bool
    expected_cents: int
    initiated_at: int
    line_item_id: int | None = None
    node_id: str | None = None
    label_created_at: int | None = None
    in_transit_at: int | None = None
    delivered_at: int | None = None
    received_at: int | None = None
    receipt_id: str | None = None
    inspected_at: int | None = None
    grade: str | None = None
    disposition: str | None = None
    target_state: str | None = None
    inventory_updated_at: int | None = None
    restocked_before_inspection: bool = False
    resolution: str | None = None  # refund | store_credit | exchange
    resolved_at: int | None = None
    refund_cents: int | None = None
    closed_as: str | None = None  # declined | cancelled
    goodwill: bool = False

    @property
    def needs_inspection(self) -> bool:
        """The refund waits for the inspection (policy) unless under the auto-refund limit."""
        return (
            self.policy.inspection_required
            and self.expected_cents > self.policy.auto_refund_limit_cents
        )

    @property
    def status(self) -> str:
        if self.closed_as:
            return self.closed_as
        for stage, at in (
            ("resolved", self.resolved_at),
            ("inspected", self.inspected_at),
            ("received", self.received_at),
            ("delivered", self.delivered_at),
            ("in_transit", self.in_transit_at),
            ("label_created", self.label_created_at),
        ):
            if at is not None:
                return stage
        return "initiated"


@dataclass(slots=True)
class Case:
    """One return: lines that travel in one parcel (or one till transaction) together."""

    source: str
    order: Order | None
    lines: list[ReturnLine]
    return_id: str
    name: str | None = None  # Shopify return name / RMA
    number: int | None = None  # Shopify numeric return id
    resolution: str = "refund"
    dc: str | None = None
    tracking_code: str | None = None
    tracker_id: str | None = None
    label_at: int | None = None
    scans: list[tuple[str, int]] = field(default_factory=list)  # (status, datetime)
    status: str = "OPEN"
    exchange_items: list[dict] | None = None
    resolve_scheduled: bool = False
    pending: int = 0  # scheduled actions and queue places that can still change the truth
    finished: bool = False
