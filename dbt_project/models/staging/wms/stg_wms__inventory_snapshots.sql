with source as (
    select * from {{ source('wms', 'inventory_snapshots') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['dc_id', 'sku', 'lower(state)', 'snapshot_at']) }}
                                                as snapshot_line_id,
        dc_id                                   as node_id,
        sku,
        ---------- attributes
        lower(state)                            as inventory_state,
        ---------- numerics
        quantity,
        ---------- timestamps
        snapshot_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- one count per DC × SKU × state × snapshot time; a re-exported snapshot: the first loaded
deduplicated as (
    {{ deduplicate('renamed', 'snapshot_line_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        snapshot_line_id,
        node_id,
        sku,
        inventory_state,
        quantity,
        snapshot_at,
        loaded_at
    from deduplicated
)

select * from final
