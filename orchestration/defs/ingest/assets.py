"""One asset per source entity: the files of the landing zone, landed in `raw.*`."""

import dagster as dg

from ingest.contracts import Entity
from ingest.loader import load_new_files
from ingest.sources import ENTITIES
from orchestration.defs.resources import Warehouse


def raw_asset_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey(["raw", entity.table])


def build_raw_asset(entity: Entity) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_asset_key(entity),
        group_name="ingest",
        kinds={"duckdb", entity.format},
        pool="duckdb",
        owners=["team:data-engineering"],
        description=f"{entity.description} Files `landing/{entity.source}/{entity.pattern}`, "
        f"landed in `raw.{entity.table}`; bad rows go to `ops.rejects`.",
    )
    def _raw(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        paths = warehouse.paths
        result = load_new_files(paths.warehouse, entity, paths.landing)
        for outcome in result.outcomes:
            if outcome.status == "rejected":
                context.log.warning(f"{outcome.file} rejected whole: {outcome.reason}")
        return dg.MaterializeResult(
            metadata={
                "files_loaded": result.files,
                "files_skipped": result.skipped_files,
                "files_rejected": result.rejected_files,
                "rows_read": result.read,
                "rows_landed": result.landed,
                "rows_rejected": result.rejected,
            }
        )

    return _raw


raw_assets = [build_raw_asset(entity) for entity in ENTITIES]
