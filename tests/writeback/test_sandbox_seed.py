"""Seeding the sandbox from the landing zone: the newest published level per channel, SKU and
location, with the Shopify ids the seeds give."""

import json
from pathlib import Path

from writeback import WritebackSettings
from writeback.sandbox.seed import landing_stock

ITEM, LOCATION_EAST, LOCATION_WEST = 44018112007893, 61234560001, 61234560002  # seeds' ids
SKU = "DRS-001-XS"


def ndjson(path: Path, records: list[dict | str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n")


def level(location: int, available: int, at: str) -> dict:
    return {"inventory_item_id": ITEM, "location_id": location, "available": available,
            "updated_at": at}  # fmt: skip


def line(channel: str, quantity: int, at: str, location=None, origin="pull") -> dict:
    return {"snapshot_id": "s", "channel": channel, "sku": SKU, "location_id": location,
            "quantity": quantity, "captured_at": at, "origin": origin,
            "correction_id": None}  # fmt: skip


def test_the_newest_level_per_channel_sku_and_location_wins(tmp_path):
    landing = tmp_path / "landing"
    ndjson(
        landing / "shopify" / "inventory_levels_2026-01-05.ndjson",
        [level(LOCATION_EAST, 9, "2026-01-05T23:59:59Z"),
         level(LOCATION_WEST, 4, "2026-01-05T23:59:59Z")],
    )  # fmt: skip
    ndjson(
        landing / "shopify" / "inventory_levels_2026-01-06.ndjson",
        [level(LOCATION_EAST, 7, "2026-01-06T23:59:59Z"), "{not json",
         level(LOCATION_WEST, -1, "x")],
    )  # fmt: skip
    ndjson(
        landing / "channel_stock" / "amazon_2026-01-06.ndjson",
        [line("amazon", 5, "2026-01-06T23:59:59Z"), line("store", 3, "2026-01-06T23:59:59Z")],
    )
    ndjson(  # a write-back ack of the web shop, later than the webhook
        landing / "channel_stock" / "ack_wb_1_web.ndjson",
        [line("web", 6, "2026-11-27T02:00:00Z", str(LOCATION_WEST), "writeback_ack")],
    )
    ndjson(  # a pull naming its location by node id
        landing / "channel_stock" / "zalando_2026-01-06.ndjson",
        [line("zalando", 2, "2026-01-06T23:59:59+01:00", "DC-EAST")],
    )

    items = landing_stock(landing, settings=WritebackSettings())

    assert items == [
        {"channel": "amazon", "sku": SKU, "location_id": None, "inventory_item_id": None,
         "quantity": 5},
        {"channel": "web", "sku": SKU, "location_id": str(LOCATION_EAST),
         "inventory_item_id": str(ITEM), "quantity": 7},
        {"channel": "web", "sku": SKU, "location_id": str(LOCATION_WEST),
         "inventory_item_id": str(ITEM), "quantity": 6},
        {"channel": "zalando", "sku": SKU, "location_id": str(LOCATION_EAST),
         "inventory_item_id": str(ITEM), "quantity": 2},
    ]  # fmt: skip


def test_an_empty_landing_zone_seeds_nothing(tmp_path):
    assert landing_stock(tmp_path / "landing") == []
