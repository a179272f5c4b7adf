-- Carrier scans as item_in_transit / item_delivered events. A package is in transit from its
-- FIRST in_transit scan (later in_transit scans are progress, not new events) and delivered at
-- its first delivered scan; a late webhook carrying an earlier scan moves the event earlier
-- (occurred_at is the scan time, recorded_at when the carrier first reported it).
-- The package is the return's label: tracking code -> Shopify reverse delivery -> return lines.
{%- set null_string = "cast(null as " ~ dbt.type_string() ~ ")" %}

with scans as (
    select * from {{ ref('stg_carrier__tracking_scans') }}
),

return_deliveries as (
    select * from {{ ref('stg_shopify__return_deliveries') }}
),

return_lines as (
    select * from {{ ref('int_return_lines_unioned') }}
),

milestone_scans as (
    select
        case scan_status
            when 'in_transit' then 'item_in_transit'
            else 'item_delivered'
        end                                             as event_type,
        scans.*
    from scans
    where scan_status in ('in_transit', 'delivered')
        and scanned_at is not null
),

first_milestone_scans as (
    {{ deduplicate('milestone_scans', 'tracking_code, event_type',
                   'scanned_at, recorded_at, loaded_at, tracking_scan_id') }}
),

-- a tracking number names one label; should two deliveries share it, take the earliest
labels as (
    select * from return_deliveries
    where tracking_number is not null
),

deliveries_by_tracking_code as (
    {{ deduplicate('labels', 'tracking_number',
                   'first_recorded_at, loaded_at, reverse_delivery_id') }}
),

final as (
    select
        first_milestone_scans.event_type,
        first_milestone_scans.scanned_at                as occurred_at,
        first_milestone_scans.recorded_at,
        first_milestone_scans.loaded_at,
        'carrier'                                       as source,
        return_lines.channel,
        {{ null_string }}                               as node_id,
        deliveries_by_tracking_code.return_id,
        return_lines.return_line_id,
        return_lines.order_id,
        return_lines.sku,
        return_lines.quantity,
        {{ null_string }}                               as source_reason_code,
        {{ null_string }}                               as grade,
        {{ null_string }}                               as disposition,
        {{ null_string }}                               as inventory_state,
        cast(null as decimal(18, 2))                    as amount,
        {{ null_string }}                               as currency,
        first_milestone_scans.tracking_code,
        first_milestone_scans.scan_status               as carrier_status,
        {{ record_key(['first_milestone_scans.tracking_code', 'return_lines.return_line_id']) }}
                                                        as source_record_key
    from first_milestone_scans
    -- a package matching no known return stays in the log without a return (an exception later)
    left join deliveries_by_tracking_code
        on first_milestone_scans.tracking_code = deliveries_by_tracking_code.tracking_number
    left join return_lines
        on deliveries_by_tracking_code.return_id = return_lines.return_id
)

select * from final
