-- Every stock figure a channel has shown, one row per publication of a SKU (at a location
-- when the channel publishes per location):
--
--   web          Shopify inventory_levels updates: `available` of an inventory item (-> SKU by
--                products) at a location (-> node by nodes.shopify_location_id). Shopify sends
--                a level only when it changes.
--   any channel  channel_stock snapshot lines (channel pulls and write-back acks): the SKU's
--                quantity, at a location when the line names one (a node id, a Shopify
--                location id or its gid: zalando, stocked per Shopify location), else for
--                the whole channel (amazon).
--
-- Small at any scale: it grows with catalogue × channels × days, not with orders.
{%- set text = dbt.type_string() %}

with inventory_levels as (
    select * from {{ ref('stg_shopify__inventory_levels') }}
),

snapshots as (
    select * from {{ ref('stg_channel_stock__snapshots') }}
),

products as (
    select * from {{ ref('products') }}
),

nodes as (
    select * from {{ ref('nodes') }}
),

levels as (
    select
        inventory_levels.inventory_level_update_id      as publication_id,
        'web'                                           as channel,
        products.sku,
        nodes.node_id,
        cast(inventory_levels.location_id as {{ text }})
                                                        as location_id,
        inventory_levels.available_quantity             as published_quantity,
        inventory_levels.updated_at                     as published_at,
        'inventory_level'                               as origin,
        inventory_levels.loaded_at
    from inventory_levels
    inner join products
        on inventory_levels.inventory_item_id = products.shopify_inventory_item_id
    left join nodes
        on inventory_levels.location_id = nodes.shopify_location_id
),

snapshot_lines as (
    select
        snapshots.*,
        {{ dbt.replace('snapshots.location_id', "'gid://shopify/Location/'", "''") }}
                                                        as location_text
    from snapshots
),

snapshot_rows as (
    select
        snapshot_lines.snapshot_line_id                 as publication_id,
        snapshot_lines.channel,
        snapshot_lines.sku,
        coalesce(nodes_by_id.node_id, nodes_by_location.node_id)
                                                        as node_id,
        coalesce(
            cast(coalesce(nodes_by_id.shopify_location_id, nodes_by_location.shopify_location_id)
                as {{ text }}),
            snapshot_lines.location_text
        )                                               as location_id,
        snapshot_lines.published_quantity,
        snapshot_lines.captured_at                      as published_at,
        snapshot_lines.origin,
        snapshot_lines.loaded_at
    from snapshot_lines
    left join nodes as nodes_by_id
        on snapshot_lines.location_text = nodes_by_id.node_id
    left join nodes as nodes_by_location
        on snapshot_lines.location_text = cast(nodes_by_location.shopify_location_id as {{ text }})
),

unioned as (
    select * from levels
    union all
    select * from snapshot_rows
),

final as (
    select
        publication_id,
        channel,
        sku,
        node_id,
        location_id,
        cast(published_quantity as {{ dbt.type_int() }})
                                                        as published_quantity,
        published_at,
        origin,
        loaded_at
    from unioned
)

select * from final
