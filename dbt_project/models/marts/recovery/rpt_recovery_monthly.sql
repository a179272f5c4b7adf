-- Recovery per month of disposition and channel (fct_recovery rolled up over dispositions and
-- categories), for the recovery trend.
with recovery as (
    select * from {{ ref('fct_recovery') }}
),

final as (
    select
        month_start,
        channel,
        cast(sum(units) as {{ dbt.type_int() }})                    as units,
        cast(sum(original_value) as decimal(18, 2))                 as original_value,
        cast(sum(recovered_value) as decimal(18, 2))                as recovered_value,
        cast(sum(recovered_value) as {{ type_double() }})
            / nullif(cast(sum(original_value) as {{ type_double() }}), 0)        as recovery_rate
    from recovery
    group by month_start, channel
)

select * from final
