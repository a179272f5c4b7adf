"""Shopify returns (web, and zalando through its Shopify connector), parcel by parcel.

The return is requested (REQUESTED, then OPEN when approved; auto-approved returns start
OPEN) with a DHL label in `reverseDeliveries`; EasyPost scans it in transit, out for delivery
and delivered at the DC, and the DC receives it (RMA = the return's name). The refund, store
credit or exchange follows as the policy allows, and the return is CLOSED. Returns past the
window are DECLINED (a few accepted anyway: goodwill); never-shipped ones are CANCELED.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.simulator.clock import DAY, HOUR, MINUTE, day_start
from ingest.simulator.model import Case, Order, OrderLine
from ingest.simulator.payloads import (
    shopify_refund,
    shopify_return,
    stripe_refund,
    token,
    tracker_event,
)
from ingest.sources import carrier, finance, shopify

if TYPE_CHECKING:
    from ingest.simulator.returns import Returns

SIZE_REASONS = {"SIZE_TOO_SMALL": 1, "SIZE_TOO_LARGE": -1}  # exchange one size up / down
RETURN_BASE = 900_000_000
RETURN_LINE_BASE = 400_000_000
REFUND_BASE = 960_000_000
EXCHANGE_LINE_ITEM_BASE = 13_800_000_000
CANCEL_AFTER = 21 * DAY


class ShopifyReturns:
    def __init__(self, returns: Returns):
        self.r, self.e = returns, returns.e

    def start(self, order: Order, lines: list[OrderLine]) -> None:
        e, rng, sc = self.e, self.e.rng, self.e.scenario
        number = RETURN_BASE + e.next_id("return")
        return_id = f"gid://shopify/Return/{number}"
        requested = [
            self.r.line(
                "shopify",
                "shopify",
                order.channel,
                order,
                ol.product,
                ol.quantity,
                f"gid://shopify/ReturnLineItem/{RETURN_LINE_BASE + e.next_id('return-line')}",
                return_id,
                order.country,
                order.segment,
                ol.line_item_id,
            )
            for ol in lines
        ]
        accepted = []
        for line in requested:
            if line.within_window:
                accepted.append(line)
            elif sc.goodwill_refund_share and e.prng.random() < sc.goodwill_refund_share:
                line.goodwill = True
                accepted.append(line)
        case = Case(
            "shopify",
            order,
            accepted or requested,
            return_id,
            name=f"#{order.number}-R1",
            number=number,
            dc=order.dc,
        )
        self.r.open_case(case)
        if not accepted:  # all past the window: requested, then declined
            case.status = "REQUESTED"
            e.webhook(
                shopify.RETURNS, "returns", shopify_return(case, "REQUESTED", e.now), return_id
            )
            e.at(e.now + rng.randint(2 * HOUR, 30 * HOUR), self.decline, case, case=case)
            self.r.settle(case)
            return
        first = case.lines[0]
        step = SIZE_REASONS.get(first.reason_code)
        if step and rng.random() < 0.35:
            case.resolution = "exchange"
        elif order.channel == "web" and rng.random() < 0.15:
            case.resolution = "store_credit"
        if rng.random() < sc.manual_approval_share:
            case.status = "REQUESTED"
            e.webhook(
                shopify.RETURNS, "returns", shopify_return(case, "REQUESTED", e.now), return_id
            )
            e.at(e.now + rng.randint(HOUR, 18 * HOUR), self.label, case, case=case)
        else:
            self.label(case)
        self.r.settle(case)

    def label(self, case: Case) -> None:
        """Approved: the return is OPEN with its DHL label; EasyPost starts tracking."""
        e, rng = self.e, self.e.rng
        n = e.next_id("tracking")
        case.label_at = e.now
        case.status = "OPEN"
        case.tracking_code = f"JJD{3_900_000_000_000 + n:016d}"
        case.tracker_id = token("trk_", n, 32)
        for line in case.lines:
            line.label_created_at = e.now
        e.webhook(shopify.RETURNS, "returns", shopify_return(case, "OPEN", e.now), case.return_id)
        self._scan(case, "pre_transit")
        if rng.random() < e.scenario.never_shipped_share:
            e.at(e.now + CANCEL_AFTER, self.cancel, case, case=case)
        else:
            e.at(e.now + rng.randint(7 * HOUR, 4 * DAY), self.scan, case, "in_transit", case=case)

    def _places(self, case: Case) -> dict[str, tuple]:
        dc = self.e.rules.nodes[case.dc]
        home = (None, case.order.country)
        return {
            "pre_transit": home,
            "in_transit": home,
            "out_for_delivery": (dc.city, dc.region),
            "delivered": (dc.city, dc.region),
        }

    def _scan(self, case: Case, status: str) -> None:
        e = self.e
        case.scans.append((status, e.now))
        created = e.now + e.rng.randint(MINUTE, 15 * MINUTE)
        payload = tracker_event(e.next_id("event"), case, created, self._places(case))
        e.at(created, self._tracker_event, case, status, e.now, payload, case=case)

    def _tracker_event(self, case: Case, status: str, scanned_at: int, payload: dict) -> None:
        self.e.webhook(carrier.TRACKER_EVENTS, "tracker_events", payload, payload["id"])
        for line in case.lines:
            if status == "in_transit" and line.in_transit_at is None:
                line.in_transit_at = scanned_at
            elif status == "delivered" and line.delivered_at is None:
                line.delivered_at = scanned_at

    def scan(self, case: Case, status: str) -> None:
        e, rng = self.e, self.e.rng
        self._scan(case, status)
        if status == "in_transit":
            morning = day_start(e.day_of(e.now)) + rng.randint(1, 2) * DAY + 6 * HOUR
            e.at(morning + rng.randrange(3 * HOUR), self.scan, case, "out_for_delivery", case=case)
        elif status == "out_for_delivery":
            e.at(e.now + rng.randint(HOUR, 6 * HOUR), self.scan, case, "delivered", case=case)
        else:
            e.at(e.now + rng.randint(HOUR, 20 * HOUR), self.r.receive, case, case=case)

    def decline(self, case: Case) -> None:
        decline = {"reason": "RETURN_PERIOD_ENDED", "note": "Outside the return window"}
        payload = shopify_return(case, "DECLINED", self.e.now, decline=decline)
        self.e.webhook(shopify.RETURNS, "returns", payload, case.return_id)
        case.status = "DECLINED"
        for line in case.lines:
            line.closed_as = "declined"

    def cancel(self, case: Case) -> None:
        payload = shopify_return(case, "CANCELED", self.e.now)
        self.e.webhook(shopify.RETURNS, "returns", payload, case.return_id)
        case.status = "CANCELED"
        for line in case.lines:
            line.closed_as = "cancelled"

    def resolve(self, case: Case) -> None:
        e = self.e
        if case.resolution == "exchange" and self._exchange(case):
            return
        if case.resolution == "exchange":
            case.resolution = "refund"  # no replacement in stock: money back instead
        for line in case.lines:
            full = line.product.price_cents * line.quantity
            line.refund_cents = full if line.goodwill else line.expected_cents
            line.resolution, line.resolved_at = case.resolution, e.now
        credit = case.resolution == "store_credit"
        channel = case.order.channel
        gateway = (
            "shopify_store_credit" if credit else {"web": "shopify_payments"}.get(channel, channel)
        )
        refund_id = REFUND_BASE + e.next_id("refund")
        payload = shopify_refund(
            case,
            refund_id,
            e.now,
            gateway,
            self.e.rules.nodes[case.dc].location_id,
            "Store credit for return" if credit else "Return refund",
        )
        e.webhook(shopify.REFUNDS, "refunds", payload, f"gid://shopify/Refund/{refund_id}")
        if channel == "web" and not credit:
            total = sum(line.refund_cents for line in case.lines)
            e.landing.add(
                finance.PAYMENT_REFUNDS,
                f"payment_refunds_{e.today}.ndjson",
                stripe_refund(e.next_id("stripe"), case, total, e.now),
            )
        self._close(case)
        for line in case.lines:
            if line.goodwill:
                e.problems.add(
                    "refund_over_policy",
                    "shopify",
                    channel=line.channel,
                    return_line_id=line.return_line_id,
                    sku=line.product.sku,
                    key=case.return_id,
                    occurred_at=e.now,
                    detail=f"goodwill: returned outside the {line.policy.window_days}-day window,"
                    f" refunded {line.refund_cents / 100:.2f} (policy: 0.00)",
                )

    def _exchange(self, case: Case) -> bool:
        """Allocate the replacements (one size up/down); False when one is out of stock."""
        e = self.e
        wanted, needed = [], {}
        for line in case.lines:
            step = SIZE_REASONS.get(line.reason_code)
            other = e.rules.neighbour_size(line.product, step) if step else None
            replacement = other or line.product
            needed[replacement.index] = needed.get(replacement.index, 0) + line.quantity
            wanted.append((line, replacement))
        for sku, quantity in needed.items():  # all from one DC or the other, as allocate does
            if not any(e.ledger.get(dc, sku, "available") >= quantity for dc in e.rules.dcs):
                return False
        items, allocations = [], []
        for line, replacement in wanted:
            line_item_id = EXCHANGE_LINE_ITEM_BASE + e.next_id("xline")
            dc = e.sales.allocate(replacement.index, line.quantity, case.dc, case.order.order_id)
            allocations.append((dc, replacement.index, line.quantity))
            items.append(
                {
                    "id": f"gid://shopify/ExchangeLineItem/{e.next_id('exchange')}",
                    "quantity": line.quantity,
                    "lineItem": {
                        "id": f"gid://shopify/LineItem/{line_item_id}",
                        "sku": replacement.sku,
                    },
                }
            )
        case.exchange_items = items
        shipped_at = e.now + e.rng.randint(2 * HOUR, 10 * HOUR)
        e.at(shipped_at, self.exchange_shipped, case, allocations, case=case)
        return True

    def exchange_shipped(self, case: Case, allocations: list) -> None:
        self.e.sales.ship(case.order.order_id, allocations)
        for line in case.lines:
            line.resolution, line.resolved_at = "exchange", self.e.now
        self._close(case)

    def _close(self, case: Case) -> None:
        e = self.e
        case.status = "CLOSED"
        payload = shopify_return(case, "CLOSED", e.now, closed_at=e.now)
        e.webhook(shopify.RETURNS, "returns", payload, case.return_id)
