"""A real channel sandbox on a free loopback port per test module, reset before each test; and
a home of its own for every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from writeback import Correction, WritebackSettings
from writeback.sandbox import RunningSandbox, run_sandbox

CHANNELS = ("web", "zalando", "amazon")


@pytest.fixture(autouse=True)
def own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's RETURNOPS_HOME is under its tmp_path, so what write-back writes without an
    explicit landing (acks, observed pulls) lands there, never in the repository's ./data."""
    home = tmp_path / "returnops_home"
    monkeypatch.setenv("RETURNOPS_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory) -> Iterator[RunningSandbox]:
    with run_sandbox(landing=tmp_path_factory.mktemp("sandbox_landing")) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(module_sandbox: RunningSandbox) -> RunningSandbox:
    module_sandbox.reset()
    return module_sandbox


def settings_for(sandbox: RunningSandbox | str, **overrides) -> WritebackSettings:
    """Settings pointing at the sandbox, with short timeouts and backoff so faults stay fast."""
    url = sandbox if isinstance(sandbox, str) else sandbox.url
    values = dict(
        shopify_url=f"{url}/shopify/{{channel}}",
        amazon_url=f"{url}/amazon/{{channel}}",
        timeout_s=2.0,
        connect_timeout_s=0.5,
        backoff_initial_s=0.01,
        backoff_max_s=0.2,
        max_attempts=5,
    )
    return WritebackSettings(**(values | overrides))


def stock_and_corrections(
    n: int,
    channels: tuple[str, ...] = CHANNELS,
    published: int = 10,
    target: int = 12,
    unit_value: float = 5.0,
) -> tuple[list[dict], list[Correction]]:
    """n items spread over the channels: what the sandbox shows, and corrections of each."""
    stock, corrections = [], []
    for i in range(n):
        channel = channels[i % len(channels)]
        ids = {}
        if channel != "amazon":
            ids = {"location_id": str(70 + i % 3), "inventory_item_id": str(4000 + i)}
        stock.append({"channel": channel, "sku": f"SKU-{i:05d}", "quantity": published, **ids})
        corrections.append(
            Correction.create(
                channel=channel,
                sku=f"SKU-{i:05d}",
                published_quantity=published,
                target_quantity=target,
                unit_value=unit_value,
                **ids,
            )
        )
    return stock, corrections


def outbox(warehouse: Path) -> dict[str, dict]:
    """The outbox by correction id."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute("select * from ops.writeback_outbox").df()
    return {row["correction_id"]: row for row in frame.to_dict("records")}


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def shown(sandbox: RunningSandbox) -> dict[tuple[str, str], int]:
    """What the sandbox shows now, by (channel, sku)."""
    return {(i["channel"], i["sku"]): i["quantity"] for i in sandbox.stock()}
