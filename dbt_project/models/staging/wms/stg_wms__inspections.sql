with source as (
    select * from {{ source('wms', 'inspections') }}
),

renamed as (
    select
        ---------- ids
        inspection_id,
        receipt_id,
        dc_id                                   as node_id,
        rma_number,
        sku,
        inspector_id,
        ---------- attributes
        upper(grade)                            as grade,
        lower(disposition)                      as disposition,
        ---------- numerics
        quantity,
        ---------- timestamps
        inspected_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- an inspection exported twice is one inspection
deduplicated as (
    {{ deduplicate('renamed', 'inspection_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        inspection_id,
        receipt_id,
        node_id,
        rma_number,
        sku,
        inspector_id,
        grade,
        disposition,
        quantity,
        inspected_at,
        loaded_at
    from deduplicated
)

select * from final
