"""One pass of the pipeline through Dagster, recorded in the local Dagster instance."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from ingest.paths import Paths

# The instance config the project ships: the `duckdb` pool with one slot (writers to the
# warehouse take turns), freshness evaluation on. The same instance (DAGSTER_HOME) backs
# `returnops run` and `dagster dev`, so CLI runs show in the UI.
INSTANCE_CONFIG = Path(__file__).with_name("dagster.yaml")
LEGACY_INSTANCE_YAML = """\
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def instance_config_for(dagster_home: Path) -> str:
    """The shipped `dagster.yaml` for this home: the event log's folder made absolute, so the
    instance opens the same from any process, `DAGSTER_HOME` set or not."""
    shipped = INSTANCE_CONFIG.read_text()
    event_logs = (dagster_home / "history" / "runs").resolve()
    return shipped.replace(
        "  class: PooledSqliteEventLogStorage\n",
        f"  class: PooledSqliteEventLogStorage\n  config:\n    base_dir: {event_logs}\n",
    )


def install_instance_config(dagster_home: Path) -> Path:
    """Write the shipped `dagster.yaml` into `dagster_home`, unless a config is there that
    does not start with the shipped first line (someone made it their own)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    target = dagster_home / "dagster.yaml"
    wanted = instance_config_for(dagster_home)
    marker = wanted.splitlines()[0]
    # older homes got LEGACY_INSTANCE_YAML from this module: replace it too
    ours = not target.exists() or (
        target.read_text().startswith(marker) or target.read_text() == LEGACY_INSTANCE_YAML
    )
    if ours and (not target.exists() or target.read_text() != wanted):
        target.write_text(wanted)
    return target


@dataclass
class PipelineOutcome:
    success: bool
    run_id: str
    materialized: dict[str, dict] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    alert: str | None = None  # what became of the failed run's alert, when it failed


def use_home(paths: Paths) -> None:
    """Point this process (and the dbt and Dagster subprocesses it starts) at one data root."""
    os.environ["RETURNOPS_HOME"] = str(paths.home)
    dagster_home = Path(os.environ.setdefault("DAGSTER_HOME", str(paths.dagster_home)))
    install_instance_config(dagster_home)


def _metadata_values(metadata: dict) -> dict:
    return {key: getattr(value, "value", value) for key, value in metadata.items()}


def partition_tags(job: dg.JobDefinition, days: tuple[str, str] | None) -> dict[str, str]:
    """The run tags that give a partitioned job its days: `days` (first, last) as one range,
    else the latest day (what automation asks for). None for an unpartitioned job."""
    if job.partitions_def is None:
        if days is not None:
            raise ValueError(f"job {job.name} is not partitioned: it takes no days")
        return {}
    from orchestration.partitions import latest_partition_key

    first, last = days or (latest_partition_key(),) * 2
    return {
        ASSET_PARTITION_RANGE_START_TAG: first,
        ASSET_PARTITION_RANGE_END_TAG: last,
    }


def run_pipeline(
    paths: Paths, job_name: str | None = None, days: tuple[str, str] | None = None
) -> PipelineOutcome:
    """Execute a job of the code location in process (default: the whole pipeline); a
    partitioned job for `days` (first, last partition key) or else its latest day."""
    use_home(paths)
    # imported late: the definitions read RETURNOPS_HOME when they load
    from orchestration.definitions import defs
    from orchestration.defs.jobs import PIPELINE_JOB_NAME

    job = defs().resolve_job_def(job_name or PIPELINE_JOB_NAME)
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            tags=partition_tags(job, days),
        )
        alert = _alert(instance, result.run_id, paths)
    outcome = PipelineOutcome(result.success, result.run_id, alert=alert)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            outcome.materialized[materialization.asset_key.to_user_string()] = _metadata_values(
                materialization.metadata
            )
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            outcome.checks[name] = evaluation.passed
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            outcome.failures.append(f"{event.step_key}: {error.message.strip() if error else ''}")
    return outcome


def _alert(instance: dg.DagsterInstance, run_id: str, paths: Paths) -> str | None:
    """The daemon's run-failure sensor does not watch in-process runs: alert here, through the
    same de-duplicated path. A webhook that cannot be reached does not fail the command."""
    import httpx

    from orchestration.alerts import AlertSettings
    from orchestration.defs.alerts.sensors import alert_on_run

    run = instance.get_run_by_id(run_id)
    if run is None:
        return None
    try:
        delivery = alert_on_run(instance, run, AlertSettings.from_env(paths.home))
    except httpx.HTTPError as error:
        return f"alert not delivered: {error}"
    return delivery.status if delivery is not None else None
