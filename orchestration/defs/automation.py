"""Live operation: the automation sensor that moves data downstream, the daily reconciliation.

- The landing-zone sensor (`defs/ingest/sensors.py`) reports new landing files as updates of the
  external `landing/*` assets.
- `returnops_automation` evaluates the assets' automation conditions and launches what they ask
  for, in one run per landing batch: the raw tables (eager on their landing asset), the dbt
  models and tests (eager), the marts' GX checks (with their marts), the serving snapshot and
  `exception_alerts` (once the blocking checks on the marts passed), and the source freshness
  checks (after any load and hourly).
- `daily_reconciliation` runs the whole pipeline job once a day with a full dbt refresh:
  whatever the event-driven path missed (a late record an incremental model did not revisit, a
  file that landed while its table was first loaded) is rebuilt from the landing zone and raw.

Both run by default: `dagster dev` / `returnops demo` are live without a click in the UI.
"""

import dagster as dg

from orchestration.defs.jobs import returnops_pipeline
from orchestration.partitions import latest_partition_key
from orchestration.settings import sensor_interval_seconds

RECONCILIATION_CRON = "0 4 * * *"  # 04:00 UTC: after the stores' end-of-day batches

returnops_automation = dg.AutomationConditionSensorDefinition(
    "returnops_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=sensor_interval_seconds(),
    description="Launches what the automation conditions ask for: the raw tables of new landing "
    "files, then in the same run the dbt models and tests, mart checks, serving publish, "
    "exception alerts and freshness checks.",
)

FULL_REFRESH = {"config": {"full_refresh": True}}


@dg.schedule(
    name="daily_reconciliation",
    job=returnops_pipeline,
    cron_schedule=RECONCILIATION_CRON,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The whole pipeline once a day with a full dbt refresh: every landing file, "
    "every model rebuilt from raw, every check, publish and write-back.",
)
def daily_reconciliation(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    # The pipeline job holds the event-date partitioned marts: a run names one day, the
    # latest; a full refresh rebuilds every day of them anyway.
    return dg.RunRequest(
        partition_key=latest_partition_key(now=context.scheduled_execution_time),
        run_config={
            "ops": {
                "returnops_dbt_models": FULL_REFRESH,
                "returnops_dbt_event_date_models": FULL_REFRESH,
            }
        },
        tags={"returnops/trigger": "daily_reconciliation"},
    )
