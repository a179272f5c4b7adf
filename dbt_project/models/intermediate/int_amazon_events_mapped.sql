-- Amazon FBA customer-returns rows as return_initiated events: the physical moment is
-- return-date, but Amazon back-dates its reports, so the source recorded the row only on the
-- report date (from the file name, at 00:00; the load time when a file name carries none).
{%- set null_string = "cast(null as " ~ dbt.type_string() ~ ")" %}

with customer_returns as (
    select * from {{ ref('stg_amazon__customer_returns') }}
),

final as (
    select
        'return_initiated'                              as event_type,
        customer_returns.returned_at                    as occurred_at,
        -- a report dated the day of the return itself (no back-dating) cannot have recorded
        -- it before it happened: never earlier than return-date
        case
            when customer_returns.recorded_at is null then customer_returns.loaded_at
            when customer_returns.recorded_at < customer_returns.returned_at
                then customer_returns.returned_at
            else customer_returns.recorded_at
        end                                             as recorded_at,
        customer_returns.loaded_at,
        'amazon'                                        as source,
        'amazon'                                        as channel,
        {{ null_string }}                               as node_id,
        customer_returns.license_plate_number           as return_id,
        customer_returns.license_plate_number           as return_line_id,
        customer_returns.order_id,
        customer_returns.sku,
        customer_returns.quantity,
        customer_returns.amazon_reason                  as source_reason_code,
        {{ null_string }}                               as grade,
        {{ null_string }}                               as disposition,
        {{ null_string }}                               as inventory_state,
        cast(null as decimal(18, 2))                    as amount,
        {{ null_string }}                               as currency,
        {{ null_string }}                               as tracking_code,
        {{ null_string }}                               as carrier_status,
        customer_returns.license_plate_number           as source_record_key
    from customer_returns
)

select * from final
