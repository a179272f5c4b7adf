"""Inspection at the DCs: a first-in-first-out queue per DC, worked in daily shifts.

Each day a DC inspects as many receipt lines as its capacity allows: the capacity factor of
the scenario times the average receipt lines of the last three days. DC-WEST's factor is
under 1, so its backlog grows. An inspection grades the unit, the disposition rules give its
disposition and target state, and a WMS adjustment moves it out of `quality_control` minutes
later; later moves (refurbishment done, RTV shipped, outlet sale, liquidation and scrap
pick-ups) follow on their own schedule.
"""

from __future__ import annotations

import math
from collections import deque
from itertools import accumulate
from typing import TYPE_CHECKING

from ingest.simulator.clock import DAY, HOUR, MINUTE, day_start
from ingest.simulator.model import Case, ReturnLine
from ingest.simulator.payloads import inspection_row
from ingest.sources import wms

if TYPE_CHECKING:
    from ingest.simulator.engine import Engine

GRADES = ("A", "B", "C", "D", "F")
GRADE_WEIGHTS = {
    "NOT_AS_DESCRIBED": (45, 25, 15, 10, 5),
    "DEFECTIVE": (10, 15, 30, 25, 20),
    "DAMAGED_IN_TRANSIT": (5, 15, 30, 30, 20),
    "OTHER": (50, 20, 15, 10, 5),
}
DEFAULT_GRADE_WEIGHTS = (72, 18, 6, 3, 1)  # size, preference, wrong item: mostly as new
EARLIEST_INSPECTION = 30 * MINUTE  # after the dock receipt
SHIFT_START, SHIFT_HOURS = 7 * HOUR, 12
LATER_MOVES = {  # target state: (reason, days until it moves on, next state)
    "refurbishment": ("REFURB_COMPLETE", (3, 8), "available"),
    "vendor_return": ("RTV_SHIPPED", (2, 6), None),
    "secondary": ("SECONDARY_SALE", (1, 10), None),
}
PICKUPS = {"liquidation": ("LIQUIDATED", 10 * HOUR), "damaged": ("SCRAPPED", 14 * HOUR)}


class Inspection:
    def __init__(self, engine: Engine):
        self.e = engine
        self.dcs = list(engine.rules.dcs)
        self.queues: dict[str, deque[tuple[ReturnLine, Case]]] = {dc: deque() for dc in self.dcs}
        self.history: dict[str, list[int]] = {dc: [] for dc in self.dcs}
        self.today = dict.fromkeys(self.dcs, 0)
        self.factor = dict(engine.scenario.inspection_capacity_factor)
        self.grade_cum = {
            reason: list(accumulate(GRADE_WEIGHTS.get(reason, DEFAULT_GRADE_WEIGHTS)))
            for reason in engine.rules.reasons
        }

    def enqueue(self, line: ReturnLine, case: Case) -> None:
        self.queues[line.node_id].append((line, case))
        self.today[line.node_id] += 1
        self.e.hold(case)

    def begin_day(self, t0: int) -> None:
        for dc in self.dcs:
            recent = self.history[dc][-3:]
            mean = sum(recent) / len(recent) if recent else 0.0
            capacity = math.ceil(self.factor.get(dc, 1.0) * mean)
            for k in range(capacity):
                moment = t0 + SHIFT_START + k * SHIFT_HOURS * HOUR // capacity
                self.e.at(moment, self.slot, dc)

    def end_of_day(self, t0: int) -> None:
        day = self.e.day_of(t0)
        for dc in self.dcs:
            self.history[dc].append(self.today[dc])
            self.today[dc] = 0
            queue = self.queues[dc]
            units = sum(line.quantity for line, _ in queue)
            oldest = queue[0][0].received_at if queue else None
            self.e.truth.inspection_backlog.add((dc, day, units, oldest))

    def slot(self, dc: str) -> None:
        queue = self.queues[dc]
        if queue and queue[0][0].received_at + EARLIEST_INSPECTION <= self.e.now:
            line, case = queue.popleft()
            self.inspect(line, case)

    def inspect(self, line: ReturnLine, case: Case) -> None:
        e, rng = self.e, self.e.rng
        line.inspected_at = e.now
        line.grade = rng.choices(GRADES, cum_weights=self.grade_cum[line.reason_code])[0]
        line.disposition, line.target_state = e.rules.disposition(
            line.reason_code, line.grade, line.product.category
        )
        dc = line.node_id
        e.landing.add(
            wms.INSPECTIONS,
            f"inspections_{dc}_{e.today}.csv",
            inspection_row(
                f"INS-{dc[3:]}-{e.next_id('inspection'):08d}",
                line,
                case.name,
                f"INSP-{dc[3]}{rng.randint(1, 9):02d}",
            ),
        )
        if line.restocked_before_inspection:
            if line.target_state != "available":
                e.at(e.now + rng.randint(5 * MINUTE, 30 * MINUTE), self.regrade, line, case=case)
        elif line.target_state != "quality_control":  # quarantine: the unit stays put
            e.at(e.now + rng.randint(2 * MINUTE, 45 * MINUTE), self.book, line, case=case)
        e.returns.maybe_resolve(case)
        e.release(case)

    def book(self, line: ReturnLine) -> None:
        """The disposition's move out of quality_control: the line's inventory_updated."""
        e = self.e
        e.adjust(
            line.node_id,
            line.product.index,
            "quality_control",
            line.target_state,
            line.quantity,
            "DISPOSITION",
            line.receipt_id,
        )
        line.inventory_updated_at = e.now
        self._later(line)

    def regrade(self, line: ReturnLine) -> None:
        """A unit restocked before inspection moves on from available to its real target."""
        e = self.e
        if e.ledger.get(line.node_id, line.product.index, "available") < line.quantity:
            e.problems.add(
                "restocked_unit_sold_before_inspection",
                "wms",
                node_id=line.node_id,
                return_line_id=line.return_line_id,
                sku=line.product.sku,
                key=line.receipt_id,
                occurred_at=e.now,
                detail=f"graded {line.grade} ({line.disposition}) after being sold",
            )
            return
        e.adjust(
            line.node_id,
            line.product.index,
            "available",
            line.target_state,
            line.quantity,
            "REGRADE",
            line.receipt_id,
        )
        self._later(line)

    def _later(self, line: ReturnLine) -> None:
        e, rng, state = self.e, self.e.rng, line.target_state
        args = (line.node_id, line.product.index, line.quantity, line.receipt_id)
        if state in LATER_MOVES:
            reason, (low, high), nxt = LATER_MOVES[state]
            e.at(e.now + rng.randint(low * DAY, high * DAY), self._move, *args, state, nxt, reason)
        elif state in PICKUPS:
            reason, hour = PICKUPS[state]
            today = e.day_of(e.now)
            monday = day_start(today) + (7 - today.weekday()) * DAY
            e.at(monday + hour + rng.randrange(HOUR), self._move, *args, state, None, reason)

    def _move(
        self,
        node: str,
        sku: int,
        quantity: int,
        reference: str,
        src: str,
        dst: str | None,
        reason: str,
    ) -> None:
        self.e.adjust(node, sku, src, dst, quantity, reason, reference)
