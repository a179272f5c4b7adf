"""Scenario parameters: the business's rates and every injected problem's knob, in one place.

`Scenario()` is the fashion retailer of DESIGN §1 with all problems switched on;
`Scenario().without_problems()` is the same business running cleanly, and
`dataclasses.replace(scenario, duplicate_webhook_rate=0.0)` switches one problem off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

START = date(2026, 1, 5)  # the first simulated day; the opening stock is counted the day before


@dataclass(frozen=True)
class Scenario:
    # ---------------------------------------------------------------- the business
    orders_per_day: float = 830.0  # at scale 1 (~50k orders in 60 days)
    channel_mix: tuple[tuple[str, float], ...] = (
        ("web", 0.50),
        ("zalando", 0.28),
        ("amazon", 0.22),
    )
    country_mix: tuple[tuple[str, float], ...] = (
        ("DE", 0.38),
        ("FR", 0.16),
        ("NL", 0.14),
        ("AT", 0.11),
        ("PL", 0.11),
        ("BE", 0.10),
    )
    # which DC ships to (and receives returns from) which country
    dc_for_country: tuple[tuple[str, str], ...] = (
        ("DE", "DC-EAST"),
        ("AT", "DC-EAST"),
        ("PL", "DC-EAST"),
        ("NL", "DC-WEST"),
        ("BE", "DC-WEST"),
        ("FR", "DC-WEST"),
    )
    # return probability of an order line, by category; channel factor on top
    return_rate: tuple[tuple[str, float], ...] = (
        ("dresses", 0.38),
        ("tops", 0.22),
        ("jeans", 0.32),
        ("shoes", 0.28),
        ("outerwear", 0.25),
        ("accessories", 0.08),
    )
    channel_return_factor: tuple[tuple[str, float], ...] = (
        ("web", 1.0),
        ("zalando", 1.25),
        ("amazon", 0.8),
    )
    late_return_share: float = 0.05  # returns started 35-90 days after the order
    in_store_return_share: tuple[tuple[str, float], ...] = (
        ("web", 0.12),
        ("zalando", 0.03),
        ("amazon", 0.02),
    )
    never_shipped_share: float = 0.04  # customer asks for a return and never sends it
    manual_approval_share: float = 0.25  # Shopify returns REQUESTED before OPEN
    store_walkin_returns_per_day: float = 6.0  # per store at scale 1 (store purchases)
    customers: int = 20_000  # Shopify customers at scale 1
    member_share_pct: int = 22  # customers tagged `member`
    initial_stock_days: int = 21
    reorder_days: int = 8
    # inspection capacity per DC and day, as a multiple of the last three days' receipt lines
    inspection_capacity_factor: tuple[tuple[str, float], ...] = (
        ("DC-EAST", 1.6),
        ("DC-WEST", 0.75),
    )

    # ---------------------------------------------------------------- injected problems
    # DC-EAST moves returned units of these categories to `available` right at receipt,
    # before the inspection (which later corrects the state if the rule says otherwise)
    restock_before_inspection_node: str = "DC-EAST"
    restock_before_inspection_categories: tuple[str, ...] = ("tops", "jeans")
    # stores that sync POS only in one end-of-day batch (others within minutes)
    pos_end_of_day_stores: tuple[str, ...] = ("ST-VIE", "ST-PAR")
    # share of Shopify webhooks and EasyPost events delivered twice; half of them late
    duplicate_webhook_rate: float = 0.02
    late_duplicate_share: float = 0.5
    # Amazon's customer-returns report lists a return this many days after its return-date
    amazon_backdate_days: tuple[int, int] = (1, 5)
    # the channel whose published stock is the ATP of `channel_lag_hours` earlier
    lagging_channel: str | None = "zalando"
    channel_lag_hours: int = 6
    # out-of-window Shopify returns accepted anyway and refunded in full (refund over policy)
    goodwill_refund_share: float = 0.25
    # corrupted extra copies of real rows (see problems.MALFORMED_PLAN), and one re-delivered
    # partial copy of a real file per source (see problems.TRUNCATED_PLAN)
    malformed_rows: bool = True
    truncated_files: bool = True

    def without_problems(self) -> Scenario:
        """The same business with every injected problem switched off."""
        return replace(
            self,
            restock_before_inspection_categories=(),
            pos_end_of_day_stores=(),
            duplicate_webhook_rate=0.0,
            amazon_backdate_days=(0, 0),
            lagging_channel=None,
            goodwill_refund_share=0.0,
            malformed_rows=False,
            truncated_files=False,
            inspection_capacity_factor=tuple(
                (node, max(factor, 1.6)) for node, factor in self.inspection_capacity_factor
            ),
        )

    def without_rejects(self) -> Scenario:
        """Every problem except the ones that make the loader reject rows (samples, demos)."""
        return replace(self, malformed_rows=False, truncated_files=False)
