-- Inspection backlog per distribution centre and day: the units received at the DC and not
-- inspected at the end of the day (units restocked before their inspection included: they
-- are still uninspected), the oldest of them and how many have waited past the node's
-- stage_received_to_inspected SLA. "End of day" is the next midnight: a unit received at
-- 23:59 waits that day, one inspected at 23:59 does not. Days run from the first day of data
-- to the as_of day (dim_dates).
--
-- Incremental (delete+insert on node x day): a micro-batch rewrites the days it changed
-- (normally the newest), never the rest of history (macros/incremental.sql).
-- Partitioned by event day in Dagster (tag event_date_partitioned, orchestration/partitions.py):
-- a backfill of a date range rewrites exactly those days, from the return lines as they are.
{{ config(
    materialized='incremental',
    unique_key=['node_id', 'date_day'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    tags=['event_date_partitioned'],
) }}

{%- set window = event_date_window() %}

with return_lines as (
    select * from {{ ref('fct_return_lines') }}
    where received_at is not null
),

nodes as (
    select * from {{ ref('dim_nodes') }}
    where node_type = 'dc'
),

dates as (
    select * from {{ ref('dim_dates') }}
    {%- if window %}
    where date_day between {{ window.first_day }} and {{ window.last_day }}
    {%- endif %}
),

sla_targets as (
    select * from {{ ref('sla_targets') }}
    where metric = 'stage_received_to_inspected'
),

node_days as (
    select
        nodes.node_id,
        dates.date_day,
        {{ dbt.dateadd('day', 1, 'cast(dates.date_day as ' ~ dbt.type_timestamp() ~ ')') }}
                                                                    as day_end,
        coalesce(node_sla.target_hours, all_sla.target_hours)       as sla_target_hours
    from nodes
    cross join dates
    left join sla_targets as node_sla
        on node_sla.scope = nodes.node_id
    left join sla_targets as all_sla
        on all_sla.scope = 'all'
),

-- each DC line on every day it was waiting at the day's end
waiting as (
    select
        node_days.node_id,
        node_days.date_day,
        return_lines.quantity,
        return_lines.received_at,
        {{ hours_between('return_lines.received_at', 'node_days.day_end') }}
                                                                    as age_hours,
        node_days.sla_target_hours
    from node_days
    inner join return_lines
        on return_lines.node_id = node_days.node_id
        and return_lines.received_at < node_days.day_end
        and (return_lines.inspected_at is null
             or return_lines.inspected_at >= node_days.day_end)
),

waiting_daily as (
    select
        node_id,
        date_day,
        sum(quantity)                                               as units_awaiting,
        min(received_at)                                            as oldest_received_at,
        max(age_hours)                                              as oldest_age_hours,
        sum(case when age_hours > sla_target_hours then quantity else 0 end)
                                                                    as units_over_sla
    from waiting
    group by node_id, date_day
),

received_daily as (
    select node_id, cast(received_at as date) as date_day, sum(quantity) as units
    from return_lines
    group by node_id, cast(received_at as date)
),

inspected_daily as (
    select node_id, cast(inspected_at as date) as date_day, sum(quantity) as units
    from return_lines
    where inspected_at is not null
    group by node_id, cast(inspected_at as date)
),

final as (
    select
        node_days.node_id,
        node_days.date_day,
        cast(coalesce(waiting_daily.units_awaiting, 0) as {{ dbt.type_int() }})
                                                                    as units_awaiting,
        cast(coalesce(received_daily.units, 0) as {{ dbt.type_int() }})
                                                                    as units_received,
        cast(coalesce(inspected_daily.units, 0) as {{ dbt.type_int() }})
                                                                    as units_inspected,
        waiting_daily.oldest_received_at,
        waiting_daily.oldest_age_hours,
        cast(coalesce(waiting_daily.units_over_sla, 0) as {{ dbt.type_int() }})
                                                                    as units_over_sla,
        ---------- added beyond docs/marts.md
        cast(node_days.sla_target_hours as {{ type_double() }})                  as sla_target_hours,
        {{ written_at() }}                                          as _written_at
    from node_days
    left join waiting_daily
        on node_days.node_id = waiting_daily.node_id
        and node_days.date_day = waiting_daily.date_day
    left join received_daily
        on node_days.node_id = received_daily.node_id
        and node_days.date_day = received_daily.date_day
    left join inspected_daily
        on node_days.node_id = inspected_daily.node_id
        and node_days.date_day = inspected_daily.date_day
),

{%- if window %}

-- a backfill: every row of the window, changed or not (node_days holds only the window's days)
changed as (
    select * from final
)
{%- else %}

changed as (
    {{ changed_rows('final', ['node_id', 'date_day']) }}
)
{%- endif %}

select * from changed
