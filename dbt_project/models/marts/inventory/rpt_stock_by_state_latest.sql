-- Stock on the last day per node × inventory state, for the inventory page's state view.

with positions as (
    select * from {{ ref('fct_inventory_positions') }}
    where is_latest
),

final as (
    select
        date_day,
        node_id,
        state,
        is_on_hand,
        cast(sum(units) as {{ dbt.type_int() }})        as units,
        cast(count(distinct sku) as {{ dbt.type_int() }})
                                                        as skus
    from positions
    group by
        date_day,
        node_id,
        state,
        is_on_hand
)

select * from final
