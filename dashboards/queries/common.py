"""Reads every page needs: the snapshot's identity, its tables, filter choices, "now", freshness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from dashboards.filters import FilterOptions
from dashboards.queries._base import cached, fetch, fetch_one
from dashboards.serving import serving_connection

SNAPSHOT_INFO = """
    select published_at, version
    from main._snapshot
    order by published_at desc
    limit 1
"""

TABLES = """
    select table_name
    from information_schema.tables
    where table_schema = 'main'
    order by table_name
"""

# Filter choices come from the dimensions; older snapshots without them fall back to the facts.
CHANNEL_CHOICES = (
    "select channel_id from dim_channels where channel_id is not null order by 1",
    "select distinct channel from fct_return_lines where channel is not null order by 1",
)
NODE_CHOICES = (
    "select node_id from dim_nodes where node_id is not null order by 1",
    "select distinct node_id from fct_return_lines where node_id is not null order by 1",
)
CATEGORY_CHOICES = (
    "select distinct category from dim_products where category is not null order by 1",
    "select distinct category from fct_return_lines where category is not null order by 1",
)
DATE_BOUNDS = (
    "select min(initiated_date), max(initiated_date) from fct_return_lines",
    "select min(initiated_at)::date, max(initiated_at)::date from fct_return_lines",
)

# "Now" of the data: the newest event in the warehouse, as fct_refunds records it for ageing.
AS_OF = (
    "select max(as_of) from fct_refunds",
    """select max(greatest(initiated_at, received_at, inspected_at, inventory_updated_at,
                           resolved_at))
       from fct_return_lines""",
)

# Newest event per source, as the marts see it (rpt_source_freshness, when published, is exact).
FRESHNESS_EXACT = """
    select source, newest_occurred_at, newest_recorded_at, newest_loaded_at
    from rpt_source_freshness
    order by source
"""
FRESHNESS_DERIVED = (
    """select source, max(initiated_at) as newest_occurred_at
       from fct_return_lines group by source""",
    """select 'carrier' as source, max(greatest(in_transit_at, delivered_at)) as newest_occurred_at
       from fct_return_lines""",
    """select 'wms' as source,
              max(greatest(inspected_at, inventory_updated_at)) as newest_occurred_at
       from fct_return_lines""",
    """select 'finance' as source, max(resolved_at) as newest_occurred_at from fct_refunds""",
    """select 'channel_stock' as source, max(published_at) as newest_occurred_at
       from fct_channel_stock_gaps""",
)

MISSING = (duckdb.CatalogException, duckdb.BinderException)


@dataclass(frozen=True)
class SnapshotInfo:
    published_at: datetime
    version: str


@cached
def snapshot_info(snapshot_version: str) -> SnapshotInfo | None:
    """When the snapshot was published and the pipeline's version label; None if unrecorded."""
    with serving_connection() as con:
        try:
            rows = con.execute(SNAPSHOT_INFO, []).fetchall()
        except MISSING:
            return None
    if not rows:
        return None
    published_at, version = rows[0]
    return SnapshotInfo(published_at=published_at, version=version)


@cached
def tables(snapshot_version: str) -> frozenset[str]:
    """Names of the tables in the snapshot: pages show what the snapshot can answer."""
    with serving_connection() as con:
        return frozenset(fetch(con, TABLES)["table_name"])


def _first(con: duckdb.DuckDBPyConnection, candidates: tuple[str, ...]) -> list[tuple]:
    """Rows of the first candidate query that the snapshot can answer with any rows."""
    for sql in candidates:
        try:
            rows = con.execute(sql).fetchall()
        except MISSING:
            continue
        if rows and any(value is not None for value in rows[0]):
            return rows
    return []


@cached
def filter_options(snapshot_version: str) -> FilterOptions:
    with serving_connection() as con:
        channels = tuple(r[0] for r in _first(con, CHANNEL_CHOICES))
        nodes = tuple(r[0] for r in _first(con, NODE_CHOICES))
        categories = tuple(r[0] for r in _first(con, CATEGORY_CHOICES))
        bounds = _first(con, DATE_BOUNDS)
        now = as_of_from(con)
    min_date, max_date = (_as_date(d) for d in (bounds[0] if bounds else (None, None)))
    if now is not None and min_date is not None:
        # the data runs until its newest event, which may be later than the last initiation
        max_date = max(max_date or now.date(), _as_date(now))
    return FilterOptions(
        channels=channels,
        nodes=nodes,
        categories=categories,
        min_date=min_date,
        max_date=max_date,
    )


def _as_date(value: object) -> date | None:
    if value is None or pd.isna(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def as_of_from(con: duckdb.DuckDBPyConnection) -> datetime | None:
    for sql in AS_OF:
        try:
            (value,) = fetch_one(con, sql) or (None,)
        except MISSING:
            continue
        if value is not None and not pd.isna(value):
            return value
    return None


@cached
def as_of(snapshot_version: str) -> datetime | None:
    """The newest event time in the data: the "now" of every ageing figure."""
    with serving_connection() as con:
        return as_of_from(con)


@cached
def freshness(snapshot_version: str) -> pd.DataFrame:
    """Newest event per source: `source`, `newest_occurred_at` (+ recorded/loaded when exact)."""
    with serving_connection() as con:
        try:
            exact = fetch(con, FRESHNESS_EXACT)
            if not exact.empty:
                return exact
        except MISSING:
            pass
        parts = []
        for sql in FRESHNESS_DERIVED:
            try:
                parts.append(fetch(con, sql))
            except MISSING:
                continue
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame({"source": [], "newest_occurred_at": []})
    frame = pd.concat(parts, ignore_index=True)
    return frame.dropna(subset=["newest_occurred_at"]).sort_values("source", ignore_index=True)
