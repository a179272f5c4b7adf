{#-
    dbt-duckdb has no safe_cast of its own, so dbt.safe_cast falls back to a plain cast that
    fails the whole query on one bad value; DuckDB's try_cast gives null instead, as safe_cast
    does on the other adapters (Snowflake/BigQuery/Spark). Found by dbt.safe_cast's dispatch.
-#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
