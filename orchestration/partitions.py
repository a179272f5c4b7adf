"""Event-date daily partitions: where a mart's days can be rebuilt one by one (issue 7, item 5).

A model is partitioned when its rows are keyed by an event day and each day is computed from
inputs that do not depend on the other days of the same table: today that is
`fct_inspection_backlog` (the backlog at a DC at the end of a day, from the return lines).
Left unpartitioned, on purpose:
- `fct_inventory_positions` carries each day's balance into the next: one day cannot be
  rebuilt alone, and rebuilding a range would leave the days after it stale.
- `fct_channel_atp` feeds the stock corrections and so the write-back: Dagster runs a
  partitioned asset in a run of its own, and the channels would wait for that second run.
- The other marts are keyed by return line, refund or event, not by day.

dbt models opt in with the tag `event_date_partitioned` and read the window through the
`event_date_window()` macro (`dbt_project/macros/partitions.sql`).

How a run's partitions become dbt vars (`dbt_vars_for`):
- a backfill, or any run of a range or a past day: `exact` — the model rewrites exactly the
  days of the window, changed or not, and no other row;
- a run of only the latest partition (what automation asks for every ten minutes, and
  `returnops run`): the model's incremental logic as without partitions — every day whose
  inputs changed is rewritten (late events move old days), since automation only ever asks
  for the latest day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

import dagster as dg

# dbt models carrying this tag are built by the partitioned dbt asset
EVENT_DATE_TAG = "event_date_partitioned"

# The first day a partition exists for. Data before it still lands and is built by every
# non-exact run; only a backfill cannot address those days.
PARTITIONS_START = "2025-01-01"

# `end_offset=1`: today is a partition too (a returns operation's day is not over at midnight
# of the next; the live run rewrites today as events arrive).
EVENT_DATE_PARTITIONS = dg.DailyPartitionsDefinition(
    start_date=PARTITIONS_START, end_offset=1, timezone="UTC"
)


def latest_partition_key(now: datetime | None = None) -> str:
    """The latest event-date partition at `now` (default: the clock): today in UTC, as
    `end_offset=1` makes it (`EVENT_DATE_PARTITIONS.get_last_partition_key()` says the same
    for the clock; this one also answers for a schedule's tick time)."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("a naive time: give the tick's time with its zone")
    return moment.astimezone(UTC).date().isoformat()


def dbt_vars_for(first_day: date, last_day: date, latest_day: date) -> dict[str, object]:
    """The dbt vars for a run of the days `first_day`..`last_day` (inclusive)."""
    if last_day < first_day:
        raise ValueError(f"an empty range: {first_day} .. {last_day}")
    live = first_day == last_day == latest_day
    return {
        "event_date_from": first_day.isoformat(),
        "event_date_to": last_day.isoformat(),
        "event_date_exact": not live,
    }


def run_dbt_vars(context: dg.AssetExecutionContext) -> Mapping[str, object]:
    """The window of this run's partitions as dbt vars (empty for an unpartitioned run)."""
    if not context.has_partition_key_range:
        return {}
    key_range = context.partition_key_range
    return dbt_vars_for(
        date.fromisoformat(key_range.start),
        date.fromisoformat(key_range.end),
        date.fromisoformat(latest_partition_key()),
    )


def parse_day(text: str) -> date:
    """A day given on the command line (YYYY-MM-DD), checked against the partitions."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a day (YYYY-MM-DD): {text!r}") from None
    first = date.fromisoformat(PARTITIONS_START)
    latest = date.fromisoformat(latest_partition_key())
    if not first <= day <= latest:
        raise ValueError(f"{day} is outside the event-date partitions ({first} .. {latest})")
    return day
