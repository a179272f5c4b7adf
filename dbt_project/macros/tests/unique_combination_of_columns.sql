{#-
    Generic test: no two rows share the same combination of `combination_of_columns`
    (the dbt_utils test of the same name, written here because the project uses no hub packages).

        data_tests:
          - unique_combination_of_columns:
              arguments:
                combination_of_columns: [receipt_id, sku]
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
