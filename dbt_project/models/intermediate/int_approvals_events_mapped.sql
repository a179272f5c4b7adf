-- An operator's approval of stock corrections is approval_granted (rejections are no event).
{%- set null_string = "cast(null as " ~ dbt.type_string() ~ ")" %}

with decisions as (
    select * from {{ ref('stg_approvals__decisions') }}
),

final as (
    select
        'approval_granted'                              as event_type,
        decisions.decided_at                            as occurred_at,
        decisions.decided_at                            as recorded_at,
        decisions.loaded_at,
        'approvals'                                     as source,
        {{ null_string }}                               as channel,
        {{ null_string }}                               as node_id,
        {{ null_string }}                               as return_id,
        {{ null_string }}                               as return_line_id,
        {{ null_string }}                               as order_id,
        {{ null_string }}                               as sku,
        cast(null as {{ dbt.type_int() }})              as quantity,
        {{ null_string }}                               as source_reason_code,
        {{ null_string }}                               as grade,
        {{ null_string }}                               as disposition,
        {{ null_string }}                               as inventory_state,
        cast(null as decimal(18, 2))                    as amount,
        {{ null_string }}                               as currency,
        {{ null_string }}                               as tracking_code,
        {{ null_string }}                               as carrier_status,
        decisions.approval_id                           as source_record_key
    from decisions
    where decisions.decision = 'approve'
)

select * from final
