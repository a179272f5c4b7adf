with source as (
    select * from {{ source('shopify', 'orders') }}
),

renamed as (
    select
        ---------- ids
        admin_graphql_api_id                    as order_id,
        name                                    as order_name,
        ---------- attributes
        source_name                             as channel,
        currency,
        ---------- timestamps
        created_at                              as ordered_at,
        _loaded_at                              as loaded_at,
        row_number() over (
            partition by admin_graphql_api_id order by _loaded_at, _file, _row
        )                                       as payload_rank
    from source
)

-- a re-sent webhook is the same order: keep the first payload
select * exclude (payload_rank)
from renamed
where payload_rank = 1
