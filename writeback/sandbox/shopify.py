"""The subset of Shopify's Admin GraphQL API that write-back uses, served per channel ("shop").

`POST /shopify/<channel>/admin/api/<version>/graphql.json` with `X-Shopify-Access-Token`:

- `inventorySetQuantities(input: $input) @idempotent(key: $key)`: name `available`, a reason,
  `referenceDocumentUri`, up to 250 `quantities` with `changeFromQuantity` compare-and-set. Any
  user error (stale or invalid) applies nothing, as in Shopify. A key is applied at most once;
  a replay with the same input gets the original answer, with other input
  `IDEMPOTENCY_KEY_PARAMETER_MISMATCH`. The key may also come as an `Idempotency-Key` header.
- `nodes(ids: $ids) { ... on InventoryLevel { ... } }`: current `available` per level, ids as
  `gid://shopify/InventoryLevel/<location>?inventory_item_id=<item>`.

The operation is recognised from the query text and its variables, not by a GraphQL parser:
answers always carry the fields write-back selects. Cost-based throttling is Shopify's leaky
bucket (2,000 points, 100 restored a second) answered with `THROTTLED` and
`extensions.cost.throttleStatus`.
"""

from __future__ import annotations

import asyncio
import copy
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from writeback.sandbox.drop import DropConnection
from writeback.sandbox.faults import Faults
from writeback.sandbox.store import Recorded, Store, fingerprint, gid_tail, new_id

MAX_QUANTITIES = 250
MAX_QUANTITY = 1_000_000_000
MUTATION_COST = 10
# the reasons Shopify accepts for inventorySetQuantities
REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)

SET_QUANTITIES = re.compile(r"inventorySetQuantities\s*\(\s*input\s*:\s*\$(\w+)")
IDEMPOTENT = re.compile(r"@idempotent\s*\(\s*key\s*:\s*(?:\$(\w+)|\"([^\"]*)\")\s*\)")
NODES = re.compile(r"\bnodes\s*\(\s*ids\s*:\s*\$(\w+)")
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")

UNAUTHORIZED = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}


