with source as (
    select * from {{ source('channel_stock', 'snapshots') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['snapshot_id', 'lower(channel)', 'sku', 'location_id']) }}
                                                as snapshot_line_id,
        snapshot_id,
        sku,
        nullif(trim(location_id), '')           as location_id,
        correction_id,
        ---------- attributes
        lower(channel)                          as channel,
        lower(origin)                           as origin,
        ---------- numerics
        quantity                                as published_quantity,
        ---------- timestamps
        captured_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- one line per snapshot × channel × SKU × location; a file landed again: the first loaded
deduplicated as (
    {{ deduplicate('renamed', 'snapshot_line_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        snapshot_line_id,
        snapshot_id,
        channel,
        sku,
        location_id,
        correction_id,
        origin,
        published_quantity,
        captured_at,
        loaded_at
    from deduplicated
)

select * from final
