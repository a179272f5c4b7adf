{#- Helpers of the return-lifecycle marts, all built on dbt's cross-database macros. -#}

{#- Hours between two timestamps, exact to the second, as a double (null if either is null). -#}
{% macro hours_between(start_column, end_column) -%}
    cast({{ dbt.datediff(start_column, end_column, 'second') }} as {{ type_double() }}) / 3600
{%- endmacro %}

{#- `timestamp_column` plus a number of hours (a column or a literal), to the second. -#}
{% macro add_hours(hours, timestamp_column) -%}
    {{ dbt.dateadd('second', 'cast(' ~ hours ~ ' * 3600 as ' ~ dbt.type_bigint() ~ ')', timestamp_column) }}
{%- endmacro %}

{#-
    The "now" of every ageing figure: the `as_of` var when given (`--vars '{as_of:
    "2026-03-06 00:00:00"}'`), else the newest occurred_at in the event log. Derived from the
    data, never from the clock, so a re-run of the same data gives the same marts.
-#}
{% macro as_of_timestamp() -%}
    {%- if var('as_of', none) -%}
        cast('{{ var("as_of") }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        (select max(occurred_at) from {{ ref('int_return_events') }})
    {%- endif -%}
{%- endmacro %}

{#-
    Open-refund ageing bucket from the age in days (a double): whole days of age, floored,
    in the buckets of DESIGN §7 (0-2, 3-7, 8-14, 15-30, >30).
-#}
{% macro ageing_bucket(days_column) -%}
    case
        when {{ days_column }} is null then null
        when floor({{ days_column }}) <= 2 then '0-2'
        when floor({{ days_column }}) <= 7 then '3-7'
        when floor({{ days_column }}) <= 14 then '8-14'
        when floor({{ days_column }}) <= 30 then '15-30'
        else '>30'
    end
{%- endmacro %}

{#-
    Value a disposition recovers per line, from the `disposition_recovery` var in
    dbt_project.yml: a percentage of the selling price (resold) or of the unit cost
    (credited by the vendor). Dispositions not listed recover nothing; no disposition, null.
-#}
{% macro recovery_value(disposition, unit_price, unit_cost, quantity) -%}
    {%- set rules = var('disposition_recovery') -%}
    cast(
        case
            when {{ disposition }} is null then null
            {%- for name, rule in rules.items() %}
            when {{ disposition }} = '{{ name }}'
                then round({{ unit_price if rule.basis == 'price' else unit_cost }} * {{ quantity }} * {{ rule.pct }} / 100, 2)
            {%- endfor %}
            else 0
        end
    as decimal(18, 2))
{%- endmacro %}

{#- ISO day of week, Monday = 1 .. Sunday = 7, by counting days from a Monday (portable). -#}
{% macro iso_day_of_week(date_column) -%}
    (mod({{ dbt.datediff("cast('2001-01-01' as date)", date_column, 'day') }}, 7) + 1)
{%- endmacro %}

{#- A 64-bit float: `double precision` in standard SQL (Postgres, Snowflake), `double` where
    the adapter spells it so (DuckDB, Spark). Not dbt.type_float(): that is a 32-bit `float`
    on DuckDB. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro duckdb__type_double() -%}double{%- endmacro %}

{% macro spark__type_double() -%}double{%- endmacro %}
