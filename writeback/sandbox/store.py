"""The sandbox's memory: stock per channel, idempotency records and what was applied.

Everything here is touched from the server's one event loop, so it needs no locks.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def gid_tail(value: str | int) -> str:
    """The numeric id of a Shopify gid (`gid://shopify/Location/7` -> `7`), or the id itself."""
    text = str(value)
    return text.rsplit("/", 1)[-1].split("?", 1)[0]


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass
class Level:
    channel: str
    sku: str
    location_id: str | None  # as seeded, written back in snapshots
    inventory_item_id: str | None
    quantity: int
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def item_key(self) -> str:
        return f"{self.channel}|{self.sku}|{self.location_id or ''}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "sku": self.sku,
            "location_id": self.location_id,
            "inventory_item_id": self.inventory_item_id,
            "quantity": self.quantity,
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass
class Recorded:
    """A request processed under an idempotency key: replays get this answer back."""

    fingerprint: str
    status: int
    body: dict[str, Any]


class CostBucket:
    """Shopify's leaky bucket of query cost points, refilled at `restore_rate` per second."""

    def __init__(self, maximum: float = 2000.0, restore_rate: float = 100.0):
        self.maximum = maximum
        self.restore_rate = restore_rate
        self._available = maximum
        self._at = time.monotonic()

    @property
    def available(self) -> float:
        now = time.monotonic()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now
        return self._available

    def take(self, cost: float) -> bool:
        if self.available < cost:
            return False
        self._available -= cost
        return True

    def drain(self) -> None:
        """As if another app had just spent the whole bucket (the throttle fault)."""
        self._available = 0.0
        self._at = time.monotonic()

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(self.available, 1),
            "restoreRate": self.restore_rate,
        }


class Store:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.levels: dict[str, Level] = {}  # by item_key
        self.shopify_index: dict[tuple[str, str, str], Level] = {}  # channel, item, location
        self.amazon_index: dict[tuple[str, str], Level] = {}  # channel, sku
        self.recorded: dict[tuple[str, str], Recorded] = {}  # channel, idempotency key
        self.requests_by_key: Counter[str] = Counter()
        self.applications_by_key: Counter[str] = Counter()
        self.changes_by_item: Counter[str] = Counter()
        self.concurrent_changes: Counter[str] = Counter()
        self.buckets: dict[str, CostBucket] = {}

    def seed(self, items: list[dict[str, Any]]) -> int:
        for item in items:
            level = Level(
                channel=str(item["channel"]),
                sku=str(item["sku"]),
                location_id=None if item.get("location_id") is None else str(item["location_id"]),
                inventory_item_id=None
                if item.get("inventory_item_id") is None
                else str(item["inventory_item_id"]),
                quantity=int(item["quantity"]),
            )
            self.levels[level.item_key] = level
            if level.inventory_item_id is not None and level.location_id is not None:
                key = (
                    level.channel,
                    gid_tail(level.inventory_item_id),
                    gid_tail(level.location_id),
                )
                self.shopify_index[key] = level
            else:
                self.amazon_index[(level.channel, level.sku)] = level
        return len(items)

    def shopify_level(self, channel: str, item_id: str, location_id: str) -> Level | None:
        return self.shopify_index.get((channel, gid_tail(item_id), gid_tail(location_id)))

    def shopify_knows(
        self, channel: str, *, item_id: str | None = None, location_id: str | None = None
    ):
        for c, item, location in self.shopify_index:
            if c != channel:
                continue
            if item_id is not None and item == gid_tail(item_id):
                return True
            if location_id is not None and location == gid_tail(location_id):
                return True
        return False

    def amazon_level(self, channel: str, sku: str) -> Level | None:
        return self.amazon_index.get((channel, sku))

    def bucket(self, channel: str) -> CostBucket:
        return self.buckets.setdefault(channel, CostBucket())

    def apply(self, level: Level, quantity: int) -> int:
        """Set a level as a write request asks; returns the delta."""
        delta = quantity - level.quantity
        level.quantity = quantity
        level.updated_at = datetime.now(UTC)
        self.changes_by_item[level.item_key] += 1
        return delta

    def drift(self, level: Level, delta: int) -> None:
        """A change nobody in write-back asked for: a sale or a count elsewhere."""
        moved = level.quantity + delta
        # stock cannot go below zero: a drift that would goes the other way instead
        level.quantity = moved if moved >= 0 else level.quantity + abs(delta)
        level.updated_at = datetime.now(UTC)
        self.concurrent_changes[level.item_key] += 1

    def snapshot(self, channel: str | None = None) -> list[Level]:
        return [lv for lv in self.levels.values() if channel is None or lv.channel == channel]

    def counts(self) -> dict[str, Any]:
        return {
            "applications_by_key": dict(self.applications_by_key),
            "requests_by_key": dict(self.requests_by_key),
            "changes_by_item": dict(self.changes_by_item),
            "concurrent_changes": dict(self.concurrent_changes),
            "applications": sum(self.applications_by_key.values()),
            "changes": sum(self.changes_by_item.values()),
        }


def new_id() -> str:
    return uuid.uuid4().hex
