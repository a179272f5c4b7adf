"""Serve the Dagster UI and the dashboards side by side until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console

import dashboards
from ingest.paths import Paths
from orchestration.pipeline import use_home

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


def serve(paths: Paths, host: str, dagster_port: int, streamlit_port: int, console: Console) -> int:
    use_home(paths)
    # Ctrl-C and a supervisor's SIGTERM both stop the servers cleanly, even when this process
    # was started from a non-interactive shell that set SIGINT to ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    urls = {
        "dagster": f"http://{host}:{dagster_port}",
        "streamlit": f"http://{host}:{streamlit_port}",
    }
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, command in server_commands(host, dagster_port, streamlit_port).items():
            # own process group: Ctrl-C reaches us, and we stop the servers in order
            processes[name] = subprocess.Popen(command, cwd=REPO_ROOT, start_new_session=True)
        with console.status("Starting the Dagster UI and the dashboards…"):
            for name, url in urls.items():
                if not wait_until_up(url, processes[name]):
                    console.print(f"[red]{name} did not come up at {url}[/]")
                    return 1
        console.print(f"Dagster UI:  {urls['dagster']}")
        console.print(f"Dashboards:  {urls['streamlit']}")
        console.print("Press Ctrl-C to stop both.")
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        console.print("[red]A server stopped on its own; stopping the other.[/]")
        return 1
    except KeyboardInterrupt:
        console.print("Stopping…")
        return 0
    finally:
        stop(processes)
