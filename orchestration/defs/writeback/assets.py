"""Write-back as the last step of the pipeline: push the stock corrections to the channels.

`channel_writeback` runs after the serving publish (which only runs when the blocking checks
passed). The work is `writeback.freshness.guarded_writeback`: read `fct_stock_corrections` in a
short read-only connection, hold everything when a feeding source is staler than its SLA or the
latest blocking checks failed, otherwise `run_writeback`. Then the serving snapshot's
`writeback_outbox` / `writeback_audit` are renewed so the dashboards show the pass.
"""

import json
from collections.abc import Iterable
from datetime import UTC, datetime

import dagster as dg
from dagster_shared.check import CheckError

from orchestration.conditions import AFTER_BLOCKING_CHECKS
from orchestration.defs.resources import Warehouse
from orchestration.defs.transform.dbt import dbt_project
from orchestration.publish import refresh_writeback_tables
from writeback.freshness import DEFAULT_FEEDING_SOURCES, GuardedWriteback, guarded_writeback

CORRECTIONS_MODEL = "fct_stock_corrections"
WRITEBACK_ASSET = "channel_writeback"


def feeding_sources(model: str = CORRECTIONS_MODEL) -> tuple[str, ...]:
    """The dbt sources upstream of `model` in the manifest's lineage; the default set when the
    model is not in the manifest yet."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    nodes = {**manifest["nodes"], **manifest["sources"]}
    start = [uid for uid, node in manifest["nodes"].items() if node.get("name") == model]
    if not start:
        return DEFAULT_FEEDING_SOURCES
    parents = manifest["parent_map"]
    seen, stack, sources = set(), list(start), set()
    while stack:
        uid = stack.pop()
        if uid in seen:
            continue
        seen.add(uid)
        node = nodes.get(uid, {})
        if node.get("resource_type") == "source":
            sources.add(node["source_name"])
        stack.extend(parents.get(uid, []))
    return tuple(sorted(sources)) or DEFAULT_FEEDING_SOURCES


def failed_blocking_checks(
    instance: dg.DagsterInstance, check_keys: Iterable[dg.AssetCheckKey]
) -> list[str]:
    """Checks whose latest evaluation failed at ERROR severity (a blocking failure). Checks that
    never ran, or whose latest run was only planned (skipped), do not hold write-back."""
    keys = list(check_keys)
    if not keys:
        return []
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    failed = []
    for key, record in latest.items():
        evaluation = record.evaluation  # of a planned (running, skipped) check: no verdict yet
        if not isinstance(evaluation, dg.AssetCheckEvaluation) or evaluation.passed:
            continue
        if evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(f"{key.asset_key.to_user_string()}:{key.name}")
    return sorted(failed)


def code_location_graph():
    """The whole code location's asset graph (loaded definitions are cached by module)."""
    from orchestration.definitions import defs  # late: this module is one of those defs

    return defs().resolve_asset_graph()


def blocking_check_keys(graph) -> list[dg.AssetCheckKey]:
    """The blocking checks on every asset write-back depends on. Non-blocking checks (e.g. the
    per-source freshness alerts) do not hold it: write-back judges its feeding sources'
    freshness itself (writeback/freshness.py)."""
    key = dg.AssetKey(WRITEBACK_ASSET)
    ancestors = graph.get_ancestor_asset_keys(key) if graph.has(key) else set()
    return [
        node.key
        for node in graph.asset_check_nodes
        if node.blocking and node.key.asset_key in ancestors
    ]


def upstream_check_keys(context: dg.AssetExecutionContext) -> list[dg.AssetCheckKey]:
    """The blocking checks upstream, in the whole code location's graph (a run of
    `writeback_job` alone still judges the marts' checks from their latest runs)."""
    try:
        graph = context.repository_def.asset_graph  # set in runs launched from the UI/daemon
    except CheckError:  # in-process execution (`returnops run`) carries no repository
        graph = code_location_graph()
    return blocking_check_keys(graph)


def writeback_metadata(result: GuardedWriteback) -> dict[str, object]:
    report = result.report
    counts = dict(report.states) if report is not None else {}
    metadata: dict[str, object] = {
        "dry_run": result.dry_run,
        "corrections": result.corrections,
        "held": result.held,
        "held_reason": result.held_reason or "none",
        "acked": report.acked if report is not None else 0,
        "conflict": report.conflicts if report is not None else 0,
        "failed": report.failed if report is not None else 0,
        # pending and sendable, not sent this pass (an unreachable channel); approval apart
        "pending": counts.get("pending", 0) - (report.held_for_approval if report else 0),
        "awaiting_approval": report.held_for_approval if report is not None else 0,
        "unreachable_channels": ", ".join(
            f"{c} ({why})" for c, why in sorted((report.unavailable if report else {}).items())
        )
        or "none",
        "freshness_now": f"{result.freshness.now:%Y-%m-%d %H:%M:%S} ({result.freshness.clock})",
        "stale_sources": ", ".join(s.source for s in result.freshness.stale) or "none",
        "outbox": dg.MetadataValue.json(counts),
        "report": dg.MetadataValue.md("```\n" + str(result) + "\n```"),
    }
    if report is not None:
        metadata["writeback_run_id"] = report.run_id
    return metadata


@dg.asset(
    key=WRITEBACK_ASSET,
    group_name="writeback",
    kinds={"duckdb", "python"},
    pool="duckdb",
    owners=["team:data-engineering"],
    deps=["serving_snapshot", dg.AssetKey(CORRECTIONS_MODEL)],
    # live: in the run that publishes new corrections, never past a failed blocking check (the
    # approvals sensor launches it too, when an operator approves)
    automation_condition=AFTER_BLOCKING_CHECKS,
    description="Pushes `fct_stock_corrections` to the channels (Shopify inventorySetQuantities, "
    "Amazon patchListingsItem) through the outbox: approve → send → ack. Holds everything when a "
    "feeding source is staler than its SLA or the latest blocking checks failed. Acks land in "
    "`landing/channel_stock/`, so the next run sees what the channels show.",
)
def channel_writeback(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    paths = warehouse.paths
    failed_checks = failed_blocking_checks(context.instance, upstream_check_keys(context))
    result = guarded_writeback(
        paths.warehouse,
        paths.landing,
        sources=feeding_sources(),
        failed_checks=failed_checks,
        run_id=f"wb_{datetime.now(UTC):%Y%m%dT%H%M%S}_{context.run.run_id[:8]}",
    )
    if result.held_reason:
        # WARNING reaches `returnops run`'s console: the run says why nothing was pushed
        context.log.warning(f"write-back held, nothing sent: {result.held_reason}")
    elif result.report is not None:
        for channel, why in sorted(result.report.unavailable.items()):
            context.log.warning(
                f"write-back: channel {channel} unreachable ({why}); its corrections stay pending"
            )
        refresh_writeback_tables(paths.warehouse, paths.serving)
    context.log.info(str(result))
    return dg.MaterializeResult(metadata=writeback_metadata(result))
