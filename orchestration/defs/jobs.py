"""The one pass of the whole pipeline: ingest → dbt build → checks → publish."""

import dagster as dg

PIPELINE_JOB_NAME = "returnops_pipeline"

returnops_pipeline = dg.define_asset_job(
    name=PIPELINE_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Ingest every new landing file, build and test the dbt project, run the "
    "blocking quality checks and publish the serving snapshot.",
)
