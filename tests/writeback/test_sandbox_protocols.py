"""The sandbox speaks the protocols as the real APIs do, over HTTP like any client."""

import json
import socket
import subprocess
import sys
import time

import httpx
import pytest

from ingest.sources.channel_stock import SNAPSHOTS
from tests.writeback.conftest import settings_for, shown, stock_and_corrections
from writeback import run_writeback
from writeback.channels.shopify import SET_AVAILABLE

SHOPIFY = "/shopify/web/admin/api/2026-04/graphql.json"
AMAZON = "/amazon/amazon/listings/2021-08-01/items/SELLER"
SHOPIFY_AUTH = {"X-Shopify-Access-Token": "t"}
AMAZON_AUTH = {"x-amz-access-token": "t"}
LEVEL = {
    "channel": "web",
    "sku": "A",
    "location_id": "7",
    "inventory_item_id": "100",
    "quantity": 5,
}


def set_quantities(sandbox, key, quantities, **input_fields):
    payload = {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "gid://returnops/Test/1",
        "quantities": quantities,
    } | input_fields
    return sandbox._http.post(
        SHOPIFY,
        json={"query": SET_AVAILABLE, "variables": {"input": payload, "idempotencyKey": key}},
        headers=SHOPIFY_AUTH,
    ).json()


def quantity(item="100", location="7", to=9, basis=5):
    return {
        "inventoryItemId": f"gid://shopify/InventoryItem/{item}",
        "locationId": f"gid://shopify/Location/{location}",
        "quantity": to,
        "changeFromQuantity": basis,
    }


def test_a_key_applies_once_and_a_replay_gets_the_original_answer(sandbox):
    sandbox.seed([LEVEL])
    first = set_quantities(sandbox, "k1", [quantity()])
    replay = set_quantities(sandbox, "k1", [quantity()])
    other_input = set_quantities(sandbox, "k1", [quantity(to=11)])

    assert first["data"] == replay["data"]
    changes = first["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]["changes"]
    assert changes == [
        {
            "name": "available",
            "delta": 4,
            "quantityAfterChange": 9,
            "item": {"id": "gid://shopify/InventoryItem/100"},
            "location": {"id": "gid://shopify/Location/7"},
        }
    ]
    (error,) = other_input["data"]["inventorySetQuantities"]["userErrors"]
    assert error["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    counts = sandbox.applications()
    assert counts["applications_by_key"] == {"web/k1": 1}
    assert counts["requests_by_key"] == {"web/k1": 3}
    assert shown(sandbox)[("web", "A")] == 9
    cost = first["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 10
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (
            {"item": "999"},
            "INVALID_INVENTORY_ITEM",
            ["input", "quantities", "1", "inventoryItemId"],
        ),
        ({"location": "8"}, "INVALID_LOCATION", ["input", "quantities", "1", "locationId"]),
        ({"to": -1}, "INVALID_QUANTITY_NEGATIVE", ["input", "quantities", "1", "quantity"]),
        (
            {"basis": 4},
            "CHANGE_FROM_QUANTITY_STALE",
            ["input", "quantities", "1", "changeFromQuantity"],
        ),
    ],
)
def test_any_user_error_applies_nothing_and_names_the_item(sandbox, change, code, field):
    sandbox.seed([LEVEL, LEVEL | {"sku": "B", "inventory_item_id": "101"}])
    answer = set_quantities(sandbox, "k", [quantity(item="101"), quantity(**change)])
    result = answer["data"]["inventorySetQuantities"]
    assert result["inventoryAdjustmentGroup"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]
    assert set(shown(sandbox).values()) == {5}


def test_invalid_reason_and_oversized_batches_are_refused(sandbox):
    sandbox.seed([LEVEL])
    bad_reason = set_quantities(sandbox, "k1", [quantity()], reason="because")
    assert bad_reason["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "INVALID_REASON"
    too_many = set_quantities(sandbox, "k2", [quantity(item=str(i)) for i in range(251)])
    assert too_many["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert shown(sandbox)[("web", "A")] == 5


def test_the_cost_bucket_throttles_when_spent(sandbox):
    sandbox.seed([LEVEL])
    query = "query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    ids = [f"gid://shopify/InventoryLevel/7?inventory_item_id={i}" for i in range(249)]
    answers = [
        sandbox._http.post(
            SHOPIFY, json={"query": query, "variables": {"ids": ids}}, headers=SHOPIFY_AUTH
        ).json()
        for _ in range(9)  # 9 x 250 points > the 2,000-point bucket
    ]
    throttled = [a for a in answers if "errors" in a]
    assert throttled and throttled[0]["errors"][0]["extensions"]["code"] == "THROTTLED"
    status = throttled[0]["extensions"]["cost"]["throttleStatus"]
    assert status["currentlyAvailable"] < 250 and status["restoreRate"] == 100


def test_shopify_needs_a_token(sandbox):
    response = sandbox._http.post(SHOPIFY, json={"query": SET_AVAILABLE})
    assert response.status_code == 401


def test_amazon_listing_read_patch_and_errors(sandbox):
    sandbox.seed([{"channel": "amazon", "sku": "AMZ/1", "quantity": 3}])
    http, params = sandbox._http, {"marketplaceIds": "A1PA6795UKMFR9"}
    listing = http.get(f"{AMAZON}/AMZ%2F1", params=params, headers=AMAZON_AUTH).json()
    assert listing["attributes"]["fulfillment_availability"] == [
        {"fulfillment_channel_code": "DEFAULT", "quantity": 3}
    ]
    patch = {
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "merge",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 8}],
            }
        ],
    }
    accepted = http.patch(f"{AMAZON}/AMZ%2F1", params=params, headers=AMAZON_AUTH, json=patch)
    assert accepted.json()["status"] == "ACCEPTED" and accepted.json()["issues"] == []
    assert shown(sandbox)[("amazon", "AMZ/1")] == 8

    invalid = http.patch(
        f"{AMAZON}/AMZ%2F1", params=params, headers=AMAZON_AUTH, json={"patches": patch["patches"]}
    )
    assert invalid.json()["status"] == "INVALID"
    assert http.get(f"{AMAZON}/NOPE", params=params, headers=AMAZON_AUTH).status_code == 404
    assert http.get(f"{AMAZON}/AMZ%2F1", params=params).status_code == 403
    sandbox.set_faults(throttle={"times": 1, "seconds": 2})
    throttled = http.get(f"{AMAZON}/AMZ%2F1", params=params, headers=AMAZON_AUTH)
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "2"


