-- One row per exception in the return lifecycle: what went wrong, on which line, node and
-- channel, who owns it, since when, and whether it is still open at as_of.
--
--   restocked_before_inspection  the unit left quality_control before it was inspected;
--                                open until the inspection
--   refund_before_receipt        money or credit released before the unit was received
--                                (store returns are settled at the till: never); open until
--                                the receipt
--   refund_over_policy           refund_amount > expected_refund (goodwill, wrong fee...)
--   unexpected_receipt           a WMS receipt line that matches no return line (RMA + SKU)
--   quantity_mismatch            the dock or the inspection counted other units than the
--                                return line holds
--   stage_sla_breach             one per line and SLA metric of seeds/sla_targets.csv whose
--                                hours exceed the target (scope: node, else channel, else
--                                source, else all); a stage still waiting breaches once
--                                as_of - start > target, unless the line was declined or
--                                cancelled. inventory_sor_latency is the receipt's own lag:
--                                the till return reached the system of record (synced) more
--                                than the target after the unit was handed over.
--   out_of_order                 a stage timestamp earlier than a stage before it
--                                (initiated <= label <= in transit <= delivered <= received
--                                <= inspected, initiated <= resolved)
--   snapshot_mismatch            a WMS end-of-day count disagrees with the ledger built from
--                                events for a SKU × state at a node
--                                (int_inventory_snapshot_differences); consecutive counts that
--                                keep disagreeing are one exception, open until a count agrees
{%- set sla_stages = [
    ('stage_initiated_to_received', 'initiated_at', 'received_at',
     "status not in ('declined', 'cancelled')"),
    ('stage_received_to_inspected', 'received_at', 'inspected_at',
     "node_type = 'dc'"),
    ('stage_inspected_to_inventory_updated', 'inspected_at', 'inventory_updated_at',
     "target_state <> 'quality_control' and not is_restocked_before_inspection"),
    ('stage_received_to_resolved', 'received_at', 'resolved_at',
     "status not in ('declined', 'cancelled')"),
    ('refund_initiated_to_resolved', 'initiated_at', 'resolved_at',
     "status not in ('declined', 'cancelled')"),
    ('inventory_sor_latency', 'received_at', 'received_recorded_at',
     "received_recorded_at is not null"),
] %}
{%- set stage_order = ['initiated_at', 'label_created_at', 'in_transit_at', 'delivered_at',
                       'received_at', 'inspected_at'] %}

with return_lines as (
    select * from {{ ref('int_return_lines_assembled') }}
),

events as (
    select * from {{ ref('int_return_events') }}
),

nodes as (
    select * from {{ ref('nodes') }}
),

snapshot_differences as (
    select * from {{ ref('int_inventory_snapshot_differences') }}
),

-- the WMS counts taken (node x day), numbered per node: a mismatch is one exception for as
-- many consecutive counts as it lasts
counts_taken as (
    select
        node_id,
        cast(snapshot_at as date)                           as date_day,
        max(snapshot_at)                                    as counted_at
    from {{ ref('stg_wms__inventory_snapshots') }}
    group by
        node_id,
        cast(snapshot_at as date)
),

counts_numbered as (
    select
        counts_taken.*,
        row_number() over (partition by node_id order by date_day) as count_number
    from counts_taken
),

sla_targets as (
    select * from {{ ref('sla_targets') }}
),

as_of as (
    select {{ as_of_timestamp() }} as as_of
),

lines as (
    select
        return_lines.*,
        nodes.node_type,
        coalesce(
            return_lines.inventory_updated_at is not null
            and (return_lines.inspected_at is null
                 or return_lines.inventory_updated_at < return_lines.inspected_at),
            false
        )                                                   as is_restocked_before_inspection
    from return_lines
    left join nodes
        on return_lines.node_id = nodes.node_id
),

