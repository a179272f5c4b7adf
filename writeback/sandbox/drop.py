"""The `drop` fault: a request is processed, then its connection closes without an answer."""

from __future__ import annotations

import asyncio

from starlette.responses import Response


class DropConnection(Response):
    """Answer nothing and close the connection (the `drop` fault), via `DroppingApp`."""

    def __init__(self) -> None:
        super().__init__(status_code=599)

    async def __call__(self, scope, receive, send) -> None:
        scope["sandbox.drop"]["requested"] = True


class DroppingApp:
    """Outermost ASGI layer: closes the client's connection when a handler asked to drop it.

    Starlette has no way to drop a connection, so this layer reaches the server's transport
    through uvicorn's `send` (a bound method of its request cycle). Elsewhere it falls back to
    promising a body that never comes, which the client sees as the same broken answer.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        flag: dict[str, bool] = {}
        scope["sandbox.drop"] = flag
        await self.app(scope, receive, send)
        if not flag.get("requested"):
            return
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is not None:
            transport.abort()
            await asyncio.sleep(0)  # let the server see the connection gone before we return
            await asyncio.sleep(0)
            return
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]}
        )
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
