-- What each channel shows now: the newest publication per channel × SKU × location (a
-- channel-wide figure has no location). Newest by published_at; a tie goes to the later load.

with publications as (
    select * from {{ ref('int_inventory_publications_unioned') }}
),

ranked as (
    {{ deduplicate('publications',
                   "channel, sku, coalesce(location_id, '')",
                   'published_at desc, loaded_at desc, publication_id desc') }}
),

final as (
    select
        channel,
        sku,
        node_id,
        location_id,
        published_quantity,
        published_at,
        origin,
        publication_id,
        loaded_at
    from ranked
)

select * from final
