{#-
    Helpers of the inventory models (DESIGN §4, §7), portable across adapters (DESIGN §12):
    dbt's cross-database macros where they exist, a dispatch where an engine needs its own words.
-#}

{#- One row per day from `start_expression` to `end_expression` (dates, both included), as a
    select of `date_day`. Portable: ten digits cross-joined four times (0-9,999 days, ~27
    years), no generate_series / recursive CTE / date_spine (which runs a query at compile time
    and so cannot take a ref inside a unit test).

        days as ( {{ inventory_day_series("(select min(date_day) from x)", "(select max(date_day) from x)") }} )
-#}
{% macro inventory_day_series(start_expression, end_expression) -%}
    select
        cast({{ dbt.dateadd('day', '_day_numbers.day_number', start_expression) }} as date)
                                                        as date_day
    from (
        select
            _d0.digit + 10 * _d1.digit + 100 * _d2.digit + 1000 * _d3.digit
                                                        as day_number
        from {{ inventory_digits() }} as _d0
        cross join {{ inventory_digits() }} as _d1
        cross join {{ inventory_digits() }} as _d2
        cross join {{ inventory_digits() }} as _d3
    ) as _day_numbers
    where _day_numbers.day_number
        <= {{ dbt.datediff(start_expression, end_expression, 'day') }}
{%- endmacro %}

{% macro inventory_digits() -%}
    (
        select 0 as digit union all select 1 union all select 2 union all select 3
        union all select 4 union all select 5 union all select 6 union all select 7
        union all select 8 union all select 9
    )
{%- endmacro %}

{#- The share of a node's ATP a channel may sell (seed channel_allocation, _seeds.yml):
    floor(greatest(node_atp, 0) * allocation_pct / 100), in integers only: for n >= 0,
    floor(n / 100) = (n - mod(n, 100)) / 100, whatever the engine's integer division does. -#}
{% macro inventory_atp_share(node_atp, allocation_pct) -%}
    {%- set n = "(greatest(" ~ node_atp ~ ", 0) * " ~ allocation_pct ~ ")" -%}
    cast(({{ n }} - mod({{ n }}, 100)) / 100 as {{ dbt.type_int() }})
{%- endmacro %}

{#- A 64-bit float (dbt.type_float() is a 32-bit FLOAT on DuckDB). -#}
{% macro inventory_type_double() -%}
    {{ return(adapter.dispatch('inventory_type_double')()) }}
{%- endmacro %}

{% macro default__inventory_type_double() -%}double{%- endmacro %}

{% macro postgres__inventory_type_double() -%}double precision{%- endmacro %}

{% macro bigquery__inventory_type_double() -%}float64{%- endmacro %}

{#- Signed contribution of a state to node ATP: available - committed - reserved - safety_stock
    (the seed formula). -#}
{% macro inventory_atp_sign(state_column) -%}
    case {{ state_column }}
        when 'available' then 1
        when 'committed' then -1
        when 'reserved' then -1
        when 'safety_stock' then -1
        else 0
    end
{%- endmacro %}

{#- States physically at the node (DESIGN §4 `on_hand`): all but the inbound ones. -#}
{% macro inventory_is_on_hand(state_column) -%}
    ({{ state_column }} not in ('incoming', 'in_transit_return'))
{%- endmacro %}

{#- Hours between two timestamps as a double (null when either is null). -#}
{% macro inventory_hours_between(start_timestamp, end_timestamp) -%}
    cast({{ dbt.datediff(start_timestamp, end_timestamp, 'second') }} as {{ inventory_type_double() }}) / 3600
{%- endmacro %}

{#- A timestamp as ISO text with microseconds, '2026-01-05T23:59:59.000000' (Python's
    strftime('%Y-%m-%dT%H:%M:%S.%f')): part of the write-back's correction id. -#}
{% macro inventory_iso_timestamp_micros(expression) -%}
    {{ return(adapter.dispatch('inventory_iso_timestamp_micros')(expression)) }}
{%- endmacro %}

{% macro default__inventory_iso_timestamp_micros(expression) -%}
    {#- Spark / Databricks -#}
    date_format({{ expression }}, "yyyy-MM-dd'T'HH:mm:ss.SSSSSS")
{%- endmacro %}

{% macro duckdb__inventory_iso_timestamp_micros(expression) -%}
    strftime({{ expression }}, '%Y-%m-%dT%H:%M:%S.%f')
{%- endmacro %}

{% macro snowflake__inventory_iso_timestamp_micros(expression) -%}
    to_char({{ expression }}, 'YYYY-MM-DD"T"HH24:MI:SS.FF6')
{%- endmacro %}

{% macro postgres__inventory_iso_timestamp_micros(expression) -%}
    to_char({{ expression }}, 'YYYY-MM-DD"T"HH24:MI:SS.US')
{%- endmacro %}

{#- The write-back's deterministic correction id (writeback/corrections.py correction_id_for):

        'cor_' || first 24 hex digits of md5(channel|sku|location_id or ''|published|target|
                                             basis_published_at as ISO text with microseconds, or '')

    dbt.hash is md5 on DuckDB, Spark, Snowflake and Postgres. -#}
{% macro correction_id(channel, sku, location_id, published_quantity, target_quantity, basis_published_at) -%}
    {%- set text = dbt.type_string() -%}
    {{ dbt.concat(["'cor_'", "substring(" ~ dbt.hash(dbt.concat([
        "coalesce(cast(" ~ channel ~ " as " ~ text ~ "), '')", "'|'",
        "coalesce(cast(" ~ sku ~ " as " ~ text ~ "), '')", "'|'",
        "coalesce(cast(" ~ location_id ~ " as " ~ text ~ "), '')", "'|'",
        "cast(" ~ published_quantity ~ " as " ~ text ~ ")", "'|'",
        "cast(" ~ target_quantity ~ " as " ~ text ~ ")", "'|'",
        "coalesce(" ~ inventory_iso_timestamp_micros(basis_published_at) ~ ", '')",
    ])) ~ ", 1, 24)"]) }}
{%- endmacro %}

{#- The newest `column` of an incremental model's own table (the rows it has already seen),
    or a time before any load when the table is empty: new input is `loaded_at > this`. -#}
{% macro inventory_loaded_watermark(relation, column='loaded_at') -%}
    coalesce(
        (select max({{ column }}) from {{ relation }}),
        cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }})
    )
{%- endmacro %}
