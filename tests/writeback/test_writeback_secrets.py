"""Tokens never appear in logs, reprs, audit rows, reports or exceptions."""

import logging

import duckdb

from tests.writeback.conftest import settings_for, stock_and_corrections
from writeback import WritebackSettings, run_writeback
from writeback.sandbox import run_sandbox

SHOPIFY_TOKEN = "shpat_SECRET_0123456789abcdef"
AMAZON_TOKEN = "Atza|SECRET-amazon-9876543210"


def everything_in(warehouse) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema = 'ops'"
        ).fetchall()
        return "\n".join(str(con.execute(f"select * from {name}").fetchall()) for (name,) in tables)


def test_tokens_never_leak(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("RETURNOPS_SHOPIFY_TOKEN", SHOPIFY_TOKEN)
    monkeypatch.setenv("RETURNOPS_AMAZON_TOKEN", AMAZON_TOKEN)
    caplog.set_level(logging.DEBUG)  # httpx, httpcore, uvicorn, ours: everything
    stock, corrections = stock_and_corrections(6)
    warehouse = tmp_path / "wh.duckdb"
    with run_sandbox(
        landing=tmp_path / "landing", shopify_token=SHOPIFY_TOKEN, amazon_token=AMAZON_TOKEN
    ) as sandbox:
        sandbox.seed(stock)
        sandbox.set_faults(error_5xx={"times": 2}, drop={"times": 1})
        env = WritebackSettings.from_env()
        settings = settings_for(sandbox).model_copy(
            update={"shopify_token": env.shopify_token, "amazon_token": env.amazon_token}
        )
        report = run_writeback(warehouse, corrections, settings, landing=tmp_path / "landing")
        # and with tokens the channel refuses: the reason must not echo what was sent
        wrong = settings.model_copy(update={"shopify_token": env.amazon_token})
        refused = run_writeback(
            tmp_path / "wh2.duckdb", corrections[:1], wrong, landing=tmp_path / "landing"
        )

    assert report.acked == 6  # the tokens were really sent and accepted
    assert refused.unavailable == {"web": "credentials refused (HTTP 401)"}
    leaks = {
        "settings repr": repr(settings) + str(settings) + str(settings.model_dump()),
        "logs": caplog.text,
        "report": str(report) + str(refused),
        "warehouse": everything_in(warehouse) + everything_in(tmp_path / "wh2.duckdb"),
        "landing": "".join(p.read_text() for p in (tmp_path / "landing").rglob("*.ndjson")),
    }
    assert caplog.text  # something was logged at all
    for where, text in leaks.items():
        assert SHOPIFY_TOKEN not in text and AMAZON_TOKEN not in text, where
        assert "SECRET" not in text, where


def test_unreachable_error_names_the_channel_not_the_token(tmp_path):
    settings = settings_for("http://127.0.0.1:9", max_attempts=1).model_copy(
        update={"shopify_token": WritebackSettings(shopify_token=SHOPIFY_TOKEN).shopify_token}
    )
    _, corrections = stock_and_corrections(1, ("web",))
    report = run_writeback(tmp_path / "wh.duckdb", corrections, settings)
    assert "web" in report.unavailable
    assert SHOPIFY_TOKEN not in str(report) + report.unavailable["web"]
