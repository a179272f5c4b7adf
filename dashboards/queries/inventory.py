"""Inventory sync: latency from the physical event to the system of record and to the channel,
oversell-risk and hidden stock by channel and SKU, stock by state and node.

Sync events are filtered by the day of the physical event, channel, node and category; the stock
gaps (latest only) by channel and category; positions by node, category and the end date.

The platform's own latency (`platform_file_latency`, written by the publish step: one row per
loaded file) is read unfiltered. It is about files, not returns: a file carries many channels,
nodes and categories, so those filters do not apply, and the sidebar's date range is one of
business events (bounded by the marts' event dates) while a file's landing time is the
platform's wall clock. The two agree in production but not on a simulated history replayed in
compressed time, where a landed-date filter would silently hide every file.
"""

from __future__ import annotations

import pandas as pd

from dashboards.filters import NO_FILTERS, Filters
from dashboards.queries._base import (
    cached,
    category_in,
    channel_in,
    date_between,
    fetch,
    node_in,
    sku_in_category,
    values,
)
from dashboards.queries.common import MISSING
from dashboards.serving import serving_connection

LATENCY_BUCKETS = ("<1 h", "1-4 h", "4-12 h", "12-24 h", "1-2 d", "2-7 d", ">7 d")

SYNC = f"""
    select s.*
    from fct_inventory_sync s
    where {date_between("s.physical_at")} and {channel_in("s.channel")}
      and {node_in("s.node_id")} and {sku_in_category("s.sku")}
"""

LATENCY_BY_CHANNEL = f"""
    with quantiles as (
        select
            channel,
            count(*)                                          as events,
            quantile_cont(sor_latency_hours, [0.5, 0.9])      as sor,
            quantile_cont(channel_latency_hours, [0.5, 0.9])  as shown,
            count(*) filter (where channel_shown_at is null)  as not_yet_shown
        from ({SYNC})
        group by channel
    )
    select channel, events,
           sor[1] as median_sor_latency_hours, sor[2] as p90_sor_latency_hours,
           shown[1] as median_channel_latency_hours, shown[2] as p90_channel_latency_hours,
           not_yet_shown
    from quantiles
    order by channel
"""

LATENCY_ROLLUP = """
    select channel, events, median_sor_latency_hours, p90_sor_latency_hours,
           median_channel_latency_hours, p90_channel_latency_hours, not_yet_shown
    from rpt_sync_latency_by_channel
    order by channel
"""


def _bucket(column: str) -> str:
    return f"""case when {column} < 1 then '<1 h' when {column} < 4 then '1-4 h'
                    when {column} < 12 then '4-12 h' when {column} < 24 then '12-24 h'
                    when {column} < 48 then '1-2 d' when {column} < 168 then '2-7 d'
                    else '>7 d' end"""


LATENCY_DISTRIBUTION = f"""
    with sync as ({SYNC})
    select 'system of record' as latency, channel, {_bucket("sor_latency_hours")} as bucket,
           count(*) as events
    from sync where sor_latency_hours is not null group by all
    union all
    select 'channel' as latency, channel, {_bucket("channel_latency_hours")} as bucket,
           count(*) as events
    from sync where channel_latency_hours is not null group by all
    order by latency, channel, bucket
"""

GAPS = f"""
    select g.*, p.category
    from fct_channel_stock_gaps g
    left join dim_products p on p.sku = g.sku
    where {channel_in("g.channel")} and {category_in("p.category")}
"""

GAPS_BY_CHANNEL = f"""
    select channel,
           count(*)                                        as skus,
           sum(published_quantity)                         as published_units,
           sum(atp)                                        as atp_units,
           sum(oversell_risk_units)                        as oversell_risk_units,
           sum(hidden_units)                               as hidden_units,
           count(*) filter (where oversell_risk_units > 0) as skus_oversell_risk,
           count(*) filter (where hidden_units > 0)        as skus_hidden
    from ({GAPS})
    group by channel
    order by channel
"""

GAPS_BY_SKU = f"""
    select sku, category, channel, published_quantity, atp, oversell_risk_units, hidden_units,
           published_at
    from ({GAPS})
    where oversell_risk_units > 0 or hidden_units > 0
    order by oversell_risk_units + hidden_units desc, sku, channel
    limit $limit
"""

STOCK_BY_STATE = f"""
    select i.node_id, i.state, sum(i.units) as units
    from fct_inventory_positions i
    where i.date_day = (
            select max(date_day) from fct_inventory_positions
            where $end::date is null or date_day <= $end::date)
      and {node_in("i.node_id")} and {sku_in_category("i.sku")}
    group by all
    having sum(i.units) <> 0
    order by i.node_id, i.state
"""


