"""Sales and stock keeping at the DCs: orders, allocation, shipping, replenishment.

An order allocates each line at the customer's DC (the other DC if it has no stock; the line
is dropped if neither has), books `available -> committed`, and ships hours later
(`committed -> out`). A DC whose available stock falls under the reorder point opens a
purchase order (`out -> incoming`) that arrives days later (`incoming -> available`).
Every move is a WMS adjustment whose reference is the order id or the PO number.
"""

from __future__ import annotations

import math
from bisect import bisect
from itertools import accumulate
from typing import TYPE_CHECKING

from ingest.simulator.clock import DAY, HOUR
from ingest.simulator.model import Order, OrderLine
from ingest.simulator.payloads import amazon_order_row, shopify_order
from ingest.sources import amazon, shopify

if TYPE_CHECKING:
    from ingest.simulator.engine import Engine

CATEGORY_SHARE = {
    "dresses": 0.22,
    "tops": 0.28,
    "jeans": 0.15,
    "shoes": 0.12,
    "outerwear": 0.08,
    "accessories": 0.15,
}
SIZE_SHARE = {
    "XS": 0.10, "S": 0.22, "M": 0.30, "L": 0.24, "XL": 0.14,
    "26": 0.12, "28": 0.22, "30": 0.30, "32": 0.22, "34": 0.14,
    "37": 0.12, "38": 0.20, "39": 0.22, "40": 0.20, "41": 0.16, "42": 0.10,
    "ONE": 1.0,
}  # fmt: skip
LINES_PER_ORDER = (1, 1, 1, 2, 2, 3)
WEEKDAY_FACTOR = (0.97, 0.93, 0.94, 0.98, 1.02, 1.05, 1.11)  # Monday .. Sunday
SHOPIFY_ORDER_BASE = 5_500_000
LINE_ITEM_BASE = 13_900_000_000
CUSTOMER_BASE = 7_100_000_000


