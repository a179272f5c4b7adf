"""Shopify Admin GraphQL client: set `available` with compare-and-set, 250 quantities a call.

One batch is one `inventorySetQuantities` mutation whose idempotency key (`@idempotent`) is
derived from the batch's correction ids. Shopify applies a mutation whole or not at all: when
it answers with user errors, nothing was applied. The client then

- marks the items named by `CHANGE_FROM_QUANTITY_STALE` as `conflict` (reading what the channel
  shows now, so the next run can recompute from it; never forced with `changeFromQuantity:
  null`), and the items named by a validation error (unknown item or location, negative
  quantity, ...) as `failed` with Shopify's code and message;
- resends the remaining items at once, as a new batch with its own key (a different set of
  corrections, so a different key); errors that name no item fail the whole batch.

Pacing follows `extensions.cost.throttleStatus`: before a call the client waits until the
bucket, refilled at `restoreRate`, holds the call's cost; on `THROTTLED` it waits exactly that.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import httpx

from writeback.channels.base import (
    ChannelUnavailable,
    Exchange,
    GaveUp,
    ItemOutcome,
    RequestRejected,
    RetryableResponse,
    SendItem,
    SendResult,
    check_status,
    idempotency_key_for,
    make_http_client,
    now_utc,
    send_json,
    with_retries,
)
from writeback.settings import WritebackSettings

SET_AVAILABLE = """
mutation SetAvailable($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup {
      id createdAt reason referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { code field message }
  }
}
""".strip()

READ_AVAILABLE = """
query ReadAvailable($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryLevel {
      id item { id } location { id } quantities(names: ["available"]) { name quantity }
    }
  }
}
""".strip()

STALE = "CHANGE_FROM_QUANTITY_STALE"
MUTATION_COST_GUESS = 10.0


def gid(kind: str, value: str) -> str:
    return value if value.startswith("gid://") else f"gid://shopify/{kind}/{value}"


def tail(value: str) -> str:
    return value.rsplit("/", 1)[-1].split("?", 1)[0]


def level_gid(item: SendItem) -> str:
    return (
        f"gid://shopify/InventoryLevel/{tail(item.location_id or '')}"
        f"?inventory_item_id={tail(item.inventory_item_id or '')}"
    )


class CostPacer:
    """Shopify's leaky bucket as last reported, refilled locally between calls."""

    def __init__(self) -> None:
        self.available: float | None = None
        self.restore_rate = 50.0
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def observe(self, extensions: dict[str, Any] | None) -> None:
        status = ((extensions or {}).get("cost") or {}).get("throttleStatus")
        if not status:
            return
        with self.lock:
            self.available = float(status["currentlyAvailable"])
            self.restore_rate = float(status["restoreRate"]) or self.restore_rate
            self.at = time.monotonic()

    def wait_needed(self, cost: float) -> float:
        with self.lock:
            if self.available is None:
                return 0.0
            now_available = self.available + (time.monotonic() - self.at) * self.restore_rate
            return max(0.0, (cost - now_available) / self.restore_rate)

    def before(self, cost: float) -> None:
        wait = self.wait_needed(cost)
        if wait > 0:
            time.sleep(wait)


