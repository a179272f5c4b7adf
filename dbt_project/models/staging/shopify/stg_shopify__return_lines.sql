-- DuckDB-only syntax: `unnest` of returnLineItems and `.` access into its structs.
with source as (
    select * from {{ source('shopify', 'returns') }}
),

unnested as (
    select
        id                                      as return_id,
        name                                    as return_name,
        "order".id                              as order_id,
        "createdAt"                             as initiated_at,
        "updatedAt"                             as updated_at,
        _loaded_at,
        _file,
        _row,
        unnest("returnLineItems")               as line
    from source
),

renamed as (
    select
        ---------- ids
        line.id                                 as return_line_id,
        return_id,
        return_name,
        order_id,
        line.fulfillmentLineItem.lineItem.id    as line_item_id,
        line.fulfillmentLineItem.lineItem.sku   as sku,
        ---------- attributes
        line.returnReason                       as shopify_return_reason,
        line.customerNote                       as customer_note,
        ---------- numerics
        line.quantity                           as quantity,
        ---------- timestamps
        initiated_at,
        updated_at                              as first_recorded_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        updated_at,
        _loaded_at,
        _file,
        _row
    from unnested
),

-- every status-change payload repeats the lines: one row per return line, from the earliest
-- payload (so first_recorded_at is the first updatedAt that carried the line)
deduplicated as (
    {{ deduplicate('renamed', 'return_line_id', 'updated_at, _loaded_at, _file, _row') }}
),

final as (
    select
        return_line_id,
        return_id,
        return_name,
        order_id,
        line_item_id,
        sku,
        shopify_return_reason,
        customer_note,
        quantity,
        initiated_at,
        first_recorded_at,
        loaded_at
    from deduplicated
)

select * from final
