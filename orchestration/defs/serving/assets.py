"""The serving snapshot the dashboards read, published after the marts pass their checks.

It follows the marts by automation: eager on any mart's update, and only once every blocking
check on the marts has passed (or runs in the same run, where a failure holds it).
"""

import dagster as dg

from orchestration.conditions import AFTER_BLOCKING_CHECKS
from orchestration.defs.resources import Warehouse
from orchestration.defs.transform.dbt import feeding_sources, mart_models
from orchestration.freshness import derived_freshness_policy
from orchestration.publish import publish_snapshot

# every dbt model under models/marts/: a new mart is served without touching this module
SERVED_MARTS = mart_models()


@dg.asset(
    key="serving_snapshot",
    group_name="serving",
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    pool="duckdb",  # it attaches the warehouse: even a read-only connection blocks a writer
    deps=[dg.AssetKey(table) for table in SERVED_MARTS],
    automation_condition=AFTER_BLOCKING_CHECKS,
    freshness_policy=derived_freshness_policy(feeding_sources(SERVED_MARTS)),
    description="`serving/marts.duckdb`: the dashboard marts (and, once write-back has run, "
    "`writeback_outbox` and `writeback_audit`) and the platform's own latency per landed file "
    "(`platform_file_latency`), swapped in atomically so dashboards keep reading while the "
    "pipeline writes.",
)
def serving_snapshot(warehouse: Warehouse) -> dg.MaterializeResult:
    paths = warehouse.paths
    # times the files this snapshot serves for the first time (landing -> serving), in the
    # snapshot itself and, once it is swapped in, in ops.file_latency
    snapshot = publish_snapshot(paths.warehouse, paths.serving, SERVED_MARTS, paths.landing)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(snapshot.path)),
            "version": snapshot.version,
            "published_at": f"{snapshot.published_at:%Y-%m-%d %H:%M:%S} UTC",
            "tables": len(snapshot.row_counts),
            "files_newly_served": snapshot.files_recorded,
            "files_timed": snapshot.latency_rows,
            "dagster/row_count": sum(snapshot.row_counts.values()),
            **{f"rows_{table}": count for table, count in snapshot.row_counts.items()},
        }
    )
