-- WMS records as events at the DC: a receipt line is item_received (units into
-- quality_control), an inspection is inspection_completed + disposition_assigned, and an
-- adjustment moving a received unit out of quality_control (its reference is the receipt) is
-- inventory_updated. The WMS knows the RMA (Shopify return name or Amazon license plate) and
-- the SKU, not the return line: that pair finds the line.
{%- set null_string = "cast(null as " ~ dbt.type_string() ~ ")" %}
{%- set null_money = "cast(null as decimal(18, 2))" %}

with receipts as (
    select * from {{ ref('stg_wms__receipts') }}
),

inspections as (
    select * from {{ ref('stg_wms__inspections') }}
),

adjustments as (
    select * from {{ ref('stg_wms__adjustments') }}
),

return_lines as (
    select * from {{ ref('int_return_lines_unioned') }}
    where rma_number is not null
),

received as (
    select
        'item_received'                                 as event_type,
        receipts.received_at                            as occurred_at,
        receipts.received_at                            as recorded_at,
        receipts.loaded_at,
        receipts.node_id,
        receipts.rma_number,
        receipts.sku,
        receipts.quantity,
        {{ null_string }}                               as grade,
        {{ null_string }}                               as disposition,
        'quality_control'                               as inventory_state,
        {{ record_key(['receipts.receipt_id', 'receipts.sku']) }}
                                                        as source_record_key
    from receipts
),

inspected as (
    select
        event_types.event_type,
        inspections.inspected_at                        as occurred_at,
        inspections.inspected_at                        as recorded_at,
        inspections.loaded_at,
        inspections.node_id,
        -- the inspection belongs to its receipt line (receipt_id + SKU); the RMA it repeats
        -- itself covers a receipt not loaded yet
        coalesce(inspected_receipts.rma_number, inspections.rma_number)
                                                        as rma_number,
        inspections.sku,
        inspections.quantity,
        inspections.grade,
        inspections.disposition,
        {{ null_string }}                               as inventory_state,
        inspections.inspection_id                       as source_record_key
    from inspections
    left join receipts as inspected_receipts
        on inspections.receipt_id = inspected_receipts.receipt_id
        and inspections.sku = inspected_receipts.sku
    cross join (
        select 'inspection_completed' as event_type
        union all
        select 'disposition_assigned' as event_type
    ) as event_types
),

-- only moves of received units: the reference is a receipt id (with the SKU, a receipt line)
updated as (
    select
        'inventory_updated'                             as event_type,
        adjustments.adjusted_at                         as occurred_at,
        adjustments.adjusted_at                         as recorded_at,
        adjustments.loaded_at,
        adjustments.node_id,
        receipts.rma_number,
        adjustments.sku,
        adjustments.quantity,
        {{ null_string }}                               as grade,
        {{ null_string }}                               as disposition,
        adjustments.to_state                            as inventory_state,
        adjustments.adjustment_id                       as source_record_key
    from adjustments
    inner join receipts
        on adjustments.reference = receipts.receipt_id
        and adjustments.sku = receipts.sku
    where adjustments.from_state = 'quality_control'
),

unioned as (
    select * from received
    union all
    select * from inspected
    union all
    select * from updated
),

final as (
    select
        unioned.event_type,
        unioned.occurred_at,
        unioned.recorded_at,
        unioned.loaded_at,
        'wms'                                           as source,
        return_lines.channel,
        unioned.node_id,
        return_lines.return_id,
        return_lines.return_line_id,
        return_lines.order_id,
        unioned.sku,
        unioned.quantity,
        {{ null_string }}                               as source_reason_code,
        unioned.grade,
        unioned.disposition,
        unioned.inventory_state,
        {{ null_money }}                                as amount,
        {{ null_string }}                               as currency,
        {{ null_string }}                               as tracking_code,
        {{ null_string }}                               as carrier_status,
        unioned.source_record_key
    from unioned
    -- a receipt matching no known return line stays in the log without one (unexpected receipt)
    left join return_lines
        on unioned.rma_number = return_lines.rma_number
        and unioned.sku = return_lines.sku
)

select * from final
