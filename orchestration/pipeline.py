"""One pass of the pipeline through Dagster, recorded in the local Dagster instance."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from ingest.paths import Paths

# Writers to the warehouse take turns: the `duckdb` pool holds one slot. The same instance
# (DAGSTER_HOME) backs `returnops run` and `dagster dev`, so CLI runs show in the UI.
INSTANCE_YAML = """\
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


@dataclass
class PipelineOutcome:
    success: bool
    run_id: str
    materialized: dict[str, dict] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def use_home(paths: Paths) -> None:
    """Point this process (and the dbt and Dagster subprocesses it starts) at one data root."""
    os.environ["RETURNOPS_HOME"] = str(paths.home)
    dagster_home = Path(os.environ.setdefault("DAGSTER_HOME", str(paths.dagster_home)))
    dagster_home.mkdir(parents=True, exist_ok=True)
    instance_yaml = dagster_home / "dagster.yaml"
    if not instance_yaml.exists():
        instance_yaml.write_text(INSTANCE_YAML)


def _metadata_values(metadata: dict) -> dict:
    return {key: getattr(value, "value", value) for key, value in metadata.items()}


def run_pipeline(paths: Paths, job_name: str | None = None) -> PipelineOutcome:
    """Execute a job of the code location in process (default: the whole pipeline)."""
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
        )
    outcome = PipelineOutcome(result.success, result.run_id)
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
