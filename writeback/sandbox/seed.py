"""Seed the channel sandbox with what the channels last published, read from the landing zone.

So that the sandbox starts out showing what the warehouse believes each channel shows (and
write-back's compare-and-set bases match), its stock is the newest published level per channel,
SKU and location in the landing files:

- Shopify `inventory_levels` (`landing/shopify/inventory_levels_*.ndjson`): the web shop, per
  inventory item and location; the SKU comes from `products.csv` (`shopify_inventory_item_id`).
- `channel_stock` snapshot lines (`landing/channel_stock/*.ndjson`): simulator and sandbox pulls
  and write-back acks, for every channel (zalando and amazon in the simulation). A line of a
  Shopify-protocol channel gets its inventory item id from `products.csv`; a location that is a
  node id (`DC-EAST`) becomes that node's `shopify_location_id` (`nodes.csv`).

The newest line wins (by its own timestamp, then by file and line order). Channels without a
write-back protocol (stores) are left out. Lines that do not parse are skipped: the loader
rejects them with a reason; the sandbox just needs the good ones.

    items = landing_stock(paths.landing)
    with run_sandbox(initial_stock=items) as sandbox: ...
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.landing import entity_files
from ingest.sources.channel_stock import SNAPSHOTS
from ingest.sources.shopify import INVENTORY_LEVELS
from writeback.settings import WritebackSettings

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
WEB_CHANNEL = "web"  # the Shopify shop whose inventory_levels webhooks land under shopify/


@dataclass(frozen=True)
class Reference:
    """The ids the seeds give: SKU <-> Shopify inventory item, node <-> Shopify location."""

    sku_by_item: dict[str, str]
    item_by_sku: dict[str, str]
    location_by_node: dict[str, str]

    @classmethod
    def from_seeds(cls, seeds: Path = SEEDS) -> Reference:
        products = _read_csv(seeds / "products.csv")
        nodes = _read_csv(seeds / "nodes.csv")
        item_by_sku = {
            p["sku"]: p["shopify_inventory_item_id"]
            for p in products
            if p.get("shopify_inventory_item_id")
        }
        return cls(
            sku_by_item={item: sku for sku, item in item_by_sku.items()},
            item_by_sku=item_by_sku,
            location_by_node={
                n["node_id"]: n["shopify_location_id"]
                for n in nodes
                if n.get("shopify_location_id")
            },
        )


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _records(paths: list[Path]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(order, record) for every line that is a JSON object, files in name order."""
    order = 0
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            order += 1
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield order, record


def _moment(value: Any) -> datetime | None:
    """An ISO 8601 time as naive UTC; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _quantity(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _id(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def landing_stock(
    landing: Path,
    seeds: Path = SEEDS,
    settings: WritebackSettings | None = None,
) -> list[dict[str, Any]]:
    """The sandbox's `/_sandbox/stock` items: the newest published level per channel × SKU ×
    location in the landing zone."""
    settings = settings or WritebackSettings.from_env()
    ref = Reference.from_seeds(seeds)
    newest: dict[tuple[str, str, str], tuple[tuple[datetime, int], dict[str, Any]]] = {}

    def offer(moment: datetime | None, order: int, item: dict[str, Any]) -> None:
        if moment is None:
            return
        key = (item["channel"], item["sku"], item["location_id"] or "")
        rank = (moment, order)
        if key not in newest or newest[key][0] <= rank:
            newest[key] = (rank, item)

    for order, record in _records(entity_files(INVENTORY_LEVELS, landing)):
        item_id, location = _id(record.get("inventory_item_id")), _id(record.get("location_id"))
        quantity = _quantity(record.get("available"))
        sku = ref.sku_by_item.get(item_id or "")
        if sku is None or location is None or quantity is None:
            continue
        item = {
            "channel": WEB_CHANNEL,
            "sku": sku,
            "location_id": location,
            "inventory_item_id": item_id,
            "quantity": quantity,
        }
        offer(_moment(record.get("updated_at")), order, item)

    offset = 1 << 40  # snapshot lines rank after level updates of the same second
    for order, record in _records(entity_files(SNAPSHOTS, landing)):
        channel = (_id(record.get("channel")) or "").lower()
        sku, quantity = _id(record.get("sku")), _quantity(record.get("quantity"))
        protocol = settings.protocol_for(channel)
        if not channel or sku is None or quantity is None or protocol is None:
            continue
        location = _id(record.get("location_id"))
        location = ref.location_by_node.get(location or "", location)
        item = {
            "channel": channel,
            "sku": sku,
            "location_id": location,
            "inventory_item_id": ref.item_by_sku.get(sku) if protocol == "shopify" else None,
            "quantity": quantity,
        }
        if protocol == "amazon" or location is None:
            item["inventory_item_id"] = None  # a listing: the sandbox keys it by SKU
        offer(_moment(record.get("captured_at")), offset + order, item)

    return [item for _, (_, item) in sorted(newest.items())]
