{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='date_day',
        on_schema_change='fail',
    )
}}
-- Net units moved per day × node × SKU × state: the day-by-day change of the ledger that
-- fct_inventory_positions accumulates (the opening count is the first day's movement).
--
-- Incremental, delete+insert by day: the days that got a movement loaded since the newest
-- loaded_at here are recomputed whole from int_inventory_movements_unioned; other days stay.

with movements as (
    select * from {{ ref('int_inventory_movements_unioned') }}
),

{% if is_incremental() %}
touched_days as (
    select distinct date_day
    from movements
    where loaded_at > {{ inventory_loaded_watermark(this) }}
),
{% endif %}

final as (
    select
        movements.date_day,
        movements.node_id,
        movements.sku,
        movements.state,
        cast(sum(movements.units) as {{ dbt.type_int() }})
                                                        as net_units,
        cast(sum(case when movements.units > 0 then movements.units else 0 end)
            as {{ dbt.type_int() }})                    as units_in,
        cast(sum(case when movements.units < 0 then -movements.units else 0 end)
            as {{ dbt.type_int() }})                    as units_out,
        cast(count(*) as {{ dbt.type_int() }})          as movements,
        max(movements.loaded_at)                        as loaded_at
    from movements
    {% if is_incremental() %}
    where movements.date_day in (select date_day from touched_days)
    {% endif %}
    group by
        movements.date_day,
        movements.node_id,
        movements.sku,
        movements.state
)

select * from final
