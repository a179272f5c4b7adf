-- DuckDB-only syntax: `.` access into the metadata struct.
with source as (
    select * from {{ source('finance', 'payment_refunds') }}
),

renamed as (
    select
        ---------- ids
        id                                      as payment_refund_id,
        metadata.order_id                       as order_id,
        metadata.return_id                      as return_id,
        charge                                  as charge_id,
        payment_intent                          as payment_intent_id,
        ---------- attributes
        lower(status)                           as refund_status,
        reason                                  as refund_reason,
        metadata.channel                        as channel,
        upper(currency)                         as currency,
        ---------- numerics
        -- Stripe amounts are in minor units (cents)
        cast(cast(amount as decimal(18, 2)) / 100 as decimal(18, 2))
                                                as amount,
        ---------- timestamps
        {{ epoch_to_timestamp('created') }}     as created_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        case lower(status)
            when 'succeeded' then 1
            when 'failed' then 1
            when 'canceled' then 1
            else 2
        end                                     as status_rank,
        _loaded_at,
        _file,
        _row
    from source
),

-- a refund object is sent again when its status changes (pending -> succeeded/failed/canceled)
-- and webhooks repeat: one row per refund, its final status when one arrived, else the first
deduplicated as (
    {{ deduplicate('renamed', 'payment_refund_id', 'status_rank, _loaded_at, _file, _row') }}
),

final as (
    select
        payment_refund_id,
        order_id,
        return_id,
        charge_id,
        payment_intent_id,
        refund_status,
        refund_reason,
        channel,
        currency,
        amount,
        created_at,
        loaded_at
    from deduplicated
)

select * from final