restocked_before_inspection as (
    select
        'restocked_before_inspection'                       as exception_type,
        return_line_id,
        sku,
        node_id,
        channel,
        cast(null as {{ dbt.type_string() }})               as sla_metric,
        inventory_updated_at                                as detected_at,
        inspected_at                                        as closed_at,
        {{ dbt.concat(["'left quality_control at '",
                       "cast(inventory_updated_at as " ~ dbt.type_string() ~ ")",
                       "', inspected '",
                       "coalesce(cast(inspected_at as " ~ dbt.type_string() ~ "), 'not yet')"]) }}
                                                            as detail
    from lines
    where is_restocked_before_inspection
),

refund_before_receipt as (
    select
        'refund_before_receipt'                             as exception_type,
        return_line_id,
        sku,
        node_id,
        channel,
        cast(null as {{ dbt.type_string() }})               as sla_metric,
        resolved_at                                         as detected_at,
        received_at                                         as closed_at,
        {{ dbt.concat(["resolution", "' released at '",
                       "cast(resolved_at as " ~ dbt.type_string() ~ ")",
                       "', received '",
                       "coalesce(cast(received_at as " ~ dbt.type_string() ~ "), 'not yet')"]) }}
                                                            as detail
    from lines
    where resolution in ('refund', 'store_credit')
        and source <> 'pos'
        and (received_at is null or resolved_at < received_at)
),

refund_over_policy as (
    select
        'refund_over_policy'                                as exception_type,
        return_line_id,
        sku,
        node_id,
        channel,
        cast(null as {{ dbt.type_string() }})               as sla_metric,
        resolved_at                                         as detected_at,
        cast(null as {{ dbt.type_timestamp() }})            as closed_at,
        {{ dbt.concat(["'refunded '", "cast(refund_amount as " ~ dbt.type_string() ~ ")",
                       "', policy expects '",
                       "cast(expected_refund as " ~ dbt.type_string() ~ ")",
                       "case when within_window then '' else ' (outside the return window)' end"]) }}
                                                            as detail
    from lines
    where refund_amount - expected_refund >= 0.01
),

unexpected_receipts as (
    select
        'unexpected_receipt'                                as exception_type,
        cast(null as {{ dbt.type_string() }})               as return_line_id,
        sku,
        node_id,
        channel,
        cast(null as {{ dbt.type_string() }})               as sla_metric,
        occurred_at                                         as detected_at,
        cast(null as {{ dbt.type_timestamp() }})            as closed_at,
        {{ dbt.concat(["'receipt line '", "source_record_key",
                       "' matches no return line'"]) }}     as detail,
        event_id
    from events
    where event_type = 'item_received'
        and source = 'wms'
        and return_line_id is null
),

quantity_mismatches as (
    select
        'quantity_mismatch'                                 as exception_type,
        return_line_id,
        sku,
        node_id,
        channel,
        cast(null as {{ dbt.type_string() }})               as sla_metric,
        coalesce(received_at, inspected_at)                 as detected_at,
        cast(null as {{ dbt.type_timestamp() }})            as closed_at,
        {{ dbt.concat(["'line quantity '", "cast(quantity as " ~ dbt.type_string() ~ ")",
                       "', received '",
                       "coalesce(cast(received_quantity as " ~ dbt.type_string() ~ "), '-')",
                       "', inspected '",
                       "coalesce(cast(inspected_quantity as " ~ dbt.type_string() ~ "), '-')"]) }}
                                                            as detail
    from lines
    where received_quantity <> quantity
        or inspected_quantity <> quantity
),

differences_numbered as (
    select
        snapshot_differences.*,
        counts_numbered.count_number,
        -- constant along a run of consecutive counts that disagree on this SKU x state
        counts_numbered.count_number - row_number() over (
            partition by snapshot_differences.node_id, snapshot_differences.sku,
                snapshot_differences.state
            order by counts_numbered.count_number
        )                                                   as streak
    from snapshot_differences
    inner join counts_numbered
        on snapshot_differences.node_id = counts_numbered.node_id
        and snapshot_differences.date_day = counts_numbered.date_day
),

