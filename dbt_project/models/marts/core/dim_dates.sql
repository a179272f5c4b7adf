-- One row per day from the first day of data (the earliest event or order) to the as_of day.
-- A portable date spine: dbt.generate_series numbers the days (up to ~11 years), dbt.dateadd
-- turns them into dates.
with events as (
    select * from {{ ref('int_return_events') }}
),

orders as (
    select ordered_at from {{ ref('stg_shopify__orders') }}
    union all
    select ordered_at from {{ ref('stg_amazon__order_lines') }}
),

bounds as (
    select
        cast(least(
            (select min(occurred_at) from events),
            coalesce((select min(ordered_at) from orders), (select min(occurred_at) from events))
        ) as date)                                                  as first_day,
        cast({{ as_of_timestamp() }} as date)                       as last_day
),

numbers as (
    {{ dbt.generate_series(4096) }}
),

days as (
    select
        cast({{ dbt.dateadd('day', 'numbers.generated_number - 1', 'bounds.first_day') }} as date)
                                                                    as date_day,
        bounds.last_day
    from numbers
    cross join bounds
),

final as (
    select
        date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date)      as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date)     as month_start,
        cast(extract(year from date_day) as {{ dbt.type_int() }})   as year,
        cast({{ iso_day_of_week('date_day') }} as {{ dbt.type_int() }})
                                                                    as day_of_week
    from days
    where date_day <= last_day
)

select * from final
