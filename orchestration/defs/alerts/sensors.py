"""Alert on failed runs and failed blocking checks; resolve alerts when the problem goes away.

`alert_on_run_failure` (a run-failure sensor, running by default) reads the failed run's event
log: when blocking checks failed with ERROR severity it sends one `blocking_check` alert naming
them and what they held (the publish, the write-back); otherwise one `run_failure` alert with
the failed steps and their errors. `alert_recovery_sensor` watches successful runs: a check that
passes again or a step that succeeds again resolves its alert, so a recurrence alerts again.

Delivery, the body and de-duplication are `orchestration.alerts`; the functions below only read
the Dagster event log, so `returnops run` (in process, not watched by the daemon) uses them too.
"""

import dagster as dg

from orchestration.alerts import (
    Alert,
    AlertSettings,
    CheckFailure,
    Delivery,
    StepFailure,
    blocking_check_alert,
    run_failure_alert,
)
from orchestration.defs.resources import Warehouse
from orchestration.settings import sensor_interval_seconds

ET = dg.DagsterEventType
CHECK_FAILED_ERROR = "DagsterAssetCheckFailedError"


def job_label(run: dg.DagsterRun) -> str:
    """The run's job, in words for the implicit asset job of automation and UI launches."""
    if not run.job_name.startswith("__"):
        return run.job_name
    automated = any(key.startswith("dagster/auto") for key in run.tags)
    return "asset run (automation)" if automated else "asset run"


def _value(metadata: dict, key: str) -> str:
    value = metadata.get(key)
    return str(getattr(value, "value", value)) if value is not None else ""


def failed_run_alert(
    instance: dg.DagsterInstance, run: dg.DagsterRun, dagster_url: str | None = None
) -> Alert:
    """What a failed run should alert: its failed blocking checks, else its failed steps."""
    steps: list[StepFailure] = []
    checks: list[CheckFailure] = []
    planned: set[dg.AssetKey] = set()
    materialized: set[dg.AssetKey] = set()
    for record in instance.all_logs(
        run.run_id,
        of_type={
            ET.STEP_FAILURE,
            ET.ASSET_CHECK_EVALUATION,
            ET.ASSET_MATERIALIZATION_PLANNED,
            ET.ASSET_MATERIALIZATION,
        },
    ):
        event = record.dagster_event
        if event is None:
            continue
        if event.event_type == ET.STEP_FAILURE:
            error = event.step_failure_data.error
            steps.append(
                StepFailure(
                    event.step_key or "?",
                    error.cls_name if error and error.cls_name else "Error",
                    error.message if error else "",
                )
            )
        elif event.event_type == ET.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if (
                not evaluation.passed
                and evaluation.blocking
                and evaluation.severity == dg.AssetCheckSeverity.ERROR
            ):
                checks.append(
                    CheckFailure(
                        evaluation.asset_key.to_user_string(),
                        evaluation.check_name,
                        evaluation.description or "",
                        _value(evaluation.metadata, "failed_expectations"),
                    )
                )
        elif event.event_type == ET.ASSET_MATERIALIZATION_PLANNED:
            planned.add(event.event_specific_data.asset_key)
        elif event.asset_key is not None:
            materialized.add(event.asset_key)
    label = job_label(run)
    if checks:
        held = sorted(key.to_user_string() for key in planned - materialized)
        return blocking_check_alert(label, run.run_id, checks, held, dagster_url)
    return run_failure_alert(
        label, run.run_id, [s for s in steps if s.error_class != CHECK_FAILED_ERROR], dagster_url
    )


def recovered_subjects(instance: dg.DagsterInstance, run: dg.DagsterRun) -> set[str]:
    """What this run shows working: steps that succeeded, checks that passed, and the job
    when the whole run succeeded (the subjects of `orchestration.alerts`)."""
    subjects: set[str] = set()
    for record in instance.all_logs(
        run.run_id, of_type={ET.STEP_SUCCESS, ET.ASSET_CHECK_EVALUATION}
    ):
        event = record.dagster_event
        if event is None:
            continue
        if event.event_type == ET.STEP_SUCCESS and event.step_key:
            subjects.add(f"step:{event.step_key}")
        elif event.event_type == ET.ASSET_CHECK_EVALUATION and event.event_specific_data.passed:
            evaluation = event.event_specific_data
            subjects.add(f"check:{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    if run.status == dg.DagsterRunStatus.SUCCESS:
        subjects.add(f"job:{job_label(run)}")
    return subjects


def alert_on_run(
    instance: dg.DagsterInstance, run: dg.DagsterRun, settings: AlertSettings
) -> Delivery | None:
    """Resolve what the run shows working; if it failed, send its alert (de-duplicated)."""
    settings.log.resolve(recovered_subjects(instance, run))
    if run.status != dg.DagsterRunStatus.FAILURE:
        return None
    return settings.send(failed_run_alert(instance, run, settings.dagster_url))


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=sensor_interval_seconds(),
    description="Posts a failed run to the alert webhook (RETURNOPS_ALERT_WEBHOOK_URL): the "
    "blocking checks that failed and what they held, else the failed steps. One problem "
    "alerts once (fingerprints in RETURNOPS_HOME/alerts.sqlite).",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext, warehouse: Warehouse) -> None:
    settings = AlertSettings.from_env(warehouse.paths.home)
    # a failed post raises: the sensor tick fails and the run is considered again next tick
    delivery = alert_on_run(context.instance, context.dagster_run, settings)
    context.log.info(f"run {context.dagster_run.run_id}: {delivery}")


@dg.run_status_sensor(
    name="alert_recovery_sensor",
    run_status=dg.DagsterRunStatus.SUCCESS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=sensor_interval_seconds(),
    description="Resolves alerts whose check passed or whose step succeeded again in a "
    "successful run, so that the same problem coming back alerts again.",
)
def alert_recovery_sensor(context: dg.RunStatusSensorContext, warehouse: Warehouse) -> None:
    settings = AlertSettings.from_env(warehouse.paths.home)
    resolved = settings.log.resolve(recovered_subjects(context.instance, context.dagster_run))
    if resolved:
        context.log.info(f"run {context.dagster_run.run_id} resolved {resolved} alert(s)")
