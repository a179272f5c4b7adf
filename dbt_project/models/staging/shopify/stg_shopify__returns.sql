-- Shopify sends the whole Return again on every status change, and webhooks are re-delivered:
-- this is the return's status history, one row per return and status it reached.
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
        decline.reason                          as decline_reason,
        decline.note                            as decline_note,
        -- DuckDB-only: len() of a list (no cross-database list length in dbt)
        coalesce(len("exchangeLineItems"), 0)   as exchange_line_count,
        ---------- timestamps
        "createdAt"                             as initiated_at,
        "updatedAt"                             as updated_at,
        "closedAt"                              as closed_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- the first payload of each status wins: a re-delivered webhook (or the same status sent again
-- later) is the same status change; ordered by the source's own clock, then by arrival
deduplicated as (
    {{ deduplicate('renamed', 'return_id, return_status', 'updated_at, _loaded_at, _file, _row') }}
),

final as (
    select
        return_id,
        return_status,
        return_name,
        order_id,
        decline_reason,
        decline_note,
        exchange_line_count,
        initiated_at,
        updated_at,
        closed_at,
        loaded_at
    from deduplicated
)

select * from final
