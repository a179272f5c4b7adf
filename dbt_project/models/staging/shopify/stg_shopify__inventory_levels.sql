with source as (
    select * from {{ source('shopify', 'inventory_levels') }}
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['inventory_item_id', 'location_id', 'updated_at']) }}
                                                as inventory_level_update_id,
        inventory_item_id,
        location_id,
        admin_graphql_api_id                    as inventory_level_id,
        ---------- numerics
        available                               as available_quantity,
        ---------- timestamps
        updated_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- one row per update (item × location × updated_at); a re-delivered webhook is the same update
deduplicated as (
    {{ deduplicate('renamed', 'inventory_level_update_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        inventory_level_update_id,
        inventory_item_id,
        location_id,
        inventory_level_id,
        available_quantity,
        updated_at,
        loaded_at
    from deduplicated
)

select * from final
