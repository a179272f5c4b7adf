"""Watch the landing zone: one ingest run per tick for the entities that got new files."""

import dagster as dg

from ingest.landing import dumps_seen, loads_seen, scan_landing
from ingest.sources import ENTITIES, entity
from orchestration.defs.ingest.assets import raw_asset_key
from orchestration.defs.jobs import ingest_job
from orchestration.defs.resources import Warehouse

# A file modified this recently may still be being written; the next tick takes it whole.
SETTLE_SECONDS = 2.0


@dg.sensor(
    name="landing_zone_sensor",
    job=ingest_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Lists `landing/<source>/` and launches `ingest_job` for the raw tables whose "
    "entities got new or changed files (by sha256). Never opens the warehouse.",
)
def landing_zone_sensor(
    context: dg.SensorEvaluationContext, warehouse: Warehouse
) -> dg.SensorResult:
    landing = warehouse.paths.landing
    seen = loads_seen(context.cursor)
    scan = scan_landing(landing, ENTITIES, seen, settle_seconds=SETTLE_SECONDS)
    cursor = dumps_seen(scan.stamps)
    if not scan.new:
        if not landing.is_dir():
            why = f"No landing zone at {landing} yet."
        else:
            why = f"No new files in {landing}: {len(scan.stamps)} seen before, none changed."
        if scan.unsettled:
            why += f" {len(scan.unsettled)} still being written: {', '.join(scan.unsettled[:5])}."
        return dg.SensorResult(skip_reason=dg.SkipReason(why), cursor=cursor)

    new_files = scan.new_files
    context.log.info(f"{len(new_files)} new files for {', '.join(sorted(scan.new))}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=scan.run_key,
                asset_selection=[raw_asset_key(entity(table)) for table in sorted(scan.new)],
                tags={"returnops/new_files": str(len(new_files))},
            )
        ],
        cursor=cursor,
    )
