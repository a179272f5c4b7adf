-- One row per return line with an event: when it first reached each lifecycle stage
-- (DESIGN §4), and what the stage events carry (receiving node, grade, disposition, money).
--
-- Events arrive late, twice and out of order: a stage is its FIRST event by occurred_at (the
-- physical moment), never the first or last to arrive, so a late duplicate or a re-sent record
-- never moves a stage. The resolution is the first of refund_released / credit_issued /
-- exchange_shipped; the money is every refund and credit released for the line.
{%- set stages = [
    ('return_initiated', 'initiated_at'),
    ('label_created', 'label_created_at'),
    ('item_in_transit', 'in_transit_at'),
    ('item_delivered', 'delivered_at'),
    ('item_received', 'received_at'),
    ('inspection_completed', 'inspected_at'),
    ('disposition_assigned', 'disposition_assigned_at'),
    ('inventory_updated', 'inventory_updated_at'),
    ('return_declined', 'declined_at'),
    ('return_cancelled', 'cancelled_at'),
] %}
{%- set resolutions = {
    'refund_released': 'refund',
    'credit_issued': 'store_credit',
    'exchange_shipped': 'exchange',
} %}

with events as (
    select * from {{ ref('int_return_events') }}
    where return_line_id is not null
),

-- the first event of each type per line; ties (same second) go to the first loaded
first_events as (
    {{ deduplicate('events', 'return_line_id, event_type', 'occurred_at, loaded_at, event_id') }}
),

resolution_events as (
    select * from events
    where event_type in ('{{ resolutions.keys() | join("', '") }}')
),

first_resolutions as (
    {{ deduplicate('resolution_events', 'return_line_id', 'occurred_at, loaded_at, event_id') }}
),

-- every line's money, and the units the WMS counted at the dock and on the inspection table
line_totals as (
    select
        return_line_id,
        sum(case when event_type in ('refund_released', 'credit_issued') then amount end)
                                                                    as refund_amount,
        sum(case when event_type = 'item_received' and source = 'wms' then quantity end)
                                                                    as received_quantity,
        sum(case when event_type = 'inspection_completed' then quantity end)
                                                                    as inspected_quantity
    from events
    group by return_line_id
),

pivoted as (
    select
        return_line_id,
        {%- for event_type, column in stages %}
        max(case when event_type = '{{ event_type }}' then occurred_at end)
                                                                    as {{ column }},
        {%- endfor %}
        -- the dock receipt (WMS) or the till (POS) names the node and, at a store, the state
        -- the unit is booked into; recorded_at is when the system of record learnt of it
        max(case when event_type = 'item_received' then node_id end)  as received_node_id,
        max(case when event_type = 'item_received' then recorded_at end)
                                                                    as received_recorded_at,
        max(case when event_type = 'item_received' then inventory_state end)
                                                                    as received_state,
        max(case when event_type = 'inspection_completed' then grade end)
                                                                    as grade,
        max(case when event_type = 'disposition_assigned' then disposition end)
                                                                    as disposition
    from first_events
    group by return_line_id
),

final as (
    select
        pivoted.*,
        first_resolutions.occurred_at                               as resolved_at,
        case first_resolutions.event_type
            {%- for event_type, resolution in resolutions.items() %}
            when '{{ event_type }}' then '{{ resolution }}'
            {%- endfor %}
        end                                                         as resolution,
        cast(line_totals.refund_amount as decimal(18, 2))           as refund_amount,
        cast(line_totals.received_quantity as {{ dbt.type_int() }}) as received_quantity,
        cast(line_totals.inspected_quantity as {{ dbt.type_int() }})
                                                                    as inspected_quantity
    from pivoted
    left join first_resolutions
        on pivoted.return_line_id = first_resolutions.return_line_id
    left join line_totals
        on pivoted.return_line_id = line_totals.return_line_id
)

select * from final
