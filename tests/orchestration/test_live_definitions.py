"""Live operation as definitions: what runs by itself, on which condition, under which
instance config."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from orchestration.dagster_storage import PooledSqliteEventLogStorage
from orchestration.pipeline import (
    INSTANCE_CONFIG,
    LEGACY_INSTANCE_YAML,
    install_instance_config,
    instance_config_for,
)
from tests.orchestration.test_definitions import load_definitions


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    with pytest.MonkeyPatch.context() as monkeypatch:
        return load_definitions(monkeypatch, tmp_path_factory.mktemp("home"))


def test_sensors_and_the_schedule_run_by_default(defs):
    sensors = {sensor.name: sensor for sensor in defs.sensors}
    for name in (
        "landing_zone_sensor",
        "returnops_automation",
        "alert_on_run_failure",
        "alert_recovery_sensor",
    ):
        assert sensors[name].default_status == dg.DefaultSensorStatus.RUNNING, name
    assert isinstance(sensors["returnops_automation"], dg.AutomationConditionSensorDefinition)
    (schedule,) = [s for s in defs.schedules if s.name == "daily_reconciliation"]
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "returnops_pipeline"
    # the reconciliation rebuilds the incremental models from raw, the partitioned ones too,
    # in a run of the latest event day (the pipeline job holds partitioned marts)
    tick = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
    context = dg.build_schedule_context(
        scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    for op in ("returnops_dbt_models", "returnops_dbt_event_date_models"):
        assert request.run_config["ops"][op]["config"] == {"full_refresh": True}
    assert request.partition_key == "2026-03-01"


def test_downstream_follows_ingest_by_automation_conditions(defs):
    graph = defs.resolve_asset_graph()

    def label(key: str) -> str | None:
        condition = graph.get(dg.AssetKey.from_user_string(key)).automation_condition
        return condition.get_label() if condition else None

    # the landing sensor reports files on the external landing assets; all the rest follows
    assert graph.get(dg.AssetKey(["landing", "shopify__returns"])).is_external
    assert label("raw/shopify__returns") == "on_new_files"
    assert label("stg_shopify__return_lines") == "eager_after_deps_checks"
    assert label("fct_return_lines") == "eager_after_deps_checks"
    assert label("sla_targets") == "seed_missing_or_changed"
    assert label("serving_snapshot") == "eager_after_blocking_checks"
    assert label("exception_alerts") == "eager_after_blocking_checks"
    checks = {node.key.name: node for node in graph.asset_check_nodes}
    for name in ("fct_return_lines_expectations", "shopify__returns_contract"):
        assert checks[name].automation_condition.get_label() == "with_its_asset"
    assert checks["shopify_freshness"].automation_condition.get_label() == (
        "after_any_load_or_hourly"
    )
    # dbt tests have no condition of their own: they ride along with their model's run
    dbt_tests = [n for n in checks.values() if n.key.name.startswith(("not_null", "unique"))]
    assert dbt_tests and all(n.automation_condition is None for n in dbt_tests)


def test_runs_execute_in_process_and_writers_share_the_pool(defs):
    job = defs.resolve_job_def("returnops_pipeline")
    assert job.executor_def is dg.in_process_executor
    graph = defs.resolve_asset_graph()
    for key in ("serving_snapshot", "exception_alerts", "fct_return_lines"):
        assert graph.get(dg.AssetKey(key)).pools == {"duckdb"}, key


def test_the_shipped_instance_config_gives_the_duckdb_pool_one_slot(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # opened from its folder alone
    install_instance_config(tmp_path)

    instance = dg.DagsterInstance.from_config(str(tmp_path))

    config = instance.get_concurrency_config()
    assert config.pool_config.default_pool_limit == 1
    assert config.pool_config.pool_granularity.value == "op"
    assert instance.freshness_enabled
    # a queued run is picked up within a second (the queue daemon's interval)
    assert instance.run_coordinator.dequeue_interval_seconds == 1
    assert config.run_queue_config.max_concurrent_runs == 4
    # the pooled event log, in Dagster's default folder for run event logs
    storage = instance.event_log_storage
    assert isinstance(storage, PooledSqliteEventLogStorage)
    assert Path(storage._base_dir) == (tmp_path / "history" / "runs").resolve()  # noqa: SLF001


def test_installing_the_config_replaces_ours_and_keeps_yours(tmp_path):
    shipped = INSTANCE_CONFIG.read_text()
    legacy, edited = tmp_path / "legacy", tmp_path / "edited"
    legacy.mkdir()
    edited.mkdir()
    (legacy / "dagster.yaml").write_text(LEGACY_INSTANCE_YAML)
    (edited / "dagster.yaml").write_text("concurrency:\n  pools:\n    default_limit: 3\n")

    install_instance_config(legacy)
    install_instance_config(edited)

    installed = (legacy / "dagster.yaml").read_text()
    assert installed == instance_config_for(legacy)
    # the shipped file, with the event log folder's absolute path added
    assert (
        installed.replace(
            f"  config:\n    base_dir: {(legacy / 'history' / 'runs').resolve()}\n", ""
        )
        == shipped
    )
    assert "default_limit: 3" in (edited / "dagster.yaml").read_text()
