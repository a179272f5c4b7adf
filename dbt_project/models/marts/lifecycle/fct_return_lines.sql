-- One row per return line of every source (Shopify web/zalando, Amazon, POS): the time of
-- every lifecycle stage, stage durations and the end-to-end cycle time, status, reason, grade,
-- disposition, money against the policy, recovery, and the exception flags.
--
-- Incremental (delete+insert on return_line_id): a run rewrites only the lines whose row
-- changed - new events, a late record re-linked, an exception opened or closed as time moved
-- on (macros/incremental.sql); the result always equals a full refresh.
{{ config(
    materialized='incremental',
    unique_key='return_line_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with return_lines as (
    select * from {{ ref('int_return_lines_assembled') }}
),

exceptions as (
    select * from {{ ref('fct_return_exceptions') }}
    where return_line_id is not null
),

exception_flags as (
    select
        return_line_id,
        count(*)                                                    as exception_count,
        max(case when exception_type = 'restocked_before_inspection' then 1 else 0 end)
                                                                    as restocked_flag,
        max(case when exception_type = 'refund_over_policy' then 1 else 0 end)
                                                                    as over_policy_flag
    from exceptions
    group by return_line_id
),

final as (
    select
        ---------- identity
        return_lines.return_line_id,
        return_lines.return_id,
        return_lines.source,
        return_lines.channel,
        return_lines.order_id,
        return_lines.sku,
        return_lines.category,
        return_lines.vendor_id,
        return_lines.quantity,
        return_lines.reason_code,
        return_lines.reason_group,
        return_lines.source_reason_code,
        return_lines.node_id,
        ---------- stages
        return_lines.initiated_at,
        return_lines.label_created_at,
        return_lines.in_transit_at,
        return_lines.delivered_at,
        return_lines.received_at,
        return_lines.inspected_at,
        return_lines.disposition_assigned_at,
        return_lines.inventory_updated_at,
        return_lines.resolved_at,
        return_lines.resolution,
        return_lines.grade,
        return_lines.disposition,
        return_lines.target_state,
        return_lines.status,
        ---------- durations
        {{ hours_between('return_lines.initiated_at', 'return_lines.received_at') }}
                                                                    as hours_to_receive,
        {{ hours_between('return_lines.received_at', 'return_lines.inspected_at') }}
                                                                    as hours_to_inspect,
        {{ hours_between('return_lines.received_at', 'return_lines.resolved_at') }}
                                                                    as hours_to_resolve,
        {{ hours_between('return_lines.initiated_at', 'return_lines.resolved_at') }}
                                                                    as cycle_time_hours,
        ---------- money
        return_lines.unit_price,
        return_lines.original_value,
        return_lines.refund_amount,
        return_lines.expected_refund,
        cast(return_lines.refund_amount - return_lines.expected_refund as decimal(18, 2))
                                                                    as refund_difference,
        return_lines.recovery_value,
        ---------- exceptions
        coalesce(exception_flags.restocked_flag, 0) = 1             as is_restocked_before_inspection,
        cast(coalesce(exception_flags.exception_count, 0) as {{ dbt.type_int() }})
                                                                    as exception_count,
        ---------- filters
        cast(return_lines.initiated_at as date)                     as initiated_date,
        ---------- added beyond docs/marts.md
        return_lines.region,
        return_lines.customer_segment,
        return_lines.within_window,
        coalesce(exception_flags.over_policy_flag, 0) = 1           as is_refund_over_policy,
        {{ written_at() }}                                          as _written_at
    from return_lines
    left join exception_flags
        on return_lines.return_line_id = exception_flags.return_line_id
),

changed as (
    {{ changed_rows('final', 'return_line_id') }}
)

select * from changed
