"""Overview: the eight headline KPIs for a period and the one before it, their weekly trends.

A KPI's period is the `days` days ending at the filter's end date (or the newest data); the
previous period is the same number of days just before it. Channel, node and category filters
apply wherever the mart has that dimension (see `APPLIES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from dashboards.filters import FilterOptions, Filters
from dashboards.queries import common
from dashboards.queries._base import (
    NO_FILTER_SQL,
    cached,
    category_in,
    channel_in,
    date_between,
    fetch,
    fetch_one,
    node_in,
    sku_in_category,
    values,
    with_constants,
)
from dashboards.queries.common import MISSING
from dashboards.serving import serving_connection


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    unit: str  # count | units | rate | hours
    higher_is_better: bool
    help: str
    has_history: bool = True


KPIS: tuple[Kpi, ...] = (
    Kpi("returns", "Returns", "count", False,
        "Return lines initiated in the period."),
    Kpi("return_rate", "Return rate", "rate", False,
        "Units returned (initiated in the period) / units sold in the period (rpt_sales_daily)."),
    Kpi("median_cycle_time_hours", "Median cycle time", "hours", False,
        "Median hours from initiation to resolution, of lines resolved in the period."),
    Kpi("inspection_backlog_units", "Inspection backlog", "units", False,
        "Units received and not inspected at the end of the period's last day."),
    Kpi("open_refunds_over_sla", "Open refunds > SLA", "count", False,
        "Refunds open at the end of the period for longer than their SLA since receipt."),
    Kpi("oversell_risk_units", "Oversell-risk units", "units", False,
        "Units channels publish above what they can promise (latest snapshot only).",
        has_history=False),
    Kpi("recovery_rate", "Recovery rate", "rate", True,
        "Value recovered / original value, of lines given a disposition in the period."),
    Kpi("open_exceptions", "Exceptions open", "count", False,
        "Open exceptions detected up to the end of the period; the delta counts those "
        "detected within it."),
)  # fmt: skip
KPI_BY_NAME = {kpi.name: kpi for kpi in KPIS}

LINES = f"""
    select
        count(*) filter (where initiated_date between $p_start and $p_end) as returns,
        coalesce(sum(quantity) filter (where initiated_date between $p_start and $p_end), 0)
            as returned_units,
        median(cycle_time_hours) filter (where resolved_at::date between $p_start and $p_end)
            as median_cycle_time_hours,
        sum(recovery_value) filter (where disposition_assigned_at::date between $p_start and $p_end)
            as recovered_value,
        sum(original_value) filter (where disposition_assigned_at::date between $p_start and $p_end)
            as disposed_value
    from fct_return_lines
    where {channel_in()} and {node_in()} and {category_in()}
"""

SALES = f"""
    select sum(units_sold)
    from rpt_sales_daily
    where date_day between $p_start and $p_end
      and {channel_in()} and {node_in()} and {category_in()}
"""

BACKLOG = f"""
    select coalesce(sum(units_awaiting), 0)
    from fct_inspection_backlog
    where date_day = (select max(date_day) from fct_inspection_backlog where date_day <= $p_end)
      and {node_in()}
"""

# At the data's "now" the mart's own flags answer; for an earlier moment t the refund was open
# (received before t, resolved after) for longer than its SLA since receipt.
REFUNDS_OVER_SLA = f"""
    with moment as (
        select least(($p_end::date + 1)::timestamp, max(as_of)) as t, max(as_of) as as_of
        from fct_refunds
    )
    select count(*) filter (where
        case when moment.t >= moment.as_of then r.is_open and r.is_sla_breach
             else r.received_at < moment.t
                  and (r.resolved_at is null or r.resolved_at >= moment.t)
                  and date_diff('second', r.received_at, moment.t) > r.sla_target_hours * 3600
        end)
    from fct_refunds r, moment
    where {channel_in("r.channel")} and {node_in("r.node_id")} and {category_in("r.category")}
"""

OVERSELL = f"""
    select coalesce(sum(g.oversell_risk_units), 0)
    from fct_channel_stock_gaps g
    where {channel_in("g.channel")} and {sku_in_category("g.sku")}
"""

EXCEPTIONS = f"""
    select count(*)
    from fct_return_exceptions e
    where e.is_open and e.detected_at < ($p_end::date + 1)::timestamp
      and {channel_in("e.channel")} and {node_in("e.node_id")} and {sku_in_category("e.sku")}
"""

LINES_WEEKLY = f"""
    with lines as (
        select * from fct_return_lines
        where {channel_in()} and {node_in()} and {category_in()}
    ),
    initiated as (
        select date_trunc('week', initiated_date)::date as week_start,
               count(*) as returns, sum(quantity) as returned_units
        from lines where {date_between("initiated_date")} group by 1
    ),
    resolved as (
        select date_trunc('week', resolved_at)::date as week_start,
               median(cycle_time_hours) as median_cycle_time_hours
        from lines where resolved_at is not null and {date_between("resolved_at")} group by 1
    ),
    disposed as (
        select date_trunc('week', disposition_assigned_at)::date as week_start,
               sum(recovery_value) / nullif(sum(original_value), 0) as recovery_rate
        from lines
        where disposition_assigned_at is not null and {date_between("disposition_assigned_at")}
        group by 1
    )
    select *
    from initiated
    full join resolved using (week_start)
    full join disposed using (week_start)
    order by week_start
