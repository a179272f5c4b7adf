"""End-of-day stock: WMS snapshots, true inventory, channel ATP and what channels publish.

- WMS `inventory_<DC>_<day>.csv`: the DC's own count of every non-zero SKU x state at 23:59:59
  (the opening day, the day before the first simulated day, has one for every node).
- Channel ATP by the seed formula (`rules.channel_atp`), at the end of the day.
- Published stock. A channel on Shopify (seed `channels.platform = shopify`: the web shop, and
  zalando through Shopify's marketplace connector) is stocked per Shopify location: at each DC
  location of its `channel_allocation` it shows the node's share, `floor(greatest(node ATP, 0)
  * allocation_pct / 100)`. The web shop publishes it as Shopify `inventory_levels` (one update
  per item and location whose value changed that day); zalando as a `channel_stock` pull of
  every SKU x location, `location_id` = the Shopify location id. Any other channel with a
  write-back protocol (amazon) is pulled per SKU, channel-wide. The lagging channel shows the
  node ATPs it had `channel_lag_hours` before the end of the day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.simulator.clock import DAY, HOUR, day_text
from ingest.simulator.ledger import STATE_INDEX
from ingest.simulator.payloads import channel_stock_line, inventory_level, snapshot_row
from ingest.simulator.rules import channel_atp, node_atp
from ingest.sources import channel_stock, shopify, wms
from ingest.sources.wms import INVENTORY_STATES

if TYPE_CHECKING:
    from ingest.simulator.engine import Engine

SHOPIFY_CHANNEL = "web"  # publishes through the Shopify inventory_levels webhooks


class Stock:
    def __init__(self, engine: Engine):
        self.e = engine
        rules = engine.rules
        self.channels = sorted(rules.allocation)
        published = [c for c in self.channels if rules.channels[c]["writeback_protocol"] != "none"]
        # stocked per Shopify location: the web shop and the marketplaces connected to Shopify
        self.located = [c for c in published if rules.channels[c]["platform"] == "shopify"]
        self.pulled = [c for c in published if c != SHOPIFY_CHANNEL]
        self.levels_sent: dict[tuple[int, int], int] = {}
        self.lagged: list[dict[str, int]] | None = None  # node ATPs at the lagging capture

    def _node_atps(self) -> list[dict[str, int]]:
        """Per SKU index: node -> ATP, right now."""
        ledger = self.e.ledger
        return [
            {node: node_atp(ledger.states(node, sku), STATE_INDEX) for node in ledger.nodes}
            for sku in range(len(self.e.rules.products))
        ]

    def _snapshot(self, node: str, at: int) -> None:
        e = self.e
        name = f"inventory_{node}_{day_text(at)}.csv"
        for sku, product in enumerate(e.rules.products):
            for i, units in enumerate(e.ledger.states(node, sku)):
                if units:
                    row = snapshot_row(at, node, product.sku, INVENTORY_STATES[i], units)
                    e.landing.add(wms.INVENTORY_SNAPSHOTS, name, row)

    def _truth_inventory(self, at: int) -> None:
        e = self.e
        day = e.day_of(at)
        products = e.rules.products
        for node, sku, state, units in e.ledger.rows():
            e.truth.inventory_daily.add((day, node, products[sku].sku, state, units))

    # ------------------------------------------------------------------ the day
    def opening(self, t0: int) -> None:
        """The opening count, the day before the first simulated day, of every node."""
        at = t0 + DAY - 1
        for node in self.e.ledger.nodes:
            self._snapshot(node, at)
        self._truth_inventory(at)

    def begin_day(self, t0: int) -> None:
        sc = self.e.scenario
        if sc.lagging_channel:
            capture_at = t0 + DAY - 1 - sc.channel_lag_hours * HOUR
            self.e.at(capture_at, self.capture_lagged, prio=1)  # after that second's moves

    def capture_lagged(self) -> None:
        self.lagged = self._node_atps()

    def _publish_per_location(
        self, channel: str, atps: list[dict[str, int]], shown: list[dict[str, int]], at: int
    ) -> list[int]:
        """Publish a Shopify channel's stock at each of its locations; per SKU index, the sum
        over its locations of what it shows."""
        e = self.e
        day, day_name = e.day_of(at), day_text(at)
        published = [0] * len(e.rules.products)
        for node, pct in e.rules.allocation[channel]:
            location = e.rules.nodes[node].location_id
            for sku, product in enumerate(e.rules.products):
                share = max(atps[sku][node], 0) * pct // 100
                quantity = max(shown[sku][node], 0) * pct // 100
                if channel == SHOPIFY_CHANNEL:
                    key = (product.inventory_item_id, location)
                    if self.levels_sent.get(key) != quantity:
                        self.levels_sent[key] = quantity
                        e.landing.add(
                            shopify.INVENTORY_LEVELS,
                            f"inventory_levels_{day_name}.ndjson",
                            inventory_level(product.inventory_item_id, location, quantity, at),
                        )
                else:
                    e.landing.add(
                        channel_stock.SNAPSHOTS,
                        f"{channel}_{day_name}.ndjson",
                        channel_stock_line(channel, product.sku, quantity, at, location),
                    )
                published[sku] += quantity
                e.truth.channel_location_stock.add(
                    (day, channel, product.sku, node, str(location), share, quantity)
                )
        return published

    def end_of_day(self, t0: int) -> None:
        e = self.e
        at = t0 + DAY - 1
        day, day_name = e.day_of(at), day_text(at)
        for dc in e.rules.dcs:
            self._snapshot(dc, at)
        self._truth_inventory(at)
        atps = self._node_atps()
        lagging = e.scenario.lagging_channel
        for channel in self.channels:
            allocation = e.rules.allocation[channel]
            shown = self.lagged if channel == lagging and self.lagged is not None else atps
            located = (
                self._publish_per_location(channel, atps, shown, at)
                if channel in self.located
                else None
            )
            for sku, product in enumerate(e.rules.products):
                atp = channel_atp(atps[sku], allocation)
                if located is not None:
                    published = located[sku]
                elif channel in self.pulled:
                    published = channel_atp(shown[sku], allocation)
                    e.landing.add(
                        channel_stock.SNAPSHOTS,
                        f"{channel}_{day_name}.ndjson",
                        channel_stock_line(channel, product.sku, published, at),
                    )
                else:
                    published = None
                e.truth.channel_atp.add((day, channel, product.sku, atp, published))
