-- ERP credit memos as resolution events: memo_type refund is refund_released (Amazon returns,
-- whose money is not paid through the payment processor), store_credit is credit_issued.
-- return_reference names the return line: an Amazon license plate (or a POS line id).
-- Payment-processor refunds yield no event: they mirror the Shopify refund (same amount, same
-- return) and are for reconciling refunds, not for the lifecycle.
{%- set null_string = "cast(null as " ~ dbt.type_string() ~ ")" %}

with credit_memos as (
    select * from {{ ref('stg_finance__credit_memos') }}
),

return_lines as (
    select * from {{ ref('int_return_lines_unioned') }}
),

final as (
    select
        case credit_memos.memo_type
            when 'store_credit' then 'credit_issued'
            else 'refund_released'
        end                                             as event_type,
        credit_memos.issued_at                          as occurred_at,
        credit_memos.issued_at                          as recorded_at,
        credit_memos.loaded_at,
        'finance'                                       as source,
        coalesce(credit_memos.channel, return_lines.channel)
                                                        as channel,
        {{ null_string }}                               as node_id,
        return_lines.return_id,
        return_lines.return_line_id,
        credit_memos.order_id,
        credit_memos.sku,
        credit_memos.quantity,
        {{ null_string }}                               as source_reason_code,
        {{ null_string }}                               as grade,
        {{ null_string }}                               as disposition,
        {{ null_string }}                               as inventory_state,
        credit_memos.amount,
        credit_memos.currency,
        {{ null_string }}                               as tracking_code,
        {{ null_string }}                               as carrier_status,
        credit_memos.credit_memo_id                     as source_record_key
    from credit_memos
    left join return_lines
        on credit_memos.return_reference = return_lines.return_line_id
        and return_lines.source in ('amazon', 'pos')
)

select * from final
