"""Closing the loop for real: `returnops run` pushes corrections to the channel sandbox, the
acks come back through `channel_stock`, and the next run finds every channel showing its ATP.
And the guard: with a feeding source stale nothing is pushed and the run says which source."""

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.e2e.conftest import returnops
from writeback.sandbox import run_sandbox
from writeback.sandbox.seed import landing_stock

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    """A small seeded simulation: 14 days at scale 0.2 (landing files and truth)."""
    home = tmp_path_factory.mktemp("simulated")
    returnops(home, "simulate", "--days", "14", "--scale", "0.2", "--seed", "11")
    return home


@pytest.fixture
def loop(simulated, tmp_path, monkeypatch):
    """A home of its own with the simulation's landing zone, and a sandbox seeded from it on a
    free loopback port, which the CLI's write-back points at."""
    home = tmp_path / "home"
    shutil.copytree(simulated / "landing", home / "landing")
    stock = landing_stock(home / "landing")
    with run_sandbox(landing=home / "landing", initial_stock=stock) as sandbox:
        monkeypatch.setenv("RETURNOPS_SHOPIFY_URL", f"{sandbox.url}/shopify/{{channel}}")
        monkeypatch.setenv("RETURNOPS_AMAZON_URL", f"{sandbox.url}/amazon/{{channel}}")
        monkeypatch.setenv("RETURNOPS_WRITEBACK_BACKOFF", "0.05")
        monkeypatch.delenv("RETURNOPS_FRESHNESS_NOW", raising=False)
        yield home, sandbox


def serving(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "serving" / "marts.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def warehouse(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def outbox_exists(home: Path) -> bool:
    return (
        warehouse(
            home,
            "select count(*) from information_schema.tables "
            "where table_schema = 'ops' and table_name = 'writeback_outbox'",
        )[0][0]
        > 0
    )


def drift(sandbox, channel: str, n: int, by: int) -> None:
    """Someone changes what a channel shows for n items (a manual edit in the shop's admin);
    the sandbox's next pull lands it in channel_stock."""
    items = [i for i in sandbox.stock(channel) if i["quantity"] >= abs(by)][:n]
    sandbox.seed([{**item, "quantity": item["quantity"] + by} for item in items])


def test_two_runs_leave_every_channel_showing_its_atp(loop):
    home, sandbox = loop
    drift(sandbox, "web", 3, by=+4)  # Shopify levels at a location
    drift(sandbox, "amazon", 3, by=-2)  # listings
    sandbox.publish()  # what every channel shows now, as `pull` snapshots

    returnops(home, "run")
    corrections = dict(
        warehouse(home, "select channel, count(*) from marts.fct_stock_corrections group by 1")
    )
    assert corrections.get("web") == 3 and corrections.get("amazon") == 3, corrections
    # zalando (the simulation's lagging channel) sells through Shopify's marketplace
    # connector: corrected per Shopify location, like the web shop
    zalando = warehouse(
        home,
        "select count(*), count(location_id), count(inventory_item_id) "
        "from marts.fct_stock_corrections where channel = 'zalando'",
    )[0]
    assert zalando[0] > 0 and zalando[0] == zalando[1] == zalando[2], zalando
    returnops(home, "run")

    failed = serving(
        home,
        "select channel, status_reason, count(*) from writeback_outbox "
        "where status = 'failed' group by all",
    )
    assert failed == [], failed

    # every gap left is a correction waiting for an operator
    gaps = set(
        serving(
            home,
            "select channel, sku from fct_channel_stock_gaps "
            "where oversell_risk_units > 0 or hidden_units > 0",
        )
    )
    awaiting = set(
        serving(
            home,
            "select channel, sku from writeback_outbox "
            "where status = 'pending' and requires_approval",
        )
    )
    assert gaps <= awaiting, f"gaps without a correction awaiting approval: {gaps - awaiting}"

    # the outbox reconciles: every correction in one state, nothing in flight or failed, and
    # the sandbox applied exactly the acked ones, once each
    states = dict(serving(home, "select status, count(*) from writeback_outbox group by 1"))
    (total,) = serving(home, "select count(*) from writeback_outbox")[0]
    assert sum(states.values()) == total and states.get("acked", 0) > 0
    acked = dict(
        serving(
            home, "select channel, count(*) from writeback_outbox where status = 'acked' group by 1"
        )
    )
    assert set(acked) == {"web", "zalando", "amazon"}, acked
    assert not {"sent", "failed"} & set(states), states
    applied = sandbox.applications()
    assert applied["changes"] == states["acked"]
    assert set(applied["changes_by_item"].values()) == {1}
    (audited,) = serving(
        home,
        "select count(distinct correction_id) from writeback_audit "
        "where operation in ('inventorySetQuantities', 'patchListingsItem') and status_code = 200",
    )[0]
    assert audited >= states["acked"]

    # the sandbox shows each channel's ATP (summed over the Shopify channels' locations)
    shows: dict[tuple[str, str], int] = {}
    for level in sandbox.stock():
        key = (level["channel"], level["sku"])
        shows[key] = shows.get(key, 0) + level["quantity"]
    atp = dict(
        ((channel, sku), units)
        for channel, sku, units in serving(
            home, "select channel, sku, atp from fct_channel_atp where is_latest"
        )
    )
    wrong = {k: (v, atp.get(k, 0)) for k, v in shows.items() if v != atp.get(k, 0)}
    assert set(wrong) <= awaiting, f"(channel, sku): (shows, ATP) {wrong}"

    # the acks came back through channel_stock and are what the channels are measured by
    (acks,) = warehouse(
        home, "select count(*) from raw.channel_stock__snapshots where origin = 'writeback_ack'"
    )[0]
    assert acks == states["acked"]


def test_a_stale_source_holds_everything_until_it_is_fresh(loop, tmp_path):
    home, sandbox = loop
    drift(sandbox, "web", 2, by=+3)
    drift(sandbox, "amazon", 2, by=-1)
    sandbox.publish()
    wms = home / "landing" / "wms"
    days = sorted({p.stem.rsplit("_", 1)[-1].split(".")[0] for p in wms.glob("*_2026-*")})
    held_back = tmp_path / "held_back"
    held_back.mkdir()
    for path in wms.iterdir():  # the WMS's last two days have not arrived
        if any(day in path.name for day in days[-2:]):
            shutil.move(path, held_back / path.name)

    stale = returnops(home, "run")
    output = stale.stdout + stale.stderr
    # the run says why, naming the source: "... wms: STALE, newest record ... (SLA 26 h)"
    assert "write-back held, nothing sent" in output and "wms: STALE" in output, output[-3000:]
    assert sandbox.applications()["changes"] == 0
    assert not outbox_exists(home)  # held: nothing enqueued from stale data

    for path in held_back.iterdir():  # they arrive
        shutil.move(path, wms / path.name)
    fresh = returnops(home, "run")

    assert "write-back held" not in fresh.stdout + fresh.stderr
    acked = dict(
        warehouse(
            home,
            "select channel, count(*) from ops.writeback_outbox where status = 'acked' group by 1",
        )
    )
    # the drifted items, and the lagging zalando's corrections per Shopify location
    assert acked.get("web") == 2 and acked.get("amazon") == 2, acked
    assert acked.get("zalando", 0) > 0, acked
    assert sandbox.applications()["changes"] == sum(acked.values())
