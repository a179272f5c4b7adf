with source as (
    select * from {{ source('shopify', 'returns') }}
),

unnested as (
    select
        id                                      as return_id,
        name                                    as return_name,
        "order".id                              as order_id,
        "createdAt"                             as initiated_at,
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
        ---------- numerics
        line.quantity                           as quantity,
        ---------- timestamps
        initiated_at,
        _loaded_at                              as loaded_at,
        row_number() over (
            partition by line.id order by _loaded_at, _file, _row
        )                                       as payload_rank
    from unnested
)

-- every status-change payload repeats the lines: one row per return line
select * exclude (payload_rank)
from renamed
where payload_rank = 1
