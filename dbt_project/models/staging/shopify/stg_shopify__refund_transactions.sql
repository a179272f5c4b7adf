-- DuckDB-only syntax: `unnest` of transactions and `.` access into its structs.
with source as (
    select * from {{ source('shopify', 'refunds') }}
),

unnested as (
    select
        id,
        order_id,
        "return"                                as return_ref,
        processed_at,
        created_at,
        _loaded_at,
        _file,
        _row,
        unnest(transactions)                    as txn
    from source
),

renamed as (
    select
        ---------- ids
        {{ shopify_gid('OrderTransaction', 'txn.id') }}
                                                as transaction_id,
        {{ shopify_gid('Refund', 'id') }}
                                                as refund_id,
        {{ shopify_gid('Order', 'order_id') }}
                                                as order_id,
        coalesce(
            return_ref.admin_graphql_api_id,
            {{ shopify_gid('Return', 'return_ref.id') }}
        )                                       as return_id,
        ---------- attributes
        lower(txn.kind)                         as transaction_kind,
        lower(txn.status)                       as transaction_status,
        txn.gateway                             as gateway,
        coalesce(txn.gateway = 'shopify_store_credit', false)
                                                as is_store_credit,
        txn.currency                            as currency,
        ---------- numerics
        cast(txn.amount as decimal(18, 2))      as amount,
        ---------- timestamps
        coalesce(processed_at, created_at)      as refunded_at,
        created_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from unnested
),

-- a re-sent refund repeats its transactions: one row per transaction, the first payload's
deduplicated as (
    {{ deduplicate('renamed', 'transaction_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        transaction_id,
        refund_id,
        order_id,
        return_id,
        transaction_kind,
        transaction_status,
        gateway,
        is_store_credit,
        currency,
        amount,
        refunded_at,
        created_at,
        loaded_at
    from deduplicated
)

select * from final
