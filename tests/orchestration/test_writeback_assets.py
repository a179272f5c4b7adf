"""The write-back in Dagster: the asset, its guard, the approvals sensor and the snapshot tables."""

import json
import os
import time
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.resources import Warehouse
from orchestration.defs.writeback.assets import (
    WRITEBACK_ASSET,
    blocking_check_keys,
    channel_writeback,
    failed_blocking_checks,
    feeding_sources,
)
from orchestration.defs.writeback.sensors import approved_corrections_sensor, writeback_job
from orchestration.publish import publish_snapshot, refresh_writeback_tables
from tests.writeback.conftest import shown, stock_and_corrections
from tests.writeback.test_freshness import END, write_corrections, write_raw
from writeback.freshness import DEFAULT_FEEDING_SOURCES
from writeback.sandbox import run_sandbox


@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory):
    with run_sandbox(landing=tmp_path_factory.mktemp("sandbox_landing")) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(module_sandbox, monkeypatch):
    """The sandbox, and the write-back settings (read from the environment) pointing at it."""
    module_sandbox.reset()
    monkeypatch.setenv("RETURNOPS_SHOPIFY_URL", f"{module_sandbox.url}/shopify/{{channel}}")
    monkeypatch.setenv("RETURNOPS_AMAZON_URL", f"{module_sandbox.url}/amazon/{{channel}}")
    monkeypatch.setenv("RETURNOPS_WRITEBACK_BACKOFF", "0.01")
    monkeypatch.delenv("RETURNOPS_FRESHNESS_NOW", raising=False)
    return module_sandbox


def home_with_corrections(home: Path, sandbox, n: int = 6, **raw) -> Path:
    stock, corrections = stock_and_corrections(n)
    sandbox.seed(stock)
    warehouse = home / "warehouse.duckdb"
    home.mkdir(parents=True, exist_ok=True)
    write_corrections(warehouse, corrections)
    write_raw(warehouse, **raw)
    with duckdb.connect(str(warehouse)) as con:  # a mart to publish beside the outbox
        con.execute("create table marts.fct_tiny as select 1 as x")
    publish_snapshot(warehouse, home / "serving" / "marts.duckdb", ["fct_tiny"])
    return warehouse