"""

SALES_WEEKLY = f"""
    select date_trunc('week', date_day)::date as week_start, sum(units_sold) as units_sold
    from rpt_sales_daily
    where {date_between("date_day")} and {channel_in()} and {node_in()} and {category_in()}
    group by 1
    order by 1
"""

BACKLOG_WEEKLY = f"""
    with daily as (
        select date_day, sum(units_awaiting) as units
        from fct_inspection_backlog
        where {node_in()} and {date_between("date_day")}
        group by 1
    )
    select date_trunc('week', date_day)::date as week_start,
           arg_max(units, date_day) as inspection_backlog_units
    from daily
    group by 1
    order by 1
"""

WEEK_ENDS = """
    weeks as (
        select unnest(generate_series(
            date_trunc('week', $w_start::date), $w_end::date, interval 7 day))::date as week_start
    )
"""

REFUNDS_WEEKLY = f"""
    with {WEEK_ENDS},
    now as (select max(as_of) as as_of from fct_refunds),
    moments as (
        select week_start, least((week_start + 7)::timestamp, now.as_of) as t, now.as_of
        from weeks, now
    ),
    refunds as (
        -- only refunds that were ever open past their SLA can count at any moment
        select r.* from fct_refunds r, now
        where (r.is_open and r.is_sla_breach
               or coalesce(r.resolved_at, now.as_of)
                  > r.received_at + to_microseconds((r.sla_target_hours * 3600e6)::bigint))
          and {channel_in("r.channel")} and {node_in("r.node_id")} and {category_in("r.category")}
    )
    select m.week_start, count(r.return_line_id) as open_refunds_over_sla
    from moments m
    left join refunds r on
        case when m.t >= m.as_of then r.is_open and r.is_sla_breach
             else r.received_at < m.t and (r.resolved_at is null or r.resolved_at >= m.t)
                  and date_diff('second', r.received_at, m.t) > r.sla_target_hours * 3600
        end
    group by 1
    order by 1
"""

EXCEPTIONS_WEEKLY = f"""
    with {WEEK_ENDS},
    open as (
        select e.detected_at
        from fct_return_exceptions e
        where e.is_open
          and {channel_in("e.channel")} and {node_in("e.node_id")} and {sku_in_category("e.sku")}
    )
    select w.week_start, count(o.detected_at) as open_exceptions
    from weeks w
    left join open o on o.detected_at < (w.week_start + 7)::timestamp
    group by 1
    order by 1
"""


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def previous(self) -> Period:
        length = self.end - self.start + timedelta(days=1)
        return Period(self.start - length, self.end - length)


def period_ending(end: date, days: int) -> Period:
    return Period(end - timedelta(days=days - 1), end)


def kpi_end(filters: Filters, options: FilterOptions, as_of) -> date | None:
    """The last day of the KPI period: the filter's end, else the day of the data's now."""
    return filters.end or (as_of.date() if as_of else options.max_date)


def trend_window(filters: Filters, options: FilterOptions, end: date) -> Period:
    """Weeks the trends cover: the filter's range, else all the data (8 weeks when unknown)."""
    return Period(filters.start or options.min_date or (end - timedelta(days=55)), end)


@dataclass(frozen=True)
class KpiValues:
    """The KPI values of one period; `missing` names the KPIs the snapshot cannot answer, why."""

    period: Period
    values: dict[str, Any]
    missing: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values.get(name)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> Any:
    (value,) = fetch_one(con, sql, params) or (None,)
    return None if value is None or pd.isna(value) else value


def _ratio(numerator: Any, denominator: Any) -> float | None:
    if numerator is None or denominator in (None, 0) or pd.isna(denominator):
        return None
    return float(numerator) / float(denominator)


def kpis_from(con: duckdb.DuckDBPyConnection, filters: Filters, period: Period) -> KpiValues:
    """Every KPI for one period, one statement per mart; a missing mart leaves its KPI None."""
    params = values(filters, p_start=period.start, p_end=period.end)
    result: dict[str, Any] = {kpi.name: None for kpi in KPIS}
    missing: dict[str, str] = {}

    def attempt(names: tuple[str, ...], run) -> None:
        try:
            run()
        except MISSING as exc:
            for name in names:
                missing[name] = str(exc).splitlines()[0]

    def lines() -> None:
        row = fetch(con, LINES, params).iloc[0]
        result["returns"] = int(row["returns"])
        result["returned_units"] = int(row["returned_units"])
        cycle = row["median_cycle_time_hours"]
        result["median_cycle_time_hours"] = None if pd.isna(cycle) else float(cycle)
        recovered, disposed = row["recovered_value"], row["disposed_value"]
        result["recovery_rate"] = None if pd.isna(recovered) else _ratio(recovered, disposed)

    def sales() -> None:
        units_sold = _scalar(con, SALES, params)
        result["units_sold"] = units_sold
        result["return_rate"] = _ratio(result.get("returned_units"), units_sold)

    def scalar(name: str, sql: str):
        def run() -> None:
            value = _scalar(con, sql, params)
            result[name] = None if value is None else int(value)

        return run

    attempt(("returns", "median_cycle_time_hours", "recovery_rate", "return_rate"), lines)
    attempt(("return_rate",), sales)
    attempt(("inspection_backlog_units",), scalar("inspection_backlog_units", BACKLOG))
    attempt(("open_refunds_over_sla",), scalar("open_refunds_over_sla", REFUNDS_OVER_SLA))
    attempt(("oversell_risk_units",), scalar("oversell_risk_units", OVERSELL))
    attempt(("open_exceptions",), scalar("open_exceptions", EXCEPTIONS))
    return KpiValues(period, result, missing)


