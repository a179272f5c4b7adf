-- How fresh each source is: its newest event (occurred, recorded by the source, landed in the
-- warehouse), from the event log plus the order feeds (orders are not lifecycle events).
-- Compare with seeds/sla_targets.csv source_freshness.
with events as (
    select source, occurred_at, recorded_at, loaded_at
    from {{ ref('int_return_events') }}
),

orders as (
    select 'shopify' as source, ordered_at as occurred_at, ordered_at as recorded_at, loaded_at
    from {{ ref('stg_shopify__orders') }}
    union all
    select 'amazon' as source, ordered_at, coalesce(last_updated_at, ordered_at), loaded_at
    from {{ ref('stg_amazon__order_lines') }}
),

unioned as (
    select * from events
    union all
    select * from orders
),

final as (
    select
        source,
        max(occurred_at)                                            as newest_occurred_at,
        max(recorded_at)                                            as newest_recorded_at,
        max(loaded_at)                                              as newest_loaded_at
    from unioned
    group by source
)

select * from final
