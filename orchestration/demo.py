"""Serve the Dagster UI, the dashboards and the channel sandbox side by side until Ctrl-C.

The sandbox comes up first, seeded from the landing zone's latest published stock, on the
address the write-back settings point at (`RETURNOPS_SHOPIFY_URL`, default
`http://127.0.0.1:8787`): the demo's runs, and the sensor's write-back runs in the Dagster UI,
push to it. `returnops demo` passes its first pipeline run as `run`, so that run happens once
the sandbox is up and its write-back pushes the simulation's corrections.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from rich.console import Console

import dashboards
from ingest.paths import Paths
from orchestration.pipeline import use_home
from writeback.settings import SANDBOX_HOST, SANDBOX_PORT, WritebackSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
STOP_TIMEOUT_SECONDS = 20


def _bin(name: str) -> str:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


def server_commands(host: str, dagster_port: int, streamlit_port: int) -> dict[str, list[str]]:
    app = Path(dashboards.__file__).parent / "app.py"
    return {
        "dagster": [
            _bin("dagster"),
            "dev",
            "-m",
            "orchestration.definitions",
            "--host",
            host,
            "--port",
            str(dagster_port),
        ],  # fmt: skip
        "streamlit": [
            _bin("streamlit"),
            "run",
            str(app),
            "--server.headless",
            "true",
            "--server.address",
            host,
            "--server.port",
            str(streamlit_port),
            "--browser.gatherUsageStats",
            "false",
        ],  # fmt: skip
    }


def sandbox_address(settings: WritebackSettings | None = None) -> tuple[str, int]:
    """Where the write-back settings expect the sandbox: the Shopify URL's host and port."""
    settings = settings or WritebackSettings.from_env()
    parts = urlsplit(settings.shopify_url.replace("{channel}", "channel"))
    return parts.hostname or SANDBOX_HOST, parts.port or SANDBOX_PORT


def sandbox_command(paths: Paths, host: str, port: int) -> list[str]:
    """`returnops sandbox`, seeded from the landing zone (run as a module: no console script)."""
    return [
        sys.executable, "-m", "orchestration.writeback_cli", "sandbox", "--host", host,
        "--port", str(port), "--seed-from-landing", "--home", str(paths.home),
    ]  # fmt: skip


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def stop(processes: dict[str, subprocess.Popen]) -> None:
    """SIGINT each server's process group (what Ctrl-C would do), then kill what lingers."""
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def serve(
    paths: Paths,
    host: str,
    dagster_port: int,
    streamlit_port: int,
    console: Console,
    run: Callable[[], bool] | None = None,
) -> int:
    """Start the sandbox, then (`run`, if given: the first pipeline run, which pushes to it) the
    Dagster UI and the dashboards; stop all three on Ctrl-C, SIGTERM or when one dies."""
    use_home(paths)
    # Ctrl-C and a supervisor's SIGTERM both stop the servers cleanly, even when this process
    # was started from a non-interactive shell that set SIGINT to ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    sandbox_host, sandbox_port = sandbox_address()
    urls = {
        "sandbox": f"http://{sandbox_host}:{sandbox_port}",
        "dagster": f"http://{host}:{dagster_port}",
        "streamlit": f"http://{host}:{streamlit_port}",
    }
    health = {**urls, "sandbox": f"{urls['sandbox']}/_sandbox/health"}
    processes: dict[str, subprocess.Popen] = {}
    try:
        # own process groups: Ctrl-C reaches us, and we stop the servers in order
        processes["sandbox"] = subprocess.Popen(
            sandbox_command(paths, sandbox_host, sandbox_port), cwd=REPO_ROOT,
            start_new_session=True,
        )  # fmt: skip
        with console.status("Starting the channel sandbox…"):
            if not wait_until_up(health["sandbox"], processes["sandbox"], timeout=30):
                console.print(f"[red]the channel sandbox did not come up at {urls['sandbox']}[/]")
                return 1
        if run is not None and not run():
            console.print("[red]the pipeline run failed; see its output above[/]")
            return 1
        for name, command in server_commands(host, dagster_port, streamlit_port).items():
            processes[name] = subprocess.Popen(command, cwd=REPO_ROOT, start_new_session=True)
        with console.status("Starting the Dagster UI and the dashboards…"):
            for name in ("dagster", "streamlit"):
                if not wait_until_up(health[name], processes[name]):
                    console.print(f"[red]{name} did not come up at {urls[name]}[/]")
                    return 1
        console.print(f"Dagster UI:  {urls['dagster']}")
        console.print(f"Dashboards:  {urls['streamlit']}")
        console.print(f"Sandbox:     {urls['sandbox']} (channel stock: /_sandbox/stock)")
        console.print("Press Ctrl-C to stop all three.")
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        stopped = [name for name, process in processes.items() if process.poll() is not None]
        console.print(f"[red]{', '.join(stopped)} stopped on its own; stopping the others.[/]")
        return 1
    except KeyboardInterrupt:
        console.print("Stopping…")
        return 0
    finally:
        stop(processes)
