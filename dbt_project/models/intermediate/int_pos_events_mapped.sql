-- A store return line is three events at once: the return is initiated and received at the
-- till (returned_at), and resolved there by its tender (card/cash refund, store credit or an
-- exchange). All happen at returned_at but are recorded only when the store's batch syncs
-- (synced_at, end of day for some stores), so both timestamps are kept.
{%- set null_string = "cast(null as " ~ dbt.type_string() ~ ")" %}

with store_returns as (
    select * from {{ ref('stg_pos__store_returns') }}
),

event_types as (
    select 'return_initiated' as event_type
    union all
    select 'item_received' as event_type
    union all
    select 'resolution' as event_type
),

expanded as (
    select
        case
            when event_types.event_type <> 'resolution' then event_types.event_type
            when store_returns.tender in ('card', 'cash') then 'refund_released'
            when store_returns.tender = 'store_credit' then 'credit_issued'
            when store_returns.tender = 'exchange' then 'exchange_shipped'
        end                                             as event_type,
        store_returns.*
    from store_returns
    cross join event_types
),

final as (
    select
        expanded.event_type,
        expanded.returned_at                            as occurred_at,
        expanded.synced_at                              as recorded_at,
        expanded.loaded_at,
        'pos'                                           as source,
        expanded.channel,
        expanded.node_id,
        expanded.transaction_id                         as return_id,
        expanded.return_line_id,
        expanded.order_id,
        expanded.sku,
        expanded.quantity,
        case when expanded.event_type = 'return_initiated'
            then expanded.pos_reason_code end           as source_reason_code,
        {{ null_string }}                               as grade,
        {{ null_string }}                               as disposition,
        -- the unit is on the store's books once synced: resaleable to available, else damaged
        case when expanded.event_type = 'item_received' then
            case expanded.item_condition
                when 'resaleable' then 'available'
                when 'damaged' then 'damaged'
            end
        end                                             as inventory_state,
        case when expanded.event_type in ('refund_released', 'credit_issued', 'exchange_shipped')
            then expanded.refund_amount end             as amount,
        case when expanded.event_type in ('refund_released', 'credit_issued', 'exchange_shipped')
            then expanded.currency end                  as currency,
        {{ null_string }}                               as tracking_code,
        {{ null_string }}                               as carrier_status,
        expanded.return_line_id                         as source_record_key
    from expanded
    where expanded.event_type is not null
)

select * from final
