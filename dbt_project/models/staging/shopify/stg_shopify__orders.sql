with source as (
    select * from {{ source('shopify', 'orders') }}
),

renamed as (
    select
        ---------- ids
        admin_graphql_api_id                    as order_id,
        id                                      as order_number,
        name                                    as order_name,
        customer.id                             as customer_id,
        ---------- attributes
        source_name                             as channel,
        currency,
        customer.tags                           as customer_tags,
        shipping_address.country_code           as ship_country,
        ---------- timestamps
        created_at                              as ordered_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- a re-sent webhook is the same order: keep the first payload
deduplicated as (
    {{ deduplicate('renamed', 'order_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        order_id,
        order_number,
        order_name,
        customer_id,
        channel,
        currency,
        customer_tags,
        ship_country,
        ordered_at,
        loaded_at
    from deduplicated
)

select * from final
