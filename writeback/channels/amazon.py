"""Amazon Listings Items client: merchant-fulfilled quantity via `patchListingsItem`.

Amazon has no compare-and-set, so the client reads before it writes: it fetches the current
`fulfillment_availability` of a batch (searchListingsItems, 20 SKUs a call) and marks any
listing that no longer shows the correction's `published_quantity` as `conflict`, with what it
shows. The rest are patched (`op: merge` on `/attributes/fulfillment_availability`), several
at a time. The window between that read and the write is the one Amazon's API leaves open.

Each patch carries an `Idempotency-Key` header derived from its correction id: the sandbox
applies a key once; Amazon ignores the header, and a repeated merge of the same absolute
quantity leaves the same quantity.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import httpx

from writeback.channels.base import (
    ChannelUnavailable,
    Exchange,
    GaveUp,
    ItemOutcome,
    RequestRejected,
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

FULFILLMENT_PATH = "/attributes/fulfillment_availability"
SEARCH_LIMIT = 20  # identifiers per searchListingsItems call


def listed_quantity(listing: dict[str, Any]) -> int | None:
    for entry in (listing.get("attributes") or {}).get("fulfillment_availability") or []:
        if entry.get("fulfillment_channel_code") == "DEFAULT":
            return entry.get("quantity")
    return None


class AmazonClient:
    def __init__(self, channel: str, settings: WritebackSettings):
        self.channel = channel
        self.settings = settings
        self.items_url = settings.amazon_items_url(channel)
        self.params = {"marketplaceIds": settings.amazon_marketplace_id}
        token = settings.amazon_token.get_secret_value()
        self.http = make_http_client(settings, {"x-amz-access-token": token})
        # one listing per request: requests overlap, on threads kept for the client's life
        self.pool = ThreadPoolExecutor(settings.amazon_concurrency, thread_name_prefix="amazon")

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.http.close()

    def __enter__(self) -> AmazonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(
        self,
        result: SendResult,
        operation: str,
        method: str,
        url: str,
        correction_ids: list[str],
        params: dict[str, str],
        body: Any | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        exchanges: list[Exchange] = []

        def attempt(number: int) -> dict[str, Any]:
            exchange = Exchange(
                channel=self.channel,
                operation=operation,
                attempt=number,
                method=method,
                url=url,
                correction_ids=correction_ids,
                idempotency_key=key,
                request_body=None,
                started_at=now_utc(),
            )
            exchanges.append(exchange)
            headers = {"Idempotency-Key": key} if key else None
            response = send_json(self.http, exchange, body, params=params, extra_headers=headers)
            check_status(response, self.channel)
            try:
                return response.json()
            except ValueError:
                raise RequestRejected("the answer is not JSON") from None

        try:
            return with_retries(self.settings, attempt)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ChannelUnavailable(self.channel, f"unreachable at {url} ({exc})") from None
        finally:
            # threads append to their own list; the result is extended once per call
            result.exchanges.extend(exchanges)

    def _search(self, chunk: list[SendItem]) -> tuple[SendResult, dict, Exception | None]:
        """One searchListingsItems call; its error is returned so no audit record is lost."""
        result = SendResult()
        params = self.params | {
            "identifiers": ",".join(item.sku for item in chunk),
            "identifiersType": "SKU",
            "includedData": "attributes",
        }
        ids = [item.correction_id for item in chunk]
        try:
            data = self._call(result, "searchListingsItems", "GET", self.items_url, ids, params)
        except (RequestRejected, GaveUp, ChannelUnavailable) as exc:
            return result, {}, exc
        shown = {item.get("sku"): listed_quantity(item) for item in data.get("items") or []}
        return result, shown, None

    def read_quantities(self, items: list[SendItem], result: SendResult) -> dict[str, int | None]:
        """What each listing shows now, by SKU; a SKU Amazon does not know is absent."""
        chunks = [items[i : i + SEARCH_LIMIT] for i in range(0, len(items), SEARCH_LIMIT)]
        shown: dict[str, int | None] = {}
        errors = []
        for part, found, error in self.pool.map(self._search, chunks):
            result.merge(part)
            shown |= found
            if error is not None:
                errors.append(error)
        if errors:
            raise errors[0]
        return shown

    def _patch(self, item: SendItem, key: str) -> SendResult:
        result = SendResult()
        body = {
            "productType": self.settings.amazon_product_type,
            "patches": [
                {
                    "op": "merge",
                    "path": FULFILLMENT_PATH,
                    "value": [
                        {"fulfillment_channel_code": "DEFAULT", "quantity": item.target_quantity}
                    ],
                }
            ],
        }
        url = f"{self.items_url}/{quote(item.sku, safe='')}"
        try:
            answer = self._call(
                result,
                "patchListingsItem",
                "PATCH",
                url,
                [item.correction_id],
                self.params,
                body,
                key,
            )
        except (RequestRejected, GaveUp) as exc:
            result.outcomes.append(ItemOutcome(item.correction_id, "failed", str(exc)))
            return result
        except ChannelUnavailable as exc:
            result.unavailable = exc.reason
            return result
        if answer.get("status") == "ACCEPTED":
            result.outcomes.append(ItemOutcome(item.correction_id, "acked"))
        else:
            issues = "; ".join(
                f"{i.get('code')}: {i.get('message')}" for i in answer.get("issues") or []
            )
            reason = f"{answer.get('status')}: {issues or 'no issues given'}"
            result.outcomes.append(ItemOutcome(item.correction_id, "failed", reason))
        return result

    def send_batch(
        self,
        items: list[SendItem],
        keys: dict[str, str] | None = None,
        resumed: frozenset[str] = frozenset(),
    ) -> SendResult:
        """Read, then patch those still showing their basis.

        Every item gets an outcome unless the channel became unavailable (`result.unavailable`):
        the items left without one were not delivered. `keys`: the idempotency key of each
        correction's patch (default: derived from its id). `resumed`: corrections sent by a
        pass that died before recording the answer; one whose listing shows its target was
        applied then, and is acked without a second patch.
        """
        keys = keys or {}
        result = SendResult()
        try:
            shown = self.read_quantities(items, result)
        except (RequestRejected, GaveUp) as exc:
            reason = f"could not read the listings before writing: {exc}"
            result.outcomes += [ItemOutcome(i.correction_id, "failed", reason) for i in items]
            return result
        except ChannelUnavailable as exc:
            result.unavailable = exc.reason
            return result
        to_patch = []
        for item in items:
            if item.sku not in shown:
                result.outcomes.append(
                    ItemOutcome(item.correction_id, "failed", "listing not found on Amazon")
                )
            elif item.correction_id in resumed and shown[item.sku] == item.target_quantity:
                reason = "applied by an earlier pass that stopped before recording it"
                result.outcomes.append(ItemOutcome(item.correction_id, "acked", reason))
            elif shown[item.sku] != item.published_quantity:
                reason = (
                    f"listing changed: expected {item.published_quantity}, "
                    f"Amazon shows {shown[item.sku]}"
                )
                result.outcomes.append(
                    ItemOutcome(item.correction_id, "conflict", reason, shown[item.sku])
                )
            else:
                to_patch.append(item)
        patch_keys = [
            keys.get(item.correction_id) or idempotency_key_for([item.correction_id])
            for item in to_patch
        ]
        for part in self.pool.map(self._patch, to_patch, patch_keys):
            result.merge(part)
        return result
