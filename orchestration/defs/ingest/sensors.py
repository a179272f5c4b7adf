"""Watch the landing zone: report new landing files as materializations of the landing assets.

Each tick lists `landing/<source>/` (names, sizes, mtimes; a file is hashed again only when
those moved; the warehouse is never opened) and reports an `AssetMaterialization` of the
external asset `landing/<source>__<entity>` (Dagster's pattern for data that changes outside
Dagster) for every entity with new or changed files. The raw tables are automated on those
updates (`orchestration.conditions.RAW`): the automation sensor requests the raw tables, the
dbt models, the checks and the publish in one tick, so one landing batch is one run.

A raw table never loaded is left to automation (`RAW` loads a missing table, with
whatever its landing folder holds, in the same run as everything downstream): reporting its
files too would only load the history a second time.
"""

import dagster as dg

from ingest.landing import dumps_seen, loads_seen, scan_landing
from ingest.sources import ENTITIES, entity
from orchestration.defs.ingest.assets import landing_asset_key, raw_asset_key
from orchestration.defs.resources import Warehouse
from orchestration.settings import sensor_interval_seconds

# A file modified this recently may still be being written; the next tick takes it whole.
SETTLE_SECONDS = 2.0
# file names listed in a landing report's metadata
LISTED_FILES = 50


@dg.sensor(
    name="landing_zone_sensor",
    minimum_interval_seconds=sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Lists `landing/<source>/` and reports `landing/<source>__<entity>` updated for "
    "the entities that got new or changed files (by sha256); the raw tables and everything "
    "downstream follow by automation. Never opens the warehouse.",
)
def landing_zone_sensor(
    context: dg.SensorEvaluationContext, warehouse: Warehouse
) -> dg.SensorResult:
    landing = warehouse.paths.landing
    seen = loads_seen(context.cursor)
    scan = scan_landing(landing, ENTITIES, seen, settle_seconds=SETTLE_SECONDS)
    cursor = dumps_seen(scan.stamps)
    loaded = ever_loaded(context.instance, sorted(scan.new))
    news = {table: files for table, files in scan.new.items() if table in loaded}
    if not news:
        if not landing.is_dir():
            why = f"No landing zone at {landing} yet."
        elif scan.new:
            why = (
                f"{len(scan.new_files)} files for raw tables never loaded "
                f"({', '.join(sorted(scan.new))}): automation loads those whole."
            )
        else:
            why = f"No new files in {landing}: {len(scan.stamps)} seen before, none changed."
        if scan.unsettled:
            why += f" {len(scan.unsettled)} still being written: {', '.join(scan.unsettled[:5])}."
        return dg.SensorResult(skip_reason=dg.SkipReason(why), cursor=cursor)

    context.log.info(
        f"{sum(len(f) for f in news.values())} new files for {', '.join(sorted(news))}"
    )
    events = [landed(entity(table), files, scan.run_key) for table, files in sorted(news.items())]
    return dg.SensorResult(asset_events=events, cursor=cursor)


def landed(of: object, new_files: list[str], batch: str) -> dg.AssetMaterialization:
    """What the sensor saw arrive for one entity this tick."""
    return dg.AssetMaterialization(
        asset_key=landing_asset_key(of),
        metadata={
            "new_files": len(new_files),
            "files": dg.MetadataValue.json(sorted(new_files)[:LISTED_FILES]),
            # the same news gives the same batch id (names and checksums of the new files)
            "batch": batch,
        },
    )


def ever_loaded(instance: dg.DagsterInstance, tables: list[str]) -> set[str]:
    """Of these entity tables, those whose raw table was materialized or planned in a run
    before (a file landing while that run loads the table is reported: one more load, cheap,
    rather than a file left behind)."""
    if not tables:
        return set()
    keys = {t: raw_asset_key(entity(t)) for t in tables}
    latest = instance.get_latest_materialization_events(list(keys.values()))
    return {
        t
        for t, key in keys.items()
        if latest.get(key) is not None
        or instance.get_latest_planned_materialization_info(key) is not None
    }
