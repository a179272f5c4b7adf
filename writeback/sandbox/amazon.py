"""The subset of Amazon's Selling Partner Listings Items API (2021-08-01) that write-back uses.

Under `/amazon/<channel>/listings/2021-08-01/items/<sellerId>`, with `x-amz-access-token`:

- `GET .../<sku>?marketplaceIds=..` (getListingsItem): the listing with
  `attributes.fulfillment_availability`;
- `GET ...?marketplaceIds=..&identifiers=A,B&identifiersType=SKU` (searchListingsItems, up to
  20 SKUs): the same for several listings at once;
- `PATCH .../<sku>?marketplaceIds=..` (patchListingsItem) with `{productType, patches: [{op:
  "merge", path: "/attributes/fulfillment_availability", value: [{fulfillment_channel_code:
  "DEFAULT", quantity: Q}]}]}` -> `{sku, status: "ACCEPTED", submissionId, issues: []}`.

Amazon has no compare-and-set and no idempotency key. The sandbox honours an `Idempotency-Key`
header anyway (Amazon ignores unknown headers; a merge of an absolute quantity repeated is the
same quantity), so tests can count applications. Throttling is 429 with `Retry-After`.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from writeback.sandbox.drop import DropConnection
from writeback.sandbox.faults import Faults
from writeback.sandbox.store import Level, Recorded, Store, fingerprint, new_id

FULFILLMENT_PATH = "/attributes/fulfillment_availability"
MAX_IDENTIFIERS = 20
RATE_LIMIT = "5.0"  # requests a second, as Amazon states it in x-amzn-RateLimit-Limit


def _errors(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    body = {"errors": [{"code": code, "message": message, "details": ""}]}
    return JSONResponse(body, status_code=status, headers=headers)


def _listing(level: Level, marketplace: str) -> dict[str, Any]:
    return {
        "sku": level.sku,
        "summaries": [
            {
                "marketplaceId": marketplace,
                "productType": "PRODUCT",
                "status": ["BUYABLE"] if level.quantity > 0 else ["DISCOVERABLE"],
                "itemName": level.sku,
            }
        ],
        "attributes": {
            "fulfillment_availability": [
                {"fulfillment_channel_code": "DEFAULT", "quantity": level.quantity}
            ]
        },
        "issues": [],
    }


def _invalid(sku: str, message: str) -> dict[str, Any]:
    issue = {
        "code": "90000900",
        "message": message,
        "severity": "ERROR",
        "attributeNames": ["fulfillment_availability"],
    }
    return {"sku": sku, "status": "INVALID", "submissionId": new_id(), "issues": [issue]}


def _quantity_from(body: Any) -> tuple[int | None, str | None]:
    """The quantity a patch request sets, or why the request is invalid."""
    if not isinstance(body, dict) or not body.get("productType"):
        return None, "productType is required"
    patches = body.get("patches")
    if not isinstance(patches, list) or not patches:
        return None, "patches must be a non-empty list"
    quantity = None
    for patch in patches:
        if patch.get("op") not in ("add", "replace", "merge", "delete"):
            return None, f"unsupported op {patch.get('op')!r}"
        if patch.get("path") != FULFILLMENT_PATH:
            return None, f"the sandbox patches {FULFILLMENT_PATH} only"
        if patch["op"] == "delete":
            return None, "deleting fulfillment_availability is not supported"
        for entry in patch.get("value") or []:
            value = entry.get("quantity")
            if entry.get("fulfillment_channel_code") != "DEFAULT":
                return None, "fulfillment_channel_code must be DEFAULT (merchant fulfilled)"
            if not isinstance(value, int) or value < 0:
                return None, "quantity must be a whole number >= 0"
            quantity = value
    if quantity is None:
        return None, "no quantity given"
    return quantity, None


class AmazonApi:
    def __init__(self, store: Store, faults: Faults, token: str | None = None):
        self.store = store
        self.faults = faults
        self.token = token

    async def _gate(self, request: Request, kind: str) -> tuple[Response | None, str]:
        """Auth, parameters and the faults that answer before anything is processed."""
        channel = request.path_params["channel"]
        given = request.headers.get("x-amz-access-token")
        if not given or (self.token is not None and given != self.token):
            return _errors(403, "Unauthorized", "Access to requested resource is denied."), channel
        if not request.query_params.get("marketplaceIds"):
            return _errors(400, "InvalidInput", "marketplaceIds is required"), channel
        slow = self.faults.fires("slow", channel, kind)
        if slow:
            await asyncio.sleep(slow.seconds)
        if self.faults.fires("error_5xx", channel, kind):
            return _errors(503, "ServiceUnavailable", "Service temporarily unavailable"), channel
        throttle = self.faults.fires("throttle", channel, kind)
        if throttle:
            headers = {"Retry-After": f"{throttle.seconds:g}", "x-amzn-RateLimit-Limit": RATE_LIMIT}
            message = "You exceeded your quota for the requested resource."
            return _errors(429, "QuotaExceeded", message, headers), channel
        return None, channel

    def _answer(self, channel: str, body: dict[str, Any], kind: str) -> Response:
        if self.faults.fires("drop", channel, kind):
            return DropConnection()
        return JSONResponse(body, headers={"x-amzn-RateLimit-Limit": RATE_LIMIT})

    def _read(self, channel: str, sku: str) -> Level | None:
        level = self.store.amazon_level(channel, sku)
        drift = level is not None and self.faults.fires("concurrent_change", channel, "read")
        if drift:  # someone else changes the stock after write-back's basis was taken
            self.store.drift(level, drift.delta)
        return level

    async def get_item(self, request: Request) -> Response:
        refused, channel = await self._gate(request, "read")
        if refused:
            return refused
        sku = request.path_params["sku"]
        level = self._read(channel, sku)
        if level is None:
            return _errors(404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace")
        listing = _listing(level, request.query_params["marketplaceIds"])
        return self._answer(channel, listing, "read")

    async def search_items(self, request: Request) -> Response:
        refused, channel = await self._gate(request, "read")
        if refused:
            return refused
        if request.query_params.get("identifiersType", "SKU") != "SKU":
            return _errors(400, "InvalidInput", "the sandbox searches by identifiersType=SKU only")
        skus = [s for s in request.query_params.get("identifiers", "").split(",") if s]
        if len(skus) > MAX_IDENTIFIERS:
            return _errors(400, "InvalidInput", f"at most {MAX_IDENTIFIERS} identifiers")
        marketplace = request.query_params["marketplaceIds"]
        levels = [lv for lv in (self._read(channel, sku) for sku in skus) if lv is not None]
        items = [_listing(level, marketplace) for level in levels]
        return self._answer(channel, {"numberOfResults": len(items), "items": items}, "read")

    async def patch_item(self, request: Request) -> Response:
        try:  # read before a slow fault waits: a client that gave up cannot send it later
            body = await request.json()
        except ValueError:
            body = None
        refused, channel = await self._gate(request, "write")
        if refused:
            return refused
        if body is None:
            return _errors(400, "InvalidInput", "the body is not JSON")
        sku = request.path_params["sku"]
        key = request.headers.get("idempotency-key")
        request_print = fingerprint({"sku": sku, "body": body})
        if key:
            self.store.requests_by_key[f"{channel}/{key}"] += 1
            recorded = self.store.recorded.get((channel, key))
            if recorded is not None and recorded.fingerprint == request_print:
                return self._answer(channel, copy.deepcopy(recorded.body), "write")
        level = self.store.amazon_level(channel, sku)
        if level is None:
            return _errors(404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace")
        quantity, problem = _quantity_from(body)
        if problem:
            answer = _invalid(sku, problem)
        else:
            self.store.apply(level, quantity)
            self.store.applications_by_key[f"{channel}/{key}"] += 1
            answer = {"sku": sku, "status": "ACCEPTED", "submissionId": new_id(), "issues": []}
        if key:
            self.store.recorded[(channel, key)] = Recorded(
                request_print, 200, copy.deepcopy(answer)
            )
        return self._answer(channel, answer, "write")
