with source as (
    select * from {{ source('shopify', 'refunds') }}
),

unnested as (
    select
        admin_graphql_api_id,
        id,
        order_id,
        "return".admin_graphql_api_id           as return_id,
        coalesce(processed_at, created_at)      as refunded_at,
        _loaded_at,
        _file,
        _row,
        unnest(refund_line_items)               as line
    from source
),

renamed as (
    select
        ---------- ids
        line.id                                 as refund_line_id,
        coalesce(admin_graphql_api_id, 'gid://shopify/Refund/' || cast(id as varchar))
                                                as refund_id,
        'gid://shopify/Order/' || cast(order_id as varchar)
                                                as order_id,
        return_id,
        'gid://shopify/LineItem/' || cast(line.line_item_id as varchar)
                                                as line_item_id,
        line.line_item.sku                      as sku,
        ---------- attributes
        line.restock_type                       as restock_type,
        line.location_id                        as location_id,
        ---------- numerics
        line.quantity                           as quantity,
        cast(line.subtotal as decimal(18, 2))   as refund_amount,
        ---------- timestamps
        refunded_at,
        _loaded_at                              as loaded_at,
        row_number() over (
            partition by line.id order by _loaded_at, _file, _row
        )                                       as payload_rank
    from unnested
)

select * exclude (payload_rank)
from renamed
where payload_rank = 1
