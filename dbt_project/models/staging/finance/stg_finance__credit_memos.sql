with source as (
    select * from {{ source('finance', 'credit_memos') }}
),

renamed as (
    select
        ---------- ids
        credit_memo_id,
        order_id,
        return_reference,
        sku,
        ---------- attributes
        lower(channel)                          as channel,
        lower(memo_type)                        as memo_type,
        upper(currency)                         as currency,
        ---------- numerics
        quantity,
        cast(amount as decimal(18, 2))          as amount,
        ---------- timestamps
        issued_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- a memo exported twice is one memo
deduplicated as (
    {{ deduplicate('renamed', 'credit_memo_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        credit_memo_id,
        order_id,
        return_reference,
        sku,
        channel,
        memo_type,
        currency,
        quantity,
        amount,
        issued_at,
        loaded_at
    from deduplicated
)

select * from final
