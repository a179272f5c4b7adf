with return_lines as (
    select * from {{ ref('stg_shopify__return_lines') }}
),

orders as (
    select * from {{ ref('stg_shopify__orders') }}
),

events as (
    select * from {{ ref('int_return_events') }}
    where return_line_id is not null
),

-- the first of each stage wins: a late duplicate never moves a stage later
stages as (
    select
        return_line_id,
        min(case when event_type = 'return_initiated' then occurred_at end) as initiated_at,
        min(case when event_type = 'item_received' then occurred_at end)    as received_at,
        min(case when event_type = 'refund_released' then occurred_at end)  as refunded_at,
        sum(case when event_type = 'refund_released' then amount end)       as refund_amount
    from events
    group by return_line_id
),

final as (
    select
        return_lines.return_line_id,
        return_lines.return_id,
        return_lines.order_id,
        orders.channel,
        return_lines.sku,
        cast(return_lines.quantity as integer)                  as quantity,
        return_lines.shopify_return_reason                      as return_reason,
        stages.initiated_at,
        stages.received_at,
        stages.refunded_at,
        cast(stages.refund_amount as decimal(18, 2))            as refund_amount,
        cast({{ dbt.datediff('stages.initiated_at', 'stages.refunded_at', 'second') }} as double)
            / 3600                                              as cycle_time_hours,
        case
            when stages.refunded_at is not null then 'refunded'
            when stages.received_at is not null then 'received'
            else 'initiated'
        end                                                     as status
    from return_lines
    left join orders on return_lines.order_id = orders.order_id
    left join stages on return_lines.return_line_id = stages.return_line_id
)

select * from final
