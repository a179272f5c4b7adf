"""`returnops demo` for real: both servers answer on loopback, Ctrl-C stops everything."""

import signal
import subprocess
import time

import httpx
import pytest

from tests.e2e.conftest import REPO_ROOT, RETURNOPS, free_port, returnops_env

pytestmark = pytest.mark.e2e


def wait_for_line(log_path, needle: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in log_path.read_text():
            return
        assert process.poll() is None, f"demo exited early:\n{log_path.read_text()}"
        time.sleep(0.5)
    raise AssertionError(f"no {needle!r} within {timeout} s:\n{log_path.read_text()}")


def test_demo_serves_both_urls_and_stops_on_ctrl_c(tmp_path):
    dagster_port, streamlit_port = free_port(), free_port()
    log_path = tmp_path / "demo.log"
    with log_path.open("w") as log:
        demo = subprocess.Popen(
            [RETURNOPS, "demo", "--days", "5", "--scale", "0.1",
             "--dagster-port", str(dagster_port), "--streamlit-port", str(streamlit_port)],
            cwd=REPO_ROOT, env=returnops_env(tmp_path / "home"), stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    urls = [f"http://127.0.0.1:{dagster_port}", f"http://127.0.0.1:{streamlit_port}"]
    try:
        wait_for_line(log_path, "Press Ctrl-C", demo, timeout=300)
        output = log_path.read_text()
        for url in urls:
            assert url in output
            assert httpx.get(url, timeout=10).status_code == 200
        assert httpx.get(f"{urls[1]}/_stcore/health", timeout=10).text == "ok"

        demo.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
        assert demo.wait(timeout=60) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
    for url in urls:
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=5)
