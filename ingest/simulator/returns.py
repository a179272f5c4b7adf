"""Return lifecycles: what every return shares, and the DC receipt.

A return starts in one of three feeds (`shopify_returns`, `amazon_returns`, `store_returns`);
this module decides when and where (`plan`), builds its lines (reason, policy, expected
refund), receives parcels at the DCs (WMS receipt, `+quality_control`, into the inspection
queue; DC-EAST's restock-before-inspection), schedules the resolution once the policy allows
it, and writes each case's truth rows when nothing inside the window can change them.
"""

from __future__ import annotations

from itertools import accumulate
from typing import TYPE_CHECKING

from ingest.simulator.amazon_returns import AmazonReturns
from ingest.simulator.clock import DAY, HOUR, MINUTE
from ingest.simulator.model import Case, Order, OrderLine, ReturnLine
from ingest.simulator.payloads import receipt_row
from ingest.simulator.rules import Product, expected_refund_cents
from ingest.simulator.shopify_returns import ShopifyReturns
from ingest.simulator.store_returns import StoreReturns
from ingest.sources import wms

if TYPE_CHECKING:
    from ingest.simulator.engine import Engine

REASON_WEIGHTS = {  # canonical reason weights: size dominates apparel
    "apparel": {
        "SIZE_TOO_SMALL": 28, "SIZE_TOO_LARGE": 24, "STYLE": 14, "COLOR": 7, "UNWANTED": 9,
        "NOT_AS_DESCRIBED": 7, "DEFECTIVE": 5, "DAMAGED_IN_TRANSIT": 2, "WRONG_ITEM": 2,
        "OTHER": 2,
    },
    "shoes": {
        "SIZE_TOO_SMALL": 25, "SIZE_TOO_LARGE": 22, "STYLE": 12, "COLOR": 4, "UNWANTED": 10,
        "NOT_AS_DESCRIBED": 8, "DEFECTIVE": 9, "DAMAGED_IN_TRANSIT": 4, "WRONG_ITEM": 3,
        "OTHER": 3,
    },
    "accessories": {
        "STYLE": 20, "COLOR": 15, "UNWANTED": 30, "NOT_AS_DESCRIBED": 10, "DEFECTIVE": 12,
        "DAMAGED_IN_TRANSIT": 5, "WRONG_ITEM": 4, "OTHER": 4,
    },
}  # fmt: skip
REFUND_DELAY = {
    "web": (2 * HOUR, 30 * HOUR),
    "zalando": (24 * HOUR, 96 * HOUR),
    "amazon": (24 * HOUR, 72 * HOUR),
}
RECEIPT_NOTES = ("", "", "", "", "", "", "", "", "outer packaging damaged", "tags removed")


