"""Returns lifecycle: cycle time by channel, stage durations, weekly trend, breakdowns, lines.

Lines are filtered by the date they were initiated (`initiated_date`), channel, receiving node
and category.
"""

from __future__ import annotations

import pandas as pd

from dashboards.contract import STAGES
from dashboards.filters import NO_FILTERS, Filters
from dashboards.queries._base import (
    NO_FILTER_SQL,
    cached,
    category_in,
    channel_in,
    date_between,
    fetch,
    fetch_one,
    node_in,
    values,
    with_constants,
)
from dashboards.queries.common import MISSING
from dashboards.serving import serving_connection

LINE_FILTERS = (
    f"{date_between('initiated_date')} and {channel_in()} and {node_in()} and {category_in()}"
)

# The published rollup answers the unfiltered view (and is what the pipeline's e2e test checks);
# a filtered view computes the same columns from the lines.
CYCLE_TIME_BY_CHANNEL = """
    select
        channel,
        return_lines,
        resolved_lines,
        median_cycle_time_hours,
        p90_cycle_time_hours
    from main.rpt_cycle_time_by_channel
    order by channel
"""

CYCLE_TIME_BY_CHANNEL_FILTERED = f"""
    select
        channel,
        count(*)                                  as return_lines,
        count(cycle_time_hours)                   as resolved_lines,
        median(cycle_time_hours)                  as median_cycle_time_hours,
        quantile_cont(cycle_time_hours, 0.9)      as p90_cycle_time_hours
    from fct_return_lines
    where {LINE_FILTERS}
    group by channel
    order by channel
"""

# Distribution: resolved lines per channel and whole day of cycle time.
CYCLE_TIME_DAYS = f"""
    select channel, floor(cycle_time_hours / 24)::integer as cycle_days, count(*) as lines
    from fct_return_lines
    where cycle_time_hours is not null and {LINE_FILTERS}
    group by all
    order by channel, cycle_days
"""


def _stage_sql() -> str:
    reached = [f"count({column}) as reached_{i}" for i, (_, column) in enumerate(STAGES)]
    steps = [
        f"median(date_diff('second', {previous}, {column}) / 3600.0) as step_{i}"
        for i, ((_, previous), (_, column)) in enumerate(
            zip(STAGES, STAGES[1:], strict=False), start=1
        )
    ]
    return f"select {', '.join(reached + steps)} from fct_return_lines where {LINE_FILTERS}"


STAGE_FUNNEL = _stage_sql()

STAGES_ROLLUP = """
    select stage, lines, median_hours_from_previous
    from rpt_lifecycle_stages
    order by stage_order
"""

WEEKLY = f"""
    with lines as (
        select * from fct_return_lines where {channel_in()} and {node_in()} and {category_in()}
    ),
    initiated as (
        select date_trunc('week', initiated_date)::date as week_start, channel,
               count(*) as lines_initiated
        from lines where {date_between("initiated_date")} group by all
    ),
    resolved as (
        select date_trunc('week', resolved_at)::date as week_start, channel,
               count(*) as lines_resolved, median(cycle_time_hours) as median_cycle_time_hours
        from lines where resolved_at is not null and {date_between("resolved_at")} group by all
    )
    select week_start, channel,
           coalesce(lines_initiated, 0) as lines_initiated,
           coalesce(lines_resolved, 0) as lines_resolved,
           median_cycle_time_hours
    from initiated full join resolved using (week_start, channel)
    order by week_start, channel
"""

# The unfiltered views' rollups (dashboards.rollups): these statements with no filter bound.
CYCLE_TIME_DAYS_ROLLUP = with_constants(CYCLE_TIME_DAYS, NO_FILTER_SQL)
WEEKLY_ROLLUP = with_constants(WEEKLY, NO_FILTER_SQL)
CYCLE_TIME_DAYS_READ = "select * from rpt_cycle_time_days order by channel, cycle_days"
WEEKLY_READ = "select * from rpt_lifecycle_weekly order by week_start, channel"

# Breakdown columns a user can pick: the mapping's values are the only SQL that varies.
BREAKDOWNS: dict[str, str] = {
    "reason": "reason_code",
    "reason group": "reason_group",
    "category": "category",
    "channel": "channel",
    "disposition": "disposition",
}


def _breakdown_sql(column: str) -> str:
    return f"""
        select
            coalesce({column}, '(none)')        as {column},
            count(*)                            as lines,
            sum(quantity)                       as units,
            median(cycle_time_hours)            as median_cycle_time_hours,
            quantile_cont(cycle_time_hours, 0.9) as p90_cycle_time_hours,
            sum(refund_amount)                  as refund_amount
        from fct_return_lines
        where {LINE_FILTERS}
        group by 1
        order by lines desc, 1
    """


BREAKDOWN_SQL = {name: _breakdown_sql(column) for name, column in BREAKDOWNS.items()}

