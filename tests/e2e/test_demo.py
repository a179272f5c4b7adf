"""`returnops demo` for real: the Dagster UI, the dashboards and the channel sandbox answer on
loopback, the first run pushes its corrections to the sandbox, Ctrl-C stops everything."""

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


def test_demo_serves_all_three_and_stops_on_ctrl_c(tmp_path):
    dagster_port, streamlit_port, sandbox_port = free_port(), free_port(), free_port()
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    env = returnops_env(tmp_path / "home")
    # the sandbox serves where write-back points, so the demo's runs push to it
    env["RETURNOPS_SHOPIFY_URL"] = f"{sandbox}/shopify/{{channel}}"
    env["RETURNOPS_AMAZON_URL"] = f"{sandbox}/amazon/{{channel}}"
    log_path = tmp_path / "demo.log"
    with log_path.open("w") as log:
        demo = subprocess.Popen(
            [RETURNOPS, "demo", "--days", "5", "--scale", "0.1",
             "--dagster-port", str(dagster_port), "--streamlit-port", str(streamlit_port)],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    urls = [f"http://127.0.0.1:{dagster_port}", f"http://127.0.0.1:{streamlit_port}", sandbox]
    try:
        wait_for_line(log_path, "Press Ctrl-C", demo, timeout=300)
        output = log_path.read_text()
        for url in urls:
            assert url in output
        for url in urls[:2]:
            assert httpx.get(url, timeout=10).status_code == 200
        assert httpx.get(f"{urls[1]}/_stcore/health", timeout=10).text == "ok"
        assert httpx.get(f"{sandbox}/_sandbox/health", timeout=10).json() == {"ok": True}
        # seeded from the landing zone: every web location, zalando and amazon listing
        stock = httpx.get(f"{sandbox}/_sandbox/stock", timeout=10).json()["items"]
        assert {item["channel"] for item in stock} == {"web", "zalando", "amazon"}
        # the first run came after the sandbox was up: its write-back pushed the lagging
        # channel's (zalando's, per Shopify location) corrections to it
        applied = httpx.get(f"{sandbox}/_sandbox/applications", timeout=10).json()
        assert applied["changes"] > 0, output[-3000:]
        assert any(key.startswith("zalando/") for key in applied["applications_by_key"]), applied

        demo.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
        assert demo.wait(timeout=60) == 0
    finally:
        if demo.poll() is None:
            # Ctrl-C first: the demo stops the servers it started in sessions of their own,
            # which a kill of the demo alone would leave running
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(timeout=60)
            except subprocess.TimeoutExpired:
                demo.kill()
    for url in urls:
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=5)
