with source as (
    select * from {{ source('pos', 'store_returns') }}
),

renamed as (
    select
        ---------- ids
        {{ dbt.concat(['transaction_id', "'-'", 'cast(line_number as ' ~ dbt.type_string() ~ ')']) }}
                                                as return_line_id,
        transaction_id,
        line_number,
        store_id                                as node_id,
        nullif(trim(order_id), '')              as order_id,
        sku,
        employee_id,
        ---------- attributes
        -- a return without an online order was bought in a store
        coalesce(nullif(lower(trim(channel)), ''), 'store')
                                                as channel,
        reason_code                             as pos_reason_code,
        lower(condition)                        as item_condition,
        lower(tender)                           as tender,
        currency,
        ---------- numerics
        quantity,
        cast(refund_amount as decimal(18, 2))   as refund_amount,
        ---------- timestamps
        returned_at,
        -- when the store's batch reached head office: until then the unit is off-system
        synced_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- a batch synced twice is the same till transaction line
deduplicated as (
    {{ deduplicate('renamed', 'return_line_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        return_line_id,
        transaction_id,
        line_number,
        node_id,
        order_id,
        sku,
        employee_id,
        channel,
        pos_reason_code,
        item_condition,
        tender,
        currency,
        quantity,
        refund_amount,
        returned_at,
        synced_at,
        loaded_at
    from deduplicated
)

select * from final
