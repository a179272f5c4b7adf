-- What a channel shows, as channel_stock_published events: every channel-stock snapshot line,
-- and every Shopify inventory_levels/update (what the web shop shows; it names the Shopify
-- inventory item and location, which the products and nodes seeds turn into SKU and node).
{%- set null_string = "cast(null as " ~ dbt.type_string() ~ ")" %}

with snapshots as (
    select * from {{ ref('stg_channel_stock__snapshots') }}
),

inventory_levels as (
    select * from {{ ref('stg_shopify__inventory_levels') }}
),

products as (
    select * from {{ ref('products') }}
),

nodes as (
    select * from {{ ref('nodes') }}
),

-- a snapshot's location is a node id or a Shopify location id, depending on the channel
snapshot_lines as (
    select
        snapshots.snapshot_line_id                      as source_record_key,
        'channel_stock'                                 as source,
        snapshots.channel,
        coalesce(nodes_by_id.node_id, nodes_by_location.node_id, snapshots.location_id)
                                                        as node_id,
        snapshots.sku,
        snapshots.published_quantity                    as quantity,
        snapshots.captured_at                           as occurred_at,
        snapshots.loaded_at
    from snapshots
    left join nodes as nodes_by_id
        on snapshots.location_id = nodes_by_id.node_id
    left join nodes as nodes_by_location
        on snapshots.location_id
            = cast(nodes_by_location.shopify_location_id as {{ dbt.type_string() }})
),

level_updates as (
    select
        inventory_levels.inventory_level_update_id      as source_record_key,
        'shopify'                                       as source,
        'web'                                           as channel,
        coalesce(nodes.node_id, cast(inventory_levels.location_id as {{ dbt.type_string() }}))
                                                        as node_id,
        products.sku,
        inventory_levels.available_quantity             as quantity,
        inventory_levels.updated_at                     as occurred_at,
        inventory_levels.loaded_at
    from inventory_levels
    left join products
        on inventory_levels.inventory_item_id = products.shopify_inventory_item_id
    left join nodes
        on inventory_levels.location_id = nodes.shopify_location_id
),

unioned as (
    select * from snapshot_lines
    union all
    select * from level_updates
),

final as (
    select
        'channel_stock_published'                       as event_type,
        unioned.occurred_at,
        unioned.occurred_at                             as recorded_at,
        unioned.loaded_at,
        unioned.source,
        unioned.channel,
        unioned.node_id,
        {{ null_string }}                               as return_id,
        {{ null_string }}                               as return_line_id,
        {{ null_string }}                               as order_id,
        unioned.sku,
        unioned.quantity,
        {{ null_string }}                               as source_reason_code,
        {{ null_string }}                               as grade,
        {{ null_string }}                               as disposition,
        {{ null_string }}                               as inventory_state,
        cast(null as decimal(18, 2))                    as amount,
        {{ null_string }}                               as currency,
        {{ null_string }}                               as tracking_code,
        {{ null_string }}                               as carrier_status,
        unioned.source_record_key
    from unioned
)

select * from final
