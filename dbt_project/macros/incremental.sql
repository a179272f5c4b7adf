{#-
    The rows of `relation` (a CTE holding the model's complete current result) that differ
    from what the incremental table already holds: new keys, and keys whose row changed in
    any column. With `incremental_strategy='delete+insert'` on `unique_key`, a micro-batch
    rewrites only those rows; every other row of history stays as it is, and the table ends
    up equal to a full refresh (the CTE *is* the full-refresh result).

    Why not a `loaded_at > max(loaded_at)` filter: a record loaded late can change rows that
    were built long ago (a back-dated Amazon report links an earlier WMS receipt to its return
    line; a late webhook moves a carrier scan earlier; a new scan ages an open SLA breach), and
    a load-time filter would leave those rows stale. Comparing the result instead is exact.

    Columns are compared with `is distinct from` (null-safe, standard SQL: DuckDB, Postgres,
    Snowflake, Spark 3, BigQuery). When the model's documented columns differ from the
    table's (the model changed), no row is compared: every row counts as changed. With
    `on_schema_change='sync_all_columns'` the table then takes the new columns and all rows
    are rewritten, as a full refresh would; a model with an enforced contract must use
    `on_schema_change='fail'` (dbt's rule), and dbt asks for a `--full-refresh` instead.

    Columns whose name starts with `_` are bookkeeping and never compared: `_written_at`
    (`written_at()` below) tells which run last wrote a row, so a test can see that a
    micro-batch left history alone.

        {{ changed_rows('final', ['node_id', 'date_day']) }}
-#}
{% macro changed_rows(relation, unique_key) -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    select {{ relation }}.*
    from {{ relation }}
    {%- if this is not none and is_incremental() %}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list %}
    {%- set declared = model.columns.keys() | map('lower') | list %}
    {%- if not declared or (declared | sort) == (existing | sort) %}
    left join {{ this }} as _existing
        on {% for key in keys %}{{ relation }}.{{ key }} = _existing.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
    where _existing.{{ keys[0] }} is null
        {%- for column in existing if column not in keys and not column.startswith('_') %}
        or {{ relation }}.{{ adapter.quote(column) }} is distinct from _existing.{{ adapter.quote(column) }}
        {%- endfor %}
    {%- endif %}
    {%- endif %}
{%- endmacro %}

{#- When this dbt invocation started (UTC, to the second): the `_written_at` of the rows it
    writes. Differs between runs by design; never part of a comparison. -#}
{% macro written_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
