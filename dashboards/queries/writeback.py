"""Write-back: the stock corrections and, once published, the outbox and its audit trail.

`fct_stock_corrections` is always read. The write-back's `ops.writeback_outbox` and
`ops.writeback_audit` reach the snapshot as `writeback_outbox` / `writeback_audit` once the
publish step copies them; until then the page says so. Their columns belong to the write-back,
so they are read whole and only `status`, `channel` and `correction_id` are relied on, when there.
"""

from __future__ import annotations

import pandas as pd

from dashboards.filters import NO_FILTERS, Filters
from dashboards.queries._base import cached, category_in, channel_in, fetch, node_in, values
from dashboards.serving import serving_connection

OUTBOX, AUDIT = "writeback_outbox", "writeback_audit"
# The outbox's states in order (DESIGN §8); others the write-back adds are shown after these.
STATUSES = ("pending", "approved", "sent", "acked", "conflict", "failed")

CORRECTIONS = f"""
    select s.correction_id, s.channel, s.sku, p.category, s.location_id, n.node_id,
           s.inventory_item_id, s.published_quantity, s.target_quantity, s.delta, s.unit_value,
           abs(s.delta) * s.unit_value as value_at_stake, s.needs_approval, s.basis_published_at
    from fct_stock_corrections s
    left join dim_products p on p.sku = s.sku
    left join dim_nodes n on n.shopify_location_id::varchar = s.location_id::varchar
    where {channel_in("s.channel")} and {category_in("p.category")} and {node_in("n.node_id")}
    order by s.needs_approval desc, abs(s.delta) * s.unit_value desc, s.correction_id
"""

COLUMNS = """
    select column_name from information_schema.columns
    where table_schema = 'main' and table_name = $table
    order by ordinal_position
"""
# The table name comes from the two constants above, never from input.
OUTBOX_ROWS = f"select * from main.{OUTBOX}"
AUDIT_ROWS = f"select * from main.{AUDIT}"


@cached
def corrections(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    with serving_connection() as con:
        return fetch(con, CORRECTIONS, values(filters))


def _filter_by_channel(df: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    if filters.channels and "channel" in df.columns:
        return df[df["channel"].isin(filters.channels)].reset_index(drop=True)
    return df


@cached
def outbox(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame | None:
    """The outbox rows, or None when the snapshot has no outbox yet."""
    with serving_connection() as con:
        if fetch(con, COLUMNS, {"table": OUTBOX}).empty:
            return None
        return _filter_by_channel(fetch(con, OUTBOX_ROWS), filters)


@cached
def audit(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame | None:
    """The audit trail (every request and response), or None when not in the snapshot."""
    with serving_connection() as con:
        if fetch(con, COLUMNS, {"table": AUDIT}).empty:
            return None
        return _filter_by_channel(fetch(con, AUDIT_ROWS), filters)


def status_counts(outbox_rows: pd.DataFrame) -> pd.DataFrame:
    """Rows per outbox status, in the lifecycle's order, zero for states with none."""
    if "status" not in outbox_rows.columns:
        return pd.DataFrame({"status": [], "corrections": []})
    counts = outbox_rows["status"].value_counts()
    extra = sorted(s for s in counts.index if s not in STATUSES)
    order = [*STATUSES, *extra]
    return pd.DataFrame({"status": order, "corrections": [int(counts.get(s, 0)) for s in order]})


def headlines(snapshot_version: str, filters: Filters = NO_FILTERS) -> dict[str, object]:
    df = corrections(snapshot_version, filters)
    return {
        "corrections": len(df),
        "needs_approval": int(df["needs_approval"].sum()) if len(df) else 0,
        "units_to_move": int(df["delta"].abs().sum()) if len(df) else 0,
        "value_at_stake": float(df["value_at_stake"].sum()) if len(df) else 0.0,
    }


def load(snapshot_version: str, filters: Filters) -> None:
    """Every query the write-back page runs."""
    corrections(snapshot_version, filters)
    outbox(snapshot_version, filters)
    audit(snapshot_version, filters)
