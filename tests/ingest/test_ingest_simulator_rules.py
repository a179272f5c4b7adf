"""The dbt seeds the simulator reads: complete, consistent with the contracts, and the two
formulas the marts must reproduce."""

from __future__ import annotations

import csv
from itertools import product

import pytest

from ingest.simulator.rules import (
    SEEDS,
    Policy,
    Rules,
    cents,
    channel_atp,
    expected_refund_cents,
    money,
)
from ingest.sources.pos import POS_REASON_CODES
from ingest.sources.wms import DISPOSITIONS, GRADES, INVENTORY_STATES

SHOPIFY_RETURN_REASONS = {  # the Admin API's ReturnReason enum
    "COLOR", "DEFECTIVE", "NOT_AS_DESCRIBED", "OTHER", "SIZE_TOO_LARGE", "SIZE_TOO_SMALL",
    "STYLE", "UNKNOWN", "UNWANTED", "WRONG_ITEM",
}  # fmt: skip


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules()


def seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_seed_is_documented_column_by_column():
    import yaml

    documented = {
        s["name"]: [c["name"] for c in s["columns"]]
        for s in yaml.safe_load((SEEDS / "_seeds.yml").read_text())["seeds"]
    }
    for path in SEEDS.glob("*.csv"):
        with path.open(newline="") as handle:
            header = next(csv.reader(handle))
        assert documented.get(path.stem) == header, path.name


def test_disposition_rules_cover_every_reason_grade_and_category_once(rules):
    rows = seed("disposition_rules")
    keys = [(r["reason_code"], r["grade"], r["category"]) for r in rows]
    expected = set(product(rules.reasons, GRADES, rules.categories))

    assert len(keys) == len(set(keys)) and set(keys) == expected
    assert {r["disposition"] for r in rows} == set(DISPOSITIONS)
    assert {r["target_state"] for r in rows} <= set(INVENTORY_STATES)


def test_return_policies_cover_every_combination_once(rules):
    rows = seed("return_policies")
    keys = [(r["category"], r["channel_id"], r["region"], r["customer_segment"]) for r in rows]
    regions = {r["region"] for r in rows}

    assert len(keys) == len(set(keys))
    assert set(keys) == set(
        product(rules.categories, rules.channels, regions, ("standard", "member"))
    )
    assert {n.region for n in rules.nodes.values()} <= regions


def test_reason_codes_map_every_source_code_to_a_canonical_one(rules):
    rows = seed("reason_code_map")
    pairs = [(r["source_system"], r["source_code"]) for r in rows]

    assert len(pairs) == len(set(pairs))
    assert {r["reason_code"] for r in rows} <= set(rules.reasons)
    assert {c for s, c in pairs if s == "pos"} == set(POS_REASON_CODES)
    assert {c for s, c in pairs if s == "shopify"} == SHOPIFY_RETURN_REASONS
    assert all(c == c.upper() for s, c in pairs if s == "amazon")


def test_vendor_agreements_name_only_vendor_fault_reasons(rules):
    rows = seed("vendor_agreements")
    assert {r["reason_code"] for r in rows} <= rules.vendor_fault
    assert {r["vendor_id"] for r in rows} == {p.vendor_id for p in rules.products}


def test_products_nodes_channels_and_allocation_are_consistent(rules):
    assert len(rules.products) == 300
    assert len({p.inventory_item_id for p in rules.products}) == 300
    assert all(
        p.price_cents % 100 == 99 and 0 < p.cost_cents < p.price_cents for p in rules.products
    )
    assert sorted(rules.dcs) == ["DC-EAST", "DC-WEST"] and len(rules.stores) == 5
    assert set(rules.channels) == {"web", "zalando", "amazon", "store"}
    for channel, rows in rules.allocation.items():
        assert channel in rules.channels
        assert all(node in rules.nodes and 0 <= pct <= 100 for node, pct in rows)


def test_no_policy_meets_a_half_cent_tie(rules):
    """round() then agrees in every engine (DuckDB divides decimals as doubles)."""
    fees = {p.restocking_fee_pct for p in rules.policies.values()}
    for p, fee, quantity in product(rules.products, fees, (1, 2, 3)):
        assert p.price_cents * quantity * (100 - fee) % 100 != 50


@pytest.mark.parametrize(
    ("price", "quantity", "fee", "within", "expected"),
    [
        ("74.99", 1, 0, True, "74.99"),
        ("74.99", 2, 10, True, "134.98"),  # 149.98 * 0.9 = 134.982
        ("119.99", 1, 15, True, "101.99"),  # 101.9915
        ("74.99", 1, 0, False, "0.00"),
    ],
)
def test_expected_refund(price, quantity, fee, within, expected):
    policy = Policy(30, fee, False, 0)
    assert money(expected_refund_cents(cents(price), quantity, policy, within)) == expected


def test_channel_atp_floors_each_nodes_share_and_ignores_negative_nodes():
    allocation = [("DC-EAST", 60), ("DC-WEST", 60), ("ST-BER", 100)]
    atps = {"DC-EAST": 7, "DC-WEST": -4, "ST-BER": 2}
    assert channel_atp(atps, allocation) == 4 + 0 + 2  # floor(4.2) + 0 + 2
