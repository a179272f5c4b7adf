with source as (
    select * from {{ source('wms', 'receipts') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['receipt_id', 'sku']) }}
                                                as receipt_line_id,
        receipt_id,
        dc_id                                   as node_id,
        rma_number,
        sku,
        ---------- attributes
        nullif(trim(condition_note), '')        as condition_note,
        ---------- numerics
        quantity,
        ---------- timestamps
        received_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- a receipt line exported twice (overlapping export windows) is one receipt line
deduplicated as (
    {{ deduplicate('renamed', 'receipt_id, sku', '_loaded_at, _file, _row') }}
),

final as (
    select
        receipt_line_id,
        receipt_id,
        node_id,
        rma_number,
        sku,
        condition_note,
        quantity,
        received_at,
        loaded_at
    from deduplicated
)

select * from final
