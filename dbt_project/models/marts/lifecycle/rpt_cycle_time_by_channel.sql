-- Cycle time of resolved return lines by channel, for the lifecycle dashboard.
-- percentile_cont ... within group is standard SQL (DuckDB, Postgres, Snowflake, Spark 3.3+).
with return_lines as (
    select * from {{ ref('fct_return_lines') }}
),

final as (
    select
        channel,
        count(*)                                                        as return_lines,
        count(cycle_time_hours)                                         as resolved_lines,
        cast(percentile_cont(0.5) within group (order by cycle_time_hours) as {{ type_double() }})
                                                                        as median_cycle_time_hours,
        cast(percentile_cont(0.9) within group (order by cycle_time_hours) as {{ type_double() }})
                                                                        as p90_cycle_time_hours
    from return_lines
    group by channel
)

select * from final