difference_streaks as (
    select
        node_id,
        sku,
        state,
        streak,
        min(detected_at)                                    as detected_at,
        min(count_number)                                   as first_count_number,
        max(count_number)                                   as last_count_number,
        count(*)                                            as counts
    from differences_numbered
    group by
        node_id,
        sku,
        state,
        streak
),

snapshot_mismatches as (
    select
        'snapshot_mismatch'                                 as exception_type,
        {{ surrogate_key(["'snapshot_mismatch'", 'first_count.node_id', 'first_count.sku',
                          'first_count.state', 'first_count.date_day']) }}
                                                            as exception_key,
        cast(null as {{ dbt.type_string() }})               as return_line_id,
        difference_streaks.sku,
        difference_streaks.node_id,
        cast(null as {{ dbt.type_string() }})               as channel,
        cast(null as {{ dbt.type_string() }})               as sla_metric,
        difference_streaks.detected_at,
        -- the next count, which agreed (none yet: still open)
        next_count.counted_at                               as closed_at,
        {{ dbt.concat(["'WMS counted '", "cast(last_count.snapshot_units as "
                           ~ dbt.type_string() ~ ")",
                       "' '", "difference_streaks.state", "', events give '",
                       "cast(last_count.ledger_units as " ~ dbt.type_string() ~ ")",
                       "' ('", "cast(difference_streaks.counts as " ~ dbt.type_string() ~ ")",
                       "' counts)'"]) }}                    as detail
    from difference_streaks
    inner join differences_numbered as first_count
        on difference_streaks.node_id = first_count.node_id
        and difference_streaks.sku = first_count.sku
        and difference_streaks.state = first_count.state
        and difference_streaks.first_count_number = first_count.count_number
    inner join differences_numbered as last_count
        on difference_streaks.node_id = last_count.node_id
        and difference_streaks.sku = last_count.sku
        and difference_streaks.state = last_count.state
        and difference_streaks.last_count_number = last_count.count_number
    left join counts_numbered as next_count
        on difference_streaks.node_id = next_count.node_id
        and difference_streaks.last_count_number + 1 = next_count.count_number
),

