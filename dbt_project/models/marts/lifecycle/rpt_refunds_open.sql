-- Open refunds (received, not yet refunded or credited) per channel and ageing bucket at
-- as_of: how many lines, the money the policy expects to pay, how many are past their SLA.
with refunds as (
    select * from {{ ref('fct_refunds') }}
    where is_open
),

final as (
    select
        channel,
        ageing_bucket,
        cast(count(*) as {{ dbt.type_int() }})                      as open_refunds,
        cast(coalesce(sum(expected_refund), 0) as decimal(18, 2))   as expected_amount,
        cast(sum(case when is_sla_breach then 1 else 0 end) as {{ dbt.type_int() }})
                                                                    as over_sla,
        max(days_from_receipt)                                      as oldest_days_from_receipt,
        max(as_of)                                                  as as_of
    from refunds
    group by channel, ageing_bucket
)

select * from final
