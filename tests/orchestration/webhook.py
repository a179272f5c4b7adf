"""A local webhook receiver for alert tests: a real HTTP server (Starlette on uvicorn) on a free
loopback port, in a background thread, recording every JSON body it is sent."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class Receiver:
    url: str
    bodies: list[dict] = field(default_factory=list)
    # answer the next N posts with this status (a webhook that is down), then 200 again
    fail_next: int = 0
    fail_status: int = 503


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    receiver = Receiver(url=f"http://127.0.0.1:{port}/hooks/alerts")

    async def hook(request: Request) -> JSONResponse:
        if receiver.fail_next > 0:
            receiver.fail_next -= 1
            return JSONResponse({"ok": False}, status_code=receiver.fail_status)
        receiver.bodies.append(await request.json())
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/hooks/alerts", hook, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the webhook receiver did not start")
        time.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
