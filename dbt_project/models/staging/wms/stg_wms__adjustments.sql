with source as (
    select * from {{ source('wms', 'adjustments') }}
),

renamed as (
    select
        ---------- ids
        adjustment_id,
        dc_id                                   as node_id,
        sku,
        nullif(trim(reference), '')             as reference,
        ---------- attributes
        nullif(lower(from_state), '')           as from_state,
        nullif(lower(to_state), '')             as to_state,
        reason_code                             as wms_reason_code,
        ---------- numerics
        quantity,
        ---------- timestamps
        adjusted_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- an adjustment exported twice is one move
deduplicated as (
    {{ deduplicate('renamed', 'adjustment_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        adjustment_id,
        node_id,
        sku,
        reference,
        from_state,
        to_state,
        wms_reason_code,
        quantity,
        adjusted_at,
        loaded_at
    from deduplicated
)

select * from final