LINE_COLUMNS = """
    return_line_id, return_id, channel, source, order_id, sku, category, quantity, reason_code,
    node_id, status, resolution, grade, disposition, initiated_at, received_at, inspected_at,
    resolved_at, cycle_time_hours, refund_amount, expected_refund, exception_count
"""

DRILL_WHERE = f"""
    {LINE_FILTERS}
    and ($reason::varchar is null or reason_code = $reason::varchar)
    and ($status::varchar is null or status = $status::varchar)
"""
RETURN_LINES = f"""
    select {LINE_COLUMNS}
    from fct_return_lines
    where {DRILL_WHERE}
    order by cycle_time_hours desc nulls first, initiated_at, return_line_id
    limit $limit
"""
RETURN_LINES_COUNT = f"select count(*) from fct_return_lines where {DRILL_WHERE}"
STATUSES = f"select distinct status from fct_return_lines where {LINE_FILTERS} order by 1"


def _rollup_or(con, filters: Filters, rollup: str, facts: str) -> pd.DataFrame:
    """The rollup for an unfiltered view when the snapshot has it; the facts otherwise."""
    if not filters.active:
        try:
            return fetch(con, rollup)
        except MISSING:
            pass
    return fetch(con, facts, values(filters))


@cached
def cycle_time_by_channel(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """One row per channel: line counts and median / p90 cycle time in hours."""
    with serving_connection() as con:
        if not filters.active:
            return fetch(con, CYCLE_TIME_BY_CHANNEL)
        return fetch(con, CYCLE_TIME_BY_CHANNEL_FILTERED, values(filters))


@cached
def cycle_time_days(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Resolved lines per channel and whole day of cycle time."""
    with serving_connection() as con:
        return _rollup_or(con, filters, CYCLE_TIME_DAYS_READ, CYCLE_TIME_DAYS)


@cached
def stage_funnel(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """One row per stage: lines that reached it, median hours from the stage before."""
    with serving_connection() as con:
        if not filters.active:
            try:
                return fetch(con, STAGES_ROLLUP)
            except MISSING:
                pass  # no rollup yet: compute it from the lines
        row = fetch(con, STAGE_FUNNEL, values(filters)).iloc[0]
    return pd.DataFrame(
        {
            "stage": [name for name, _ in STAGES],
            "lines": [int(row[f"reached_{i}"]) for i in range(len(STAGES))],
            "median_hours_from_previous": [None]
            + [row[f"step_{i}"] for i in range(1, len(STAGES))],
        }
    )


@cached
def weekly(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Per week and channel: lines initiated, lines resolved and their median cycle time."""
    with serving_connection() as con:
        return _rollup_or(con, filters, WEEKLY_READ, WEEKLY)


@cached
def breakdown(
    snapshot_version: str, filters: Filters = NO_FILTERS, by: str = "reason"
) -> pd.DataFrame:
    """Lines, units, cycle time and refunds per reason, category, channel… (`BREAKDOWNS`)."""
    sql = BREAKDOWN_SQL[by]  # KeyError for anything but the fixed choices
    with serving_connection() as con:
        return fetch(con, sql, values(filters))


@cached
def statuses(snapshot_version: str, filters: Filters = NO_FILTERS) -> list[str]:
    with serving_connection() as con:
        return [s for s in fetch(con, STATUSES, values(filters))["status"] if s is not None]


@cached
def return_lines(
    snapshot_version: str,
    filters: Filters = NO_FILTERS,
    reason: str | None = None,
    status: str | None = None,
    limit: int = 500,
) -> tuple[pd.DataFrame, int]:
    """The lines behind the view (slowest first), at most `limit`, and how many there are."""
    params = values(filters, reason=reason, status=status, limit=limit)
    with serving_connection() as con:
        (total,) = fetch_one(con, RETURN_LINES_COUNT, params)
        return fetch(con, RETURN_LINES, params), int(total)


def headlines(snapshot_version: str, filters: Filters = NO_FILTERS) -> dict[str, float | None]:
    """`<channel> median cycle time` / `p90` in hours: the numbers the page's tiles show."""
    df = cycle_time_by_channel(snapshot_version, filters)
    numbers: dict[str, float | None] = {}
    for row in df.itertuples():
        pairs = (("median", row.median_cycle_time_hours), ("p90", row.p90_cycle_time_hours))
        for name, value in pairs:
            numbers[f"{row.channel} {name} cycle time"] = None if pd.isna(value) else float(value)
    return numbers


def load(snapshot_version: str, filters: Filters) -> None:
    """Every query the lifecycle page runs with its controls at their defaults."""
    cycle_time_by_channel(snapshot_version, filters)
    cycle_time_days(snapshot_version, filters)
    stage_funnel(snapshot_version, filters)
    weekly(snapshot_version, filters)
    breakdown(snapshot_version, filters, "reason")
    statuses(snapshot_version, filters)
    return_lines(snapshot_version, filters, None, None)
