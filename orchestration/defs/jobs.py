"""The one pass of the whole pipeline: ingest → dbt build → checks → publish; and ingest alone."""

import dagster as dg

PIPELINE_JOB_NAME = "returnops_pipeline"
INGEST_JOB_NAME = "ingest_job"

returnops_pipeline = dg.define_asset_job(
    name=PIPELINE_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Ingest every new landing file, build and test the dbt project, run the "
    "blocking quality checks and publish the serving snapshot.",
)

# The raw tables with their contract checks, for a manual load (from the UI or `dg launch`);
# live, the raw tables follow the landing sensor's reports by automation.
ingest_job = dg.define_asset_job(
    name=INGEST_JOB_NAME,
    selection=dg.AssetSelection.groups("ingest"),
    description="Land new landing-zone files in raw.* and run the source contract checks.",
)
