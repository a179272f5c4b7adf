-- The conformed event log (DESIGN §4): one row per lifecycle event, from every source.
with return_lines as (
    select * from {{ ref('stg_shopify__return_lines') }}
),

orders as (
    select * from {{ ref('stg_shopify__orders') }}
),

receipts as (
    select * from {{ ref('stg_wms__receipts') }}
),

refund_lines as (
    select * from {{ ref('stg_shopify__refund_lines') }}
),

initiated as (
    select
        'shopify'                               as source,
        return_lines.return_line_id             as source_record_key,
        'return_initiated'                      as event_type,
        return_lines.initiated_at               as occurred_at,
        return_lines.initiated_at               as recorded_at,
        return_lines.loaded_at,
        cast(null as varchar)                   as node_id,
        return_lines.return_id,
        return_lines.return_line_id,
        return_lines.order_id,
        return_lines.sku,
        return_lines.quantity,
        return_lines.shopify_return_reason      as reason_code,
        cast(null as decimal(18, 2))            as amount
    from return_lines
),

-- the WMS knows the RMA (the Shopify return name) and the SKU, not Shopify's line ids
received as (
    select
        'wms'                                   as source,
        receipts.receipt_id || '|' || receipts.sku as source_record_key,
        'item_received'                         as event_type,
        receipts.received_at                    as occurred_at,
        receipts.received_at                    as recorded_at,
        receipts.loaded_at,
        receipts.node_id,
        return_lines.return_id,
        return_lines.return_line_id,
        return_lines.order_id,
        receipts.sku,
        receipts.quantity,
        cast(null as varchar)                   as reason_code,
        cast(null as decimal(18, 2))            as amount
    from receipts
    left join return_lines
        on receipts.rma_number = return_lines.return_name
        and receipts.sku = return_lines.sku
),

refunded as (
    select
        'shopify'                               as source,
        refund_lines.refund_line_id             as source_record_key,
        'refund_released'                       as event_type,
        refund_lines.refunded_at                as occurred_at,
        refund_lines.refunded_at                as recorded_at,
        refund_lines.loaded_at,
        cast(null as varchar)                   as node_id,
        return_lines.return_id,
        return_lines.return_line_id,
        refund_lines.order_id,
        refund_lines.sku,
        refund_lines.quantity,
        cast(null as varchar)                   as reason_code,
        refund_lines.refund_amount              as amount
    from refund_lines
    left join return_lines
        on refund_lines.return_id = return_lines.return_id
        and refund_lines.line_item_id = return_lines.line_item_id
),

unioned as (
    select * from initiated
    union all
    select * from received
    union all
    select * from refunded
),

final as (
    select
        {{ dbt.hash(dbt.concat(["source", "'|'", "source_record_key", "'|'", "event_type"])) }}
                                                as event_id,
        unioned.event_type,
        unioned.occurred_at,
        unioned.recorded_at,
        unioned.loaded_at,
        unioned.source,
        orders.channel,
        unioned.node_id,
        unioned.return_id,
        unioned.return_line_id,
        unioned.order_id,
        unioned.sku,
        unioned.quantity,
        unioned.reason_code,
        unioned.amount
    from unioned
    left join orders on unioned.order_id = orders.order_id
)

select * from final
