{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='sync_id',
        on_schema_change='fail',
    )
}}
-- How long an inventory-affecting event takes to reach the system of record and then each
-- channel selling from its node: one row per event × channel (channel_allocation: a DC's
-- events reach web, zalando and amazon; a store's the store channel).
--
-- Events, with the physical moment and the system of record's booking:
--   item_received      WMS receipt line: physical_at = sor_updated_at = received_at (the dock
--                      scan is the booking into quality_control)
--   item_received      POS store return: physical_at = returned_at (the customer hands the unit
--                      over), sor_updated_at = synced_at (end-of-day batch for some stores)
--   inventory_updated  WMS adjustment out of quality_control (the disposition booked):
--                      physical_at = the inspection of the receipt line when it came first,
--                      else (restocked before inspection) the receipt; sor_updated_at = adjusted_at
--
-- channel_shown_at: the channel's first stock publication at or after sor_updated_at that
-- covers the event. A channel publishing per location (web: Shopify inventory levels;
-- zalando: channel stock per Shopify location) covers it with its first publication at the
-- node's location, of any SKU - Shopify sends a level only when it changes, so the location's
-- next publication is when the channel has synced past the booking, changed or not. A channel
-- publishing per SKU (amazon channel stock) covers it with the SKU's next snapshot. Null while not shown yet, and always for
-- channels that publish nothing (stores). A lagging channel's snapshot is taken as showing
-- what was booked before it, lag or not: the lag shows in fct_channel_stock_gaps.
--
-- event_id is int_return_events' (hash of source, source record key, event type).
--
-- Incremental, delete+insert on sync_id: events loaded since the newest loaded_at here, plus
-- the rows still waiting for a channel that publishes (new publications may show them).

with movements as (
    select * from {{ ref('int_inventory_movements_unioned') }}
),

receipts as (
    select * from {{ ref('stg_wms__receipts') }}
),

inspections as (
    select * from {{ ref('stg_wms__inspections') }}
),

publications as (
    select * from {{ ref('int_inventory_publications_unioned') }}
),

allocation as (
    select * from {{ ref('channel_allocation') }}
),

booked as (
    select *
    from movements
    where (
        movements.movement_type in ('receipt', 'pos_return')
        or (
            movements.movement_type = 'adjustment'
            and movements.leg = 'out'
            and movements.from_state = 'quality_control'
        )
    )
    {% if is_incremental() %}
    and movements.loaded_at > {{ inventory_loaded_watermark(this) }}
    {% endif %}
),

received as (
    select
        receipt_id,
        sku,
        min(received_at)                                as received_at
    from receipts
    group by
        receipt_id,
        sku
),

inspected as (
    select
        receipt_id,
        sku,
        min(inspected_at)                               as inspected_at
    from inspections
    group by
        receipt_id,
        sku
),

events as (
    select
        booked.movement_type,
        case booked.movement_type
            when 'adjustment' then 'inventory_updated'
            else 'item_received'
        end                                             as event_type,
        booked.source,
        booked.source_record_key,
        booked.node_id,
        booked.sku,
        booked.quantity,
        booked.to_state,
        case
            when booked.movement_type <> 'adjustment' then booked.occurred_at
            when inspected.inspected_at <= booked.moved_at then inspected.inspected_at
            else coalesce(received.received_at, booked.moved_at)
        end                                             as physical_at,
        booked.moved_at                                 as sor_updated_at,
        booked.loaded_at
    from booked
    left join received
        on booked.movement_type = 'adjustment'
        and booked.reference = received.receipt_id
        and booked.sku = received.sku
    left join inspected
        on booked.movement_type = 'adjustment'
        and booked.reference = inspected.receipt_id
        and booked.sku = inspected.sku
),

keyed as (
    select
        {{ surrogate_key(['source', 'source_record_key', 'event_type']) }}
                                                        as event_id,
        events.*
    from events
),

expanded as (
    select
        {{ surrogate_key(['keyed.event_id', 'allocation.channel_id']) }}
                                                        as sync_id,
        keyed.event_id,
        keyed.event_type,
        keyed.source,
        keyed.sku,
        keyed.node_id,
        allocation.channel_id                           as channel,
        keyed.quantity,
        keyed.to_state,
        keyed.physical_at,
        keyed.sor_updated_at,
        keyed.loaded_at
    from keyed
    inner join allocation
        on keyed.node_id = allocation.node_id
),

{% if is_incremental() %}
waiting as (
    select
        previous.sync_id,
        previous.event_id,
        previous.event_type,
        previous.source,
        previous.sku,
        previous.node_id,
        previous.channel,
        previous.quantity,
        previous.to_state,
        previous.physical_at,
        previous.sor_updated_at,
        previous.loaded_at
    from {{ this }} as previous
    where previous.channel_shown_at is null
        and previous.channel in (select channel from publications)
        and previous.sync_id not in (select sync_id from expanded)
),

candidates as (
    select * from expanded
    union all
    select * from waiting
),
{% else %}
candidates as (
    select * from expanded
),
{% endif %}

located_channels as (
    select distinct channel
    from publications
    where node_id is not null
),

-- the publication stream an event × channel waits on: (channel, node, '*') for a channel
-- publishing per location, (channel, '*', sku) for one publishing per SKU
candidate_keys as (
    select
        candidates.*,
        case when located_channels.channel is not null
            then candidates.node_id else '*' end        as key_node,
        case when located_channels.channel is not null
            then '*' else candidates.sku end            as key_sku
    from candidates
    left join located_channels
        on candidates.channel = located_channels.channel
),

publication_keys as (
    select distinct
        channel,
        coalesce(node_id, '*')                          as key_node,
        case when node_id is not null then '*' else sku end
                                                        as key_sku,
        published_at
    from publications
    where published_at >= (select min(sor_updated_at) from candidates)
),

-- events and publications in one time line per stream; an event's channel_shown_at is the
-- first publication at or after it (a publication at the same second comes after the event)
timeline as (
    select
        channel,
        key_node,
        key_sku,
        sor_updated_at                                  as stream_at,
        0                                               as is_publication,
        sync_id
    from candidate_keys

    union all

    select
        channel,
        key_node,
        key_sku,
        published_at                                    as stream_at,
        1                                               as is_publication,
        cast(null as {{ dbt.type_string() }})           as sync_id
    from publication_keys
),

shown as (
    select
        sync_id,
        min(case when is_publication = 1 then stream_at end) over (
            partition by channel, key_node, key_sku
            order by stream_at, is_publication
            rows between current row and unbounded following
        )                                               as channel_shown_at
    from timeline
),

final as (
    select
        candidate_keys.sync_id,
        candidate_keys.event_id,
        candidate_keys.event_type,
        candidate_keys.source,
        candidate_keys.sku,
        candidate_keys.node_id,
        candidate_keys.channel,
        cast(candidate_keys.quantity as {{ dbt.type_int() }})
                                                        as quantity,
        candidate_keys.to_state,
        candidate_keys.physical_at,
        candidate_keys.sor_updated_at,
        shown.channel_shown_at,
        {{ inventory_hours_between('candidate_keys.physical_at', 'candidate_keys.sor_updated_at') }}
                                                        as sor_latency_hours,
        {{ inventory_hours_between('candidate_keys.physical_at', 'shown.channel_shown_at') }}
                                                        as channel_latency_hours,
        candidate_keys.loaded_at
    from candidate_keys
    inner join shown
        on candidate_keys.sync_id = shown.sync_id
)

select * from final
