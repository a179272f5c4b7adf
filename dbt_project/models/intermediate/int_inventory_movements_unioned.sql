{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='movement_id',
        on_schema_change='fail',
    )
}}
-- Every booking that moves units between the inventory states of DESIGN §4 at a node, one
-- row per leg (an adjustment from one state to another is two legs: -units out, +units in):
--
--   opening_count  the node's first WMS inventory snapshot (stores included): +units per state
--   receipt        a WMS receipt line: +units into quality_control at received_at
--   adjustment     a WMS adjustment: -units from_state, +units to_state at adjusted_at
--                  (a null side is outside the node: a shipment out, a PO opened)
--   pos_return     a synced POS return line: +units into available (resaleable) or damaged at
--                  synced_at; until the store's batch syncs the unit is off-system
--
-- A move belongs to the day of its booking timestamp. Bookings at or before the node's opening
-- count are already in it and are left out.
--
-- Incremental: only staging rows loaded after the newest loaded_at here are read (a re-export
-- of a record is dropped by the staging dedupe, so it never reaches this model twice);
-- delete+insert on movement_id makes a re-run idempotent.
{%- set null_string = "cast(null as " ~ dbt.type_string() ~ ")" %}

with snapshots as (
    select * from {{ ref('stg_wms__inventory_snapshots') }}
),

receipts as (
    select * from {{ ref('stg_wms__receipts') }}
),

adjustments as (
    select * from {{ ref('stg_wms__adjustments') }}
),

store_returns as (
    select * from {{ ref('stg_pos__store_returns') }}
),

-- the opening count of each node: its first snapshot (the day before the first simulated day)
openings as (
    select
        node_id,
        min(snapshot_at)                                as opened_at
    from snapshots
    group by node_id
),

opening_count as (
    select
        'opening_count'                                 as movement_type,
        'in'                                            as leg,
        'wms'                                           as source,
        snapshots.snapshot_line_id                      as source_record_key,
        snapshots.node_id,
        snapshots.sku,
        snapshots.inventory_state                       as state,
        snapshots.quantity                              as units,
        snapshots.quantity,
        snapshots.snapshot_at                           as occurred_at,
        snapshots.snapshot_at                           as moved_at,
        {{ null_string }}                               as from_state,
        snapshots.inventory_state                       as to_state,
        'OPENING_COUNT'                                 as reason_code,
        {{ null_string }}                               as reference,
        snapshots.loaded_at
    from snapshots
    inner join openings
        on snapshots.node_id = openings.node_id
        and snapshots.snapshot_at = openings.opened_at
    where snapshots.quantity <> 0
),

received as (
    select
        'receipt'                                       as movement_type,
        'in'                                            as leg,
        'wms'                                           as source,
        {{ record_key(['receipt_id', 'sku']) }}         as source_record_key,
        node_id,
        sku,
        'quality_control'                               as state,
        quantity                                        as units,
        quantity,
        received_at                                     as occurred_at,
        received_at                                     as moved_at,
        {{ null_string }}                               as from_state,
        'quality_control'                               as to_state,
        'RECEIPT'                                       as reason_code,
        rma_number                                      as reference,
        loaded_at
    from receipts
),

adjustment_legs as (
    select
        'adjustment'                                    as movement_type,
        legs.leg,
        'wms'                                           as source,
        adjustments.adjustment_id                       as source_record_key,
        adjustments.node_id,
        adjustments.sku,
        case legs.leg when 'out' then adjustments.from_state else adjustments.to_state end
                                                        as state,
        case legs.leg when 'out' then -adjustments.quantity else adjustments.quantity end
                                                        as units,
        adjustments.quantity,
        adjustments.adjusted_at                         as occurred_at,
        adjustments.adjusted_at                         as moved_at,
        adjustments.from_state,
        adjustments.to_state,
        adjustments.wms_reason_code                     as reason_code,
        adjustments.reference,
        adjustments.loaded_at
    from adjustments
    cross join (
        select 'out' as leg
        union all
        select 'in' as leg
    ) as legs
    where (legs.leg = 'out' and adjustments.from_state is not null)
        or (legs.leg = 'in' and adjustments.to_state is not null)
),

pos_returns as (
    select
        'pos_return'                                    as movement_type,
        'in'                                            as leg,
        'pos'                                           as source,
        return_line_id                                  as source_record_key,
        node_id,
        sku,
        case item_condition when 'resaleable' then 'available' else 'damaged' end
                                                        as state,
        quantity                                        as units,
        quantity,
        returned_at                                     as occurred_at,
        -- on the store's books only once its batch reached head office
        synced_at                                       as moved_at,
        {{ null_string }}                               as from_state,
        case item_condition when 'resaleable' then 'available' else 'damaged' end
                                                        as to_state,
        'POS_RETURN'                                    as reason_code,
        transaction_id                                  as reference,
        loaded_at
    from store_returns
),

bookings as (
    select * from received
    union all
    select * from adjustment_legs
    union all
    select * from pos_returns
),

-- what the opening count does not already hold
after_opening as (
    select bookings.*
    from bookings
    left join openings
        on bookings.node_id = openings.node_id
    where openings.opened_at is null
        or bookings.moved_at > openings.opened_at
),

unioned as (
    select * from opening_count
    union all
    select * from after_opening
),

final as (
    select
        {{ surrogate_key(['movement_type', 'source_record_key', 'leg']) }}
                                                        as movement_id,
        movement_type,
        leg,
        source,
        source_record_key,
        node_id,
        sku,
        state,
        cast(units as {{ dbt.type_int() }})             as units,
        cast(quantity as {{ dbt.type_int() }})          as quantity,
        occurred_at,
        moved_at,
        cast(moved_at as date)                          as date_day,
        from_state,
        to_state,
        reason_code,
        reference,
        loaded_at
    from unioned
    {% if is_incremental() %}
    where loaded_at > {{ inventory_loaded_watermark(this) }}
    {% endif %}
)

select * from final