def materialize(home: Path) -> dg.AssetMaterialization:
    result = dg.materialize(
        [channel_writeback],
        resources={"warehouse": Warehouse(home=str(home))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("channel_writeback")
    return materialization


def value(materialization: dg.AssetMaterialization, key: str):
    return materialization.metadata[key].value


def test_the_asset_sits_after_publish_in_the_writeback_group(monkeypatch, tmp_path):
    monkeypatch.setenv("RETURNOPS_HOME", str(tmp_path))
    from orchestration.definitions import defs

    definitions = defs()
    graph = definitions.resolve_asset_graph()
    node = graph.get(dg.AssetKey("channel_writeback"))
    assert node.parent_keys == {
        dg.AssetKey("serving_snapshot"),
        dg.AssetKey("fct_stock_corrections"),
    }
    assert node.group_name == "writeback" and node.pools == {"duckdb"}
    pipeline = definitions.resolve_job_def("returnops_pipeline")
    assert dg.AssetKey("channel_writeback") in pipeline.asset_layer.executable_asset_keys
    job = definitions.resolve_job_def("writeback_job")
    assert job.asset_layer.executable_asset_keys == {
        dg.AssetKey("channel_writeback"),
        dg.AssetKey(["raw", "approvals__decisions"]),
    }
    sensor = definitions.resolve_sensor_def("approved_corrections_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.job_name == writeback_job.name


def test_feeding_sources_follow_the_marts_lineage():
    # ATP from the WMS, what the channels show from Shopify levels and channel-stock snapshots
    assert {"shopify", "wms", "channel_stock"} <= set(feeding_sources())
    assert feeding_sources("no_such_model") == DEFAULT_FEEDING_SOURCES


def test_materializing_pushes_records_and_renews_the_snapshot_outbox(sandbox, tmp_path):
    home = tmp_path / "home"
    home_with_corrections(home, sandbox)

    materialization = materialize(home)

    assert value(materialization, "acked") == 6 and value(materialization, "held") == 0
    assert value(materialization, "held_reason") == "none"
    assert value(materialization, "unreachable_channels") == "none"
    assert value(materialization, "outbox") == {"acked": 6}
    assert set(shown(sandbox).values()) == {12}
    with duckdb.connect(str(home / "serving" / "marts.duckdb"), read_only=True) as con:
        assert con.execute(
            "select status, count(*) from writeback_outbox group by 1"
        ).fetchall() == [("acked", 6)]
        # the audit, one row per correction a request carried
        (rows, ids) = con.execute(
            "select count(*), count(distinct correction_id) from writeback_audit "
            "where operation in ('inventorySetQuantities', 'patchListingsItem')"
        ).fetchone()
        assert rows == ids == 6
    acks = list((home / "landing" / "channel_stock").glob("ack_*.ndjson"))
    assert sum(len(p.read_text().splitlines()) for p in acks) == 6


def test_a_stale_source_holds_everything_and_says_which(sandbox, tmp_path):
    home = tmp_path / "home"
    home_with_corrections(home, sandbox, wms=END - timedelta(hours=40))

    materialization = materialize(home)

    assert value(materialization, "held") == 6 and value(materialization, "acked") == 0
    assert value(materialization, "stale_sources") == "wms"
    assert "wms: STALE" in value(materialization, "held_reason")
    assert "40.0 h old (SLA 26 h)" in value(materialization, "held_reason")
    assert sandbox.applications()["changes"] == 0


def test_an_unreachable_channel_leaves_corrections_pending(sandbox, monkeypatch, tmp_path):
    home = tmp_path / "home"
    home_with_corrections(home, sandbox)
    monkeypatch.setenv("RETURNOPS_AMAZON_URL", "http://127.0.0.1:9/amazon/{channel}")  # discard
    monkeypatch.setenv("RETURNOPS_WRITEBACK_MAX_ATTEMPTS", "1")

    materialization = materialize(home)

    assert value(materialization, "acked") == 4 and value(materialization, "pending") == 2
    assert value(materialization, "unreachable_channels").startswith("amazon (")


# ----------------------------------------------------------------------------- blocking checks
@dg.asset
def checked():
    return 1


@dg.asset_check(asset=checked, blocking=True)
def must_pass():
    return dg.AssetCheckResult(passed=os.environ.get("CHECK_PASSES") == "1")


@dg.asset_check(asset=checked)
def may_warn():
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)


def test_only_a_latest_evaluation_that_failed_at_error_severity_holds(monkeypatch):
    keys = [must_pass.check_key, may_warn.check_key]
    with dg.DagsterInstance.ephemeral() as instance:
        assert failed_blocking_checks(instance, keys) == []  # never ran: nothing known to fail

        monkeypatch.setenv("CHECK_PASSES", "0")
        dg.materialize([checked, must_pass, may_warn], instance=instance, raise_on_error=False)
        assert failed_blocking_checks(instance, keys) == ["checked:must_pass"]

        monkeypatch.setenv("CHECK_PASSES", "1")
        dg.materialize([checked, must_pass, may_warn], instance=instance)
        assert failed_blocking_checks(instance, keys) == []  # the latest passed


@dg.asset(name=WRITEBACK_ASSET, deps=[checked])
def downstream_writeback():
    return None


@dg.asset_check(asset=checked, blocking=False)
def alerts_only():
    return dg.AssetCheckResult(passed=False)  # an ERROR that is not meant to stop anything


def test_only_blocking_checks_upstream_are_judged():
    defs = dg.Definitions(
        assets=[checked, downstream_writeback], asset_checks=[must_pass, may_warn, alerts_only]
    )
    keys = blocking_check_keys(defs.resolve_asset_graph())
    assert keys == [must_pass.check_key]


# ------------------------------------------------------------------------------------ the sensor
def drop_decision(home: Path, name: str, decision: str, ids: list[str]) -> None:
    path = home / "landing" / "approvals" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    event = {
        "approval_id": name,
        "decided_at": "2026-01-19T08:00:00Z",
        "operator": "ops@example.com",
        "role": "inventory_planner",
        "decision": decision,
        "correction_ids": ids,
        "note": None,
    }
    path.write_text(json.dumps(event) + "\n")
    stamp = time.time() - 60  # settled
    os.utime(path, (stamp, stamp))


def tick(home: Path, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        cursor=cursor, resources={"warehouse": Warehouse(home=str(home))}
    )
    return approved_corrections_sensor(context)


def test_the_sensor_runs_writeback_for_new_approvals_only_and_never_opens_the_warehouse(tmp_path):
    assert tick(tmp_path, None).run_requests == []

    drop_decision(tmp_path, "a1.json", "reject", ["cor_1"])
    rejected = tick(tmp_path, None)
    assert rejected.run_requests == [] and "reject only" in rejected.skip_reason.skip_message

    drop_decision(tmp_path, "a2.json", "approve", ["cor_2", "cor_3"])
    approved = tick(tmp_path, rejected.cursor)
    (request,) = approved.run_requests
    assert request.tags["returnops/approved_corrections"] == "2"
    assert request.run_key.startswith("landing-")

    again = tick(tmp_path, approved.cursor)
    assert again.run_requests == [] and again.cursor == approved.cursor
    assert not (tmp_path / "warehouse.duckdb").exists()


# ---------------------------------------------------------------------------- snapshot tables
def test_publish_tolerates_a_warehouse_without_writeback_tables(tmp_path):
    warehouse, serving = tmp_path / "wh.duckdb", tmp_path / "serving" / "marts.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts; create table marts.fct_tiny as select 1 as x")

    snapshot = publish_snapshot(warehouse, serving, ["fct_tiny"])

    assert snapshot.row_counts == {"fct_tiny": 1}
    refreshed = refresh_writeback_tables(warehouse, serving)
    assert refreshed is not None and refreshed.version != snapshot.version
    assert refresh_writeback_tables(warehouse, tmp_path / "none" / "marts.duckdb") is None


# ------------------------------------------------------------------------------------- the CLI
@pytest.fixture
def cli(monkeypatch, tmp_path):
    import typer
    from typer.testing import CliRunner

    from orchestration.writeback_cli import register

    app = typer.Typer()
    register(app)
    home = tmp_path / "home"
    monkeypatch.setenv("RETURNOPS_HOME", str(home))  # the CLI points Dagster here: restored after
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    return lambda *args: CliRunner().invoke(app, [*args, "--home", str(home)]), home


def test_writeback_dry_run_prints_the_plan_and_sends_nothing(sandbox, cli):
    invoke, home = cli
    home_with_corrections(home, sandbox)

    result = invoke("writeback", "--dry-run", "--limit", "4")

    assert result.exit_code == 0, result.output
    assert "freshness at 2026-01-18 23:59:59 UTC" in result.output
    assert "write-back dry run" in result.output and "… and 2 more" in result.output
    assert "would send 6 corrections" in result.output
    assert sandbox.applications()["changes"] == 0


def test_writeback_pushes_through_dagster_and_reports(sandbox, cli):
    invoke, home = cli
    home_with_corrections(home, sandbox)

    result = invoke("writeback")

    assert result.exit_code == 0, result.output
    assert "write-back: 6 acked, 0 conflict, 0 failed, 0 pending, 0 awaiting approval" in (
        result.output
    )
    assert set(shown(sandbox).values()) == {12}
