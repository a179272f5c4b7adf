-- Shopify records as lifecycle events (docs/sources-and-events.md). Return-level records (a
-- status, a label, an exchange) are fanned out to the return's lines, so every lifecycle event
-- names its return line; their source_record_key is the record's key plus the line.
{%- set null_string = "cast(null as " ~ dbt.type_string() ~ ")" %}
{%- set null_money = "cast(null as decimal(18, 2))" %}

with return_lines as (
    select * from {{ ref('stg_shopify__return_lines') }}
),

return_statuses as (
    select * from {{ ref('stg_shopify__returns') }}
),

return_deliveries as (
    select * from {{ ref('stg_shopify__return_deliveries') }}
),

refund_lines as (
    select * from {{ ref('stg_shopify__refund_lines') }}
),

refund_transactions as (
    select * from {{ ref('stg_shopify__refund_transactions') }}
),

orders as (
    select * from {{ ref('stg_shopify__orders') }}
),

-- first payload of the return, per line: occurred when created, recorded at the first updatedAt
initiated as (
    select
        'return_initiated'                              as event_type,
        return_lines.return_line_id                     as source_record_key,
        return_lines.initiated_at                       as occurred_at,
        return_lines.first_recorded_at                  as recorded_at,
        return_lines.loaded_at,
        {{ null_string }}                               as node_id,
        return_lines.return_id,
        return_lines.return_line_id,
        return_lines.order_id,
        return_lines.sku,
        return_lines.quantity,
        return_lines.shopify_return_reason              as source_reason_code,
        {{ null_money }}                                as amount,
        {{ null_string }}                               as currency,
        {{ null_string }}                               as tracking_code
    from return_lines
),

-- a DECLINED / CANCELED payload ends every line of the return, when Shopify updated it
declined_or_cancelled as (
    select
        case return_statuses.return_status
            when 'declined' then 'return_declined'
            else 'return_cancelled'
        end                                             as event_type,
        {{ record_key(['return_statuses.return_id', 'return_statuses.return_status',
                       'return_lines.return_line_id']) }}
                                                        as source_record_key,
        return_statuses.updated_at                      as occurred_at,
        return_statuses.updated_at                      as recorded_at,
        return_statuses.loaded_at,
        {{ null_string }}                               as node_id,
        return_statuses.return_id,
        return_lines.return_line_id,
        return_statuses.order_id,
        return_lines.sku,
        return_lines.quantity,
        {{ null_string }}                               as source_reason_code,
        {{ null_money }}                                as amount,
        {{ null_string }}                               as currency,
        {{ null_string }}                               as tracking_code
    from return_statuses
    inner join return_lines
        on return_statuses.return_id = return_lines.return_id
    where return_statuses.return_status in ('declined', 'canceled')
),

-- the return label: created at label.createdAt, recorded by the first payload carrying it
label_created as (
    select
        'label_created'                                 as event_type,
        {{ record_key(['return_deliveries.reverse_delivery_id', 'return_lines.return_line_id']) }}
                                                        as source_record_key,
        return_deliveries.label_created_at              as occurred_at,
        return_deliveries.first_recorded_at             as recorded_at,
        return_deliveries.loaded_at,
        {{ null_string }}                               as node_id,
        return_deliveries.return_id,
        return_lines.return_line_id,
        return_deliveries.order_id,
        return_lines.sku,
        return_lines.quantity,
        {{ null_string }}                               as source_reason_code,
        {{ null_money }}                                as amount,
        {{ null_string }}                               as currency,
        return_deliveries.tracking_number               as tracking_code
    from return_deliveries
    inner join return_lines
        on return_deliveries.return_id = return_lines.return_id
    where return_deliveries.label_created_at is not null
),

