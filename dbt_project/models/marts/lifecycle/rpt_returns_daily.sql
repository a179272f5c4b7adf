-- Returns per day of initiation, channel, category and receiving node (null until received):
-- lines and units started, how many are resolved so far, refunds, and the cycle time of the
-- resolved ones (sum for weighted averages across rows, median within the row).
-- percentile_cont ... within group is standard SQL (DuckDB, Postgres, Snowflake, Spark 3.3+).
with return_lines as (
    select * from {{ ref('fct_return_lines') }}
),

final as (
    select
        initiated_date                                              as date_day,
        channel,
        category,
        node_id,
        cast(count(*) as {{ dbt.type_int() }})                      as return_lines,
        cast(sum(quantity) as {{ dbt.type_int() }})                 as units,
        cast(count(resolved_at) as {{ dbt.type_int() }})            as resolved_lines,
        cast(coalesce(sum(refund_amount), 0) as decimal(18, 2))     as refund_amount,
        -- summed in whole seconds: a sum of doubles depends on the order rows are read in, and
        -- an incremental build must equal a full refresh to the last bit
        cast(sum({{ dbt.datediff('initiated_at', 'resolved_at', 'second') }}) as {{ type_double() }})
            / 3600                                                  as cycle_time_hours_sum,
        cast(percentile_cont(0.5) within group (order by cycle_time_hours) as {{ type_double() }})
                                                                    as median_cycle_time_hours,
        cast(sum(exception_count) as {{ dbt.type_int() }})          as exceptions
    from return_lines
    group by 1, 2, 3, 4
)

select * from final
