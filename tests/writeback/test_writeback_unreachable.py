"""No channel answering: corrections stay pending and the report names the channel."""

import socket

from tests.writeback.conftest import outbox, settings_for, shown, stock_and_corrections
from writeback import WritebackSettings, run_writeback


def closed_port_url() -> str:
    with socket.socket() as sock:  # bound then closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_unreachable_channels_leave_corrections_pending(tmp_path):
    _, corrections = stock_and_corrections(6)
    warehouse = tmp_path / "wh.duckdb"

    report = run_writeback(warehouse, corrections, settings_for(closed_port_url(), max_attempts=2))

    assert set(report.unavailable) == {"web", "zalando", "amazon"}
    assert all("unreachable" in reason for reason in report.unavailable.values())
    assert "web: UNREACHABLE" in str(report)
    assert report.states == {"pending": 6}
    assert report.sent == report.failed == 0
    assert all("not delivered" in row["status_reason"] for row in outbox(warehouse).values())


def test_one_channel_down_does_not_stop_the_others_and_pending_ones_go_out_later(sandbox, tmp_path):
    stock, corrections = stock_and_corrections(6)
    sandbox.seed(stock)
    warehouse = tmp_path / "wh.duckdb"
    down = settings_for(sandbox, max_attempts=2).model_copy(
        update={"amazon_url": closed_port_url() + "/amazon/{channel}"}
    )

    first = run_writeback(warehouse, corrections, down, landing=tmp_path / "l")

    assert list(first.unavailable) == ["amazon"]
    assert first.acked == 4 and first.states == {"acked": 4, "pending": 2}

    second = run_writeback(warehouse, corrections, settings_for(sandbox), landing=tmp_path / "l")

    assert second.acked == 2 and second.states == {"acked": 6}
    assert set(shown(sandbox).values()) == {12}


def test_the_embedded_default_points_at_the_sandbox_loopback_address():
    settings = WritebackSettings.from_env({})
    assert settings.shopify_endpoint("web") == (
        "http://127.0.0.1:8787/shopify/web/admin/api/2026-04/graphql.json"
    )
    assert settings.amazon_items_url("amazon").startswith(
        "http://127.0.0.1:8787/amazon/amazon/listings/2021-08-01/items/"
    )
