"""Store returns at the till, synced by the POS within minutes or in an end-of-day batch.

A till transaction takes back an online order's items (inside their window; the till refuses
others) or a store purchase (no order id, channel `store`). The units enter the store's stock
(`available`, or `damaged`) when the POS syncs, which is also when head office learns of the
return; an exchange ships the replacement from the DC serving the store's country.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.simulator.clock import DAY, HOUR, MINUTE, day_start
from ingest.simulator.model import Case, Order, OrderLine, ReturnLine
from ingest.simulator.payloads import pos_row
from ingest.simulator.shopify_returns import SIZE_REASONS
from ingest.sources import pos

if TYPE_CHECKING:
    from ingest.simulator.returns import Returns


class StoreReturns:
    def __init__(self, returns: Returns):
        self.r, self.e = returns, returns.e
        rules = self.e.rules
        self.stores_in: dict[str, list[str]] = {}
        for store in rules.stores:
            self.stores_in.setdefault(rules.nodes[store].region, []).append(store)
        self.dc_for = dict(self.e.scenario.dc_for_country)

    def begin_day(self, t0: int) -> None:
        """Store purchases brought back today (the sale itself is in no feed)."""
        e = self.e
        mean = e.scenario.store_walkin_returns_per_day * e.scale
        for store in self.e.rules.stores:
            count = max(0, round(e.rng.gauss(mean, mean**0.5)))
            for _ in range(count):
                e.at(t0 + 9 * HOUR + e.rng.randrange(11 * HOUR), self.walk_in, store)

    def _store_hours(self, ts: int) -> int:
        """The first moment at or after `ts` the stores are open (09:00-20:00 UTC)."""
        rng, clock = self.e.rng, ts % DAY
        if 9 * HOUR <= clock < 20 * HOUR:
            return ts
        opening = ts - clock + 9 * HOUR + (DAY if clock >= 20 * HOUR else 0)
        return opening + rng.randrange(2 * HOUR)

    def in_store(self, order: Order, lines: list[OrderLine]) -> None:
        """An online order brought back to a store (if the customer's country has one)."""
        e = self.e
        stores = self.stores_in.get(order.country)
        if not stores:
            start = self.r.amazon.start if order.channel == "amazon" else self.r.shopify.start
            start(order, lines)
            return
        store = e.rng.choice(stores)
        e.at(self._store_hours(e.now), self.till, store, order, lines)

    def walk_in(self, store: str) -> None:
        product = self.e.rules.products[self.e.sales.pick()]
        self.till(store, None, [OrderLine(None, product, 1)])

    def till(self, store: str, order: Order | None, lines: list[OrderLine]) -> None:
        e, rng = self.e, self.e.rng
        transaction = f"T-{store[3:]}-{e.next_id('pos-' + store):07d}"
        region = order.country if order else self.e.rules.nodes[store].region
        segment = order.segment if order else "standard"
        channel = order.channel if order else "store"
        taken = []
        for ol in lines:
            line = self.r.line(
                "pos",
                "pos",
                channel,
                order,
                ol.product,
                ol.quantity,
                f"{transaction}-{len(taken) + 1}",
                transaction,
                region,
                segment,
            )
            if line.within_window:  # the till refuses items past the window
                taken.append(line)
        if not taken:
            return
        if taken[0].reason_code in SIZE_REASONS and rng.random() < 0.3:
            tender = "exchange"
        else:
            tender = rng.choices(("card", "cash", "store_credit"), (70, 12, 18))[0]
        conditions = [
            "damaged"
            if rng.random() < (0.45 if line.reason_code == "DEFECTIVE" else 0.04)
            else "resaleable"
            for line in taken
        ]
        if store in e.scenario.pos_end_of_day_stores:
            offset = 5 * MINUTE * self.e.rules.stores.index(store) + 17
            synced_at = day_start(e.day_of(e.now)) + 22 * HOUR + offset
        else:
            synced_at = e.now + rng.randint(MINUTE, 15 * MINUTE)
        case = Case("pos", order, taken, transaction, name=transaction)
        case.resolution = {"card": "refund", "cash": "refund"}.get(tender, tender)
        if e.at(synced_at, self.sync, case, store, tender, conditions, case=case):
            self.r.open_case(case)

    def sync(self, case: Case, store: str, tender: str, conditions: list[str]) -> None:
        e = self.e
        employee = f"E{store[3:]}{e.rng.randint(1, 12):02d}"
        for n, (line, condition) in enumerate(zip(case.lines, conditions, strict=True), 1):
            line.node_id = store
            line.received_at = line.resolved_at = line.initiated_at
            line.resolution = case.resolution
            if case.resolution != "exchange":
                line.refund_cents = line.expected_cents
            line.target_state = "available" if condition == "resaleable" else "damaged"
            e.ledger.move(store, line.product.index, None, line.target_state, line.quantity)
            e.landing.add(
                pos.STORE_RETURNS,
                f"store_returns_{store}_{e.today}.csv",
                pos_row(line, case.return_id, n, store, e.now, condition, tender, employee),
            )
            if tender == "exchange":
                self._ship_replacement(line, store)
        held = e.now - case.lines[0].initiated_at
        if store in e.scenario.pos_end_of_day_stores:
            e.problems.add(
                "pos_end_of_day_batch",
                "pos",
                channel=case.lines[0].channel,
                node_id=store,
                key=case.return_id,
                file=f"pos/store_returns_{store}_{e.today}.csv",
                occurred_at=case.lines[0].initiated_at,
                detail=f"{len(case.lines)} line(s) held off-system {held / HOUR:.1f} h "
                "until the end-of-day batch",
            )

    def _ship_replacement(self, line: ReturnLine, store: str) -> None:
        """A till exchange ships the replacement from the DC serving the store's country."""
        e = self.e
        step = SIZE_REASONS.get(line.reason_code)
        replacement = (self.e.rules.neighbour_size(line.product, step) if step else None) or (
            line.product
        )
        dc = self.dc_for[self.e.rules.nodes[store].region]
        shipped_from = e.sales.allocate(replacement.index, line.quantity, dc, line.return_line_id)
        if shipped_from is not None:
            allocation = [(shipped_from, replacement.index, line.quantity)]
            e.at(
                e.now + e.rng.randint(2 * HOUR, 10 * HOUR),
                e.sales.ship,
                line.return_line_id,
                allocation,
            )
