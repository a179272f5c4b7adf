"""Amazon returns (merchant-fulfilled): the back-dated report row, the DC, the credit memo.

One license plate number (LPN) per returned order line, only inside the window. The row
appears in the customer-returns report of a later day (`return-date` = the initiation); the
unit reaches the DC days later (RMA = LPN), and an ERP credit memo refunds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.simulator.clock import DAY, HOUR, MINUTE, day_start, day_text
from ingest.simulator.model import Case, Order, OrderLine
from ingest.simulator.payloads import amazon_return_row, credit_memo_row
from ingest.sources import amazon, finance

if TYPE_CHECKING:
    from ingest.simulator.returns import Returns

AMAZON_COMMENTS = ("", "", "", "Does not fit", "Not what I expected", "Arrived too late")
NEVER_SENT = 0.03


class AmazonReturns:
    def __init__(self, returns: Returns):
        self.r, self.e = returns, returns.e

    def start(self, order: Order, lines: list[OrderLine]) -> None:
        e, rng, sc = self.e, self.e.rng, self.e.scenario
        for ol in lines:
            lpn = f"LPNRR{e.next_id('lpn'):09d}"
            line = self.r.line(
                "amazon",
                "amazon",
                "amazon",
                order,
                ol.product,
                ol.quantity,
                lpn,
                lpn,
                order.country,
                "standard",
            )
            if not line.within_window:
                continue  # Amazon does not authorise it
            low, high = sc.amazon_backdate_days
            backdate = e.prng.randint(low, high) if high else 0
            report_day = day_start(e.day_of(e.now)) + backdate * DAY
            reported_at = max(e.now + 10 * MINUTE, report_day + 4 * HOUR + rng.randrange(2 * HOUR))
            if reported_at >= e.end:
                continue  # reported after the window: not part of this run
            case = Case("amazon", order, [line], lpn, name=lpn, dc=order.dc)
            self.r.open_case(case)
            e.at(reported_at, self.report, case, backdate > 0, case=case)
            if rng.random() >= NEVER_SENT:
                e.at(e.now + rng.randint(3 * DAY, 9 * DAY), self.r.receive, case, case=case)

    def report(self, case: Case, backdated: bool) -> None:
        e = self.e
        line = case.lines[0]
        name = f"fba_customer_returns_{e.today}.tsv"
        comment = e.rng.choice(AMAZON_COMMENTS)
        e.landing.add(amazon.CUSTOMER_RETURNS, name, amazon_return_row(line, case.dc, comment))
        days = e.now // DAY - line.initiated_at // DAY
        if backdated:
            e.problems.add(
                "backdated_report_row",
                "amazon",
                channel="amazon",
                return_line_id=line.return_line_id,
                sku=line.product.sku,
                key=line.order_id,
                file=f"amazon/{name}",
                occurred_at=line.initiated_at,
                detail=f"return-date {day_text(line.initiated_at)} reported {days} days later",
            )

    def resolve(self, case: Case) -> None:
        e = self.e
        for line in case.lines:
            line.refund_cents = line.expected_cents
            line.resolution, line.resolved_at = "refund", e.now
            e.landing.add(
                finance.CREDIT_MEMOS,
                f"credit_memos_{e.today}.csv",
                credit_memo_row(f"CM-{e.next_id('memo'):08d}", line, "refund"),
            )