-- a return CLOSED with exchange line items shipped replacements instead of refunding
exchange_shipped as (
    select
        'exchange_shipped'                              as event_type,
        {{ record_key(['return_statuses.return_id', 'return_statuses.return_status',
                       'return_lines.return_line_id']) }}
                                                        as source_record_key,
        coalesce(return_statuses.closed_at, return_statuses.updated_at)
                                                        as occurred_at,
        coalesce(return_statuses.closed_at, return_statuses.updated_at)
                                                        as recorded_at,
        return_statuses.loaded_at,
        {{ null_string }}                               as node_id,
        return_statuses.return_id,
        return_lines.return_line_id,
        return_statuses.order_id,
        return_lines.sku,
        return_lines.quantity,
        {{ null_string }}                               as source_reason_code,
        {{ null_money }}                                as amount,
        {{ null_string }}                               as currency,
        {{ null_string }}                               as tracking_code
    from return_statuses
    inner join return_lines
        on return_statuses.return_id = return_lines.return_id
    where return_statuses.return_status = 'closed'
        and return_statuses.exchange_line_count > 0
),

-- what each refund paid, by tender: successful refund transactions, money back vs store credit
refund_tenders as (
    select
        refund_id,
        max(currency)                                   as currency,
        sum(case when not is_store_credit then amount else 0 end)
                                                        as money_amount,
        sum(case when is_store_credit then amount else 0 end)
                                                        as credit_amount,
        sum(amount)                                     as tender_amount,
        max(case when not is_store_credit then 1 else 0 end)
                                                        as has_money,
        max(case when is_store_credit then 1 else 0 end)
                                                        as has_credit
    from refund_transactions
    where transaction_kind = 'refund'
        and transaction_status = 'success'
    group by refund_id
),

-- one event per refund line and tender (refund_released for money, credit_issued for store
-- credit); a refund split over both tenders shares each line's subtotal between them
refund_resolutions as (
    select
        'refund_released'                               as event_type,
        refund_tenders.money_amount                     as tender_part,
        refund_tenders.*
    from refund_tenders
    where has_money = 1
    union all
    select
        'credit_issued'                                 as event_type,
        refund_tenders.credit_amount                    as tender_part,
        refund_tenders.*
    from refund_tenders
    where has_credit = 1
),

refunded as (
    select
        refund_resolutions.event_type,
        refund_lines.refund_line_id                     as source_record_key,
        refund_lines.refunded_at                        as occurred_at,
        refund_lines.created_at                         as recorded_at,
        refund_lines.loaded_at,
        {{ null_string }}                               as node_id,
        refund_lines.return_id,
        return_lines.return_line_id,
        refund_lines.order_id,
        refund_lines.sku,
        refund_lines.quantity,
        {{ null_string }}                               as source_reason_code,
        case
            when refund_resolutions.tender_part = refund_resolutions.tender_amount
                then refund_lines.refund_amount
            else cast(round(refund_lines.refund_amount * refund_resolutions.tender_part
                            / nullif(refund_resolutions.tender_amount, 0), 2) as decimal(18, 2))
        end                                             as amount,
        refund_resolutions.currency,
        {{ null_string }}                               as tracking_code
    from refund_lines
    inner join refund_resolutions
        on refund_lines.refund_id = refund_resolutions.refund_id
    -- a refund without a return (an order refund) stays in the log with no return line
    left join return_lines
        on refund_lines.return_id = return_lines.return_id
        and refund_lines.line_item_id = return_lines.line_item_id
),

unioned as (
    select * from initiated
    union all
    select * from declined_or_cancelled
    union all
    select * from label_created
    union all
    select * from exchange_shipped
    union all
    select * from refunded
),

final as (
    select
        unioned.event_type,
        unioned.occurred_at,
        unioned.recorded_at,
        unioned.loaded_at,
        'shopify'                                       as source,
        orders.channel,
        unioned.node_id,
        unioned.return_id,
        unioned.return_line_id,
        unioned.order_id,
        unioned.sku,
        unioned.quantity,
        unioned.source_reason_code,
        {{ null_string }}                               as grade,
        {{ null_string }}                               as disposition,
        {{ null_string }}                               as inventory_state,
        unioned.amount,
        case when unioned.amount is not null
            then coalesce(unioned.currency, orders.currency) end
                                                        as currency,
        unioned.tracking_code,
        {{ null_string }}                               as carrier_status,
        unioned.source_record_key
    from unioned
    left join orders
        on unioned.order_id = orders.order_id
)

select * from final
