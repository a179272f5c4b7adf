with source as (
    select * from {{ source('shopify', 'returns') }}
),

renamed as (
    select
        ---------- ids
        id                                      as return_id,
        name                                    as return_name,
        "order".id                              as order_id,
        ---------- attributes
        lower(status)                           as return_status,
        ---------- timestamps
        "createdAt"                             as initiated_at,
        "updatedAt"                             as updated_at,
        "closedAt"                              as closed_at,
        _loaded_at                              as loaded_at,
        row_number() over (
            partition by id order by "updatedAt" desc, _loaded_at desc, _row desc
        )                                       as recency_rank
    from source
)

-- Shopify sends the whole Return again on every status change: keep its latest state
select * exclude (recency_rank)
from renamed
where recency_rank = 1
