{#-
    Generic test: every non-null value of the column is at least `minimum` (the dbt_utils
    accepted_range with only a lower bound, written here because the project uses no hub
    packages).

        - name: units
          data_tests:
            - column_at_least:
                arguments:
                  minimum: 0
-#}
{% test column_at_least(model, column_name, minimum) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} < {{ minimum }}
{% endtest %}
