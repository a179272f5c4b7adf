{#-
    Generic test: none of `columns` is null, in one scan of the model. Fails with one row per
    column that has nulls: the column and how many.

    The staging and intermediate models test their required columns with this one test each
    instead of a `not_null` per column: every dbt test is a node dbt schedules and an asset
    check Dagster records (~40 ms and three stored events per build, every micro-batch), and
    ~120 column tests were two fifths of the project's tests. The marts need neither: their
    enforced contracts declare `constraints: [{type: not_null}]` (docs/marts.md).

        - name: stg_wms__receipts
          data_tests:
            - not_null_columns:
                arguments:
                  columns: [receipt_line_id, receipt_id, node_id]
-#}
{% test not_null_columns(model, columns) %}
with null_counts as (
    select
        {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
)
{% for column in columns %}
select '{{ column }}' as column_name, {{ column }} as null_rows
from null_counts
where {{ column }} > 0
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endtest %}