def _top_level_error(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def _user_error(code: str, field: list[str], message: str) -> dict[str, Any]:
    return {"code": code, "field": field, "message": message}


class ShopifyApi:
    def __init__(self, store: Store, faults: Faults, token: str | None = None):
        self.store = store
        self.faults = faults
        self.token = token  # None: any non-empty token is accepted

    def _authorized(self, request: Request) -> bool:
        given = request.headers.get("x-shopify-access-token")
        return bool(given) and (self.token is None or given == self.token)

    async def graphql(self, request: Request) -> Response:
        channel = request.path_params["channel"]
        if not self._authorized(request):
            return JSONResponse(UNAUTHORIZED, status_code=401)
        try:
            body = await request.json()
            query, variables = body["query"], body.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"errors": {"query": "Required parameter missing or invalid"}}, 400)

        set_match, nodes_match = SET_QUANTITIES.search(query), NODES.search(query)
        kind = "write" if set_match else "read"
        slow = self.faults.fires("slow", channel, kind)
        if slow:
            await asyncio.sleep(slow.seconds)
        if self.faults.fires("error_5xx", channel, kind):
            return JSONResponse({"errors": "Service Unavailable"}, status_code=503)

        if set_match:
            cost = MUTATION_COST
        elif nodes_match:
            cost = 1 + len(variables.get(nodes_match.group(1)) or [])
        else:
            message = "The sandbox serves inventorySetQuantities and nodes(ids:) only"
            return JSONResponse(_top_level_error(message, "UNSUPPORTED_OPERATION"))

        bucket = self.store.bucket(channel)
        if self.faults.fires("throttle", channel, kind):
            bucket.drain()
        if not bucket.take(cost):
            payload = _top_level_error("Throttled", "THROTTLED")
            payload["extensions"] = self._cost(channel, cost, None)
            return JSONResponse(payload)

        if set_match:
            payload = self._set_quantities(channel, request, query, variables, set_match.group(1))
        else:
            payload = self._levels(channel, variables.get(nodes_match.group(1)) or [])
        payload = dict(payload, extensions=self._cost(channel, cost, cost))
        if self.faults.fires("drop", channel, kind):
            return DropConnection()
        return JSONResponse(payload)

    def _cost(self, channel: str, requested: int, actual: int | None) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.store.bucket(channel).status(),
            }
        }

    def _set_quantities(
        self, channel: str, request: Request, query: str, variables: dict, input_var: str
    ) -> dict[str, Any]:
        payload = variables.get(input_var)
        if not isinstance(payload, dict):
            return _top_level_error(f"Variable ${input_var} is required", "INVALID_VARIABLE")
        directive = IDEMPOTENT.search(query)
        key = None
        if directive:
            key = variables.get(directive.group(1)) if directive.group(1) else directive.group(2)
        key = key or request.headers.get("idempotency-key")

        request_print = fingerprint(payload)
        if key:
            self.store.requests_by_key[f"{channel}/{key}"] += 1
            recorded = self.store.recorded.get((channel, key))
            if recorded is not None:
                if recorded.fingerprint != request_print:
                    error = _user_error(
                        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                        ["idempotencyKey"],
                        "The same idempotency key cannot be used with different operation "
                        "parameters.",
                    )
                    return {
                        "data": {
                            "inventorySetQuantities": {
                                "inventoryAdjustmentGroup": None,
                                "userErrors": [error],
                            }
                        }
                    }
                return copy.deepcopy(recorded.body)

        quantities = payload.get("quantities") or []
        if len(quantities) > MAX_QUANTITIES:
            return _top_level_error(
                f"The input array size of {len(quantities)} is greater than the maximum allowed "
                f"of {MAX_QUANTITIES}.",
                "MAX_INPUT_SIZE_EXCEEDED",
            )
        missing = [i for i, q in enumerate(quantities) if "changeFromQuantity" not in q]
        if missing:
            return _top_level_error(
                f"Variable ${input_var} was provided invalid value for "
                f"quantities.{missing[0]}.changeFromQuantity (Expected value to be present)",
                "INVALID_VARIABLE",
            )

        errors, levels = self._validate(channel, payload, quantities)
        if errors:
            result = {"inventoryAdjustmentGroup": None, "userErrors": errors}
        else:
            changes = []
            for q, level in zip(quantities, levels, strict=True):
                delta = self.store.apply(level, int(q["quantity"]))
                if delta:
                    changes.append(
                        {
                            "name": "available",
                            "delta": delta,
                            "quantityAfterChange": level.quantity,
                            "item": {"id": q["inventoryItemId"]},
                            "location": {"id": q["locationId"]},
                        }
                    )
            self.store.applications_by_key[f"{channel}/{key}"] += 1
            result = {
                "inventoryAdjustmentGroup": {
                    "id": f"gid://shopify/InventoryAdjustmentGroup/{new_id()[:12]}",
                    "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                    "reason": payload.get("reason"),
                    "referenceDocumentUri": payload.get("referenceDocumentUri"),
                    "changes": changes,
                },
                "userErrors": [],
            }
        body = {"data": {"inventorySetQuantities": result}}
        if key:
            self.store.recorded[(channel, key)] = Recorded(request_print, 200, copy.deepcopy(body))
        return body

    def _validate(self, channel: str, payload: dict, quantities: list[dict]):
        errors: list[dict[str, Any]] = []
        if payload.get("name") != "available":
            errors.append(
                _user_error(
                    "INVALID_NAME",
                    ["input", "name"],
                    "The sandbox sets the 'available' quantity only.",
                )
            )
        if payload.get("reason") not in REASONS:
            errors.append(
                _user_error(
                    "INVALID_REASON", ["input", "reason"], "The specified reason is invalid."
                )
            )
        uri = payload.get("referenceDocumentUri")
        if uri is not None and not URI.match(str(uri)):
            errors.append(
                _user_error(
                    "INVALID_REFERENCE_DOCUMENT",
                    ["input", "referenceDocumentUri"],
                    "The specified reference document is invalid.",
                )
            )
        levels, seen = [], set()
        for i, q in enumerate(quantities):
            field = ["input", "quantities", str(i)]
            item, location = str(q.get("inventoryItemId", "")), str(q.get("locationId", ""))
            level = self.store.shopify_level(channel, item, location)
            levels.append(level)
            pair = (gid_tail(item), gid_tail(location))
            if pair in seen:
                errors.append(
                    _user_error(
                        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                        [*field, "inventoryItemId"],
                        "The combination of inventoryItemId and locationId must be unique.",
                    )
                )
                continue
            seen.add(pair)
            if level is None:
                if not self.store.shopify_knows(channel, item_id=item):
                    code, name, message = (
                        "INVALID_INVENTORY_ITEM",
                        "inventoryItemId",
                        "The specified inventory item could not be found.",
                    )
                elif not self.store.shopify_knows(channel, location_id=location):
                    code, name, message = (
                        "INVALID_LOCATION",
                        "locationId",
                        "The specified location could not be found.",
                    )
                else:
                    code, name, message = (
                        "ITEM_NOT_STOCKED_AT_LOCATION",
                        "locationId",
                        "The specified inventory item is not stocked at the location.",
                    )
                errors.append(_user_error(code, [*field, name], message))
                continue
            quantity = q.get("quantity")
            if not isinstance(quantity, int) or quantity < 0:
                errors.append(
                    _user_error(
                        "INVALID_QUANTITY_NEGATIVE",
                        [*field, "quantity"],
                        "The quantity can't be negative.",
                    )
                )
                continue
            if quantity > MAX_QUANTITY:
                errors.append(
                    _user_error(
                        "INVALID_QUANTITY_TOO_HIGH",
                        [*field, "quantity"],
                        "The total quantity can't be higher than 1,000,000,000.",
                    )
                )
                continue
            drift = self.faults.fires("concurrent_change", channel, "write")
            if drift:
                self.store.drift(level, drift.delta)
            expected = q["changeFromQuantity"]
            if expected is not None and expected != level.quantity:
                errors.append(
                    _user_error(
                        "CHANGE_FROM_QUANTITY_STALE",
                        [*field, "changeFromQuantity"],
                        "The changeFromQuantity value does not match persisted value.",
                    )
                )
        return errors, levels

    def _levels(self, channel: str, ids: list[str]) -> dict[str, Any]:
        nodes = []
        for level_id in ids:
            location = gid_tail(level_id)
            match = re.search(r"inventory_item_id=(\d+)", str(level_id))
            level = self.store.shopify_level(channel, match.group(1), location) if match else None
            if level is None:
                nodes.append(None)
                continue
            nodes.append(
                {
                    "id": level_id,
                    "item": {
                        "id": f"gid://shopify/InventoryItem/{gid_tail(level.inventory_item_id)}"
                    },
                    "location": {"id": f"gid://shopify/Location/{gid_tail(level.location_id)}"},
                    "quantities": [{"name": "available", "quantity": level.quantity}],
                }
            )
        return {"data": {"nodes": nodes}}