class Returns:
    def __init__(self, engine: Engine):
        self.e = engine
        rules, sc = engine.rules, engine.scenario
        self.rules = rules
        self.open: dict[str, Case] = {}
        self.in_store_share = dict(sc.in_store_return_share)
        self._reasons: dict[tuple[str, str], tuple[list[str], list[float]]] = {}
        self.lines_written = 0
        self.shopify = ShopifyReturns(self)
        self.amazon = AmazonReturns(self)
        self.stores = StoreReturns(self)

    def _reason(self, category: str, system: str) -> tuple[str, str]:
        """(canonical reason, the source system's code for it), by the category's mix."""
        key = (category, system)
        if key not in self._reasons:
            group = category if category in ("shoes", "accessories") else "apparel"
            pairs = [
                (code, w)
                for code, w in REASON_WEIGHTS[group].items()
                if self.rules.source_codes.get((system, code))
            ]
            self._reasons[key] = ([c for c, _ in pairs], list(accumulate(w for _, w in pairs)))
        codes, cum = self._reasons[key]
        rng = self.e.rng
        canonical = rng.choices(codes, cum_weights=cum)[0]
        return canonical, rng.choice(self.rules.source_codes[(system, canonical)])

    def line(
        self,
        source: str,
        system: str,
        channel: str,
        order: Order | None,
        product: Product,
        quantity: int,
        line_id: str,
        return_id: str,
        region: str,
        segment: str,
        line_item_id: int | None = None,
    ) -> ReturnLine:
        e = self.e
        canonical, code = self._reason(product.category, system)
        policy = self.rules.policy(product.category, channel, region, segment)
        within = order is None or e.now <= order.ordered_at + policy.window_days * DAY
        return ReturnLine(
            return_line_id=line_id,
            return_id=return_id,
            source=source,
            channel=channel,
            order_id=order.order_id if order else None,
            product=product,
            quantity=quantity,
            reason_code=canonical,
            source_reason=code,
            region=region,
            segment=segment,
            policy=policy,
            within_window=within,
            expected_cents=expected_refund_cents(product.price_cents, quantity, policy, within),
            initiated_at=e.now,
            line_item_id=line_item_id,
        )

    def open_case(self, case: Case) -> None:
        self.open[case.return_id] = case

    def settle(self, case: Case) -> None:
        """A case with nothing left to happen inside the window is final now."""
        if case.pending == 0:
            self.finish(case)

    def finish(self, case: Case) -> None:
        if case.finished:
            return
        case.finished = True
        for line in case.lines:
            self.e.truth.return_line(line)
        self.lines_written += len(case.lines)
        self.open.pop(case.return_id, None)

    def finish_all(self) -> None:
        for case in list(self.open.values()):
            self.finish(case)

    def begin_day(self, t0: int) -> None:
        self.stores.begin_day(t0)

    def plan(self, order: Order, lines: list[OrderLine]) -> None:
        """Decide when and where the customer starts the return of these order lines."""
        e, rng, sc = self.e, self.e.rng, self.e.scenario
        if rng.random() < sc.late_return_share:
            delay = rng.randint(35 * DAY, 90 * DAY)
        else:
            delay = rng.randint(3 * DAY, 25 * DAY)
        at = order.ordered_at + delay
        if rng.random() < self.in_store_share[order.channel]:
            e.at(at, self.stores.in_store, order, lines)
        elif order.channel == "amazon":
            e.at(at, self.amazon.start, order, lines)
        else:
            e.at(at, self.shopify.start, order, lines)

    def receive(self, case: Case) -> None:
        e = self.e
        receipt_id = f"RCV-{e.next_id('receipt'):08d}"
        note = e.rng.choice(RECEIPT_NOTES)
        sc = e.scenario
        for line in case.lines:
            line.node_id, line.received_at, line.receipt_id = case.dc, e.now, receipt_id
            e.landing.add(
                wms.RECEIPTS,
                f"receipts_{case.dc}_{e.today}.csv",
                receipt_row(line, case.name, note),
            )
            e.ledger.move(case.dc, line.product.index, None, "quality_control", line.quantity)
            e.inspection.enqueue(line, case)
            if (
                case.dc == sc.restock_before_inspection_node
                and line.product.category in sc.restock_before_inspection_categories
            ):
                restock_at = e.now + e.rng.randint(5 * MINUTE, 25 * MINUTE)
                e.at(restock_at, self.restock_before_inspection, line, case=case)
        self.maybe_resolve(case)

    def restock_before_inspection(self, line: ReturnLine) -> None:
        e = self.e
        e.adjust(
            line.node_id,
            line.product.index,
            "quality_control",
            "available",
            line.quantity,
            "RESTOCK",
            line.receipt_id,
        )
        line.inventory_updated_at = e.now
        line.restocked_before_inspection = True
        e.problems.add(
            "restock_before_inspection",
            "wms",
            channel=line.channel,
            node_id=line.node_id,
            return_line_id=line.return_line_id,
            sku=line.product.sku,
            key=line.receipt_id,
            occurred_at=e.now,
            detail=f"{line.product.category}: quality_control -> available before inspection",
        )

    def maybe_resolve(self, case: Case) -> None:
        """Schedule the refund/credit/exchange once the policy's conditions are all met."""
        if case.resolve_scheduled or case.source == "pos":
            return
        if any(line.received_at is None for line in case.lines):
            return
        if case.resolution != "exchange" and any(
            line.needs_inspection and line.inspected_at is None for line in case.lines
        ):
            return
        case.resolve_scheduled = True
        low, high = REFUND_DELAY[case.lines[0].channel]
        action = self.amazon.resolve if case.source == "amazon" else self.shopify.resolve
        self.e.at(self.e.now + self.e.rng.randint(low, high), action, case, case=case)
