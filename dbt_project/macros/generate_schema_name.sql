{#- Layers live in schemas named exactly `staging`, `intermediate` and `marts` (not
    `<target>_staging`), so the serving publish and the dashboards read stable names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
