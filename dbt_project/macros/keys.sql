{#- Readable keys built with dbt's cross-database concat (DESIGN §12). -#}

{#- A Shopify GraphQL id from a REST numeric id: shopify_gid('Order', 'order_id')
    -> 'gid://shopify/Order/<order_id>' (null when the id is null). -#}
{% macro shopify_gid(object_type, id_expression) -%}
    {{ dbt.concat(["'gid://shopify/" ~ object_type ~ "/'",
                   "cast(" ~ id_expression ~ " as " ~ dbt.type_string() ~ ")"]) }}
{%- endmacro %}

{#- Several key parts joined with '|', a null part written as '' :
    record_key(['receipt_id', 'sku']) -> receipt_id || '|' || sku -#}
{% macro record_key(parts) -%}
    {%- set pieces = [] -%}
    {%- for part in parts -%}
        {%- do pieces.append("coalesce(cast(" ~ part ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last -%}{%- do pieces.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.concat(pieces) }}
{%- endmacro %}
