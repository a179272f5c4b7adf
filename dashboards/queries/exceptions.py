"""Exceptions: open exceptions by type, owner role and age, and the rows behind them.

Exceptions are filtered by the day they were detected, channel, node and category (of the SKU).
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
    fetch_one,
    node_in,
    values,
)
from dashboards.serving import serving_connection

AGE_BUCKETS = ("<1 d", "1-3 d", "3-7 d", "7-14 d", ">14 d")

OPEN = f"""
    select e.*, p.category,
           case when e.age_hours < 24 then '<1 d' when e.age_hours < 72 then '1-3 d'
                when e.age_hours < 168 then '3-7 d' when e.age_hours < 336 then '7-14 d'
                else '>14 d' end as age_bucket
    from fct_return_exceptions e
    left join dim_products p on p.sku = e.sku
    where e.is_open
      and {date_between("e.detected_at")} and {channel_in("e.channel")}
      and {node_in("e.node_id")} and {category_in("p.category")}
"""

OPEN_SUMMARY = f"""
    select exception_type, owner_role, severity, age_bucket, count(*) as exceptions,
           max(age_hours) as oldest_age_hours
    from ({OPEN})
    group by all
    order by exception_type, owner_role, severity, age_bucket
"""

ROWS_WHERE = """
    ($exception_type::varchar is null or exception_type = $exception_type::varchar)
    and ($owner_role::varchar is null or owner_role = $owner_role::varchar)
"""
OPEN_ROWS = f"""
    select exception_id, exception_type, severity, owner_role, age_hours, age_bucket,
           return_line_id, sku, category, node_id, channel, detected_at, detail
    from ({OPEN})
    where {ROWS_WHERE}
    order by age_hours desc, exception_id
    limit $limit
"""
OPEN_ROWS_COUNT = f"select count(*) from ({OPEN}) where {ROWS_WHERE}"


@cached
def open_summary(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Open exceptions counted by type × owner role × severity × age bucket."""
    with serving_connection() as con:
        return fetch(con, OPEN_SUMMARY, values(filters))


@cached
def open_rows(
    snapshot_version: str,
    filters: Filters = NO_FILTERS,
    exception_type: str | None = None,
    owner_role: str | None = None,
    limit: int = 1000,
) -> tuple[pd.DataFrame, int]:
    """The open exceptions behind the view (oldest first), at most `limit`, and how many."""
    params = values(filters, exception_type=exception_type, owner_role=owner_role, limit=limit)
    with serving_connection() as con:
        (total,) = fetch_one(con, OPEN_ROWS_COUNT, params)
        return fetch(con, OPEN_ROWS, params), int(total)


def by(summary: pd.DataFrame, column: str, order: tuple[str, ...] = ()) -> pd.DataFrame:
    """Sum of exceptions per value of one column of `open_summary`."""
    if summary.empty:
        return pd.DataFrame({column: [], "exceptions": []})
    out = summary.groupby(column, as_index=False)["exceptions"].sum()
    if order:
        rank = {value: i for i, value in enumerate(order)}
        return out.sort_values(column, key=lambda s: s.map(rank), ignore_index=True)
    return out.sort_values(["exceptions", column], ascending=[False, True], ignore_index=True)


def headlines(snapshot_version: str, filters: Filters = NO_FILTERS) -> dict[str, object]:
    summary = open_summary(snapshot_version, filters)
    if summary.empty:
        return {"open_exceptions": 0, "high_severity": 0, "oldest_age_hours": None}
    return {
        "open_exceptions": int(summary["exceptions"].sum()),
        "high_severity": int(summary.loc[summary["severity"] == "high", "exceptions"].sum()),
        "oldest_age_hours": float(summary["oldest_age_hours"].max()),
    }


def load(snapshot_version: str, filters: Filters) -> None:
    """Every query the exceptions page runs with its controls at their defaults."""
    open_summary(snapshot_version, filters)
    open_rows(snapshot_version, filters, None, None)
