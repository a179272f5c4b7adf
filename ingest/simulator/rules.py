"""The retailer's rules and reference data, read from the dbt seeds so simulator and models agree.

Money is held in integer cents. The two formulas the marts must reproduce live here and are
documented in `dbt_project/seeds/_seeds.yml`: `channel_atp` and `expected_refund_cents`.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
ATP_STATES = ("available", "committed", "reserved", "safety_stock")


def cents(text: str) -> int:
    """'74.99' -> 7499, exactly (no floats)."""
    units, _, fraction = text.strip().partition(".")
    sign = -1 if units.startswith("-") else 1
    return sign * (abs(int(units)) * 100 + int((fraction + "00")[:2]))


def money(amount_cents: int) -> str:
    """7499 -> '74.99'."""
    sign = "-" if amount_cents < 0 else ""
    whole, part = divmod(abs(amount_cents), 100)
    return f"{sign}{whole}.{part:02d}"


@dataclass(frozen=True)
class Product:
    index: int
    sku: str
    name: str
    category: str
    style_id: str
    size: str
    vendor_id: str
    price_cents: int
    cost_cents: int
    inventory_item_id: int
    asin: str
    fnsku: str


@dataclass(frozen=True)
class Node:
    node_id: str
    node_type: str
    name: str
    city: str
    region: str
    location_id: int


@dataclass(frozen=True)
class Policy:
    window_days: int
    restocking_fee_pct: int
    inspection_required: bool
    auto_refund_limit_cents: int


def _read(seeds: Path, name: str) -> list[dict[str, str]]:
    with (seeds / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class Rules:
    """Everything the seeds say, indexed for the simulator's look-ups."""

    def __init__(self, seeds: Path = SEEDS):
        self.products = [
            Product(
                i,
                r["sku"],
                r["product_name"],
                r["category"],
                r["style_id"],
                r["size"],
                r["vendor_id"],
                cents(r["unit_price"]),
                cents(r["unit_cost"]),
                int(r["shopify_inventory_item_id"]),
                r["asin"],
                r["fnsku"],
            )
            for i, r in enumerate(_read(seeds, "products"))
        ]
        self.by_sku = {p.sku: p for p in self.products}
        self.styles: dict[str, list[Product]] = defaultdict(list)
        for p in self.products:
            self.styles[p.style_id].append(p)
        self.categories = sorted({p.category for p in self.products})

        self.nodes = {
            r["node_id"]: Node(
                r["node_id"],
                r["node_type"],
                r["node_name"],
                r["city"],
                r["region"],
                int(r["shopify_location_id"]),
            )
            for r in _read(seeds, "nodes")
        }
        self.dcs = [n for n, node in self.nodes.items() if node.node_type == "dc"]
        self.stores = [n for n, node in self.nodes.items() if node.node_type == "store"]
        self.channels = {r["channel_id"]: r for r in _read(seeds, "channels")}
        self.allocation: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for r in _read(seeds, "channel_allocation"):
            self.allocation[r["channel_id"]].append((r["node_id"], int(r["allocation_pct"])))

        self.reasons = {r["reason_code"]: r for r in _read(seeds, "reason_codes")}
        self.vendor_fault = {c for c, r in self.reasons.items() if r["is_vendor_fault"] == "true"}
        self.reason_map: dict[tuple[str, str], str] = {}
        self.source_codes: dict[tuple[str, str], list[str]] = defaultdict(list)
        for r in _read(seeds, "reason_code_map"):
            self.reason_map[(r["source_system"], r["source_code"])] = r["reason_code"]
            self.source_codes[(r["source_system"], r["reason_code"])].append(r["source_code"])

        self.dispositions = {
            (r["reason_code"], r["grade"], r["category"]): (r["disposition"], r["target_state"])
            for r in _read(seeds, "disposition_rules")
        }
        self.policies = {
            (r["category"], r["channel_id"], r["region"], r["customer_segment"]): Policy(
                int(r["window_days"]),
                int(r["restocking_fee_pct"]),
                r["inspection_required"] == "true",
                cents(r["auto_refund_limit"]),
            )
            for r in _read(seeds, "return_policies")
        }

    # ------------------------------------------------------------------ look-ups
    def disposition(self, reason_code: str, grade: str, category: str) -> tuple[str, str]:
        """(disposition, target_state) of an inspected unit."""
        return self.dispositions[(reason_code, grade, category)]

    def policy(self, category: str, channel: str, region: str, segment: str) -> Policy:
        return self.policies[(category, channel, region, segment)]

    def neighbour_size(self, product: Product, step: int) -> Product | None:
        """The same style one size up (step=+1) or down (-1), if it exists."""
        sizes = self.styles[product.style_id]
        at = sizes.index(product) + step
        return sizes[at] if 0 <= at < len(sizes) else None


def expected_refund_cents(price_cents: int, quantity: int, policy: Policy, within: bool) -> int:
    """round(unit_price * quantity * (100 - fee) / 100, 2) inside the window, else 0.

    Half-up on cents; the seeds never produce a half-cent tie (prices end in .99).
    """
    if not within:
        return 0
    numerator = price_cents * quantity * (100 - policy.restocking_fee_pct)
    return (numerator + 50) // 100


def node_atp(states: list[int], index: dict[str, int]) -> int:
    """available - committed - reserved - safety_stock of one SKU at one node."""
    return (
        states[index["available"]]
        - states[index["committed"]]
        - states[index["reserved"]]
        - states[index["safety_stock"]]
    )


def channel_atp(node_atps: dict[str, int], allocation: list[tuple[str, int]]) -> int:
    """Sum over the channel's nodes of floor(greatest(node ATP, 0) * allocation_pct / 100)."""
    return sum(max(node_atps.get(node, 0), 0) * pct // 100 for node, pct in allocation)
