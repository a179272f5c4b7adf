-- The stock each channel should show, where it shows something else: one correction per
-- SKU × channel × location for the write-back (DESIGN §8, writeback/corrections.py).
--
--   per location   a channel that publishes per location (the web shop: Shopify inventory
--                  levels per DC location; zalando, through Shopify's marketplace connector:
--                  channel stock per DC location) is corrected per location, to that node's
--                  share under the channel's allocation:
--                  floor(greatest(node_atp, 0) * allocation_pct / 100) on the last day
--   per channel    a channel-wide figure (amazon) is corrected to the channel's ATP
--
-- Only channels with a write-back protocol (seed channels), only SKUs × locations the channel
-- has published (published_quantity is the compare-and-set base), only where delta <> 0.
-- correction_id is the write-back's formula (macro correction_id); needs_approval when
-- |delta| > var approval_units (50) or |delta| × unit_value > var approval_value (1000),
-- the defaults of writeback/settings.py. unit_value is the SKU's selling price.

with published as (
    select * from {{ ref('int_inventory_publications_latest') }}
),

positions as (
    select * from {{ ref('fct_inventory_positions') }}
    where is_latest
),

channel_atp as (
    select * from {{ ref('fct_channel_atp') }}
    where is_latest
),

allocation as (
    select * from {{ ref('channel_allocation') }}
),

channels as (
    select * from {{ ref('channels') }}
    where writeback_protocol <> 'none'
),

products as (
    select * from {{ ref('products') }}
),

node_atp as (
    select
        node_id,
        sku,
        sum(units * {{ inventory_atp_sign('state') }})            as node_atp
    from positions
    group by
        node_id,
        sku
),

targets as (
    -- per location: the node's share
    select
        published.channel,
        published.sku,
        published.location_id,
        published.published_quantity,
        published.published_at,
        coalesce({{ inventory_atp_share('node_atp.node_atp', 'allocation.allocation_pct') }}, 0)
                                                        as target_quantity
    from published
    left join allocation
        on published.channel = allocation.channel_id
        and published.node_id = allocation.node_id
    left join node_atp
        on published.node_id = node_atp.node_id
        and published.sku = node_atp.sku
    where published.location_id is not null

    union all

    -- per channel: the channel's ATP
    select
        published.channel,
        published.sku,
        published.location_id,
        published.published_quantity,
        published.published_at,
        coalesce(channel_atp.atp, 0)                    as target_quantity
    from published
    left join channel_atp
        on published.channel = channel_atp.channel
        and published.sku = channel_atp.sku
    where published.location_id is null
),

corrections as (
    select
        targets.channel,
        targets.sku,
        targets.location_id,
        case when channels.writeback_protocol = 'shopify_graphql'
            then cast(products.shopify_inventory_item_id as {{ dbt.type_string() }})
        end                                             as inventory_item_id,
        cast(targets.published_quantity as {{ dbt.type_int() }})
                                                        as published_quantity,
        cast(targets.target_quantity as {{ dbt.type_int() }})
                                                        as target_quantity,
        cast(targets.target_quantity - targets.published_quantity as {{ dbt.type_int() }})
                                                        as delta,
        cast(products.unit_price as decimal(18, 2))     as unit_value,
        targets.published_at                            as basis_published_at,
        channels.writeback_protocol
    from targets
    inner join channels
        on targets.channel = channels.channel_id
    inner join products
        on targets.sku = products.sku
    where targets.target_quantity <> targets.published_quantity
),

final as (
    select
        {{ correction_id('channel', 'sku', 'location_id', 'published_quantity',
                         'target_quantity', 'basis_published_at') }}
                                                        as correction_id,
        channel,
        sku,
        location_id,
        inventory_item_id,
        published_quantity,
        target_quantity,
        delta,
        unit_value,
        (
            abs(delta) > {{ var('approval_units', 50) }}
            or abs(delta) * unit_value > {{ var('approval_value', 1000) }}
        )                                               as needs_approval,
        basis_published_at,
        writeback_protocol
    from corrections
)

select * from final
