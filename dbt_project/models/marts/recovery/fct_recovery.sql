-- Value recovered from returned units, by disposition x category x channel x month of the
-- disposition: every inspected line (a DC inspection assigns the disposition; store returns
-- are not inspected and have none). Recovered value per line is fct_return_lines.recovery_value
-- (the `disposition_recovery` var: a share of the price when the unit is sold again, of the
-- cost when the vendor credits it).
with return_lines as (
    select * from {{ ref('fct_return_lines') }}
    where disposition is not null
),

final as (
    select
        cast({{ dbt.date_trunc('month', 'disposition_assigned_at') }} as date)
                                                                    as month_start,
        disposition,
        category,
        channel,
        cast(sum(quantity) as {{ dbt.type_int() }})                 as units,
        cast(sum(original_value) as decimal(18, 2))                 as original_value,
        cast(sum(recovery_value) as decimal(18, 2))                 as recovered_value,
        cast(sum(recovery_value) as {{ type_double() }})
            / nullif(cast(sum(original_value) as {{ type_double() }}), 0)        as recovery_rate,
        ---------- added beyond docs/marts.md
        cast(count(*) as {{ dbt.type_int() }})                      as return_lines
    from return_lines
    group by 1, 2, 3, 4
)

select * from final
