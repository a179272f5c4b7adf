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

# What the landing-zone sensor launches: the raw tables of the entities that got new files,
# with their contract checks. Nothing downstream: dbt and publish stay out of sensor runs.
ingest_job = dg.define_asset_job(
    name=INGEST_JOB_NAME,
    selection=dg.AssetSelection.groups("ingest"),
    description="Land new landing-zone files in raw.* and run the source contract checks.",
)
