{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='date_day',
        on_schema_change='fail',
    )
}}
-- Units per SKU × node × inventory state at the end of every day, from the opening count to
-- the last day, balances carried forward over days without movement; only non-zero rows.
-- A day's balance = the day before + that day's net movements (int_inventory_movements_aggregated).
--
-- Incremental, delete+insert by date_day: the days from the earliest day that got a movement
-- loaded since this table was built (`loaded_at` here is the newest load of a movement booked
-- on the row's day, so its maximum is the newest load the table reflects) through the last day
-- are recomputed, starting from the balances of
-- the day before, which are read back from this table. The previous last day is always
-- recomputed too: its is_latest flag turns false when a day is added. A full refresh starts
-- from nothing on the opening day and gives the same rows.

with movements_daily as (
    select * from {{ ref('int_inventory_movements_aggregated') }}
),

snapshots as (
    select * from {{ ref('stg_wms__inventory_snapshots') }}
),

-- the last day: the newest movement or WMS end-of-day count
last_day as (
    select max(date_day) as date_day
    from (
        select max(date_day) as date_day from movements_daily
        union all
        select max(cast(snapshot_at as date)) as date_day from snapshots
    ) as newest
),

{% if is_incremental() %}
built as (
    select max(date_day) as date_day from {{ this }}
),

bounds as (
    select
        case
            -- an empty table: build everything
            when built.date_day is null then (select min(date_day) from movements_daily)
            when changed.date_day is not null and changed.date_day < built.date_day
                then changed.date_day
            else built.date_day
        end                                             as first_day,
        last_day.date_day                               as last_day
    from built
    cross join last_day
    cross join (
        select min(date_day) as date_day
        from movements_daily
        where loaded_at > {{ inventory_loaded_watermark(this) }}
    ) as changed
),

-- the balances carried into the first recomputed day
carried as (
    select
        previous.node_id,
        previous.sku,
        previous.state,
        previous.units
    from {{ this }} as previous
    inner join bounds
        on previous.date_day = cast({{ dbt.dateadd('day', -1, 'bounds.first_day') }} as date)
),
{% else %}
bounds as (
    select
        (select min(date_day) from movements_daily)    as first_day,
        last_day.date_day                               as last_day
    from last_day
),

carried as (
    select node_id, sku, state, net_units as units
    from movements_daily
    where 1 = 0
),
{% endif %}

days as (
    {{ inventory_day_series('(select first_day from bounds)', '(select last_day from bounds)') }}
),

moved as (
    select movements_daily.*
    from movements_daily
    inner join bounds
        on movements_daily.date_day >= bounds.first_day
        and movements_daily.date_day <= bounds.last_day
),

positions as (
    select node_id, sku, state from carried
    union
    select node_id, sku, state from moved
),

balances as (
    select
        days.date_day,
        positions.node_id,
        positions.sku,
        positions.state,
        coalesce(carried.units, 0) + sum(coalesce(moved.net_units, 0)) over (
            partition by positions.node_id, positions.sku, positions.state
            order by days.date_day
            rows between unbounded preceding and current row
        )                                               as units
    from days
    cross join positions
    left join carried
        on positions.node_id = carried.node_id
        and positions.sku = carried.sku
        and positions.state = carried.state
    left join moved
        on days.date_day = moved.date_day
        and positions.node_id = moved.node_id
        and positions.sku = moved.sku
        and positions.state = moved.state
),

-- the newest load of any movement booked on the day: the same on every row of the day, so
-- max(loaded_at) over the table is exactly the newest load this table has seen
day_loads as (
    select
        date_day,
        max(loaded_at)                                  as loaded_at
    from moved
    group by date_day
),

final as (
    select
        balances.date_day,
        balances.sku,
        balances.node_id,
        balances.state,
        cast(balances.units as {{ dbt.type_int() }})    as units,
        balances.date_day = bounds.last_day             as is_latest,
        {{ inventory_is_on_hand('balances.state') }} as is_on_hand,
        day_loads.loaded_at
    from balances
    cross join bounds
    left join day_loads
        on balances.date_day = day_loads.date_day
    where balances.units <> 0
)

select * from final
