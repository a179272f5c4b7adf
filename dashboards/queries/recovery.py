"""Recovery: value recovered by disposition, category, channel and month; supplier chargebacks.

`recovery_rows` is the planners' export: the same rows, with the same filters, on the page's
download buttons and from `returnops export recovery`. Money stays exact (decimal) in it.
Months are kept when they overlap the date range; channel and category filter; the node filter
does not apply (the mart has no node).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from dashboards.filters import NO_FILTERS, Filters
from dashboards.queries._base import bind, cached, category_in, channel_in, values
from dashboards.serving import serving_connection

RECOVERY_COLUMNS = (
    "month_start", "disposition", "category", "channel", "units", "original_value",
    "recovered_value", "recovery_rate",
)  # fmt: skip

RECOVERY_ROWS = f"""
    select {", ".join(RECOVERY_COLUMNS)}
    from fct_recovery
    where ($start::date is null or month_start >= date_trunc('month', $start::date))
      and ($end::date is null or month_start <= $end::date)
      and {channel_in()} and {category_in()}
    order by month_start, disposition, category, channel
"""

CHARGEBACKS = f"""
    select c.vendor_id, c.vendor_name, c.sku, p.category, c.units, c.claimable_amount,
           c.oldest_received_at, c.claim_deadline
    from fct_chargeback_opportunities c
    left join dim_products p on p.sku = c.sku
    where {category_in("p.category")}
    order by c.claimable_amount desc, c.vendor_id, c.sku
"""

GROUPINGS: dict[str, str] = {
    "disposition": "disposition",
    "category": "category",
    "channel": "channel",
    "month": "month_start",
}


def _exact(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> pd.DataFrame:
    """Through Arrow, so decimal money arrives as `Decimal`, not float."""
    return con.sql(sql, params=bind(sql, params)).to_arrow_table().to_pandas()


def fetch_recovery(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """The filtered `fct_recovery` rows (uncached: the CLI calls it with its own connection)."""
    df = _exact(con, RECOVERY_ROWS, values(filters))
    df["month_start"] = pd.to_datetime(df["month_start"]).dt.date
    return df


def fetch_chargebacks(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    return _exact(con, CHARGEBACKS, values(filters))


@cached
def recovery_rows(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    with serving_connection() as con:
        return fetch_recovery(con, filters)


@cached
def chargebacks(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    with serving_connection() as con:
        return fetch_chargebacks(con, filters)


def summarise(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Recovery per disposition, category, channel or month, from the filtered rows."""
    column = GROUPINGS[by]
    if rows.empty:
        return pd.DataFrame(
            columns=[column, "units", "original_value", "recovered_value", "recovery_rate"]
        )
    grouped = (
        rows.assign(
            original_value=rows["original_value"].astype(float),
            recovered_value=rows["recovered_value"].astype(float),
        )
        .groupby(column, as_index=False, dropna=False)[
            ["units", "original_value", "recovered_value"]
        ]
        .sum()
    )
    grouped["recovery_rate"] = grouped["recovered_value"] / grouped["original_value"].where(
        grouped["original_value"] != 0
    )
    if by != "month":
        grouped = grouped.sort_values("recovered_value", ascending=False, ignore_index=True)
    return grouped


def totals(rows: pd.DataFrame) -> dict[str, object]:
    original = float(rows["original_value"].astype(float).sum()) if len(rows) else 0.0
    recovered = float(rows["recovered_value"].astype(float).sum()) if len(rows) else 0.0
    return {
        "units": int(rows["units"].sum()) if len(rows) else 0,
        "original_value": original,
        "recovered_value": recovered,
        "recovery_rate": recovered / original if original else None,
    }


def headlines(snapshot_version: str, filters: Filters = NO_FILTERS) -> dict[str, object]:
    numbers = totals(recovery_rows(snapshot_version, filters))
    claims = chargebacks(snapshot_version, filters)
    numbers["claimable_amount"] = (
        float(claims["claimable_amount"].astype(float).sum()) if len(claims) else 0.0
    )
    return numbers


def month_range(rows: pd.DataFrame) -> tuple[date, date] | None:
    if rows.empty:
        return None
    return rows["month_start"].min(), rows["month_start"].max()


def load(snapshot_version: str, filters: Filters) -> None:
    """Every query the recovery page runs."""
    recovery_rows(snapshot_version, filters)
    chargebacks(snapshot_version, filters)