class ShopifyClient:
    def __init__(self, channel: str, settings: WritebackSettings):
        self.channel = channel
        self.settings = settings
        self.endpoint = settings.shopify_endpoint(channel)
        self.pacer = CostPacer()
        self.mutation_cost = MUTATION_COST_GUESS
        token = settings.shopify_token.get_secret_value()
        self.http = make_http_client(settings, {"X-Shopify-Access-Token": token})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- one GraphQL call, with retries -------------------------------------------------------

    def _graphql(
        self,
        result: SendResult,
        operation: str,
        query: str,
        variables: dict[str, Any],
        correction_ids: list[str],
        cost: float,
        key: str | None = None,
    ) -> dict[str, Any]:
        """The `data` of a successful call; raises RequestRejected, GaveUp, ChannelUnavailable."""

        def attempt(number: int) -> dict[str, Any]:
            self.pacer.before(cost)
            exchange = Exchange(
                channel=self.channel,
                operation=operation,
                attempt=number,
                method="POST",
                url=self.endpoint,
                correction_ids=correction_ids,
                idempotency_key=key,
                request_body=None,
                started_at=now_utc(),
            )
            result.exchanges.append(exchange)
            response = send_json(
                self.http,
                exchange,
                {"query": query, "variables": variables},
                extra_headers={"Idempotency-Key": key} if key else None,
            )
            check_status(response, self.channel)
            try:
                body = response.json()
            except ValueError:
                raise RetryableResponse("the answer is not JSON") from None
            self.pacer.observe(body.get("extensions"))
            errors = body.get("errors")
            if errors:
                codes = [((e.get("extensions") or {}).get("code")) for e in errors]
                if "THROTTLED" in codes:
                    requested = body.get("extensions", {}).get("cost", {}).get("requestedQueryCost")
                    raise RetryableResponse(
                        "THROTTLED", retry_after=self.pacer.wait_needed(requested or cost)
                    )
                messages = "; ".join(
                    f"{c}: {e.get('message')}" for c, e in zip(codes, errors, strict=True)
                )
                raise RequestRejected(f"GraphQL errors: {messages}")
            return body["data"]

        try:
            return with_retries(self.settings, attempt)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ChannelUnavailable(
                self.channel, f"unreachable at {self.endpoint} ({exc})"
            ) from None

    # --- reads --------------------------------------------------------------------------------

    def read_available(self, items: list[SendItem], result: SendResult) -> dict[str, int | None]:
        """What the channel shows now, by correction id (None when unknown or unreadable)."""
        observed: dict[str, int | None] = {item.correction_id: None for item in items}
        for start in range(0, len(items), 250):
            chunk = items[start : start + 250]
            try:
                data = self._graphql(
                    result,
                    "nodes(InventoryLevel)",
                    READ_AVAILABLE,
                    {"ids": [level_gid(item) for item in chunk]},
                    [item.correction_id for item in chunk],
                    cost=1 + len(chunk),
                )
            except (RequestRejected, GaveUp):
                continue  # the conflict stands; it just cannot say what the channel shows
            for item, node in zip(chunk, data.get("nodes") or [], strict=False):
                for quantity in (node or {}).get("quantities") or []:
                    if quantity.get("name") == "available":
                        observed[item.correction_id] = quantity.get("quantity")
        return observed

    # --- writes -------------------------------------------------------------------------------

    def _mutation_input(self, items: list[SendItem], key: str) -> dict[str, Any]:
        return {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": f"gid://returnops/WritebackBatch/{key}",
            "quantities": [
                {
                    "inventoryItemId": gid("InventoryItem", item.inventory_item_id or ""),
                    "locationId": gid("Location", item.location_id or ""),
                    "quantity": item.target_quantity,
                    "changeFromQuantity": item.published_quantity,
                }
                for item in items
            ],
        }

    def send_batch(self, items: list[SendItem], key: str | None = None) -> SendResult:
        """Set `available` for up to 250 items: each ends acked, conflict or failed, unless the
        channel became unavailable (`result.unavailable`; items without an outcome were not
        delivered)."""
        if len(items) > self.settings.shopify_batch_size:
            raise ValueError(f"at most {self.settings.shopify_batch_size} items per batch")
        result = SendResult()
        remaining = list(items)
        key = key or idempotency_key_for(i.correction_id for i in remaining)
        while remaining:
            ids = [item.correction_id for item in remaining]
            try:
                data = self._graphql(
                    result,
                    "inventorySetQuantities",
                    SET_AVAILABLE,
                    {"input": self._mutation_input(remaining, key), "idempotencyKey": key},
                    ids,
                    cost=self.mutation_cost,
                    key=key,
                )
            except (RequestRejected, GaveUp) as exc:
                result.outcomes += [ItemOutcome(i, "failed", str(exc)) for i in ids]
                break
            except ChannelUnavailable as exc:
                result.unavailable = exc.reason
                break
            payload = data.get("inventorySetQuantities") or {}
            errors = payload.get("userErrors") or []
            if not errors:
                result.outcomes += [ItemOutcome(i, "acked") for i in ids]
                break
            try:
                remaining = self._settle_errors(remaining, errors, result)
            except ChannelUnavailable as exc:  # while reading the stale items' levels
                result.unavailable = exc.reason
                break
            # nothing was applied: the rest goes again as a new request, under a new key
            key = idempotency_key_for((item.correction_id for item in remaining), salt=key)
        return result

    def _settle_errors(
        self, items: list[SendItem], errors: list[dict[str, Any]], result: SendResult
    ) -> list[SendItem]:
        """Outcomes for the items the user errors name; the items left to resend."""
        named: dict[int, dict[str, Any]] = {}
        unnamed = []
        for error in errors:
            index = _item_index(error.get("field"))
            if index is None or index >= len(items):
                unnamed.append(error)
            else:
                named.setdefault(index, error)  # the first error of an item explains it
        if unnamed:
            reason = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in unnamed)
            result.outcomes += [ItemOutcome(i.correction_id, "failed", reason) for i in items]
            return []
        stale = [items[i] for i, e in sorted(named.items()) if e.get("code") == STALE]
        observed = self.read_available(stale, result) if stale else {}
        for index, error in sorted(named.items()):
            item = items[index]
            if error.get("code") == STALE:
                seen = observed.get(item.correction_id)
                reason = (
                    f"{STALE}: expected {item.published_quantity}, channel shows "
                    f"{'unknown' if seen is None else seen}"
                )
                result.outcomes.append(ItemOutcome(item.correction_id, "conflict", reason, seen))
            else:
                reason = f"{error.get('code')}: {error.get('message')}"
                result.outcomes.append(ItemOutcome(item.correction_id, "failed", reason))
        return [item for i, item in enumerate(items) if i not in named]


def _item_index(field: Any) -> int | None:
    """The quantity an error is about: `["input", "quantities", "3", ...]` -> 3."""
    if not isinstance(field, list) or len(field) < 3 or field[:2] != ["input", "quantities"]:
        return None
    return int(field[2]) if re.fullmatch(r"\d+", str(field[2])) else None
