-- DuckDB-only syntax: `unnest` of refund_line_items and `.` access into its structs.
with source as (
    select * from {{ source('shopify', 'refunds') }}
),

unnested as (
    select
        id,
        order_id,
        "return"                                as return_ref,
        processed_at,
        created_at,
        _loaded_at,
        _file,
        _row,
        unnest(refund_line_items)               as line
    from source
),

renamed as (
    select
        ---------- ids
        {{ shopify_gid('RefundLineItem', 'line.id') }}
                                                as refund_line_id,
        {{ shopify_gid('Refund', 'id') }}
                                                as refund_id,
        {{ shopify_gid('Order', 'order_id') }}
                                                as order_id,
        coalesce(
            return_ref.admin_graphql_api_id,
            {{ shopify_gid('Return', 'return_ref.id') }}
        )                                       as return_id,
        {{ shopify_gid('LineItem', 'line.line_item_id') }}
                                                as line_item_id,
        line.line_item.sku                      as sku,
        line.location_id                        as location_id,
        ---------- attributes
        line.restock_type                       as restock_type,
        ---------- numerics
        line.quantity                           as quantity,
        cast(line.subtotal as decimal(18, 2))   as refund_amount,
        ---------- timestamps
        coalesce(processed_at, created_at)      as refunded_at,
        created_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from unnested
),

-- a re-sent refund repeats its lines: one row per refund line item, the first payload's
deduplicated as (
    {{ deduplicate('renamed', 'refund_line_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        refund_line_id,
        refund_id,
        order_id,
        return_id,
        line_item_id,
        sku,
        location_id,
        restock_type,
        quantity,
        refund_amount,
        refunded_at,
        created_at,
        loaded_at
    from deduplicated
)

select * from final
