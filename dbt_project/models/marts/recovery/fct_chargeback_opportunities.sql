-- What each vendor owes back per SKU (seeds/vendor_agreements.csv): received units whose
-- canonical reason the SKU's vendor accepts as its fault, returned within the agreement's
-- claim_window_days of the order; the claim is unit_cost x quantity x chargeback_rate_pct / 100.
-- Store purchases have no order date to prove the window and are not claimed.
-- claim_deadline is the earliest order date + claim window among the claimed units.
with return_lines as (
    select * from {{ ref('int_return_lines_assembled') }}
    where received_at is not null
),

vendor_agreements as (
    select * from {{ ref('vendor_agreements') }}
),

claimable as (
    select
        return_lines.vendor_id,
        vendor_agreements.vendor_name,
        return_lines.sku,
        return_lines.quantity,
        return_lines.received_at,
        cast(round(return_lines.unit_cost * return_lines.quantity
                   * vendor_agreements.chargeback_rate_pct / 100, 2) as decimal(18, 2))
                                                                    as claim_amount,
        cast({{ dbt.dateadd('day', 'vendor_agreements.claim_window_days',
                            'return_lines.ordered_at') }} as date)  as claim_deadline
    from return_lines
    inner join vendor_agreements
        on return_lines.vendor_id = vendor_agreements.vendor_id
        and return_lines.reason_code = vendor_agreements.reason_code
    where return_lines.ordered_at is not null
        and return_lines.initiated_at
            <= {{ dbt.dateadd('day', 'vendor_agreements.claim_window_days', 'return_lines.ordered_at') }}
),

final as (
    select
        vendor_id,
        vendor_name,
        sku,
        cast(sum(quantity) as {{ dbt.type_int() }})                 as units,
        cast(sum(claim_amount) as decimal(18, 2))                   as claimable_amount,
        min(received_at)                                            as oldest_received_at,
        min(claim_deadline)                                         as claim_deadline,
        ---------- added beyond docs/marts.md
        cast(count(*) as {{ dbt.type_int() }})                      as return_lines
    from claimable
    group by vendor_id, vendor_name, sku
)

select * from final
