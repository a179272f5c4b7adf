{#-
    Timestamps that arrive as text or numbers inside nested payloads, turned into the house
    convention: a naive TIMESTAMP in UTC (the loader does the same for top-level columns).
-#}

{#- ISO 8601 text with any offset ('2026-01-05T10:00:00Z', '...+02:00') -> naive UTC timestamp;
    unreadable text -> null. -#}
{% macro iso_to_utc_timestamp(expression) -%}
    {{ return(adapter.dispatch('iso_to_utc_timestamp')(expression)) }}
{%- endmacro %}

{% macro default__iso_to_utc_timestamp(expression) -%}
    {#- the standard cast honours the offset; the session time zone must be UTC (profiles.yml) -#}
    cast(cast({{ expression }} as timestamp with time zone) as timestamp)
{%- endmacro %}

{% macro duckdb__iso_to_utc_timestamp(expression) -%}
    {#- DuckDB: casting straight to TIMESTAMP drops the offset, so go through TIMESTAMPTZ and
        convert at UTC explicitly, independent of the session time zone -#}
    timezone('UTC', try_cast({{ expression }} as timestamptz))
{%- endmacro %}

{#- Unix epoch seconds -> naive UTC timestamp, through dbt's cross-database dateadd. -#}
{% macro epoch_to_timestamp(expression) -%}
    {{ dbt.dateadd('second', expression, "cast('1970-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}