-- every SLA metric of every line it applies to, with the target its scope gives
sla_candidates as (
    {%- for metric, start_column, end_column, applies in sla_stages %}
    select
        '{{ metric }}'                                      as sla_metric,
        return_line_id,
        sku,
        node_id,
        channel,
        source,
        {{ start_column }}                                  as started_at,
        {{ end_column }}                                    as ended_at
    from lines
    where {{ start_column }} is not null
        and ({{ applies }})
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

sla_scoped as (
    select
        sla_candidates.*,
        sla_targets.target_hours,
        case sla_targets.scope
            when sla_candidates.node_id then 1
            when sla_candidates.channel then 2
            when sla_candidates.source then 3
            else 4
        end                                                 as scope_rank
    from sla_candidates
    inner join sla_targets
        on sla_candidates.sla_metric = sla_targets.metric
        and sla_targets.scope in (sla_candidates.node_id, sla_candidates.channel,
                                  sla_candidates.source, 'all')
),

sla_applied as (
    {{ deduplicate('sla_scoped', 'return_line_id, sla_metric', 'scope_rank') }}
),

sla_breaches as (
    select
        'stage_sla_breach'                                  as exception_type,
        sla_applied.return_line_id,
        sla_applied.sku,
        sla_applied.node_id,
        sla_applied.channel,
        sla_applied.sla_metric,
        {{ add_hours('sla_applied.target_hours', 'sla_applied.started_at') }}
                                                            as detected_at,
        sla_applied.ended_at                                as closed_at,
        {{ dbt.concat(["sla_applied.sla_metric", "': '",
                       "cast(round(" ~ hours_between('sla_applied.started_at',
                           'coalesce(sla_applied.ended_at, as_of.as_of)') ~ ", 1) as "
                           ~ dbt.type_string() ~ ")",
                       "' h'",
                       "case when sla_applied.ended_at is null then ' so far' else '' end",
                       "', target '",
                       "cast(sla_applied.target_hours as " ~ dbt.type_string() ~ ")", "' h'"]) }}
                                                            as detail
    from sla_applied
    cross join as_of
    where {{ dbt.datediff('sla_applied.started_at',
                          'coalesce(sla_applied.ended_at, as_of.as_of)', 'second') }}
        > sla_applied.target_hours * 3600
),

-- the first pair of stages (in lifecycle order) whose timestamps run backwards
out_of_order_pairs as (
    {%- for later in stage_order[1:] + ['resolved_at'] %}
    {%- set later_index = (stage_order + ['resolved_at']).index(later) %}
    {%- set earlier_stages = ['initiated_at'] if later == 'resolved_at' else stage_order[:later_index] %}
    {%- for earlier in earlier_stages %}
    select
        return_line_id,
        sku,
        node_id,
        channel,
        {{ later_index * 10 + loop.index }}                 as pair_rank,
        {{ earlier }}                                       as detected_at,
        '{{ later | replace("_at", "") }} before {{ earlier | replace("_at", "") }}'
                                                            as detail
    from lines
    where {{ later }} < {{ earlier }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

out_of_order_first as (
    {{ deduplicate('out_of_order_pairs', 'return_line_id', 'pair_rank') }}
),

out_of_order as (
    select
        'out_of_order'                                      as exception_type,
        return_line_id,
        sku,
        node_id,
        channel,
        cast(null as {{ dbt.type_string() }})               as sla_metric,
        detected_at,
        cast(null as {{ dbt.type_timestamp() }})            as closed_at,
        detail
    from out_of_order_first
),

unioned as (
    {%- for relation in ['restocked_before_inspection', 'refund_before_receipt',
                         'refund_over_policy', 'quantity_mismatches', 'sla_breaches',
                         'out_of_order'] %}
    select
        {{ surrogate_key(['exception_type', 'return_line_id', 'sla_metric']) }}
                                                            as exception_id,
        exception_type, return_line_id, sku, node_id, channel, sla_metric, detected_at,
        closed_at, detail
    from {{ relation }}
    union all
    {%- endfor %}
    select
        {{ surrogate_key(['exception_type', 'event_id']) }} as exception_id,
        exception_type, return_line_id, sku, node_id, channel, sla_metric, detected_at,
        closed_at, detail
    from unexpected_receipts
    union all
    select
        exception_key                                       as exception_id,
        exception_type, return_line_id, sku, node_id, channel, sla_metric, detected_at,
        closed_at, detail
    from snapshot_mismatches
),

-- who owns each kind, and how bad it is
routed as (
    select
        unioned.*,
        case
            when exception_type in ('restocked_before_inspection', 'refund_before_receipt')
                then 'high'
            when exception_type in ('refund_over_policy', 'unexpected_receipt',
                                    'quantity_mismatch', 'snapshot_mismatch')
                then 'medium'
            else 'low'
        end                                                 as severity,
        case
            when exception_type in ('refund_before_receipt', 'refund_over_policy')
                then 'finance'
            when exception_type = 'out_of_order' then 'data_engineering'
            when exception_type = 'stage_sla_breach' and sla_metric in (
                'stage_initiated_to_received', 'stage_received_to_resolved',
                'refund_initiated_to_resolved')
                then 'customer_service'
            when node_id like 'ST-%' then 'store_operations'
            else 'warehouse_operations'
        end                                                 as owner_role
    from unioned
),

final as (
    select
        routed.exception_id,
        routed.exception_type,
        routed.severity,
        routed.owner_role,
        routed.return_line_id,
        routed.sku,
        routed.node_id,
        routed.channel,
        routed.detected_at,
        {{ hours_between('routed.detected_at', 'coalesce(routed.closed_at, as_of.as_of)') }}
                                                            as age_hours,
        routed.detail,
        routed.closed_at is null                            as is_open,
        routed.sla_metric,
        routed.closed_at,
        as_of.as_of
    from routed
    cross join as_of
)

select * from final
