-- Published stock against ATP per channel (latest), summed over SKUs: the headline of
-- oversell risk and hidden stock.

with gaps as (
    select * from {{ ref('fct_channel_stock_gaps') }}
),

final as (
    select
        channel,
        cast(count(*) as {{ dbt.type_int() }})          as skus,
        cast(sum(published_quantity) as {{ dbt.type_int() }})
                                                        as published_units,
        cast(sum(atp) as {{ dbt.type_int() }})          as atp_units,
        cast(sum(oversell_risk_units) as {{ dbt.type_int() }})
                                                        as oversell_risk_units,
        cast(sum(hidden_units) as {{ dbt.type_int() }}) as hidden_units,
        cast(sum(case when oversell_risk_units > 0 then 1 else 0 end) as {{ dbt.type_int() }})
                                                        as skus_oversell_risk,
        cast(sum(case when hidden_units > 0 then 1 else 0 end) as {{ dbt.type_int() }})
                                                        as skus_hidden,
        max(published_at)                               as published_at
    from gaps
    group by channel
)

select * from final
