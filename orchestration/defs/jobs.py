"""The one pass of the whole pipeline: ingest → dbt build → checks → publish; what automation
runs for a landing batch; ingest alone; the event-date backfill and the publish that follows it."""

import dagster as dg

from orchestration.partitions import EVENT_DATE_TAG

PIPELINE_JOB_NAME = "returnops_pipeline"
LIVE_REFRESH_JOB_NAME = "live_refresh"
INGEST_JOB_NAME = "ingest_job"
BACKFILL_JOB_NAME = "event_date_backfill"
PUBLISH_JOB_NAME = "publish_job"

returnops_pipeline = dg.define_asset_job(
    name=PIPELINE_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Ingest every new landing file, build and test the dbt project, run the "
    "blocking quality checks and publish the serving snapshot.",
)

# What automation runs for a landing batch with news of every source, as one job
# (benchmarks/latency.py loops it; tests/orchestration/test_automation.py checks it is what
# automation asks for): the raw tables and everything downstream of them, but the event-date
# partitioned marts, whose latest day automation refreshes on a cadence in runs of their own
# (orchestration.conditions.PARTITIONED_LATEST_DAY). The seeds, and the dimensions built from
# seeds alone, are built when a seed changes, not per batch.
live_refresh = dg.define_asset_job(
    name=LIVE_REFRESH_JOB_NAME,
    selection=dg.AssetSelection.groups("ingest").downstream()
    - dg.AssetSelection.tag(EVENT_DATE_TAG, ""),
    description="Ingest new landing files, build and test the dbt models downstream, check "
    "and publish, as automation does for a landing batch: the raw tables and everything "
    "downstream, but the event-date partitioned marts (refreshed every ten minutes on their "
    "own).",
)

# The raw tables with their contract checks, for a manual load (from the UI or `dg launch`);
# live, the raw tables follow the landing sensor's reports by automation.
ingest_job = dg.define_asset_job(
    name=INGEST_JOB_NAME,
    selection=dg.AssetSelection.groups("ingest"),
    description="Land new landing-zone files in raw.* and run the source contract checks.",
)

# The event-date partitioned marts (orchestration.partitions) with their checks: run it for a
# range of days (UI: the asset's Partitions tab -> Materialize, or `returnops backfill`); the
# range is one run (BackfillPolicy.single_run) and rewrites exactly those days.
event_date_backfill = dg.define_asset_job(
    name=BACKFILL_JOB_NAME,
    selection=dg.AssetSelection.tag(EVENT_DATE_TAG, ""),
    description="Rebuild the event-date partitioned marts for a range of days (one run).",
)

# the serving snapshot alone, e.g. after a backfill from the command line
publish_job = dg.define_asset_job(
    name=PUBLISH_JOB_NAME,
    selection=dg.AssetSelection.assets("serving_snapshot"),
    description="Publish the serving snapshot from the marts as they are.",
)
