"""The rollups the dashboards ask the marts for, as SQL over the facts: the specification.

Each statement defines one `rpt_` table of `dashboards.contract.CONTRACT` from the `fct_` tables
(all of it, unfiltered). A page reads the rollup for its unfiltered view when the snapshot has it
and otherwise runs the same computation on the facts, so the numbers do not depend on whether
the rollup exists; the tests and the benchmark build the rollups with these statements. Not
here: `rpt_sales_daily` and `rpt_source_freshness`, which need what only the warehouse holds
(order lines, event load times).
"""

from __future__ import annotations

from dashboards.contract import STAGES
from dashboards.queries import lifecycle, overview


def _stages_rollup() -> str:
    rows = []
    for order, (stage, column) in enumerate(STAGES, start=1):
        previous = STAGES[order - 2][1] if order > 1 else None
        step = (
            f"median(date_diff('second', {previous}, {column}) / 3600.0)"
            if previous
            else "null::double"
        )
        rows.append(
            f"select {order} as stage_order, '{stage}' as stage, count({column}) as lines, "
            f"{step} as median_hours_from_previous from fct_return_lines"
        )
    return "\nunion all\n".join(rows)


ROLLUPS: dict[str, str] = {
    "rpt_cycle_time_by_channel": """
        select
            channel,
            count(*)                                  as return_lines,
            count(cycle_time_hours)                   as resolved_lines,
            median(cycle_time_hours)                  as median_cycle_time_hours,
            quantile_cont(cycle_time_hours, 0.9)      as p90_cycle_time_hours
        from fct_return_lines
        group by channel
    """,
    "rpt_cycle_time_days": lifecycle.CYCLE_TIME_DAYS_ROLLUP,
    "rpt_lifecycle_weekly": lifecycle.WEEKLY_ROLLUP,
    "rpt_lifecycle_stages": _stages_rollup(),
    "rpt_sync_latency_by_channel": """
        select
            channel,
            count(*)                                         as events,
            median(sor_latency_hours)                        as median_sor_latency_hours,
            quantile_cont(sor_latency_hours, 0.9)            as p90_sor_latency_hours,
            median(channel_latency_hours)                    as median_channel_latency_hours,
            quantile_cont(channel_latency_hours, 0.9)        as p90_channel_latency_hours,
            count(*) filter (where channel_shown_at is null) as not_yet_shown
        from fct_inventory_sync
        group by channel
    """,
    "rpt_weekly_kpis": overview.WEEKLY_ROLLUP,
}


if __name__ == "__main__":  # `python -m dashboards.rollups`: the statements, to paste into dbt
    for name, sql in ROLLUPS.items():
        print(f"-- {name}\n{sql.strip()}\n;\n")