@cached
def kpis(snapshot_version: str, filters: Filters, period: Period) -> KpiValues:
    """The headline KPIs of `period` under `filters` (the page's numbers; tests call it too)."""
    with serving_connection() as con:
        return kpis_from(con, filters, period)


WEEKLY_PARTS = (LINES_WEEKLY, SALES_WEEKLY, BACKLOG_WEEKLY, REFUNDS_WEEKLY, EXCEPTIONS_WEEKLY)

# The unfiltered trends over all the data, as one rollup (`rpt_weekly_kpis`): the same statements
# with the parameters an unfiltered view binds written in as constants.
_FIRST_DAY = "(select min(initiated_date) from fct_return_lines)"
_LAST_DAY = "(select max(as_of)::date from fct_refunds)"
_ALL_DATA = NO_FILTER_SQL | {
    "w_start": _FIRST_DAY, "w_end": _LAST_DAY, "start": _FIRST_DAY, "end": _LAST_DAY,
}  # fmt: skip


def _unfiltered(sql: str) -> str:
    return with_constants(sql, _ALL_DATA)


WEEKLY_ROLLUP = f"""
    with
    lines as ({_unfiltered(LINES_WEEKLY)}),
    sales as ({_unfiltered(SALES_WEEKLY)}),
    backlog as ({_unfiltered(BACKLOG_WEEKLY)}),
    refunds as ({_unfiltered(REFUNDS_WEEKLY)}),
    exceptions as ({_unfiltered(EXCEPTIONS_WEEKLY)})
    select week_start, returns, returned_units, units_sold, median_cycle_time_hours,
           recovery_rate, inspection_backlog_units, open_refunds_over_sla, open_exceptions
    from refunds
    full join lines using (week_start)
    full join sales using (week_start)
    full join backlog using (week_start)
    full join exceptions using (week_start)
"""
WEEKLY_ROLLUP_READ = "select * from rpt_weekly_kpis order by week_start"


def _weekly_wide(con: duckdb.DuckDBPyConnection, filters: Filters, window: Period):
    if not filters.active:
        try:
            return fetch(con, WEEKLY_ROLLUP_READ).set_index("week_start")
        except MISSING:
            pass  # no rollup yet: compute it from the facts
    params = values(filters, w_start=window.start, w_end=window.end)
    params.update(start=filters.start or window.start, end=filters.end or window.end)
    frames = []
    for sql in WEEKLY_PARTS:
        try:
            frames.append(fetch(con, sql, params).set_index("week_start"))
        except MISSING:
            continue
    return pd.concat(frames, axis=1) if frames else None


def trends_from(con: duckdb.DuckDBPyConnection, filters: Filters, window: Period) -> pd.DataFrame:
    """Weekly value of each KPI over the window, long format: week_start, kpi, value."""
    wide = _weekly_wide(con, filters, window)
    if wide is None:
        return pd.DataFrame({"week_start": [], "kpi": [], "value": []})
    if {"returned_units", "units_sold"} <= set(wide.columns):
        wide["return_rate"] = wide["returned_units"] / wide["units_sold"].where(
            wide["units_sold"] > 0
        )
    wide = wide[[kpi.name for kpi in KPIS if kpi.name in wide.columns]]
    long = wide.reset_index().melt(id_vars="week_start", var_name="kpi", value_name="value")
    long["week_start"] = pd.to_datetime(long["week_start"])
    return long.sort_values(["kpi", "week_start"], ignore_index=True)


@cached
def trends(snapshot_version: str, filters: Filters, window: Period) -> pd.DataFrame:
    with serving_connection() as con:
        return trends_from(con, filters, window)


def load(snapshot_version: str, filters: Filters, days: int = 7) -> None:
    """Every query the Overview page runs (the benchmark times it; a test keeps it in step)."""
    options = common.filter_options(snapshot_version)
    now = common.as_of(snapshot_version)
    end = kpi_end(filters, options, now)
    if end is None:
        return
    current = period_ending(end, days)
    kpis(snapshot_version, filters, current)
    kpis(snapshot_version, filters, current.previous())
    trends(snapshot_version, filters, trend_window(filters, options, end))
    common.snapshot_info(snapshot_version)
    common.freshness(snapshot_version)
