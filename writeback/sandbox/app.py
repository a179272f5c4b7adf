"""The channel sandbox as an ASGI app: both channel APIs plus control endpoints for tests.

Control endpoints (never subject to faults):

- `GET /_sandbox/health`: `{"ok": true}`
- `POST /_sandbox/reset`: forget stock, faults, idempotency records and counts
- `POST /_sandbox/stock`: seed levels, `{"items": [{channel, sku, location_id,
  inventory_item_id, quantity}]}`; Shopify levels have both ids, Amazon listings neither
- `GET /_sandbox/stock[?channel=]`: `{"items": [...]}` with current quantities
- `POST /_sandbox/faults`: replace the active faults, e.g. `{"throttle": {"rate": 0.1},
  "seed": 7}` (see faults.py); `GET` shows them and how often each fired
- `GET /_sandbox/applications`: applications and requests per idempotency key, changes per item
- `POST /_sandbox/publish[?channel=]`: a `pull` snapshot per channel into
  `<landing>/channel_stock/`
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from writeback.sandbox.amazon import AmazonApi
from writeback.sandbox.drop import DroppingApp
from writeback.sandbox.faults import Faults
from writeback.sandbox.shopify import ShopifyApi
from writeback.sandbox.store import Store
from writeback.snapshots import SnapshotLine, iso_utc, unique_stem, write_snapshot_file

SHOPIFY_GRAPHQL = "/shopify/{channel}/admin/api/{version}/graphql.json"
AMAZON_ITEMS = "/amazon/{channel}/listings/2021-08-01/items/{seller}"


@dataclass
class SandboxState:
    landing: Path | None
    store: Store = field(default_factory=Store)
    faults: Faults = field(default_factory=Faults)
    published_files: list[str] = field(default_factory=list)

    def publish(self, channel: str | None = None) -> list[str]:
        """One `pull` snapshot file per channel of what the sandbox shows now."""
        if self.landing is None:
            raise RuntimeError("the sandbox was started without a landing folder")
        by_channel: dict[str, list] = {}
        for level in self.store.snapshot(channel):
            by_channel.setdefault(level.channel, []).append(level)
        files = []
        for name, levels in sorted(by_channel.items()):
            stem = unique_stem(f"pull_{name}")
            captured_at = iso_utc()
            lines = [
                SnapshotLine(
                    snapshot_id=stem,
                    channel=level.channel,
                    sku=level.sku,
                    location_id=level.location_id,
                    quantity=level.quantity,
                    captured_at=captured_at,
                    origin="pull",
                )
                for level in levels
            ]
            path = write_snapshot_file(self.landing, stem, lines)
            if path is not None:
                files.append(str(path))
        self.published_files.extend(files)
        return files


def create_app(
    landing: Path | None = None,
    *,
    shopify_token: str | None = None,
    amazon_token: str | None = None,
    publish_interval_s: float | None = None,
    seed: int = 0,
    initial_stock: list[dict[str, Any]] | None = None,
    initial_faults: dict[str, Any] | None = None,
) -> DroppingApp:
    """The sandbox app; tokens None accept any non-empty token."""
    state = SandboxState(landing=Path(landing) if landing else None, faults=Faults(seed))
    state.store.seed(initial_stock or [])
    state.faults.configure(initial_faults or {})
    shopify = ShopifyApi(state.store, state.faults, shopify_token)
    amazon = AmazonApi(state.store, state.faults, amazon_token)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def reset(request: Request) -> Response:
        state.store.reset()
        state.faults.configure({})
        return JSONResponse({"ok": True})

    async def seed_stock(request: Request) -> Response:
        body = await request.json()
        try:
            count = state.store.seed(body["items"])
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"bad stock item: {exc}"}, status_code=400)
        return JSONResponse({"seeded": count})

    async def read_stock(request: Request) -> Response:
        levels = state.store.snapshot(request.query_params.get("channel"))
        return JSONResponse({"items": [level.as_dict() for level in levels]})

    async def set_faults(request: Request) -> Response:
        try:
            state.faults.configure(await request.json())
        except (ValueError, TypeError, ValidationError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"faults": state.faults.describe()})

    async def read_faults(request: Request) -> Response:
        return JSONResponse({"faults": state.faults.describe()})

    async def applications(request: Request) -> Response:
        return JSONResponse(state.store.counts())

    async def publish(request: Request) -> Response:
        try:
            files = state.publish(request.query_params.get("channel"))
        except RuntimeError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        return JSONResponse({"files": files})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        task = None
        if publish_interval_s and state.landing is not None:

            async def publish_periodically() -> None:
                while True:
                    await asyncio.sleep(publish_interval_s)
                    state.publish()

            task = asyncio.create_task(publish_periodically())
        yield {}
        if task is not None:
            task.cancel()

    routes = [
        Route("/_sandbox/health", health),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/stock", seed_stock, methods=["POST"]),
        Route("/_sandbox/stock", read_stock, methods=["GET"]),
        Route("/_sandbox/faults", set_faults, methods=["POST"]),
        Route("/_sandbox/faults", read_faults, methods=["GET"]),
        Route("/_sandbox/applications", applications),
        Route("/_sandbox/publish", publish, methods=["POST"]),
        Route(SHOPIFY_GRAPHQL, shopify.graphql, methods=["POST"]),
        Route(AMAZON_ITEMS, amazon.search_items, methods=["GET"]),
        Route(AMAZON_ITEMS + "/{sku:path}", amazon.get_item, methods=["GET"]),
        Route(AMAZON_ITEMS + "/{sku:path}", amazon.patch_item, methods=["PATCH"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = state
    return DroppingApp(app)
