{#-
    The date written into a landed file's name, e.g. the report date of
    `amazon/fba_customer_returns_2026-01-07.tsv`: the text between `prefix` and the next '.',
    read as YYYY-MM-DD or YYYYMMDD; null when the name carries no date. Cross-database
    (dbt.split_part, dbt.safe_cast).
-#}
{% macro file_name_date(file_column, prefix) -%}
    {%- set stamp = dbt.split_part(dbt.split_part(file_column, "'" ~ prefix ~ "'", 2), "'.'", 1) -%}
    coalesce(
        {{ dbt.safe_cast(stamp, 'date') }},
        {{ dbt.safe_cast(dbt.concat([
            "substring(" ~ stamp ~ ", 1, 4)", "'-'",
            "substring(" ~ stamp ~ ", 5, 2)", "'-'",
            "substring(" ~ stamp ~ ", 7, 2)"]), 'date') }}
    )
{%- endmacro %}
