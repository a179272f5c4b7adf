"""Run the sandbox: `serve` blocks (the `returnops sandbox` command), `run_sandbox` runs it in a
background thread for tests and benchmarks and always stops it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from writeback.sandbox.app import create_app
from writeback.settings import SANDBOX_HOST, SANDBOX_PORT


def _config(app: Any, host: str, port: int, log_level: str) -> uvicorn.Config:
    # no access log: a write-back run makes thousands of requests
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False)


def serve(
    host: str = SANDBOX_HOST,
    port: int = SANDBOX_PORT,
    landing: Path | None = None,
    *,
    publish_interval_s: float | None = None,
    log_level: str = "info",
    **app_options: Any,
) -> None:
    """Serve the sandbox until interrupted (Ctrl-C / SIGTERM)."""
    app = create_app(landing, publish_interval_s=publish_interval_s, **app_options)
    uvicorn.Server(_config(app, host, port, log_level)).run()


@dataclass
class RunningSandbox:
    """A started sandbox: its URL, and helpers that call its control endpoints over HTTP."""

    url: str
    state: Any  # SandboxState: the store and faults, for in-process inspection
    _http: httpx.Client | None = None

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._http is None:
            self._http = httpx.Client(base_url=self.url, timeout=10.0)
        response = self._http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def seed(self, items: list[dict[str, Any]]) -> None:
        self.control("POST", "/_sandbox/stock", json={"items": items})

    def set_faults(self, **faults: Any) -> None:
        self.control("POST", "/_sandbox/faults", json=faults)

    def reset(self) -> None:
        self.control("POST", "/_sandbox/reset")

    def stock(self, channel: str | None = None) -> list[dict[str, Any]]:
        params = {"channel": channel} if channel else {}
        return self.control("GET", "/_sandbox/stock", params=params)["items"]

    def applications(self) -> dict[str, Any]:
        return self.control("GET", "/_sandbox/applications")

    def publish(self, channel: str | None = None) -> list[str]:
        params = {"channel": channel} if channel else {}
        return self.control("POST", "/_sandbox/publish", params=params)["files"]


@contextmanager
def run_sandbox(
    host: str = SANDBOX_HOST,
    port: int = 0,
    landing: Path | None = None,
    *,
    log_level: str = "warning",
    startup_timeout_s: float = 10.0,
    **app_options: Any,
) -> Iterator[RunningSandbox]:
    """The sandbox on a background thread; port 0 picks a free port. Stopped on exit."""
    app = create_app(landing, **app_options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(_config(app, host, bound_port, log_level))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="channel-sandbox", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the channel sandbox did not start")
        time.sleep(0.01)
    running = RunningSandbox(url=f"http://{host}:{bound_port}", state=app.app.state.sandbox)
    try:
        yield running
    finally:
        running.close()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
