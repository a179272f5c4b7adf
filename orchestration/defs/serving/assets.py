"""The serving snapshot the dashboards read, published after the marts pass their checks."""

import dagster as dg

from orchestration.defs.resources import Warehouse
from orchestration.defs.transform.dbt import mart_models
from orchestration.publish import publish_snapshot

# every dbt model under models/marts/: a new mart is served without touching this module
SERVED_MARTS = mart_models()


@dg.asset(
    key="serving_snapshot",
    group_name="serving",
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    deps=[dg.AssetKey(table) for table in SERVED_MARTS],
    description="`serving/marts.duckdb`: the dashboard marts (and, once write-back has run, "
    "`writeback_outbox` and `writeback_audit`), swapped in atomically so dashboards keep "
    "reading while the pipeline writes.",
)
def serving_snapshot(warehouse: Warehouse) -> dg.MaterializeResult:
    paths = warehouse.paths
    snapshot = publish_snapshot(paths.warehouse, paths.serving, SERVED_MARTS)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(snapshot.path)),
            "version": snapshot.version,
            **{f"rows_{table}": count for table, count in snapshot.row_counts.items()},
        }
    )