def test_published_pull_snapshots_load_through_ingest(sandbox, tmp_path):
    from ingest.loader import load_new_files  # here: collecting the module needs no loader

    stock, _ = stock_and_corrections(9)
    sandbox.seed(stock)
    files = sandbox.publish()
    assert len(files) == 3 and len(set(files)) == 3  # one per channel, names never collide
    landing = sandbox.state.landing
    loaded = load_new_files(tmp_path / "wh.duckdb", SNAPSHOTS, landing)
    assert loaded.landed == 9 and loaded.rejected == 0


def test_a_validation_error_fails_that_item_and_the_rest_of_the_batch_is_acked(sandbox, tmp_path):
    stock, corrections = stock_and_corrections(4, ("web",))
    sandbox.seed(stock[1:])  # the first item is unknown to the shop
    report = run_writeback(tmp_path / "wh.duckdb", corrections, settings_for(sandbox))
    assert (report.acked, report.failed) == (3, 1)
    assert sandbox.applications()["changes"] == 3


def test_the_sandbox_publishes_periodically_when_asked(tmp_path):
    from writeback.sandbox import run_sandbox

    stock, _ = stock_and_corrections(2, ("web",))
    with run_sandbox(landing=tmp_path, publish_interval_s=0.05, initial_stock=stock) as sandbox:
        deadline = time.monotonic() + 5
        while len(sandbox.state.published_files) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    files = sorted((tmp_path / "channel_stock").glob("pull_web_*.ndjson"))
    assert len(files) >= 2
    lines = [json.loads(line) for line in files[0].read_text().splitlines()]
    assert {(line["origin"], line["quantity"]) for line in lines} == {("pull", 10)}


def test_python_m_writeback_sandbox_serves_until_stopped(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "writeback.sandbox",
            "--port",
            str(port),
            "--landing",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert answer.json() == {"ok": True}
    finally:
        process.terminate()
        process.wait(timeout=10)
