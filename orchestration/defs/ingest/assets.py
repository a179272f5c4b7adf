"""One asset per source entity: the files of the landing zone, landed in `raw.*`.

`landing/<source>__<entity>` are external assets, the files as they arrive; the landing-zone
sensor reports them updated when files arrive (`defs/ingest/sensors.py`). `raw/<source>__<entity>`
depends on its landing asset and is materialized by automation when that is updated (or when it
was never loaded, on a fresh warehouse):
the same tick requests the dbt models, checks and publish downstream, so a landing file flows to
the serving snapshot in one run.
"""

from pathlib import Path

import dagster as dg

from ingest.audit import batch_of_file, batch_summary
from ingest.contracts import Entity
from ingest.loader import LoadResult, load_new_files
from ingest.sources import ENTITIES
from ingest.warehouse import connect
from orchestration.conditions import RAW
from orchestration.defs.resources import Warehouse
from orchestration.freshness import raw_freshness_policy


def raw_asset_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey(["raw", entity.table])


def landing_asset_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey(["landing", entity.table])


def landing_spec(entity: Entity) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=landing_asset_key(entity),
        group_name="ingest",
        kinds={"file", entity.format},
        owners=["team:data-engineering"],
        tags={"source": entity.source},
        description=f"Files `landing/{entity.source}/{entity.pattern}` as they arrive "
        f"({entity.format}): reported by `landing_zone_sensor` when files arrive (names, sizes, "
        f"sha256), loaded into `raw.{entity.table}`.",
    )


landing_specs = [landing_spec(entity) for entity in ENTITIES]


def newest_file(result: LoadResult, landing: Path) -> str | None:
    """The most recently modified of the files this load read (loaded or rejected)."""
    read = [o.file for o in result.outcomes if o.status != "skipped"]
    stamped = [((landing / f).stat().st_mtime, f) for f in read if (landing / f).exists()]
    return max(stamped)[1] if stamped else (max(read) if read else None)


def table_rows(con, entity: Entity) -> int | None:
    """Rows of `raw.<entity>`; None when the table does not exist (nothing loaded yet)."""
    (present,) = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' "
        "and table_name = ? and table_catalog = current_database()",
        [entity.table],
    ).fetchone()
    if not present:
        return None
    (rows,) = con.execute(f'select count(*) from raw."{entity.table}"').fetchone()
    return int(rows)


def load_metadata(entity: Entity, result: LoadResult, warehouse: Path, landing: Path) -> dict:
    metadata: dict[str, object] = {
        "files_loaded": result.files,
        "files_skipped": result.skipped_files,
        "files_rejected": result.rejected_files,
        "rows_read": result.read,
        "rows_landed": result.landed,
        "rows_rejected": result.rejected,
        "newest_file": newest_file(result, landing) or "none (no new files)",
    }
    read = [o.file for o in result.outcomes if o.status != "skipped"]
    if not warehouse.exists():
        return metadata
    with connect(warehouse, read_only=True) as con:
        # the table's rows after this load, counted by us (the catalogue's row count)
        rows = table_rows(con, entity)
        if rows is not None:
            metadata["dagster/row_count"] = rows
        if not read:
            return metadata
        # the loader's batch that read these files: its rejects by reason, from ops.rejects
        batch_id = batch_of_file(con, entity, read[0])
        batch = batch_summary(con, entity, batch_id) if batch_id else None
    if batch is not None:
        metadata["batch_id"] = batch.batch_id
        metadata["rejected_by_reason"] = dg.MetadataValue.json(dict(batch.reasons))
        metadata["rejected_files"] = dg.MetadataValue.json(dict(batch.rejected_files))
    return metadata


def build_raw_asset(entity: Entity) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_asset_key(entity),
        group_name="ingest",
        kinds={"duckdb", entity.format},
        pool="duckdb",
        owners=["team:data-engineering"],
        tags={"source": entity.source},
        deps=[landing_asset_key(entity)],
        automation_condition=RAW,
        # fails when the source's tables have not been loaded for longer than its SLA (seed)
        freshness_policy=raw_freshness_policy(entity.source),
        description=f"{entity.description} Files `landing/{entity.source}/{entity.pattern}`, "
        f"landed in `raw.{entity.table}`; bad rows go to `ops.rejects`.",
    )
    def _raw(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        paths = warehouse.paths
        result = load_new_files(paths.warehouse, entity, paths.landing)
        for outcome in result.outcomes:
            if outcome.status == "rejected":
                # a file rejected whole is recorded with its reason; the asset still succeeds
                context.log.warning(f"{outcome.file} rejected whole: {outcome.reason}")
        return dg.MaterializeResult(
            metadata=load_metadata(entity, result, paths.warehouse, paths.landing)
        )

    return _raw


raw_assets = [build_raw_asset(entity) for entity in ENTITIES]
