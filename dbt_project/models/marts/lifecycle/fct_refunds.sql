-- One row per return line awaiting or having received money or store credit: lines refunded
-- or credited, and lines received and not yet resolved (declined and cancelled lines are not
-- waiting for anything). Exchanges pay no money and are not refunds.
--
-- Open refunds age from the dock receipt to as_of (the newest event in the warehouse, or the
-- `as_of` var): days_from_receipt in fractional days, bucketed by whole days of age into
-- 0-2, 3-7, 8-14, 15-30, >30. The SLA is stage_received_to_resolved of seeds/sla_targets.csv
-- (scope: node, else channel, else all), measured from the receipt like the ageing.
with return_lines as (
    select * from {{ ref('fct_return_lines') }}
),

sla_targets as (
    select * from {{ ref('sla_targets') }}
    where metric = 'stage_received_to_resolved'
),

as_of as (
    select {{ as_of_timestamp() }} as as_of
),

refunds as (
    select
        return_lines.*,
        return_lines.resolved_at is null                            as is_open
    from return_lines
    where return_lines.resolution in ('refund', 'store_credit')
        or (return_lines.resolved_at is null
            and return_lines.received_at is not null
            and return_lines.status not in ('declined', 'cancelled'))
),

scoped as (
    select
        refunds.return_line_id,
        sla_targets.target_hours,
        case sla_targets.scope
            when refunds.node_id then 1
            when refunds.channel then 2
            else 3
        end                                                         as scope_rank
    from refunds
    inner join sla_targets
        on sla_targets.scope in (refunds.node_id, refunds.channel, 'all')
),

targets as (
    {{ deduplicate('scoped', 'return_line_id', 'scope_rank') }}
),

measured as (
    select
        refunds.*,
        as_of.as_of,
        cast(targets.target_hours as {{ type_double() }})                        as sla_target_hours,
        {{ hours_between('refunds.received_at', 'coalesce(refunds.resolved_at, as_of.as_of)') }}
                                                                    as hours_from_receipt
    from refunds
    cross join as_of
    left join targets
        on refunds.return_line_id = targets.return_line_id
),

final as (
    select
        return_line_id,
        return_id,
        channel,
        node_id,
        category,
        received_at,
        resolved_at,
        resolution,
        refund_amount,
        expected_refund,
        refund_difference,
        case when not is_open then abs(refund_difference) < 0.01 end
                                                                    as is_accurate,
        hours_from_receipt / 24                                     as days_from_receipt,
        is_open,
        case when is_open then {{ ageing_bucket('hours_from_receipt / 24') }} end
                                                                    as ageing_bucket,
        sla_target_hours,
        coalesce(hours_from_receipt > sla_target_hours, false)      as is_sla_breach,
        as_of,
        ---------- added beyond docs/marts.md
        source,
        sku,
        initiated_at,
        is_refund_over_policy
    from measured
)

select * from final
