"""Refunds: open refunds by ageing bucket and channel, accuracy, the slowest ones.

Refunds are filtered by the day the unit was received (`received_at`), channel, node and
category. Ageing is as of the data's "now" (`fct_refunds.as_of`).
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
    values,
)
from dashboards.serving import serving_connection

AGEING_BUCKETS = ("0-2", "3-7", "8-14", "15-30", ">30")

REFUND_FILTERS = (
    f"{date_between('received_at')} and {channel_in()} and {node_in()} and {category_in()}"
)

SUMMARY = f"""
    select
        count(*) filter (where is_open)                         as open_refunds,
        count(*) filter (where is_open and is_sla_breach)       as open_over_sla,
        coalesce(sum(expected_refund) filter (where is_open), 0) as open_expected_amount,
        count(*) filter (where not is_open)                     as resolved_refunds,
        count(*) filter (where not is_open and is_accurate)     as accurate_refunds,
        coalesce(sum(refund_difference) filter (where not is_open), 0) as net_difference,
        max(as_of)                                              as as_of
    from fct_refunds
    where {REFUND_FILTERS}
"""

OPEN_BY_BUCKET = f"""
    select ageing_bucket, channel, count(*) as refunds,
           count(*) filter (where is_sla_breach) as over_sla,
           sum(expected_refund) as expected_amount
    from fct_refunds
    where is_open and {REFUND_FILTERS}
    group by all
    order by ageing_bucket, channel
"""

ACCURACY_BY_CHANNEL = f"""
    select
        channel,
        count(*)                                                   as resolved_refunds,
        count(*) filter (where is_accurate)                        as accurate_refunds,
        count(*) filter (where is_accurate) / count(*)             as accuracy,
        coalesce(sum(refund_difference) filter (where refund_difference > 0), 0) as over_refunded,
        coalesce(-sum(refund_difference) filter (where refund_difference < 0), 0) as under_refunded,
        sum(refund_amount)                                         as refund_amount,
        sum(expected_refund)                                       as expected_refund
    from fct_refunds
    where not is_open and {REFUND_FILTERS}
    group by channel
    order by channel
"""

SLOWEST = f"""
    select return_line_id, return_id, channel, node_id, category, received_at, resolved_at,
           is_open, days_from_receipt, ageing_bucket, is_sla_breach, resolution,
           refund_amount, expected_refund, refund_difference
    from fct_refunds
    where {REFUND_FILTERS}
    order by days_from_receipt desc nulls last, received_at, return_line_id
    limit $limit
"""


@cached
def summary(snapshot_version: str, filters: Filters = NO_FILTERS) -> dict[str, object]:
    with serving_connection() as con:
        row = fetch(con, SUMMARY, values(filters)).iloc[0].to_dict()
    resolved = int(row["resolved_refunds"])
    row["accuracy"] = int(row["accurate_refunds"]) / resolved if resolved else None
    return row


@cached
def open_by_bucket(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    with serving_connection() as con:
        df = fetch(con, OPEN_BY_BUCKET, values(filters))
    order = {bucket: i for i, bucket in enumerate(AGEING_BUCKETS)}
    return df.sort_values(
        ["ageing_bucket", "channel"], key=lambda s: s.map(order) if s.name == "ageing_bucket" else s
    ).reset_index(drop=True)


@cached
def accuracy_by_channel(snapshot_version: str, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    with serving_connection() as con:
        return fetch(con, ACCURACY_BY_CHANNEL, values(filters))


@cached
def slowest(snapshot_version: str, filters: Filters = NO_FILTERS, limit: int = 25) -> pd.DataFrame:
    with serving_connection() as con:
        return fetch(con, SLOWEST, values(filters, limit=limit))


def headlines(snapshot_version: str, filters: Filters = NO_FILTERS) -> dict[str, object]:
    row = summary(snapshot_version, filters)
    return {
        "open_refunds": int(row["open_refunds"]),
        "open_over_sla": int(row["open_over_sla"]),
        "open_expected_amount": float(row["open_expected_amount"]),
        "accuracy": row["accuracy"],
    }


def load(snapshot_version: str, filters: Filters) -> None:
    """Every query the refunds page runs."""
    summary(snapshot_version, filters)
    open_by_bucket(snapshot_version, filters)
    accuracy_by_channel(snapshot_version, filters)
    slowest(snapshot_version, filters)
