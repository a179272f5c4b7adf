"""`<source>_freshness`: one check per source, failing when the source has gone silent longer
than its `source_freshness` SLA (seed `sla_targets`).

The verdict is `orchestration.freshness.read_source_freshness`: the source's newest record time
in `raw.*` against the freshness clock (`RETURNOPS_FRESHNESS_NOW`, `wall`, or the data clock),
the same judgement the write-back guard makes. The check sits on the source's first raw table
and depends on every raw table: any load moves the data clock, so any load re-judges every
source; an hourly tick re-judges them when nothing arrives at all (what matters on the wall
clock). Not blocking: a silent source is an incident to chase, not a reason to stop serving the
others (the write-back guard holds corrections fed by a stale source on its own).
"""

import dagster as dg

from ingest.sources import ENTITIES
from orchestration.conditions import AFTER_ANY_LOAD_OR_HOURLY
from orchestration.defs.ingest.assets import raw_asset_key
from orchestration.defs.resources import Warehouse
from orchestration.freshness import (
    WARN_ONLY_SOURCES,
    freshness_check_result,
    newest_landing_file,
    read_source_freshness,
    source_slas,
)

RAW_KEYS = [raw_asset_key(entity) for entity in ENTITIES]


def _primary(source: str) -> dg.AssetKey:
    return raw_asset_key(next(e for e in ENTITIES if e.source == source))


def check_name(source: str) -> str:
    return f"{source}_freshness"


def _spec(source: str, hours: float) -> dg.AssetCheckSpec:
    primary = _primary(source)
    severity = "WARN" if source in WARN_ONLY_SOURCES else "ERROR"
    return dg.AssetCheckSpec(
        name=check_name(source),
        asset=primary,
        additional_deps=[key for key in RAW_KEYS if key != primary],
        blocking=False,
        automation_condition=AFTER_ANY_LOAD_OR_HOURLY,
        description=f"Fails ({severity}) when `{source}` has sent nothing newer than "
        f"{hours:g} h (seed `sla_targets`, `source_freshness`) by the freshness clock; judges "
        f"every raw table of `{source}`.",
    )


SOURCE_SLAS = {
    source: hours
    for source, hours in source_slas().items()
    if any(e.source == source for e in ENTITIES)
}


@dg.multi_asset_check(
    name="source_freshness",
    specs=[_spec(source, hours) for source, hours in SOURCE_SLAS.items()],
    can_subset=True,
    pool="duckdb",  # a read-only connection still blocks a writer in another process
    description="Per source: newest record time vs the freshness clock, against its SLA.",
)
def source_freshness(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    paths = warehouse.paths
    verdicts, clock = read_source_freshness(paths.warehouse)
    for key in context.selected_asset_check_keys:
        source = key.name.removesuffix("_freshness")
        yield freshness_check_result(
            verdicts[source], clock, newest_landing_file(paths.landing, source), key
        )
