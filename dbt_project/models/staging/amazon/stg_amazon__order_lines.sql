with source as (
    select * from {{ source('amazon', 'orders') }}
),

renamed as (
    select
        ---------- ids
        "amazon-order-id"                       as order_id,
        sku,
        "merchant-order-id"                     as merchant_order_id,
        asin,
        ---------- attributes
        lower("order-status")                   as order_status,
        "fulfillment-channel"                   as fulfillment_channel,
        "sales-channel"                         as sales_channel,
        currency,
        "ship-country"                          as ship_country,
        ---------- numerics
        quantity,
        cast("item-price" as decimal(18, 2))    as line_amount,
        ---------- timestamps
        "purchase-date"                         as ordered_at,
        "last-updated-date"                     as last_updated_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- every report lists an order item again, with its status as of that report: keep the row with
-- the latest last-updated-date (a repeat of the same version: the first loaded)
deduplicated as (
    {{ deduplicate('renamed', 'order_id, sku',
                   'last_updated_at desc nulls last, _loaded_at, _file, _row') }}
),

final as (
    select
        order_id,
        sku,
        merchant_order_id,
        asin,
        order_status,
        fulfillment_channel,
        sales_channel,
        currency,
        ship_country,
        quantity,
        line_amount,
        ordered_at,
        last_updated_at,
        loaded_at
    from deduplicated
)

select * from final
