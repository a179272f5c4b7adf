"""Dashboard query times: every page's queries against a serving snapshot at scale.

For each page, in this process, it times what loading the page asks of the snapshot: the
router's filter choices, the page header's snapshot info and the page's own queries
(`dashboards.queries.<page>.load`, the same calls the page makes, kept in step by a test):

- cold: Streamlit's data cache cleared before each run, so every query opens the snapshot
  read-only and runs;
- warm: the same calls answered from `st.cache_data` (keyed on the snapshot version).

Median and p95 over `--repeat` runs, for the unfiltered view and a filtered one (one channel, one
category, the last 28 days). Target per page: p95 warm <= 300 ms, p95 cold <= 1 s.

The snapshot is `--serving PATH` (e.g. `data/serving/marts.duckdb` after `returnops simulate
--scale 100` and `returnops run`), or made in the work dir: `--source pipeline` simulates and runs
the pipeline; `--source synthetic` (the default until the pipeline publishes every mart of
docs/marts.md) generates every contract table in DuckDB with about the row counts the simulator
makes at that scale (return lines 210 x scale a day; sync events 3 per inspected line; positions
240 SKUs x 7 nodes x 12 states a day).

    python benchmarks/dashboards.py [--scale 100] [--days 60] [--repeat 10] [--workdir DIR] [--keep]
    python benchmarks/dashboards.py --serving data/serving/marts.duckdb
    python benchmarks/dashboards.py --source pipeline --scale 10
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

# Run as a script, this file's folder heads sys.path and `benchmarks/dashboards.py` would shadow
# the `dashboards` package: drop that folder before importing it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import streamlit as st  # noqa: E402
from streamlit import logger as st_logger  # noqa: E402

from dashboards import queries  # noqa: E402
from dashboards.contract import CONTRACT, missing_columns  # noqa: E402
from dashboards.filters import Filters  # noqa: E402
from dashboards.rollups import ROLLUPS  # noqa: E402

TARGET_WARM_S = 0.300
TARGET_COLD_S = 1.0
PAGES = ("overview", "lifecycle", "inspection", "refunds", "inventory", "recovery", "exceptions",
         "writeback")  # fmt: skip
START = "2026-01-01"

console = Console(width=120)


@dataclass(frozen=True)
class Timing:
    page: str
    view: str
    cold: list[float]
    warm: list[float]
    error: str | None = None

    @staticmethod
    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and self.p95(self.warm) <= TARGET_WARM_S
            and self.p95(self.cold) <= TARGET_COLD_S
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100.0, help="scale (default 100)")
    parser.add_argument("--days", type=int, default=60, help="days of data (default 60)")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed (pipeline source)")
    parser.add_argument("--repeat", type=int, default=10, help="runs per page and view")
    parser.add_argument(
        "--source",
        choices=("synthetic", "pipeline"),
        default="synthetic",
        help="how to make the snapshot when --serving is not given (default synthetic)",
    )
    parser.add_argument("--serving", type=Path, help="time this snapshot; nothing is generated")
    parser.add_argument("--workdir", type=Path, help="writes into DIR/dashboards (default temp)")
    parser.add_argument("--keep", action="store_true", help="keep what was written")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated pages")
    return parser.parse_args(argv)


# ---- the synthetic snapshot ---------------------------------------------------------------------

# Pseudo-random but deterministic: every value is a hash of the row number.
SYNTHETIC_LINES = """
create table fct_return_lines as
with base as (
    select
        i,
        ['web', 'zalando', 'amazon', 'store'][1 + (hash(i, 1) % 4)::bigint] as channel,
        (hash(i, 2) % 240)::bigint as p,
        ['SIZE_TOO_SMALL', 'SIZE_TOO_LARGE', 'STYLE', 'COLOR', 'UNWANTED', 'NOT_AS_DESCRIBED',
         'DEFECTIVE', 'DAMAGED_IN_TRANSIT', 'WRONG_ITEM', 'OTHER'][1 + (hash(i, 3) % 10)::bigint]
            as reason,
        1 + ((hash(i, 4) % 10)::bigint = 0)::int as quantity,
        $start::timestamp + to_microseconds((i * $span_us // $n)::bigint) as initiated_at,
        (hash(i, 5) % 40)::bigint = 0 as declined,
        (hash(i, 6) % 25)::bigint = 0 as stuck,
        12 + (hash(i, 7) % 24)::bigint as transit_h,
        30 + (hash(i, 8) % 96)::bigint as delivered_h,
        1 + (hash(i, 9) % 6)::bigint as receipt_h,
        1 + (hash(i, 10) % 72)::bigint as inspect_h,
        2 + (hash(i, 11) % 150)::bigint as resolve_h,
        ['A', 'B', 'C', 'D'][1 + (hash(i, 12) % 4)::bigint] as grade,
        (hash(i, 13) % 12)::bigint as resolution_pick
    from range($n) t(i)
),
staged as (
    select *,
        channel = 'store' as at_store,
        case when channel = 'store' then initiated_at
             else initiated_at + to_hours(delivered_h + receipt_h) end as received_raw
    from base
),
timed as (
    select *,
        case when not declined and received_raw <= $as_of then received_raw end as received_at,
        case when not declined and at_store then received_raw + interval 20 minute
             when not declined then received_raw + to_hours(inspect_h) end as inspected_raw,
        case when not declined and not stuck then
             received_raw + (case when at_store then interval 30 minute
                             else to_hours(resolve_h) end) end as resolved_raw
    from staged
),
lines as (
    select *,
        case when received_at is not null and inspected_raw <= $as_of then inspected_raw end
            as inspected_at,
        case when received_at is not null and resolved_raw <= $as_of then resolved_raw end
            as resolved_at,
        20 + p % 130 + 0.99 as unit_price
    from timed
)
select
    'rl-' || i as return_line_id,
    'r-' || (i // 2) as return_id,
    case channel when 'amazon' then 'amazon' when 'store' then 'pos' else 'shopify' end as source,
    channel,
    'o-' || (i // 2) as order_id,
    'SKU-' || lpad(p::varchar, 3, '0') as sku,
    ['dresses', 'tops', 'jeans', 'outerwear', 'shoes', 'accessories'][1 + p % 6] as category,
    'V0' || (1 + p % 3) as vendor_id,
    quantity,
    reason as reason_code,
    case when reason like 'SIZE%' then 'size' when reason in ('STYLE', 'COLOR', 'UNWANTED')
         then 'preference' when reason in ('NOT_AS_DESCRIBED', 'DEFECTIVE') then 'product'
         else 'other' end as reason_group,
    reason as source_reason_code,
    case when received_at is null then null when at_store then 'ST-' || (1 + p % 5)
         when i % 2 = 0 then 'DC-EAST' else 'DC-WEST' end as node_id,
    initiated_at,
    case when not at_store and not declined then initiated_at + interval 1 hour end
        as label_created_at,
    case when not at_store and not declined and initiated_at + to_hours(transit_h) <= $as_of
         then initiated_at + to_hours(transit_h) end as in_transit_at,
    case when not at_store and not declined
              and initiated_at + to_hours(delivered_h) <= $as_of
         then initiated_at + to_hours(delivered_h) end as delivered_at,
    received_at,
    inspected_at,
    inspected_at as disposition_assigned_at,
    inspected_at + interval 2 hour as inventory_updated_at,
    resolved_at,
    case when resolved_at is null then null when resolution_pick = 0 then 'exchange'
         when resolution_pick = 1 then 'store_credit' else 'refund' end as resolution,
    case when inspected_at is not null then grade end as grade,
    case when inspected_at is null then null when grade = 'A' then 'restock'
         when grade = 'B' then 'secondary_channel'
         when reason = 'DEFECTIVE' then 'return_to_vendor' else 'liquidate' end as disposition,
    null::varchar as target_state,
    case when declined then 'declined' when resolved_at is not null then 'resolved'
         when inspected_at is not null then 'inspected' when received_at is not null
         then 'received' else 'initiated' end as status,
    date_diff('second', initiated_at, received_at) / 3600.0 as hours_to_receive,
    date_diff('second', received_at, inspected_at) / 3600.0 as hours_to_inspect,
    date_diff('second', received_at, resolved_at) / 3600.0 as hours_to_resolve,
    date_diff('second', initiated_at, resolved_at) / 3600.0 as cycle_time_hours,
    unit_price::decimal(18, 2) as unit_price,
    (unit_price * quantity)::decimal(18, 2) as original_value,
    case when resolved_at is not null and resolution_pick <> 0
         then (unit_price * quantity + (i % 50 = 0)::int * 5)::decimal(18, 2) end
        as refund_amount,
    case when resolved_at is not null and resolution_pick <> 0
         then (unit_price * quantity)::decimal(18, 2) end as expected_refund,
    case when resolved_at is not null and resolution_pick <> 0
         then ((i % 50 = 0)::int * 5)::decimal(18, 2) end as refund_difference,
    case when inspected_at is null then null
         else (unit_price * quantity * case grade when 'A' then 1.0 when 'B' then 0.6
               else 0.3 end)::decimal(18, 2) end as recovery_value,
    false as is_restocked_before_inspection,
    0 as exception_count,
    initiated_at::date as initiated_date
from lines
"""

SYNTHETIC_DERIVED = [
    """
    create table fct_refunds as
    select return_line_id, return_id, channel, node_id, category, received_at, resolved_at,
           resolution, refund_amount, coalesce(expected_refund, original_value) as expected_refund,
           refund_difference, case when resolved_at is not null
               then abs(refund_difference) < 0.01 end as is_accurate,
           date_diff('second', received_at, coalesce(resolved_at, $as_of)) / 86400.0
               as days_from_receipt,
           resolved_at is null as is_open,
           case when resolved_at is not null then null
                when date_diff('day', received_at, $as_of) <= 2 then '0-2'
                when date_diff('day', received_at, $as_of) <= 7 then '3-7'
                when date_diff('day', received_at, $as_of) <= 14 then '8-14'
                when date_diff('day', received_at, $as_of) <= 30 then '15-30'
                else '>30' end as ageing_bucket,
           case channel when 'zalando' then 336.0 when 'store' then 1.0 else 240.0 end
               as sla_target_hours,
           date_diff('second', received_at, coalesce(resolved_at, $as_of)) / 3600.0
               > case channel when 'zalando' then 336.0 when 'store' then 1.0 else 240.0 end
               as is_sla_breach,
           $as_of as as_of
    from fct_return_lines
    where received_at is not null and coalesce(resolution, '') <> 'exchange'
    """,
    """
    create table fct_inspection_backlog as
    with days as (
        select unnest(generate_series($start::date, $as_of::date, interval 1 day))::date as d
    ),
    nodes as (select unnest(['DC-EAST', 'DC-WEST']) as node_id),
    closes as (
        select node_id, d, least((d + 1)::timestamp, $as_of) as close from days, nodes
    )
    select c.node_id, c.d as date_day,
           coalesce(sum(l.quantity), 0)::integer as units_awaiting,
           0 as units_received, 0 as units_inspected,
           min(l.received_at) as oldest_received_at,
           max(date_diff('second', l.received_at, c.close) / 3600.0) as oldest_age_hours,
           coalesce(sum(l.quantity) filter (
               where date_diff('second', l.received_at, c.close) > 24 * 3600), 0)::integer
               as units_over_sla
    from closes c
    left join fct_return_lines l
      on l.node_id = c.node_id and l.received_at < c.close
     and (l.inspected_at is null or l.inspected_at >= c.close)
    group by all
    """,
    """
    create table fct_return_exceptions as
    select 'ex-' || return_line_id as exception_id,
           ['stage_sla_breach', 'refund_over_policy', 'restocked_before_inspection',
            'out_of_order', 'quantity_mismatch'][1 + (hash(return_line_id) % 5)::bigint]
               as exception_type,
           ['high', 'medium', 'low'][1 + (hash(return_line_id, 1) % 3)::bigint] as severity,
           ['warehouse_lead', 'finance', 'customer_service'][
               1 + (hash(return_line_id, 2) % 3)::bigint] as owner_role,
           return_line_id, sku, node_id, channel, received_at as detected_at,
           date_diff('second', received_at, $as_of) / 3600.0 as age_hours,
           'synthetic' as detail, (hash(return_line_id, 3) % 3)::bigint <> 0 as is_open
    from fct_return_lines
    where received_at is not null and (hash(return_line_id, 4) % 16)::bigint = 0
    """,
    """
    create table fct_inventory_positions as
    select d::date as date_day, 'SKU-' || lpad(p::varchar, 3, '0') as sku, n as node_id, s as state,
           ((hash(p, n, s, d) % 40)::bigint)::integer as units, d::date = $as_of::date as is_latest
    from generate_series($start::date, $as_of::date, interval 1 day) t1(d),
         range(240) t2(p),
         (select unnest(['DC-EAST', 'DC-WEST', 'ST-1', 'ST-2', 'ST-3', 'ST-4', 'ST-5']) as n),
         (select unnest(['available', 'committed', 'reserved', 'safety_stock', 'quality_control',
                         'damaged', 'refurbishment', 'vendor_return', 'secondary', 'liquidation',
                         'in_transit_return', 'incoming']) as s)
    """,
    """
    create table fct_channel_atp as
    select date_day, c as channel, sku, sum(units)::integer as atp, is_latest
    from fct_inventory_positions, (select unnest(['web', 'zalando', 'amazon', 'store']) as c)
    where state = 'available'
    group by all
    """,
    """
    create table fct_inventory_sync as
    select 'ev-' || return_line_id || '-' || c as event_id, 'inventory_updated' as event_type,
           sku, node_id, c as channel, inspected_at as physical_at,
           inventory_updated_at as sor_updated_at,
           case when (hash(return_line_id, c) % 10)::bigint = 0 then null
                else inventory_updated_at + to_minutes((hash(return_line_id, c) % 3000)::bigint)
                end as channel_shown_at,
           2.0 as sor_latency_hours,
           case when (hash(return_line_id, c) % 10)::bigint = 0 then null
                else 2.0 + (hash(return_line_id, c) % 3000)::bigint / 60.0 end
               as channel_latency_hours
    from fct_return_lines, (select unnest(['web', 'zalando', 'amazon']) as c)
    where inspected_at is not null and node_id like 'DC%'
    """,
    """
    create table fct_channel_stock_gaps as
    select channel, sku, greatest(atp + ((hash(sku, channel) % 7)::bigint)::integer - 3, 0)
               as published_quantity, atp,
           greatest(greatest(atp + ((hash(sku, channel) % 7)::bigint)::integer - 3, 0) - atp, 0)
               as oversell_risk_units,
           greatest(atp - greatest(atp + ((hash(sku, channel) % 7)::bigint)::integer - 3, 0), 0)
               as hidden_units,
           $as_of - interval 1 hour as published_at
    from fct_channel_atp where is_latest
    """,
    """
    create table fct_stock_corrections as
    select 'cor_' || channel || '_' || sku as correction_id, channel, sku,
           case when channel in ('web', 'zalando') then '61234560001' end as location_id,
           null::varchar as inventory_item_id, published_quantity, atp as target_quantity,
           atp - published_quantity as delta, 50.00::decimal(18, 2) as unit_value,
           abs(atp - published_quantity) > 2 as needs_approval, published_at as basis_published_at
    from fct_channel_stock_gaps where published_quantity <> atp and channel <> 'store'
    """,
    """
    create table fct_recovery as
    select date_trunc('month', disposition_assigned_at)::date as month_start, disposition,
           category, channel, sum(quantity)::integer as units,
           sum(original_value)::decimal(18, 2) as original_value,
           sum(recovery_value)::decimal(18, 2) as recovered_value,
           sum(recovery_value) / sum(original_value) as recovery_rate
    from fct_return_lines where disposition is not null
    group by all
    """,
    """
    create table fct_chargeback_opportunities as
    select vendor_id, 'Vendor ' || vendor_id as vendor_name, sku, sum(quantity)::integer as units,
           (sum(original_value) * 0.5)::decimal(18, 2) as claimable_amount,
           min(received_at) as oldest_received_at, (min(received_at) + interval 90 day)::date
               as claim_deadline
    from fct_return_lines where reason_code = 'DEFECTIVE' and received_at is not null
    group by all
    """,
    """
    create table rpt_sales_daily as
    select d::date as date_day, c as channel, n as node_id, k as category,
           ((hash(d, c, n, k) % ($scale * 20 + 1))::bigint)::integer as orders,
           ((hash(d, c, n, k) % ($scale * 24 + 1))::bigint)::integer as units_sold,
           (((hash(d, c, n, k) % ($scale * 24 + 1))::bigint) * 60)::decimal(18, 2) as sales_value
    from generate_series($start::date, $as_of::date, interval 1 day) t(d),
         (select unnest(['web', 'zalando', 'amazon', 'store']) as c),
         (select unnest(['DC-EAST', 'DC-WEST', 'ST-1']) as n),
         (select unnest(['dresses', 'tops', 'jeans', 'outerwear', 'shoes', 'accessories']) as k)
    """,
    """
    create table dim_products as
    select 'SKU-' || lpad(p::varchar, 3, '0') as sku, 'Product ' || p as product_name,
           ['dresses', 'tops', 'jeans', 'outerwear', 'shoes', 'accessories'][1 + p % 6]
               as category, 'V0' || (1 + p % 3) as vendor_id,
           (20 + p % 130 + 0.99)::decimal(18, 2) as unit_price,
           (10 + p % 60)::decimal(18, 2) as unit_cost
    from range(240) t(p)
    """,
    """
    create table dim_nodes as
    select n as node_id, case when n like 'DC%' then 'dc' else 'store' end as node_type,
           n as node_name, 'DE' as region, 61234560000 + row_number() over () as
           shopify_location_id
    from (select unnest(['DC-EAST', 'DC-WEST', 'ST-1', 'ST-2', 'ST-3', 'ST-4', 'ST-5']) as n)
    """,
    """
    create table dim_channels as
    select c as channel_id, c as channel_name, 'shopify' as platform, 'marketplace' as
           channel_kind, 'shopify_graphql' as writeback_protocol
    from (select unnest(['web', 'zalando', 'amazon', 'store']) as c)
    """,
    """
    create table dim_dates as
    select d::date as date_day, date_trunc('week', d)::date as week_start,
           date_trunc('month', d)::date as month_start, year(d)::integer as year,
           isodow(d)::integer as day_of_week
    from generate_series($start::date, $as_of::date, interval 1 day) t(d)
    """,
]


def synthetic_snapshot(path: Path, scale: float, days: int) -> Path:
    """Every contract table, generated in DuckDB, published with os.replace like the pipeline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.tmp")
    staged.unlink(missing_ok=True)
    lines = int(210 * scale * days)
    start = f"{START} 00:00:00"
    as_of = f"{START} 00:00:00"
    with duckdb.connect(str(staged)) as con:
        (as_of,) = con.execute(
            "select $start::timestamp + to_days($days::integer) - interval 1 hour",
            {"start": start, "days": days},
        ).fetchone()
        params = {
            "n": lines,
            "start": start,
            "as_of": as_of,
            "span_us": int(timedelta(days=days).total_seconds() * 1_000_000) - 3_600_000_000,
            "scale": max(1, int(scale)),
        }
        for sql in [SYNTHETIC_LINES, *SYNTHETIC_DERIVED]:
            used = {k: v for k, v in params.items() if f"${k}" in sql}
            con.execute(sql, used)
        for rollup, sql in ROLLUPS.items():  # the rollups the dashboards ask the marts for
            con.execute(f"create table {rollup} as {sql}")
        con.execute(
            "create table rpt_source_freshness as select source,"
            " max(initiated_at) as newest_occurred_at, max(initiated_at) as newest_recorded_at,"
            " max(initiated_at) as newest_loaded_at from fct_return_lines group by source"
        )
        # the platform's own latency: ~100 landed files a day per unit of scale (the simulator's
        # batch files are ~25 a day at scale 1; a live feed writes far more, smaller ones)
        con.execute(
            """
            create table platform_file_latency as
            select 'file-' || i as file, 'wms__receipts' as entity,
                   $start::timestamp + to_seconds(i * 864 / $scale) as landed_at,
                   landed_at + interval 5 second as loaded_at,
                   landed_at + to_seconds(20 + i % 50) as published_at,
                   (20 + i % 50)::double as serving_seconds,
                   case when i % 3 = 0 then (40 + i % 70)::double end as channel_seconds,
                   i % 3 = 0 as is_stock_moving
            from range($files) t(i)
            """,
            {"start": start, "scale": max(1, int(scale)), "files": 100 * max(1, int(scale)) * days},
        )
        con.execute(
            "create table _snapshot as select now()::timestamp as published_at,"
            " 'synthetic' as version"
        )
        missing = missing_columns(con)
    os.replace(staged, path)
    if missing:
        raise SystemExit(f"synthetic snapshot misses contract columns: {missing}")
    return path


def pipeline_snapshot(home: Path, scale: float, days: int, seed: int) -> Path:
    returnops = str(Path(sys.executable).parent / "returnops")
    env = {**os.environ, "RETURNOPS_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    for args in (
        ["simulate", "--days", str(days), "--scale", str(scale), "--seed", str(seed)],
        ["run"],
    ):
        console.print(f"returnops {' '.join(args)}")
        subprocess.run([returnops, *args], env=env, check=True)
    return home / "serving" / "marts.duckdb"


# ---- timing --------------------------------------------------------------------------------------


def page_load(page: str) -> Callable[[str, Filters], None]:
    from dashboards.serving import page_connection

    module = getattr(queries, page)

    def load(version: str, filters: Filters) -> None:
        with page_connection():  # as the app's router runs a page
            queries.common.filter_options(version)  # the router's sidebar
            queries.snapshot_info(version)  # the page header
            module.load(version, filters)

    return load


def seconds(call: Callable[[], None]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def measure(page: str, view: str, version: str, filters: Filters, repeat: int) -> Timing:
    load = page_load(page)
    cold, warm = [], []
    try:
        for _ in range(repeat):
            st.cache_data.clear()
            cold.append(seconds(lambda: load(version, filters)))
        for _ in range(repeat):
            warm.append(seconds(lambda: load(version, filters)))
    except duckdb.Error as exc:
        return Timing(page, view, cold, warm, str(exc).splitlines()[0][:90])
    return Timing(page, view, cold, warm)


def views(version: str) -> dict[str, Filters]:
    options = queries.common.filter_options(version)
    filtered = Filters(
        start=(options.max_date - timedelta(days=27)) if options.max_date else None,
        channels=options.channels[:1],
        categories=options.categories[:1],
    )
    return {"all": Filters(), "filtered": filtered}


def ms(value: float) -> str:
    return f"{value * 1000:,.0f}"


def report(timings: list[Timing], title: str) -> Table:
    table = Table(title=title)
    for column in ("page", "view", "cold median ms", "cold p95 ms", "warm median ms",
                   "warm p95 ms", "target"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("page", "view") else "right")
    for t in timings:
        if t.error:
            table.add_row(t.page, t.view, "-", "-", "-", "-", f"[red]error: {t.error}[/]")
            continue
        table.add_row(
            t.page, t.view,
            ms(statistics.median(t.cold)), ms(Timing.p95(t.cold)),
            ms(statistics.median(t.warm)), ms(Timing.p95(t.warm)),
            "[green]met[/]" if t.ok else "[red]missed[/]",
        )  # fmt: skip
    return table


def row_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            table: con.execute(f'select count(*) from "{table}"').fetchone()[0]
            for (table,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
                " order by 1"
            ).fetchall()
            if table in CONTRACT
        }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    st_logger.set_log_level("error")  # no "no runtime" chatter: this is a plain process
    workdir = None
    if args.serving:
        serving = args.serving.resolve()
        source = str(serving)
    else:
        root = args.workdir or Path(tempfile.mkdtemp(prefix="bench-dashboards-"))
        workdir = root / "dashboards"
        shutil.rmtree(workdir, ignore_errors=True)
        started = time.perf_counter()
        if args.source == "synthetic":
            serving = synthetic_snapshot(
                workdir / "serving" / "marts.duckdb", args.scale, args.days
            )
        else:
            serving = pipeline_snapshot(workdir, args.scale, args.days, args.seed)
        source = f"{args.source}, scale {args.scale:g}, {args.days} days"
        console.print(f"Snapshot ({source}) made in {time.perf_counter() - started:.1f} s")
    os.environ["RETURNOPS_HOME"] = str(serving.parent.parent)
    try:
        from dashboards.serving import serving_path, snapshot_version

        assert serving_path() == serving, (serving_path(), serving)
        version = snapshot_version()
        if version is None:
            console.print(f"[red]No snapshot at {serving}[/]")
            return 1
        counts = row_counts(serving)
        console.print(
            "Rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()),
            f"({serving.stat().st_size / 1e6:,.0f} MB)",
        )
        pages = [p.strip() for p in args.pages.split(",") if p.strip()]
        timings = [
            measure(page, view, version, filters, args.repeat)
            for page in pages
            for view, filters in views(version).items()
        ]
        console.print(
            report(
                timings,
                f"Dashboard queries per page ({source}; {args.repeat} runs each; target p95 "
                f"warm <= {TARGET_WARM_S * 1000:.0f} ms, cold <= {TARGET_COLD_S * 1000:.0f} ms)",
            )
        )
        console.print(
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, DuckDB "
            f"{duckdb.__version__}, Streamlit {st.__version__}, {platform.system()} "
            f"{platform.machine()}"
        )
        errors = [t for t in timings if t.error]
        missed = [t for t in timings if not t.error and not t.ok]
        if missed:
            console.print(
                "[yellow]Missed the target:[/] " + ", ".join(f"{t.page} ({t.view})" for t in missed)
            )
        return 1 if errors else 0
    finally:
        if workdir is not None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