@cached
def latency_by_channel(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Per channel: events, median and p90 latency to the system of record and to the channel."""
    with serving_connection() as con:
        if not filters.active:
            try:
                return fetch(con, LATENCY_ROLLUP)
            except MISSING:
                pass  # no rollup yet: compute it from the events
        return fetch(con, LATENCY_BY_CHANNEL, values(filters))


@cached
def latency_distribution(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    with serving_connection() as con:
        df = fetch(con, LATENCY_DISTRIBUTION, values(filters))
    order = {bucket: i for i, bucket in enumerate(LATENCY_BUCKETS)}
    return df.sort_values(
        ["latency", "channel", "bucket"],
        key=lambda s: s.map(order) if s.name == "bucket" else s,
    ).reset_index(drop=True)


@cached
def gaps_by_channel(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    with serving_connection() as con:
        return fetch(con, GAPS_BY_CHANNEL, values(filters))


@cached
def gaps_by_sku(
    snapshot_version: str, filters: Filters = NO_FILTERS, limit: int = 50
) -> pd.DataFrame:
    with serving_connection() as con:
        return fetch(con, GAPS_BY_SKU, values(filters, limit=limit))


@cached
def stock_by_state(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Units per node and inventory state on the end date (or the newest day)."""
    with serving_connection() as con:
        return fetch(con, STOCK_BY_STATE, values(filters))


# ---- the platform's own latency -----------------------------------------------------------------

# p95 targets, as the latency benchmark (benchmarks/latency.py) checks them
SERVING_TARGET_SECONDS, CHANNEL_TARGET_SECONDS = 60.0, 90.0
SERVING, CHANNEL = "Landing → serving", "Landing → channel"
TARGETS = {SERVING: SERVING_TARGET_SECONDS, CHANNEL: CHANNEL_TARGET_SECONDS}
HISTOGRAM_BINS = 40  # at most, over the longest latency
# bin widths in seconds that read well on an axis; beyond a day, whole days
NICE_WIDTHS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)

PLATFORM_SUMMARY = """
    select count(*)                                 as files,
           quantile_cont(serving_seconds, 0.5)      as serving_p50,
           quantile_cont(serving_seconds, 0.95)     as serving_p95,
           max(serving_seconds)                     as serving_max,
           count(*) filter (where is_stock_moving)  as stock_moving_files,
           count(channel_seconds)                   as channel_files,
           quantile_cont(channel_seconds, 0.5)      as channel_p50,
           quantile_cont(channel_seconds, 0.95)     as channel_p95,
           max(channel_seconds)                     as channel_max
    from platform_file_latency
"""

PLATFORM_HISTOGRAM = f"""
    with seconds as (
        select '{SERVING}' as latency, serving_seconds as seconds from platform_file_latency
        union all
        select '{CHANNEL}' as latency, channel_seconds as seconds from platform_file_latency
    )
    select latency, floor(seconds / $width) * $width as bin_start, count(*) as files
    from seconds
    where seconds is not null
    group by all
    order by latency desc, bin_start
"""


@cached
def platform_latency(snapshot_version: str) -> dict[str, float | int | None]:
    """Files timed, and p50 / p95 / max seconds from landing to serving and to the channel
    (percentiles interpolated between closest ranks, as the benchmark computes them)."""
    with serving_connection() as con:
        row = fetch(con, PLATFORM_SUMMARY).iloc[0]
    return {
        name: None if pd.isna(value) else int(value) if name.endswith("files") else float(value)
        for name, value in row.items()
    }


def bin_width(summary: dict[str, float | int | None], bins: int = HISTOGRAM_BINS) -> float:
    """The narrowest readable bin width that covers the longest latency in `bins` bins."""
    longest = max((summary[k] or 0.0 for k in ("serving_max", "channel_max")), default=0.0)
    for width in NICE_WIDTHS:
        if longest / width <= bins:
            return float(width)
    return float(NICE_WIDTHS[-1] * -(-longest // (NICE_WIDTHS[-1] * bins)))


@cached
def platform_latency_histogram(snapshot_version: str, width: float) -> pd.DataFrame:
    """Files per `width`-second bin (`bin_start`) of each latency: binned here, so the page
    sends bars rather than one value per file."""
    with serving_connection() as con:
        return fetch(con, PLATFORM_HISTOGRAM, {"width": width})


def headlines(snapshot_version: str, filters: Filters = NO_FILTERS) -> dict[str, object]:
    gaps = gaps_by_channel(snapshot_version, filters)
    latency = latency_by_channel(snapshot_version, filters)
    return {
        "oversell_risk_units": int(gaps["oversell_risk_units"].sum()) if len(gaps) else 0,
        "hidden_units": int(gaps["hidden_units"].sum()) if len(gaps) else 0,
        "sync_events": int(latency["events"].sum()) if len(latency) else 0,
    }


def load(snapshot_version: str, filters: Filters) -> None:
    """Every query the inventory sync page runs."""
    latency_by_channel(snapshot_version, filters)
    latency_distribution(snapshot_version, filters)
    gaps_by_channel(snapshot_version, filters)
    gaps_by_sku(snapshot_version, filters)
    stock_by_state(snapshot_version, filters)
    summary = platform_latency(snapshot_version)
    if summary["files"]:
        platform_latency_histogram(snapshot_version, bin_width(summary))
