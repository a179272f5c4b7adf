with source as (
    select * from {{ source('shopify', 'refunds') }}
),

renamed as (
    select
        ---------- ids
        {{ shopify_gid('Refund', 'id') }}
                                                as refund_id,
        {{ shopify_gid('Order', 'order_id') }}
                                                as order_id,
        coalesce(
            "return".admin_graphql_api_id,
            {{ shopify_gid('Return', '"return".id') }}
        )                                       as return_id,
        ---------- attributes
        note,
        ---------- timestamps
        coalesce(processed_at, created_at)      as refunded_at,
        created_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- a re-sent refunds/create webhook is the same refund
deduplicated as (
    {{ deduplicate('renamed', 'refund_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        refund_id,
        order_id,
        return_id,
        note,
        refunded_at,
        created_at,
        loaded_at
    from deduplicated
)

select * from final