class Sales:
    def __init__(self, engine: Engine):
        self.e = engine
        sc, rng, rules = engine.scenario, engine.rng, engine.rules
        self.products = rules.products
        style_weight = {style: rng.lognormvariate(0, 0.6) for style in sorted(rules.styles)}
        per_category: dict[str, float] = {}
        for style, weight in style_weight.items():
            category = rules.styles[style][0].category
            per_category[category] = per_category.get(category, 0.0) + weight
        self.weights = [
            CATEGORY_SHARE[p.category]
            * style_weight[p.style_id]
            / per_category[p.category]
            * SIZE_SHARE[p.size]
            for p in self.products
        ]
        self.cum_weights = list(accumulate(self.weights))
        self.total_weight = self.cum_weights[-1]
        self.channels = [c for c, _ in sc.channel_mix]
        self.channel_cum = list(accumulate(w for _, w in sc.channel_mix))
        self.countries = [c for c, _ in sc.country_mix]
        self.country_cum = list(accumulate(w for _, w in sc.country_mix))
        self.dc_for = dict(sc.dc_for_country)
        self.return_rate = dict(sc.return_rate)
        self.return_factor = dict(sc.channel_return_factor)
        self.customers = max(50, round(sc.customers * engine.scale))
        self.open_po: set[tuple[str, int]] = set()
        self.orders = 0
        self._stock_plan()

    # ------------------------------------------------------------------ stock levels
    def _stock_plan(self) -> None:
        """Demand per DC and SKU sets safety stock, reorder point and the opening stock."""
        e, sc, rng = self.e, self.e.scenario, self.e.rng
        units_per_day = sc.orders_per_day * e.scale * 1.67 * 1.1
        dc_share: dict[str, float] = {}
        for country, share in sc.country_mix:
            dc_share[self.dc_for[country]] = dc_share.get(self.dc_for[country], 0.0) + share
        self.reorder_point: dict[tuple[str, int], int] = {}
        self.order_up_to: dict[tuple[str, int], int] = {}
        for dc in e.rules.dcs:
            for p in self.products:
                demand = units_per_day * self.weights[p.index] * dc_share[dc]
                safety = max(1, math.ceil(demand * 2))
                reserved = rng.randint(1, 3) if rng.random() < 0.2 else 0
                buffer = safety + reserved
                self.reorder_point[dc, p.index] = math.ceil(demand * sc.reorder_days) + buffer
                up_to = math.ceil(demand * sc.initial_stock_days) + buffer
                self.order_up_to[dc, p.index] = up_to
                e.ledger.move(dc, p.index, None, "available", up_to)
                e.ledger.move(dc, p.index, None, "safety_stock", safety)
                if reserved:
                    e.ledger.move(dc, p.index, None, "reserved", reserved)
        for store in e.rules.stores:
            for p in self.products:
                high = 10 if p.category == "accessories" else 6
                e.ledger.move(store, p.index, None, "available", rng.randint(1, high))

    # ------------------------------------------------------------------ orders
    def begin_day(self, t0: int) -> None:
        e = self.e
        weekday = e.day_of(t0).weekday()
        mean = e.scenario.orders_per_day * e.scale * WEEKDAY_FACTOR[weekday]
        count = max(0, round(e.rng.gauss(mean, math.sqrt(mean))))
        for moment in sorted(e.rng.randrange(DAY) for _ in range(count)):
            e.at(t0 + moment, self.order)

    def pick(self) -> int:
        """A SKU index, by popularity."""
        return bisect(self.cum_weights, self.e.rng.random() * self.total_weight)

    def order(self) -> None:
        e, rng = self.e, self.e.rng
        channel = self.channels[bisect(self.channel_cum, rng.random() * self.channel_cum[-1])]
        country = self.countries[bisect(self.country_cum, rng.random() * self.country_cum[-1])]
        dc = self.dc_for[country]
        picks = [self.pick() for _ in range(LINES_PER_ORDER[int(rng.random() * 6)])]
        wanted = list(dict.fromkeys(picks))
        shopify_channel = channel != "amazon"
        if shopify_channel:
            number = SHOPIFY_ORDER_BASE + e.next_id("order")
            order_id = f"gid://shopify/Order/{number}"
        else:
            n = e.next_id("amazon-order")
            number = None
            order_id = f"30{n % 6 + 2}-{n * 7_654_321 % 10_000_000:07d}-{n:07d}"
        lines, allocations = [], []
        for sku in wanted:
            quantity = 1 if rng.random() < 0.9 else 2
            ship_dc = self.allocate(sku, quantity, dc, order_id)
            if ship_dc is None:
                continue
            line_item = LINE_ITEM_BASE + e.next_id("line") if shopify_channel else None
            lines.append(OrderLine(line_item, self.products[sku], quantity))
            allocations.append((ship_dc, sku, quantity))
        if not lines:
            return
        self.orders += 1
        customer_id, tags = self._customer(channel)
        segment = "member" if "member" in tags.split(", ") else "standard"
        order = Order(channel, order_id, number, e.now, country, segment, dc, lines)
        shipped_at = e.now + rng.randint(2 * HOUR, 30 * HOUR)
        e.at(shipped_at, self.ship, order_id, allocations)
        if shopify_channel:
            e.webhook(shopify.ORDERS, "orders", shopify_order(order, customer_id, tags), order_id)
        else:
            same_day = shipped_at // DAY == e.now // DAY
            for n in range(len(lines)):
                e.landing.add(
                    amazon.ORDERS,
                    f"all_orders_{e.today}.tsv",
                    amazon_order_row(order, n, shipped_at if same_day else None),
                )
        factor = self.return_factor[channel]
        returned = [
            line
            for line in lines
            if rng.random() < self.return_rate[line.product.category] * factor
        ]
        if returned:
            e.returns.plan(order, returned)

    def _customer(self, channel: str) -> tuple[int, str]:
        if channel == "zalando":  # Zalando's customers, never members of our programme
            return CUSTOMER_BASE + 5_000_000 + self.e.rng.randrange(self.customers), "zalando"
        if channel == "amazon":
            return 0, ""
        n = self.e.rng.randrange(self.customers)
        member = (n * 2_654_435_761) % 100 < self.e.scenario.member_share_pct
        return CUSTOMER_BASE + n, "member, newsletter" if member else "newsletter"

    # ------------------------------------------------------------------ stock moves
    def allocate(self, sku: int, quantity: int, dc: str, reference: str) -> str | None:
        """Commit `quantity` at `dc`, else at the other DC; None when neither has it."""
        e = self.e
        for node in (dc, *(d for d in e.rules.dcs if d != dc)):
            if e.ledger.get(node, sku, "available") >= quantity:
                e.adjust(node, sku, "available", "committed", quantity, "ALLOCATE", reference)
                self.replenish(node, sku)
                return node
        return None

    def ship(self, reference: str, allocations: list[tuple[str, int, int]]) -> None:
        for dc, sku, quantity in allocations:
            self.e.adjust(dc, sku, "committed", None, quantity, "SHIP", reference)

    def replenish(self, dc: str, sku: int) -> None:
        e = self.e
        available = e.ledger.get(dc, sku, "available")
        if available >= self.reorder_point[dc, sku] or (dc, sku) in self.open_po:
            return
        quantity = self.order_up_to[dc, sku] - available
        po = f"PO-{e.next_id('po'):07d}"
        e.adjust(dc, sku, None, "incoming", quantity, "PO_OPEN", po)
        self.open_po.add((dc, sku))
        e.at(e.now + e.rng.randint(3 * DAY, 5 * DAY), self.receive, dc, sku, quantity, po)

    def receive(self, dc: str, sku: int, quantity: int, po: str) -> None:
        self.e.adjust(dc, sku, "incoming", "available", quantity, "PO_RECEIVE", po)
        self.open_po.discard((dc, sku))
