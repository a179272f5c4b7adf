{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='date_day',
        on_schema_change='fail',
    )
}}
-- Available to promise per channel × SKU at the end of every day: the seed formula of
-- channel_allocation (_seeds.yml), every SKU of the catalogue and every channel of the seed,
-- zeros included:
--
--   node_atp    = available - committed - reserved - safety_stock   (fct_inventory_positions)
--   channel_atp = sum over the channel's nodes of floor(greatest(node_atp, 0) * allocation_pct / 100)
--
-- Incremental, delete+insert by date_day, on the same days fct_inventory_positions recomputes:
-- from the earliest day with a movement loaded since this table was built (or the previous
-- last day, whose is_latest turns false) to the last day.

with positions as (
    select * from {{ ref('fct_inventory_positions') }}
),

movements_daily as (
    select * from {{ ref('int_inventory_movements_aggregated') }}
),

allocation as (
    select * from {{ ref('channel_allocation') }}
),

products as (
    select * from {{ ref('products') }}
),

{% if is_incremental() %}
built as (
    select max(date_day) as date_day from {{ this }}
),

bounds as (
    select
        case
            -- an empty table: build everything
            when built.date_day is null then (select min(date_day) from positions)
            when changed.date_day is not null and changed.date_day < built.date_day
                then changed.date_day
            else built.date_day
        end                                             as first_day,
        (select max(date_day) from positions)           as last_day
    from built
    cross join (
        select min(date_day) as date_day
        from movements_daily
        where loaded_at > {{ inventory_loaded_watermark(this) }}
    ) as changed
),
{% else %}
bounds as (
    select
        min(date_day)                                   as first_day,
        max(date_day)                                   as last_day
    from positions
),
{% endif %}

days as (
    {{ inventory_day_series('(select first_day from bounds)', '(select last_day from bounds)') }}
),

-- fct_inventory_positions' loaded_at: the newest load of a movement booked on the day
day_loads as (
    select
        positions.date_day,
        max(positions.loaded_at)                        as loaded_at
    from positions
    inner join bounds
        on positions.date_day >= bounds.first_day
        and positions.date_day <= bounds.last_day
    group by positions.date_day
),

node_atp as (
    select
        positions.date_day,
        positions.node_id,
        positions.sku,
        sum(positions.units * {{ inventory_atp_sign('positions.state') }})
                                                        as node_atp
    from positions
    inner join bounds
        on positions.date_day >= bounds.first_day
        and positions.date_day <= bounds.last_day
    group by
        positions.date_day,
        positions.node_id,
        positions.sku
),

shares as (
    select
        days.date_day,
        allocation.channel_id                           as channel,
        products.sku,
        {{ inventory_atp_share('coalesce(node_atp.node_atp, 0)', 'allocation.allocation_pct') }}
                                                        as atp_share
    from days
    cross join allocation
    cross join products
    left join node_atp
        on days.date_day = node_atp.date_day
        and allocation.node_id = node_atp.node_id
        and products.sku = node_atp.sku
),

final as (
    select
        shares.date_day,
        shares.channel,
        shares.sku,
        cast(sum(shares.atp_share) as {{ dbt.type_int() }})
                                                        as atp,
        shares.date_day = bounds.last_day               as is_latest,
        max(day_loads.loaded_at)                        as loaded_at
    from shares
    cross join bounds
    left join day_loads
        on shares.date_day = day_loads.date_day
    group by
        shares.date_day,
        shares.channel,
        shares.sku,
        bounds.last_day
)

select * from final
