"""Inspection backlog: units waiting for inspection by facility over time, ageing, oldest, SLA.

The facility × day mart (`fct_inspection_backlog`) answers the backlog over time and at the end
date; the ageing and the oldest items come from the lines waiting at that moment, at the
facilities the backlog mart covers. Dates filter the days; node filters the facilities; channel
and category apply only to the line-level views (the daily mart has neither).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from dashboards.filters import NO_FILTERS, Filters
from dashboards.queries._base import (
    cached,
    category_in,
    channel_in,
    date_between,
    fetch,
    node_in,
    values,
)
from dashboards.queries.common import as_of_from
from dashboards.serving import serving_connection

AGE_BUCKETS = ("0-1 d", "1-2 d", "2-3 d", "3-7 d", ">7 d")

BACKLOG_DAILY = f"""
    select date_day, node_id, units_awaiting, units_received, units_inspected,
           oldest_received_at, oldest_age_hours, units_over_sla
    from fct_inspection_backlog
    where {node_in()} and {date_between("date_day")}
    order by date_day, node_id
"""

BACKLOG_AT_END = f"""
    select date_day, node_id, units_awaiting, units_over_sla, oldest_received_at, oldest_age_hours
    from fct_inspection_backlog
    where date_day = (
            select max(date_day) from fct_inspection_backlog
            where $end::date is null or date_day <= $end::date)
      and {node_in()}
    order by units_awaiting desc, node_id
"""

WAITING = f"""
    select *, date_diff('second', received_at, $t::timestamp) / 3600.0 as age_hours
    from fct_return_lines
    where received_at < $t::timestamp
      and (inspected_at is null or inspected_at >= $t::timestamp)
      and node_id in (select distinct node_id from fct_inspection_backlog)
      and {channel_in()} and {node_in()} and {category_in()}
"""

AGEING = f"""
    select node_id,
           case when age_hours < 24 then '0-1 d' when age_hours < 48 then '1-2 d'
                when age_hours < 72 then '2-3 d' when age_hours < 168 then '3-7 d'
                else '>7 d' end as age_bucket,
           sum(quantity) as units,
           count(*) as lines
    from ({WAITING})
    group by all
    order by node_id, age_bucket
"""

OLDEST = f"""
    select return_line_id, node_id, channel, sku, category, quantity, received_at, age_hours,
           reason_code
    from ({WAITING})
    order by received_at, return_line_id
    limit $limit
"""


def moment(end, as_of: datetime | None) -> datetime | None:
    """The "now" of ageing: the end of the chosen end date, but never after the data's now."""
    if end is None:
        return as_of
    end_of_day = datetime.combine(end, datetime.min.time()) + timedelta(days=1)
    return end_of_day if as_of is None else min(end_of_day, as_of)


@cached
def backlog_daily(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    with serving_connection() as con:
        return fetch(con, BACKLOG_DAILY, values(filters))


@cached
def backlog_at_end(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Per facility on the end date (or the newest day): units waiting, over SLA, oldest."""
    with serving_connection() as con:
        return fetch(con, BACKLOG_AT_END, values(filters))


@cached
def ageing(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Units waiting at the end date's close (or now) per facility and age bucket."""
    with serving_connection() as con:
        t = moment(filters.end, as_of_from(con))
        if t is None:
            return pd.DataFrame({"node_id": [], "age_bucket": [], "units": [], "lines": []})
        return fetch(con, AGEING, values(filters, t=t))


@cached
def oldest(snapshot_version: str, filters: Filters = NO_FILTERS, limit: int = 25) -> pd.DataFrame:
    with serving_connection() as con:
        t = moment(filters.end, as_of_from(con))
        if t is None:
            return pd.DataFrame({"return_line_id": [], "age_hours": []})
        return fetch(con, OLDEST, values(filters, t=t, limit=limit))


def headlines(snapshot_version: str, filters: Filters = NO_FILTERS) -> dict[str, float | None]:
    at_end = backlog_at_end(snapshot_version, filters)
    if at_end.empty:
        return {"units_awaiting": 0, "units_over_sla": 0, "oldest_age_hours": None}
    oldest_age = at_end["oldest_age_hours"].max()
    return {
        "units_awaiting": int(at_end["units_awaiting"].sum()),
        "units_over_sla": int(at_end["units_over_sla"].sum()),
        "oldest_age_hours": None if pd.isna(oldest_age) else float(oldest_age),
    }


def load(snapshot_version: str, filters: Filters) -> None:
    """Every query the inspection page runs."""
    backlog_at_end(snapshot_version, filters)
    backlog_daily(snapshot_version, filters)
    ageing(snapshot_version, filters)
    oldest(snapshot_version, filters)
