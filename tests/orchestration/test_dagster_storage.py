"""The shipped instance config stores events through the pooled SQLite event log: same files,
readable by Dagster's own storage, a bounded number of open databases, and a wipe that works."""

from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log import SqliteEventLogStorage

from orchestration.dagster_storage import OPEN_SHARDS, PooledSqliteEventLogStorage
from orchestration.pipeline import install_instance_config


@dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="numbers")])
def numbers():
    yield dg.Output([1, 2, 3], metadata={"dagster/row_count": 3})
    yield dg.AssetCheckResult(check_name="positive", passed=True)


JOB = dg.define_asset_job("numbers_job", selection=[numbers])
DEFS = dg.Definitions(assets=[numbers], jobs=[JOB])


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "dagster"
    install_instance_config(home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def run_job(instance: dg.DagsterInstance) -> str:
    result = DEFS.resolve_job_def("numbers_job").execute_in_process(instance=instance)
    assert result.success
    return result.run_id


def test_events_stored_pooled_read_back_with_dagsters_own_storage(dagster_home: Path) -> None:
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        run_id = run_job(instance)
        # where Dagster keeps run event logs by default
        assert (dagster_home / "history" / "runs" / f"{run_id}.db").exists()

    stock = SqliteEventLogStorage(str(dagster_home / "history" / "runs"))
    try:
        types = [
            e.dagster_event.event_type for e in stock.get_logs_for_run(run_id) if e.dagster_event
        ]
        assert dg.DagsterEventType.ASSET_MATERIALIZATION in types
        assert dg.DagsterEventType.ASSET_CHECK_EVALUATION in types
        latest = stock.get_latest_materialization_events([dg.AssetKey("numbers")])
        assert latest[dg.AssetKey("numbers")].run_id == run_id
    finally:
        stock.dispose()


def test_open_databases_stay_bounded_and_a_wipe_starts_clean(dagster_home: Path) -> None:
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        storage = instance.event_log_storage
        run_ids = [run_job(instance) for _ in range(OPEN_SHARDS + 2)]
        assert len(storage._engines) <= OPEN_SHARDS  # noqa: SLF001
        # every run's events are there, the early ones' databases closed meanwhile included
        for run_id in run_ids:
            assert any(
                e.dagster_event and e.dagster_event.is_successful_output
                for e in instance.all_logs(run_id)
            )

        storage.wipe()
        # the run files were deleted: no connection left open on any of them
        assert set(storage._engines) <= {"index"}  # noqa: SLF001
        assert instance.get_latest_materialization_event(dg.AssetKey("numbers")) is None
        run_id = run_job(instance)  # a new run after the wipe is stored as before
        event = instance.get_latest_materialization_event(dg.AssetKey("numbers"))
        assert event is not None and event.run_id == run_id


def test_schema_answers_are_remembered_and_commits_do_not_wait_for_the_disk(
    dagster_home: Path,
) -> None:
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        storage = instance.event_log_storage
        run_job(instance)
        assert storage.supports_asset_checks
        assert not storage.has_table("no_such_table")  # a no is not remembered
        seen = set(storage._schema_seen)  # noqa: SLF001
        assert ("asset_check_executions", None) in seen
        assert ("asset_keys", "last_materialization_timestamp") in seen
        assert ("no_such_table", None) not in seen

        with storage.index_connection() as conn:
            (mode,) = conn.exec_driver_sql("PRAGMA journal_mode").fetchone()
            (synchronous,) = conn.exec_driver_sql("PRAGMA synchronous").fetchone()
        assert (mode, synchronous) == ("wal", 1)  # 1: NORMAL

        # the check's evaluation was stored through the remembered answers
        run_id = run_job(instance)
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("numbers"), "positive")]
        )[dg.AssetCheckKey(dg.AssetKey("numbers"), "positive")]
        assert record.run_id == run_id

        storage.wipe()  # the files are recreated: the answers are asked again, and hold
        run_id = run_job(instance)
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("numbers"), "positive")]
        )[dg.AssetCheckKey(dg.AssetKey("numbers"), "positive")]
        assert record.run_id == run_id
